// GenesysClient: one per config node. Every API request goes: token (cached, one grant in flight) ->
// rate limiter (sliding window, shared by all requests of this client) -> HTTP (undici) -> error mapping,
// with the retry policy of lib/retry.ts around it and one token renewal on a 401.
import { cancelled } from './abort';
import type { ZodType } from 'zod';
import { z } from 'zod';
import { GenesysError, invalidInput } from './errors';
import { DEFAULT_MAX_RESPONSE_BYTES, HttpResponse, HttpTransport, headerValue, parseJsonBody } from './http';
import { RateLimiter, type Booking, type RequestPriority } from './rate-limiter';
import { Redactor } from './redact';
import { Origins, resolveOrigins } from './regions';
import { DEFAULT_RETRY_POLICY, RetryPolicy, parseRetryAfter, withRetry } from './retry';
import { ErrorBody } from './schemas';
import { TokenManager } from './token';

/**
 * The limiter's window: Genesys' minute plus a 1 s margin. A start is recorded when a request leaves the
 * limiter, but it reaches Genesys a little later (a pooled socket, the network); without the margin a
 * request that travels faster than the one it replaces in the window can land 61st-in-60-s there and get
 * a 429. The margin costs under 2% of the budget.
 */
export const RATE_LIMIT_WINDOW_MS = 61_000;

export interface GenesysClientOptions {
  region: string;
  apiBaseUrl?: string;
  authBaseUrl?: string;
  clientId: string;
  clientSecret: string;
  /** Default 300: client-side budget shared by every request of this client. */
  requestsPerMinute?: number;
  /** Default 180: a 429 asking to wait longer fails with 'rate-limited' at once. */
  maxRetryAfterSeconds?: number;
  /** Default 10_000. */
  connectTimeoutMs?: number;
  /** Default 30_000 (the whole request). */
  requestTimeoutMs?: number;
  /** Default DEFAULT_MAX_RESPONSE_BYTES (4 MiB): a longer answer body fails and its socket is dropped. */
  maxResponseBytes?: number;
  retry?: { maxAttempts?: number; maxTotalMs?: number; baseDelayMs?: number; maxDelayMs?: number };
  userAgent?: string;
  /** Tests only: the rate limiter's window (default RATE_LIMIT_WINDOW_MS). */
  rateLimitWindowMs?: number;
}

export interface WaitInfo {
  reason: 'rate-limit' | 'retry-after' | 'backoff' | 'token';
  ms: number;
}

export interface RequestOptions<T> {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  /** '/api/v2/...'; callers have validated ids already. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Validates a 2xx JSON body (failure -> 'genesys-error' saying the answer was malformed). */
  schema?: ZodType<T>;
  signal?: AbortSignal;
  /** Called when this request waits (limiter, Retry-After, backoff, token grant). */
  onWait?: (info: WaitInfo) => void;
  /** Called each time the request leaves for Genesys (after the limiter): from then on it may take effect. */
  onSend?: () => void;
  /** 'high' goes before 'normal' requests waiting for the rate limiter (default 'normal'). */
  priority?: RequestPriority;
  /** A slot booked with book(): the request starts without waiting for the rate limiter. */
  booking?: Booking;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  correlationId?: string;
  /** HTTP requests sent to the API for this call (1 when nothing was repeated). */
  attempts: number;
}

export interface ClientStats {
  tokenGrants: number;
  requests: number;
  retries: number;
  rateLimitWaits: number;
}

export const DEFAULTS = {
  requestsPerMinute: 300,
  maxRetryAfterSeconds: 180,
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
  userAgent: 'node-red-contrib-genesys-participants',
} as const;

/**
 * Upper bound of every time option (timeouts, retry delays, the limiter's window): one hour. Node's timers
 * hold at most 2^31-1 ms (24.8 days); a longer delay fires after 1 ms with a TimeoutOverflowWarning, and a
 * loop re-arming it spins. One hour is far above anything useful and far below that limit.
 */
export const MAX_TIME_MS = 3_600_000;
/** maxRetryAfterSeconds: 1 .. 3600 (the Go and Java SDKs give up above 180 s, genesys-api.md section 6). */
export const MAX_RETRY_AFTER_SECONDS = MAX_TIME_MS / 1000;
/** maxResponseBytes: 1 KiB .. 64 MiB. */
const MAX_RESPONSE_BYTES_LIMIT = 64 * 1024 * 1024;

const METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT']);

const Organization = z.object({
  id: z.string().nullish().transform((v) => v ?? undefined),
  name: z.string().nullish().transform((v) => v ?? undefined),
});

