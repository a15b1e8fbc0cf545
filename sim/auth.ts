// OAuth client credentials (POST /oauth/token), the bearer check on /api/v2, and the per-token rate windows.
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import { ApiError, rateLimitError } from './api-error';
import type { Reply } from './module';
import { type Exchange, mediaType } from './request';
import type { SimClient } from './types';

export const DEFAULT_CLIENT: SimClient = { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' };
const MAX_TOKENS = 10_000;
/** The rate window is counted in 60 slots: a second each by default (Genesys' minute). */
export const WINDOW_SLOTS = 60;

interface Token {
  clientId: string;
  expiresAt: number;
}

export class OAuth {
  private readonly clients = new Map<string, SimClient>();
  private tokens = new Map<string, Token>();

  constructor(
    clients: SimClient[],
    private readonly windows: RateWindows,
  ) {
    for (const c of clients) this.addClient(c);
  }

  addClient(c: SimClient): void {
    this.clients.set(c.clientId, c);
  }

  /** POST /oauth/token with HTTP Basic client authentication and grant_type=client_credentials. */
  grant(ex: Exchange, raw: Buffer): Reply {
    const oauthError = (status: number, error: string, description: string): Reply => ({
      status,
      body: { error, description, error_description: description },
    });
    if (ex.method !== 'POST') return oauthError(405, 'invalid_request', 'Use POST.');
    if (mediaType(ex.req) !== 'application/x-www-form-urlencoded') {
      return oauthError(415, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
    }
    const m = /^Basic\s+(\S+)$/i.exec(ex.req.headers.authorization ?? '');
    if (!m) return oauthError(401, 'invalid_client', 'Client authentication is required (HTTP Basic).');
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const client = colon > 0 ? this.clients.get(decoded.slice(0, colon)) : undefined;
    if (!client || client.clientSecret !== decoded.slice(colon + 1))
      return oauthError(401, 'invalid_client', 'client not found or bad client secret');
    ex.clientId = client.clientId;
    const grant = new URLSearchParams(raw.toString('utf8')).get('grant_type');
    if (!grant) return oauthError(400, 'invalid_request', 'grant_type is required');
    if (grant !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', `Unsupported grant type: ${grant}`);
    const life = client.tokenLifetimeSeconds ?? 86400;
    const now = Date.now();
    // Keep the token table bounded: drop expired tokens, then the oldest ones.
    for (const [t, v] of this.tokens) if (v.expiresAt <= now) this.forget(t);
    while (this.tokens.size >= MAX_TOKENS) this.forget(this.tokens.keys().next().value as string);
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { clientId: client.clientId, expiresAt: now + life * 1000 });
    return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: life }, headers: { 'Cache-Control': 'no-store' } };
  }

  /** The bearer token of an /api/v2 request: sets ex.clientId (also for an expired token) and ex.token. */
  authenticate(ex: Exchange): void {
    const m = /^Bearer\s+(\S+)$/i.exec(ex.req.headers.authorization ?? '');
    if (!m) throw new ApiError(401, 'authentication.required', 'No authentication bearer token specified in authorization header.');
    const t = this.tokens.get(m[1]);
    if (!t) throw new ApiError(401, 'bad.credentials', 'Invalid login credentials.');
    ex.clientId = t.clientId;
    if (t.expiresAt <= Date.now()) throw new ApiError(401, 'credentials.expired', 'The authentication token has expired.');
    ex.token = m[1];
  }

  /** Every token issued so far answers 401 from now on. */
  expireAll(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  /** Forgets every token (and so every rate window). */
  clear(): void {
    this.tokens = new Map();
    this.windows.clear();
  }

  private forget(t: string): void {
    this.tokens.delete(t);
    this.windows.forget(t);
  }
}

interface Bucket {
  slot: number;
  count: number;
}

/** Per token, a sliding 60 s window kept as per-slot buckets (bounded memory). */
export class RateWindows {
  private windows = new Map<string, Bucket[]>();

  /** slotMs: one slot of the window, 1 s, or less when a test scales time down (rateLimitWindowMs). */
  constructor(
    private readonly slotMs: number,
    private readonly limit: () => number,
  ) {}

  /** Counts one request of this token, or throws the 429 with the seconds until one more fits. */
  take(token: string): void {
    const now = Date.now();
    const nowSlot = Math.floor(now / this.slotMs);
    const b = this.windowOf(token, nowSlot);
    const used = b.reduce((n, x) => n + x.count, 0);
    const limit = this.limit();
    if (used >= limit) {
      // Seconds until enough requests leave the window for one more to fit.
      let freed = 0;
      let at = b[0].slot;
      for (const x of b) {
        freed += x.count;
        at = x.slot;
        if (used - freed < limit) break;
      }
      const retry = Math.max(1, Math.ceil(((at + WINDOW_SLOTS) * this.slotMs - now) / 1000));
      throw rateLimitError(retry, limit);
    }
    const last = b[b.length - 1];
    if (last && last.slot === nowSlot) last.count++;
    else b.push({ slot: nowSlot, count: 1 });
  }

  /** Sets the inin-ratelimit-* headers of an /api/v2 answer (no token yet: an empty window). */
  setHeaders(res: http.ServerResponse, token: string | undefined): void {
    const now = Date.now();
    const b = token ? this.windowOf(token, Math.floor(now / this.slotMs)) : [];
    const used = b.reduce((n, x) => n + x.count, 0);
    const windowEnd = b.length ? (b[0].slot + WINDOW_SLOTS) * this.slotMs : now + WINDOW_SLOTS * this.slotMs;
    const reset = Math.max(1, Math.ceil((windowEnd - now) / 1000));
    res.setHeader('inin-ratelimit-count', String(used));
    res.setHeader('inin-ratelimit-allowed', String(this.limit()));
    res.setHeader('inin-ratelimit-reset', String(reset));
  }

  forget(token: string): void {
    this.windows.delete(token);
  }

  clear(): void {
    this.windows = new Map();
  }

  private windowOf(token: string, nowSlot: number): Bucket[] {
    let b = this.windows.get(token);
    if (!b) this.windows.set(token, (b = []));
    while (b.length && b[0].slot <= nowSlot - WINDOW_SLOTS) b.shift();
    return b;
  }
}