/** A Genesys permission name: domain:entity:action (e.g. conversation:communication:disconnect). */
const PERMISSION_RE = /\b[a-zA-Z][\w-]*:[a-zA-Z*][\w*-]*:[a-zA-Z*][\w*-]*\b/g;

function requiredString(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidInput(field, 'is required and must not be empty or blank');
  }
  return value.trim();
}

/** A number option: a number or a numeric string (as editors send them); absent or '' -> the default. */
function numberOption(field: string, value: unknown, fallback: number, min: number, integer = false, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    const got = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value === 'number' ? String(value) : `a ${typeof value}`;
    throw invalidInput(field, `must be ${integer ? 'an integer' : 'a number'} ${range} (got ${got})`);
  }
  return n;
}

/** Permissions Genesys names in a 403 (messageParams first, then the message). */
export function missingPermissionsOf(body: ErrorBody | undefined): string[] {
  if (!body) return [];
  const found = new Set<string>();
  const scan = (v: unknown) => {
    if (typeof v === 'string') for (const m of v.match(PERMISSION_RE) ?? []) found.add(m);
    else if (Array.isArray(v)) v.forEach(scan);
  };
  Object.values(body.messageParams ?? {}).forEach(scan);
  if (found.size === 0) scan(body.message);
  return [...found];
}

export class GenesysClient {
  readonly origins: Origins;
  private readonly http: HttpTransport;
  private readonly tokens: TokenManager;
  private readonly limiter: RateLimiter;
  private readonly policy: RetryPolicy;
  private readonly apiHost: string;
  private readonly redactor: Redactor;
  private closed = false;
  private readonly counters = { requests: 0, retries: 0 };
  private auth: { token: string; headers: Record<string, string> } | undefined;

  constructor(options: GenesysClientOptions) {
    if (!options || typeof options !== 'object') throw invalidInput('options', 'are required');
    this.origins = resolveOrigins(options.region, { apiBaseUrl: options.apiBaseUrl, authBaseUrl: options.authBaseUrl });
    const clientId = requiredString('clientId', options.clientId);
    const secret = requiredString('clientSecret', options.clientSecret);
    this.redactor = new Redactor([secret]);
    const r = options.retry ?? {};
    this.policy = {
      maxAttempts: numberOption('retry.maxAttempts', r.maxAttempts, DEFAULT_RETRY_POLICY.maxAttempts, 1, true, 100),
      maxTotalMs: numberOption('retry.maxTotalMs', r.maxTotalMs, DEFAULT_RETRY_POLICY.maxTotalMs, 0, false, MAX_TIME_MS),
      baseDelayMs: numberOption('retry.baseDelayMs', r.baseDelayMs, DEFAULT_RETRY_POLICY.baseDelayMs, 0, false, MAX_TIME_MS),
      maxDelayMs: numberOption('retry.maxDelayMs', r.maxDelayMs, DEFAULT_RETRY_POLICY.maxDelayMs, 0, false, MAX_TIME_MS),
      maxRetryAfterSeconds: numberOption('maxRetryAfterSeconds', options.maxRetryAfterSeconds, DEFAULTS.maxRetryAfterSeconds, 1, false, MAX_RETRY_AFTER_SECONDS),
    };
    const rpm = numberOption('requestsPerMinute', options.requestsPerMinute, DEFAULTS.requestsPerMinute, 1, true);
    const connectTimeoutMs = numberOption('connectTimeoutMs', options.connectTimeoutMs, DEFAULTS.connectTimeoutMs, 1, false, MAX_TIME_MS);
    const requestTimeoutMs = numberOption('requestTimeoutMs', options.requestTimeoutMs, DEFAULTS.requestTimeoutMs, 1, false, MAX_TIME_MS);
    const maxResponseBytes = numberOption('maxResponseBytes', options.maxResponseBytes, DEFAULTS.maxResponseBytes, 1024, true, MAX_RESPONSE_BYTES_LIMIT);
    const windowMs = numberOption('rateLimitWindowMs', options.rateLimitWindowMs, RATE_LIMIT_WINDOW_MS, 1, false, MAX_TIME_MS);
    if (options.userAgent !== undefined && (typeof options.userAgent !== 'string' || /[\r\n]/.test(options.userAgent))) {
      throw invalidInput('userAgent', 'must be a single-line string');
    }

    this.apiHost = new URL(this.origins.apiBaseUrl).host;
    try {
      this.http = new HttpTransport({ connectTimeoutMs, requestTimeoutMs, maxResponseBytes, userAgent: options.userAgent || DEFAULTS.userAgent });
    } catch (err) {
      throw this.redactor.error(err); // a proxy URL that does not parse
    }
    this.limiter = new RateLimiter({ requestsPerMinute: rpm, windowMs, firstAnswerFirst: true });
    this.tokens = new TokenManager({
      authBaseUrl: this.origins.authBaseUrl,
      clientId,
      clientSecret: secret,
      http: this.http,
      policy: this.policy,
      redactor: this.redactor,
    });
  }

  /**
   * One API request (token, limiter, retry). Every error it throws went through the redaction point
   * (lib/redact.ts): no secret, token, Basic value or URL credentials in its message, no raw cause.
   */
  request<T = unknown>(options: RequestOptions<T>): Promise<ApiResponse<T>> {
    try {
      this.check(options);
    } catch (err) {
      return Promise.reject(this.redactor.error(err));
    }
    // With a token at hand, the first slot is waited for before the request's work begins: a read queued
    // behind the budget (10,000 of them at the real 300/min) then holds one limiter entry, not a chain of
    // suspended async functions. Without one, the grant comes first (the slot's start is when it is sent).
    // A slot free at once is taken without a promise (the common case: a kick's requests are booked).
    if (!this.tokens.hasValidToken) return this.requestOnce(options, false);
    if (this.limiter.tryAcquire(options.priority, options.booking)) return this.requestOnce(options, true);
    return this.limiter.acquire(options.signal, options.onWait, options.priority, options.booking).then(
      () => this.requestOnce(options, true),
      (err: unknown) => {
        throw this.redactor.error(err);
      },
    );
  }

  /** The Authorization header of `token`: one object per token, so the transport reuses the headers it built. */
  private authorization(token: string): Record<string, string> {
    if (this.auth?.token !== token) this.auth = { token, headers: { authorization: `Bearer ${token}` } };
    return this.auth.headers;
  }

  /** Bad input is refused before anything waits or is sent. */
  private check(options: RequestOptions<unknown>): void {
    const { method, path, signal } = options;
    if (!METHODS.has(method)) throw invalidInput('method', `must be one of ${[...METHODS].join(', ')} (got ${JSON.stringify(method)})`);
    if (typeof path !== 'string' || !path.startsWith('/api/v2/') || /[\s#\\]|\/\.\.?(\/|$|\?)/.test(path)) {
      throw invalidInput('path', `must be an /api/v2/... path without "..", spaces or fragments (got ${JSON.stringify(path)})`);
    }
    if (this.closed) throw new GenesysError('cancelled', `${method} ${path}: the Genesys client is closed`);
    if (signal?.aborted) throw cancelled(signal, `${method} ${path} was cancelled`);
  }

  /** `slotHeld`: the limiter already let this request's first send start. Errors leave through the redaction point. */
  private async requestOnce<T>(options: RequestOptions<T>, slotHeld: boolean): Promise<ApiResponse<T>> {
    const { method, path, signal, onWait } = options;
    const what = `${method} ${this.apiHost}${path}`;
    let sent = 0;
    try {
      const { value } = await withRetry(
        async (): Promise<ApiResponse<T>> => {
          // One attempt, with one token renewal on a 401 (a token revoked or expired early).
          for (let renewed = false; ; renewed = true) {
            if (signal?.aborted) throw cancelled(signal, `${what} was cancelled`);
            // The cached token without a wait when there is one (every request but the first of a grant).
            let token = this.tokens.validToken;
            if (token === undefined) {
              onWait?.({ reason: 'token', ms: 0 });
              token = await this.tokens.getToken(signal);
            }
            if (slotHeld) slotHeld = false;
            else if (!this.limiter.tryAcquire(options.priority, options.booking)) await this.limiter.acquire(signal, onWait, options.priority, options.booking);
            this.counters.requests++;
            sent++;
            options.onSend?.();
            let res: HttpResponse;
            try {
              res = await this.http.send({
                origin: this.origins.apiBaseUrl,
                method,
                path,
                headers: this.authorization(token),
                json: options.body,
                signal,
              });
            } catch (err) {
              this.limiter.answered(); // no answer to learn the budget from: hold nobody back for it
              throw err;
            }
            // Genesys says what this token may use per minute; a lower figure than ours becomes our budget
            // (genesys-api.md section 6: the official blog's sample answer shows inin-ratelimit-allowed: 180,
            // MyPureCloud/developer-center-blog source/2021-05-06-sdk-config-and-logging). Until the first
            // answer, the limiter lets one request out (firstAnswerFirst).
            const allowed = headerValue(res.headers, 'inin-ratelimit-allowed');
            if (allowed !== undefined) this.limiter.setAllowed(Number(allowed));
            this.limiter.answered();
            if (res.status >= 200 && res.status < 300) return this.success(res, options.schema, what, sent);
            if (res.status === 401 && !renewed) {
              this.tokens.invalidate(token);
              this.counters.retries++;
              continue;
            }
            throw this.failure(res, what, renewed);
          }
        },
        {
          policy: this.policy,
          signals: [signal, this.http.closeSignal],
          onWait,
          onRetryAfter: (time) => this.limiter.pauseUntil(time),
          onRetry: () => this.counters.retries++,
          what,
        },
      );
      return value;
    } catch (err) {
      throw this.redactor.error(err);
    }
  }

  /**
   * Books `count` requests of one job in this client's rate limit (see RateLimiter.book): waits, in turn with
   * other new work, until they all fit; pass the booking to each request of the job, release() it at the end.
   */
  book(count: number, signal?: AbortSignal, onWait?: (info: WaitInfo) => void): Promise<Booking> {
    if (this.closed) return Promise.reject(new GenesysError('cancelled', 'the Genesys client is closed'));
    return this.limiter.book(count, signal, onWait);
  }

  /** "Test connection": a (fresh if needed) token, then GET /api/v2/organizations/me. */
  async testConnection(signal?: AbortSignal): Promise<{ organization: { id?: string; name?: string }; correlationId?: string }> {
    const res = await this.request({ method: 'GET', path: '/api/v2/organizations/me', schema: Organization, signal });
    const organization: { id?: string; name?: string } = {};
    if (res.body.id !== undefined) organization.id = res.body.id;
    if (res.body.name !== undefined) organization.name = res.body.name;
    return res.correlationId ? { organization, correlationId: res.correlationId } : { organization };
  }

  stats(): ClientStats {
    return {
      tokenGrants: this.tokens.grantRequests,
      requests: this.counters.requests,
      retries: this.counters.retries,
      rateLimitWaits: this.limiter.waits,
    };
  }

  /** Requests per window in force: requestsPerMinute, or less when Genesys' inin-ratelimit-allowed says so. */
  get rateLimitBudget(): number {
    return this.limiter.budget;
  }

  /** Cancels waits and requests in flight ('cancelled'), clears timers, closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.limiter.close();
    await this.http.close();
  }

  /** A 2xx answer: its body parsed (and checked against `schema`). `attempts`: requests sent for it. */
  private success<T>(res: HttpResponse, schema: ZodType<T> | undefined, what: string, attempts: number): ApiResponse<T> {
    let body: unknown;
    try {
      body = parseJsonBody(res.text);
    } catch {
      if (schema) throw this.malformed(res, what, 'the body is not JSON');
      body = res.text;
    }
    if (schema) {
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw this.malformed(res, what, issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unexpected shape');
      }
      body = parsed.data;
    }
    const out: ApiResponse<T> = { status: res.status, body: body as T, attempts };
    if (res.correlationId) out.correlationId = res.correlationId;
    return out;
  }

  private malformed(res: HttpResponse, what: string, why: string): GenesysError {
    return new GenesysError('genesys-error', `the answer of ${what} was malformed (${why})`, { status: res.status, correlationId: res.correlationId });
  }

  /** Maps a non-2xx answer to the one error type (see genesys-api.md section 5). */
  private failure(res: HttpResponse, what: string, renewed: boolean): GenesysError {
    let body: ErrorBody | undefined;
    try {
      const p = ErrorBody.safeParse(parseJsonBody(res.text));
      if (p.success) body = p.data;
    } catch {
      /* not JSON (a proxy's HTML page): status only */
    }
    const genesysCode = body?.code;
    const said = body?.message ? `: ${this.redactor.foreign(body.message)}` : '';
    const codeText = genesysCode ? ` ${genesysCode}` : '';
    const details = { status: res.status, genesysCode, correlationId: res.correlationId };

    if (res.status === 401) {
      return new GenesysError(
        'auth-failed',
        `Genesys Cloud refused the access token${renewed ? ' again after a new token grant' : ''} (401${codeText})${said}`,
        details,
      );
    }
    if (res.status === 403) {
      const perms = missingPermissionsOf(body);
      const missingPermission = perms.length ? perms.join(', ') : undefined;
      const message = missingPermission
        ? `permission denied: the OAuth client's roles lack the permission ${missingPermission} (403${codeText})`
        : `permission denied (403${codeText})${said}. Check the roles of the OAuth client: removing a participant needs ` +
          'conversation:communication:disconnect, reading a conversation needs conversation:communication:view';
      return new GenesysError('permission-denied', message, { ...details, missingPermission });
    }
    if (res.status === 429) {
      const retryAfter = parseRetryAfter(headerValue(res.headers, 'retry-after'));
      return new GenesysError('rate-limited', `Genesys Cloud rate limit (429${codeText}) on ${what}${said}`, { ...details, retryAfter });
    }
    return new GenesysError('genesys-error', `${what} failed with status ${res.status}${codeText}${said || ` (no error message from ${this.apiHost})`}`, details);
  }
}
