// The simulator's HTTP server: the Genesys Cloud Platform API subset our nodes use (/oauth/token and
// /api/v2/...), and the control API under /__sim/. node:http only. Every answer carries ININ-Correlation-Id.
import * as http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import {
  Counters,
  FailRule,
  FaultConfig,
  LastPartyPolicy,
  LoggedRequest,
  ParticipantState,
  SeededConversation,
  SimClient,
  SimOptions,
  SimOptionsPatch,
} from './types';
import { QueryError, analyticsQuery } from './analytics';
import { NotificationControlError, NotificationError, NotificationService } from './notifications/service';
import {
  SeedError,
  UUID_RE,
  World,
  callConversationView,
  conversationView,
  isCallState,
  isTerminal,
  isTransitional,
} from './state';

export const DEFAULT_CLIENT: SimClient = { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' };
export const ORGANIZATION_ID = '5e1c9a3b-7d2f-4c60-9b8e-0a1f2d3c4b5a';
const MAX_BODY_BYTES = 1024 * 1024;
const LOG_CAPACITY = 10_000; // ring buffer: the log never grows past this
const LOGGED_BODY_MAX = 4096; // bigger bodies are logged as { truncated: true }
const MAX_TOKENS = 10_000;
/** The rate window is counted in 60 slots: a second each by default (Genesys' minute). */
const WINDOW_SLOTS = 60;

/** Deterministic PRNG (mulberry32) so chaos runs repeat with the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Token { clientId: string; expiresAt: number }
interface Bucket { slot: number; count: number }
interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  method: string;
  path: string;
  correlationId: string;
  started: number;
  api: boolean;
  clientId?: string;
  token?: string;
  loggedBody?: unknown;
}
interface Route { name: string; params: string[] }

/** Thrown by handlers to answer with a Genesys ErrorBody. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly messageParams: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
const invalidValue = (field: string, problem: string): ApiError =>
  new ApiError(400, 'invalid.value', `Value for field [${field}] is not valid: ${problem}`, { field });

const DEFAULT_CODES: Record<number, string> = {
  400: 'bad.request',
  401: 'bad.credentials',
  403: 'missing.permissions',
  404: 'not.found',
  409: 'conflict',
  415: 'unsupported.media.type',
  429: 'too.many.requests.retry.after',
  500: 'internal.server.error',
  502: 'bad.gateway',
  503: 'service.unavailable',
  504: 'request.timeout',
};

const newCounters = (): Counters => ({
  tokenGrants: 0,
  apiRequests: 0,
  patches: 0,
  gets: 0,
  rateLimited: 0,
  teardown: { postDisconnect: 0, deleteConversation: 0, patchCallConversation: 0 },
});

const MEDIA_PARTICIPANT_FIELDS = ['state', 'wrapup', 'wrapupSkipped', 'muted', 'held', 'confined', 'recording', 'resumeTime'];
const CALL_CONVERSATION_FIELDS = ['id', 'name', 'state', 'participants', 'otherMediaUris', 'recentTransfers', 'utilizationLabelId', 'inactivityTimeout', 'divisions', 'recordingState', 'maxParticipants', 'securePause', 'selfUri'];

export class SimServer {
  readonly server: http.Server;
  private readonly initial: Required<Pick<SimOptions, 'rateLimitPerMinute' | 'disconnectDelayMs' | 'lastPartyPolicy' | 'analyticsLagMs'>>;
  private opts: Required<Pick<SimOptions, 'rateLimitPerMinute' | 'disconnectDelayMs' | 'lastPartyPolicy' | 'analyticsLagMs'>>;
  private readonly clients = new Map<string, SimClient>();
  private tokens = new Map<string, Token>();
  private windows = new Map<string, Bucket[]>();
  /** One slot of the rate window: 1 s, or less when a test scales time down (rateLimitWindowMs). */
  private readonly slotMs: number;
  private faults: FaultConfig = {};
  private random: () => number = prng(Date.now());
  private failRules: (FailRule & { remaining: number; re?: RegExp })[] = [];
  private log: LoggedRequest[] = [];
  private logNext = 0; // next slot of the ring buffer once it is full
  private counters = newCounters();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly world: World;
  private readonly notifications: NotificationService;
  private closed = false;

  constructor(private readonly options: SimOptions) {
    this.initial = {
      rateLimitPerMinute: options.rateLimitPerMinute ?? 300,
      disconnectDelayMs: options.disconnectDelayMs ?? 200,
      lastPartyPolicy: options.lastPartyPolicy ?? 'stay',
      analyticsLagMs: options.analyticsLagMs ?? 0,
    };
    this.opts = { ...this.initial };
    const windowMs = options.rateLimitWindowMs ?? WINDOW_SLOTS * 1000;
    if (!(typeof windowMs === 'number' && windowMs >= WINDOW_SLOTS)) throw new RangeError(`rateLimitWindowMs must be >= ${WINDOW_SLOTS}`);
    this.slotMs = windowMs / WINDOW_SLOTS;
    for (const c of options.clients ?? [DEFAULT_CLIENT]) this.clients.set(c.clientId, c);
    this.world = new World((ms, fn) => this.schedule(ms, fn), () => this.opts.lastPartyPolicy);
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => this.lastResort(res, err));
    });
    this.notifications = new NotificationService(options.notifications);
    this.notifications.attach(this.server);
    this.world.onChange = (c, p, previous) => this.notifications.conversationChanged(c, p, previous);
    // A malformed request line or headers: answer 400 and drop the socket, never crash.
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  async listen(port: number, host: string): Promise<string> {
    if (this.options.scenario) this.seedScenario(this.options.scenario);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address() as AddressInfo;
    const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `http://${h}:${addr.port}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearTimers();
    this.notifications.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- timers: every one unref'd (a test process can exit) and cleared on close/reset

  private schedule(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      try {
        fn();
      } catch {
        /* a state change must never take the server down */
      }
    }, Math.max(0, ms));
    t.unref();
    this.timers.add(t);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      t.unref();
      this.timers.add(t);
    });
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private seedScenario(scenario: unknown): SeededConversation[] {
    if (!scenario || typeof scenario !== 'object') throw new SeedError('the scenario must be an object');
    const s = scenario as { conversations?: unknown; clients?: unknown };
    if (s.clients !== undefined) {
      if (!Array.isArray(s.clients)) throw new SeedError('clients must be an array');
      for (const c of s.clients as SimClient[]) {
        if (!c || typeof c.clientId !== 'string' || typeof c.clientSecret !== 'string') throw new SeedError('each client needs clientId and clientSecret strings');
        const life = c.tokenLifetimeSeconds;
        if (life !== undefined && (typeof life !== 'number' || !(life > 0))) throw new SeedError('tokenLifetimeSeconds must be a positive number');
      }
    }
    const stored = this.world.seed(s.conversations ?? []);
    for (const c of (s.clients ?? []) as SimClient[]) this.clients.set(c.clientId, c);
    return stored;
  }

  // ---- request pipeline

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const correlationId = randomUUID();
    res.setHeader('ININ-Correlation-Id', correlationId);
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://sim').pathname;
    } catch {
      path = req.url ?? '/';
    }
    const ctx: Ctx = { req, res, method: (req.method ?? 'GET').toUpperCase(), path, correlationId, started: Date.now(), api: path.startsWith('/api/v2/') };

    const raw = await this.readBody(req);
    if (path.startsWith('/__sim/')) return this.control(ctx, raw);

    try {
      if (raw === 'too-large') throw new ApiError(413, 'request.entity.too.large', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
      const auth = path === '/oauth/token';
      let route: Route | undefined;
      if (ctx.api) {
        this.counters.apiRequests++;
        if (ctx.method === 'GET') this.counters.gets++;
        if (ctx.method === 'PATCH') this.counters.patches++;
        route = this.match(ctx.method, path);
        // Counted on arrival, whatever the outcome: tests prove these are never called.
        if (route?.name === 'postDisconnect') this.counters.teardown.postDisconnect++;
        if (route?.name === 'deleteConversation') this.counters.teardown.deleteConversation++;
        if (route?.name === 'patchCallConversation') this.counters.teardown.patchCallConversation++;
        if (raw.length && raw.length <= LOGGED_BODY_MAX && isJson(req)) {
          try { ctx.loggedBody = JSON.parse(raw.toString('utf8')); } catch { /* logged without body */ }
        } else if (raw.length > LOGGED_BODY_MAX) ctx.loggedBody = { truncated: true, bytes: raw.length };
      }
      if (ctx.api || (auth && this.faults.appliesTo === 'all')) {
        if (await this.injectFaults(ctx)) return;
      }
      if (auth) return this.tokenGrant(ctx, raw);
      if (!ctx.api) throw new ApiError(404, 'not.found', `The requested resource [${path}] was not found.`);
      this.authenticate(ctx);
      this.rateLimit(ctx);
      if (!route) throw new ApiError(404, 'not.found', `The requested resource [${ctx.method} ${path}] was not found.`);
      await this.dispatch(ctx, route, raw);
    } catch (err) {
      if (err instanceof ApiError) return this.sendError(ctx, err);
      throw err;
    }
  }

  /** Reads the whole body; over 1 MB it keeps draining (so the client reads our 413) but keeps nothing. */
  private readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY_BYTES) chunks.push(c);
        else chunks.length = 0;
        if (size > 64 * MAX_BODY_BYTES) req.destroy(); // not worth draining
      });
      req.on('end', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)));
      req.on('error', () => resolve(Buffer.alloc(0)));
      req.on('close', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)));
    });
  }

  private match(method: string, path: string): Route | undefined {
    const s = path.split('/').slice(3); // after '', 'api', 'v2'
    const is = (...parts: string[]): boolean => s.length === parts.length && parts.every((p, i) => p === '*' || p === s[i]);
    if (method === 'GET' && is('organizations', 'me')) return { name: 'orgMe', params: [] };
    if (method === 'POST' && is('analytics', 'conversations', 'details', 'query')) return { name: 'analytics', params: [] };
    if (s[0] === 'notifications') return { name: 'notifications', params: [] };
    if (s[0] !== 'conversations') return undefined;
    if (s[1] === 'calls') {
      if (method === 'GET' && is('conversations', 'calls', '*')) return { name: 'getCallConversation', params: [s[2]] };
      if (method === 'PATCH' && is('conversations', 'calls', '*')) return { name: 'patchCallConversation', params: [s[2]] };
      if (method === 'PATCH' && is('conversations', 'calls', '*', 'participants', '*')) return { name: 'patchCallParticipant', params: [s[2], s[4]] };
      return undefined;
    }
    if (method === 'GET' && is('conversations', '*')) return { name: 'getConversation', params: [s[1]] };
    if (method === 'DELETE' && is('conversations', '*')) return { name: 'deleteConversation', params: [s[1]] };
    if (method === 'POST' && is('conversations', '*', 'disconnect')) return { name: 'postDisconnect', params: [s[1]] };
    if (method === 'PATCH' && is('conversations', '*', 'participants', '*')) return { name: 'patchParticipant', params: [s[1], s[3]] };
    return undefined;
  }

  /** One-shot rules first, then latency, then the random faults. Returns true when it answered. */
  private async injectFaults(ctx: Ctx): Promise<boolean> {
    const rule = this.failRules.find((r) => (!r.method || r.method.toUpperCase() === ctx.method) && (!r.re || r.re.test(ctx.path)));
    if (rule) {
      if (--rule.remaining <= 0) this.failRules.splice(this.failRules.indexOf(rule), 1);
      if (rule.reset) return this.resetSocket(ctx);
      const headers: Record<string, string> = {};
      if (rule.status === 429) headers['Retry-After'] = String(rule.retryAfter ?? 1);
      else if (rule.retryAfter !== undefined) headers['Retry-After'] = String(rule.retryAfter);
      const code = rule.code ?? DEFAULT_CODES[rule.status] ?? 'bad.request';
      this.sendError(ctx, new ApiError(rule.status, code, `Injected failure (${code}).`, {}, headers));
      return true;
    }
    const f = this.faults;
    const latency = pick(f.latencyMs, this.random);
    if (latency > 0) await this.sleep(latency);
    if (this.closed) return this.resetSocket(ctx);
    if (f.resetRate && this.random() < f.resetRate) return this.resetSocket(ctx);
    if (f.rate429 && this.random() < f.rate429) {
      const retry = Math.max(0, Math.round(pick(f.retryAfterSeconds ?? 1, this.random)));
      this.sendError(ctx, rateLimitError(retry, this.opts.rateLimitPerMinute));
      return true;
    }
    for (const status of [500, 502, 503, 504] as const) {
      const rate = f.rate5xx?.[status];
      if (rate && this.random() < rate) {
        this.sendError(ctx, new ApiError(status, DEFAULT_CODES[status], 'Injected server error.'));
        return true;
      }
    }
    return false;
  }

  private resetSocket(ctx: Ctx): true {
    this.record(ctx, 0);
    ctx.req.socket.destroy();
    return true;
  }

  // ---- OAuth

  private tokenGrant(ctx: Ctx, raw: Buffer): void {
    const oauthError = (status: number, error: string, description: string): void => {
      this.send(ctx, status, { error, description, error_description: description });
    };
    if (ctx.method !== 'POST') return oauthError(405, 'invalid_request', 'Use POST.');
    if (mediaType(ctx.req) !== 'application/x-www-form-urlencoded') {
      return oauthError(415, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
    }
    const header = ctx.req.headers.authorization ?? '';
    const m = /^Basic\s+(\S+)$/i.exec(header);
    if (!m) return oauthError(401, 'invalid_client', 'Client authentication is required (HTTP Basic).');
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const client = colon > 0 ? this.clients.get(decoded.slice(0, colon)) : undefined;
    if (!client || client.clientSecret !== decoded.slice(colon + 1)) return oauthError(401, 'invalid_client', 'client not found or bad client secret');
    ctx.clientId = client.clientId;
    const grant = new URLSearchParams(raw.toString('utf8')).get('grant_type');
    if (!grant) return oauthError(400, 'invalid_request', 'grant_type is required');
    if (grant !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', `Unsupported grant type: ${grant}`);
    const life = client.tokenLifetimeSeconds ?? 86400;
    const now = Date.now();
    // Keep the token table bounded: drop expired tokens, then the oldest ones.
    for (const [t, v] of this.tokens) if (v.expiresAt <= now) this.forgetToken(t);
    while (this.tokens.size >= MAX_TOKENS) this.forgetToken(this.tokens.keys().next().value as string);
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { clientId: client.clientId, expiresAt: now + life * 1000 });
    this.counters.tokenGrants++;
    ctx.res.setHeader('Cache-Control', 'no-store');
    this.send(ctx, 200, { access_token: token, token_type: 'bearer', expires_in: life });
  }

  private forgetToken(t: string): void {
    this.tokens.delete(t);
    this.windows.delete(t);
  }

  private authenticate(ctx: Ctx): void {
    const m = /^Bearer\s+(\S+)$/i.exec(ctx.req.headers.authorization ?? '');
    if (!m) throw new ApiError(401, 'authentication.required', 'No authentication bearer token specified in authorization header.');
    const t = this.tokens.get(m[1]);
    if (!t) throw new ApiError(401, 'bad.credentials', 'Invalid login credentials.');
    ctx.clientId = t.clientId;
    if (t.expiresAt <= Date.now()) throw new ApiError(401, 'credentials.expired', 'The authentication token has expired.');
    ctx.token = m[1];
  }

  // ---- rate limit: per token, sliding 60 s window kept as per-second buckets (bounded memory)

  private windowOf(token: string, nowSlot: number): Bucket[] {
    let b = this.windows.get(token);
    if (!b) this.windows.set(token, (b = []));
    while (b.length && b[0].slot <= nowSlot - WINDOW_SLOTS) b.shift();
    return b;
  }

  private rateLimit(ctx: Ctx): void {
    const now = Date.now();
    const nowSlot = Math.floor(now / this.slotMs);
    const b = this.windowOf(ctx.token!, nowSlot);
    const used = b.reduce((n, x) => n + x.count, 0);
    const limit = this.opts.rateLimitPerMinute;
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

  private rateHeaders(ctx: Ctx): void {
    const now = Date.now();
    const b = ctx.token ? this.windowOf(ctx.token, Math.floor(now / this.slotMs)) : [];
    const used = b.reduce((n, x) => n + x.count, 0);
    const windowEnd = b.length ? (b[0].slot + WINDOW_SLOTS) * this.slotMs : now + WINDOW_SLOTS * this.slotMs;
    const reset = Math.max(1, Math.ceil((windowEnd - now) / 1000));
    ctx.res.setHeader('inin-ratelimit-count', String(used));
    ctx.res.setHeader('inin-ratelimit-allowed', String(this.opts.rateLimitPerMinute));
    ctx.res.setHeader('inin-ratelimit-reset', String(reset));
  }

  // ---- API routes

  private async dispatch(ctx: Ctx, route: Route, raw: Buffer): Promise<void> {
    const [cid, pid] = route.params;
    if (cid !== undefined && !UUID_RE.test(cid)) throw invalidValue('conversationId', `[${cid}] is not a UUID`);
    if (pid !== undefined && !UUID_RE.test(pid)) throw invalidValue('participantId', `[${pid}] is not a UUID`);
    const base = `http://${ctx.req.headers.host ?? '127.0.0.1'}`;
    switch (route.name) {
      case 'orgMe':
        return this.send(ctx, 200, {
          id: ORGANIZATION_ID,
          name: 'Genesys Cloud Simulator',
          defaultLanguage: 'en-us',
          defaultCountryCode: 'US',
          thirdPartyOrgName: 'genesys-cloud-sim',
          domain: 'genesys-cloud-sim',
          version: 1,
          state: 'active',
          selfUri: `${base}/api/v2/organizations/${ORGANIZATION_ID}`,
        });
      case 'getConversation':
        return this.send(ctx, 200, conversationView(this.conversation(cid)));
      case 'getCallConversation':
        return this.send(ctx, 200, callConversationView(this.conversation(cid)));
      case 'analytics': {
        const body = jsonBody(ctx.req, raw);
        try {
          return this.send(ctx, 200, analyticsQuery(this.world.conversations.values(), body, this.opts.analyticsLagMs));
        } catch (err) {
          if (err instanceof QueryError) throw new ApiError(400, err.code, err.message);
          throw err;
        }
      }
      case 'notifications':
        return this.notificationCall(ctx, raw);
      case 'patchParticipant':
      case 'patchCallParticipant':
        return this.patchParticipant(ctx, route.name === 'patchCallParticipant', cid, pid, raw);
      case 'postDisconnect':
      case 'deleteConversation': {
        this.world.teardown(this.conversation(cid), this.opts.disconnectDelayMs);
        return this.send(ctx, 202);
      }
      case 'patchCallConversation': {
        const body = jsonBody(ctx.req, raw);
        for (const k of Object.keys(body)) if (!CALL_CONVERSATION_FIELDS.includes(k)) throw invalidValue(k, 'unknown field');
        if (body.state !== undefined && body.state !== 'connected' && body.state !== 'disconnected') throw invalidValue('state', 'must be connected or disconnected');
        const c = this.conversation(cid);
        if (body.state === 'disconnected') this.world.teardown(c, this.opts.disconnectDelayMs);
        return this.send(ctx, 200, callConversationView(c));
      }
    }
    throw new ApiError(404, 'not.found', 'The requested resource was not found.');
  }

  /** /api/v2/notifications/...: sim/notifications answers; its errors become ErrorBodies like any other. */
  private notificationCall(ctx: Ctx, raw: Buffer): void {
    let body: unknown;
    if (raw.length) {
      if (!isJson(ctx.req)) throw new ApiError(415, 'unsupported.media.type', `Content-Type [${ctx.req.headers['content-type'] ?? ''}] is not supported; use application/json.`);
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        throw new ApiError(400, 'bad.request', `The request could not be understood by the server due to malformed syntax: ${(err as Error).message}`);
      }
    }
    const query = new URL(ctx.req.url ?? '/', 'http://sim').searchParams;
    const request = { method: ctx.method, parts: ctx.path.split('/').slice(4), query, clientId: ctx.clientId!, token: ctx.token!, host: ctx.req.headers.host ?? '127.0.0.1', body };
    try {
      const answer = this.notifications.handle(request);
      return this.send(ctx, answer.status, answer.body);
    } catch (err) {
      if (err instanceof NotificationError) throw new ApiError(err.status, err.code, err.message, err.messageParams);
      throw err;
    }
  }

  private conversation(id: string): SeededConversation {
    const c = this.world.conversations.get(id.toLowerCase()) ?? this.world.conversations.get(id);
    if (!c) throw new ApiError(404, 'not.found', `The conversation [${id}] was not found.`, { conversationId: id });
    return c;
  }

  private patchParticipant(ctx: Ctx, callsPath: boolean, cid: string, pid: string, raw: Buffer): void {
    // A client-credentials token has no user context (genesys-api.md section 4, UNCONFIRMED): opt-in fault.
    if (callsPath && this.faults.notAUserOnCallsPatch) {
      throw new ApiError(400, 'not.a.user', 'This request requires a user context. Client credentials cannot be used for requests to this resource.');
    }
    const body = jsonBody(ctx.req, raw);
    validateMediaParticipantRequest(body);
    const c = this.conversation(cid);
    const p = c.participants.find((x) => x.id.toLowerCase() === pid.toLowerCase());
    if (!p || (callsPath && p.mediaType !== 'call')) {
      throw new ApiError(404, 'conversation.error.not.conversation.participant', `The participant [${pid}] is not a participant of the conversation.`, { participantId: pid });
    }
    // An ended leg: the 2017 swagger lists participant.no.active.conversations for the generic participant PATCH and
    // call.disconnected for the calls path (genesys-api.md section 5).
    if (isTerminal(p.state)) {
      if (callsPath) throw new ApiError(400, 'conversation.error.call.disconnected', 'The call is already disconnected.');
      throw new ApiError(400, 'conversation.error.participant.no.active.conversations', 'Participant has no active conversations');
    }
    if (this.faults.conflictOnTransitional && isTransitional(p.state)) {
      throw new ApiError(409, 'conflict', `The participant's communication is ${p.state}; the request conflicts with its current state.`);
    }
    applyFlags(p, body);
    if (body.state === 'disconnected') this.world.kick(c, p, this.opts.disconnectDelayMs);
    else if (body.state === 'connected' && isTransitional(p.state)) this.world.setState(c, p, 'connected');
    this.send(ctx, 202);
  }

  // ---- answers

  private send(ctx: Ctx, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    const { res } = ctx;
    if (res.headersSent || res.destroyed) return;
    if (ctx.api) this.rateHeaders(ctx);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (body === undefined) {
      res.statusCode = status;
      res.setHeader('Content-Length', '0');
      res.end();
    } else {
      const text = JSON.stringify(body);
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json; charset=UTF-8');
      res.setHeader('Content-Length', String(Buffer.byteLength(text)));
      res.end(text);
    }
    this.record(ctx, status);
  }

  private sendError(ctx: Ctx, err: ApiError): void {
    if (err.status === 429) this.counters.rateLimited++;
    const message = err.message;
    this.send(
      ctx,
      err.status,
      {
        message,
        code: err.code,
        status: err.status,
        messageWithParams: message,
        messageParams: err.messageParams,
        contextId: ctx.correlationId,
        details: [],
        errors: [],
        ...err.extra,
      },
      err.headers,
    );
  }

  /** Last resort: something unexpected threw. Answer 500 if we still can; the server lives on. */
  private lastResort(res: http.ServerResponse, err: unknown): void {
    try {
      if (!res.headersSent && !res.destroyed) {
        const id = String(res.getHeader('ININ-Correlation-Id') ?? randomUUID());
        const message = 'The server encountered an unexpected error.';
        res.statusCode = 500;
        res.setHeader('Content-Type', 'application/json; charset=UTF-8');
        res.end(JSON.stringify({ message, code: 'internal.server.error', status: 500, messageWithParams: message, messageParams: {}, contextId: id, details: [], errors: [] }));
      } else res.destroy();
      this.options.log?.(`simulator: internal error: ${err instanceof Error ? err.message : String(err)}`);
    } catch {
      /* nothing left to do */
    }
  }

  private record(ctx: Ctx, status: number): void {
    if (ctx.path.startsWith('/__sim/')) return;
    const entry: LoggedRequest = {
      time: new Date(ctx.started).toISOString(),
      method: ctx.method,
      path: ctx.path,
      status,
      clientId: ctx.clientId,
      correlationId: ctx.correlationId,
      body: ctx.loggedBody,
      durationMs: Date.now() - ctx.started,
    };
    if (this.log.length < LOG_CAPACITY) this.log.push(entry);
    else {
      this.log[this.logNext] = entry;
      this.logNext = (this.logNext + 1) % LOG_CAPACITY;
    }
    this.options.log?.(`${entry.time} ${entry.method} ${entry.path} ${status || 'reset'} ${entry.durationMs}ms${entry.clientId ? ` client=${entry.clientId}` : ''} corr=${entry.correlationId}`);
  }

  private requestLog(): LoggedRequest[] {
    return this.log.length < LOG_CAPACITY ? this.log.slice() : [...this.log.slice(this.logNext), ...this.log.slice(0, this.logNext)];
  }

  // ---- control API (/__sim/...): no bearer, JSON in and out, errors as { error }

  private control(ctx: Ctx, raw: Buffer | 'too-large'): void {
    const { res } = ctx;
    const reply = (status: number, body?: unknown): void => {
      if (res.headersSent || res.destroyed) return;
      res.statusCode = status;
      if (body === undefined) {
        res.setHeader('Content-Length', '0');
        res.end();
        return;
      }
      const text = JSON.stringify(body);
      res.setHeader('Content-Type', 'application/json; charset=UTF-8');
      res.end(text);
    };
    try {
      if (raw === 'too-large') return reply(413, { error: 'body too large' });
      const body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      const s = ctx.path.split('/').slice(2); // after '', '__sim'
      const m = ctx.method;
      if (s[0] === 'notifications') {
        const answer = this.notifications.control(m, s.slice(1), body);
        return reply(answer.status, answer.body);
      }
      if (m === 'POST' && s.length === 3 && s[0] === 'conversations' && s[2] === 'participants') {
        const c = this.world.conversations.get(s[1].toLowerCase());
        return c ? reply(200, this.world.join(c, body)) : reply(404, { error: `no conversation ${s[1]}` });
      }
      const key = `${m} ${s.length === 2 && s[0] === 'conversations' ? 'conversations/*' : s.join('/')}`;
      switch (key) {
        case 'POST conversations':
          return reply(200, this.seedScenario(body));
        case 'GET conversations':
          return reply(200, [...this.world.conversations.values()]);
        case 'GET conversations/*': {
          const c = this.world.conversations.get(s[1].toLowerCase()) ?? this.world.conversations.get(s[1]);
          return c ? reply(200, c) : reply(404, { error: `no conversation ${s[1]}` });
        }
        case 'PUT faults':
          this.setFaults(body ?? {});
          return reply(204);
        case 'POST fail-next':
          this.addFailRules(Array.isArray(body) ? body : body?.rules);
          return reply(204);
        case 'POST transitions':
          this.addTransition(body);
          return reply(204);
        case 'POST tokens/expire':
          for (const t of this.tokens.values()) t.expiresAt = 0;
          return reply(204);
        case 'GET requests':
          return reply(200, this.requestLog());
        case 'GET counters':
          return reply(200, this.counters);
        case 'POST reset':
          this.reset();
          return reply(204);
        case 'PATCH options':
          this.setOptions(body ?? {});
          return reply(204);
      }
      return reply(404, { error: `unknown control endpoint ${m} ${ctx.path}` });
    } catch (err) {
      if (err instanceof SyntaxError) return reply(400, { error: `malformed JSON: ${err.message}` });
      if (err instanceof SeedError || err instanceof NotificationControlError) return reply(400, { error: err.message });
      return reply(500, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private setFaults(f: FaultConfig): void {
    const rate = (v: unknown, name: string): void => {
      if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1))) throw new SeedError(`${name} must be a number in 0..1`);
    };
    const range = (v: unknown, name: string): void => {
      const ok = (n: unknown): boolean => typeof n === 'number' && n >= 0;
      if (v !== undefined && !(ok(v) || (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1]) && v[0] <= v[1]))) {
        throw new SeedError(`${name} must be a number >= 0 or [min, max]`);
      }
    };
    if (typeof f !== 'object' || Array.isArray(f)) throw new SeedError('faults must be an object');
    rate(f.rate429, 'rate429');
    rate(f.resetRate, 'resetRate');
    for (const [k, v] of Object.entries(f.rate5xx ?? {})) {
      if (!['500', '502', '503', '504'].includes(k)) throw new SeedError(`rate5xx.${k}: only 500, 502, 503, 504`);
      rate(v, `rate5xx.${k}`);
    }
    range(f.latencyMs, 'latencyMs');
    range(f.retryAfterSeconds, 'retryAfterSeconds');
    if (f.appliesTo !== undefined && f.appliesTo !== 'api' && f.appliesTo !== 'all') throw new SeedError('appliesTo must be api or all');
    if (f.seed !== undefined && typeof f.seed !== 'number') throw new SeedError('seed must be a number');
    this.faults = f;
    this.random = prng(f.seed ?? Date.now());
  }

  private addFailRules(rules: unknown): void {
    if (!Array.isArray(rules)) throw new SeedError('fail-next takes an array of rules');
    const parsed = rules.map((r: FailRule, i) => {
      if (!r || typeof r.status !== 'number' || r.status < 100 || r.status > 599) throw new SeedError(`rules[${i}].status must be an HTTP status`);
      let re: RegExp | undefined;
      if (r.path !== undefined) {
        try {
          re = new RegExp(r.path);
        } catch {
          throw new SeedError(`rules[${i}].path is not a valid regular expression`);
        }
      }
      const count = r.count ?? 1;
      if (typeof count !== 'number' || count < 1) throw new SeedError(`rules[${i}].count must be >= 1`);
      return { ...r, remaining: count, re };
    });
    this.failRules.push(...parsed);
  }

  private addTransition(t: { conversationId?: unknown; participantId?: unknown; state?: unknown; afterMs?: unknown; disconnectType?: unknown }): void {
    if (!t || typeof t !== 'object') throw new SeedError('a transition must be an object');
    const c = typeof t.conversationId === 'string' ? this.world.conversations.get(t.conversationId.toLowerCase()) : undefined;
    if (!c) throw new SeedError(`unknown conversationId ${String(t.conversationId)}`);
    const p: ParticipantState | undefined = c.participants.find((x) => x.id === t.participantId);
    if (!p) throw new SeedError(`unknown participantId ${String(t.participantId)}`);
    if (!isCallState(t.state)) throw new SeedError(`state must be a call state, not ${String(t.state)}`);
    if (t.afterMs !== undefined && (typeof t.afterMs !== 'number' || t.afterMs < 0)) throw new SeedError('afterMs must be a number >= 0');
    if (t.disconnectType !== undefined && typeof t.disconnectType !== 'string') throw new SeedError('disconnectType must be a string');
    const state = t.state;
    const apply = (): void => this.world.setState(c, p, state, (t.disconnectType as string | undefined) ?? 'endpoint');
    if (t.afterMs) this.schedule(t.afterMs, apply);
    else apply();
  }

  private setOptions(o: SimOptionsPatch): void {
    if (o.rateLimitPerMinute !== undefined && !(typeof o.rateLimitPerMinute === 'number' && o.rateLimitPerMinute >= 1)) throw new SeedError('rateLimitPerMinute must be >= 1');
    if (o.disconnectDelayMs !== undefined && !(typeof o.disconnectDelayMs === 'number' && o.disconnectDelayMs >= 0)) throw new SeedError('disconnectDelayMs must be >= 0');
    if (o.lastPartyPolicy !== undefined && !['stay', 'end-conversation'].includes(o.lastPartyPolicy)) throw new SeedError('lastPartyPolicy must be stay or end-conversation');
    if (o.analyticsLagMs !== undefined && !(typeof o.analyticsLagMs === 'number' && o.analyticsLagMs >= 0)) throw new SeedError('analyticsLagMs must be >= 0');
    for (const k of Object.keys(o)) if (!['rateLimitPerMinute', 'disconnectDelayMs', 'lastPartyPolicy', 'analyticsLagMs'].includes(k)) throw new SeedError(`unknown option ${k}`);
    this.opts = { ...this.opts, ...o } as typeof this.opts;
  }

  /** Back to a clean slate: no conversations, faults, log, counters, tokens or rate windows; options as started. */
  private reset(): void {
    this.clearTimers();
    this.notifications.reset();
    this.world.clear();
    this.faults = {};
    this.random = prng(Date.now());
    this.failRules = [];
    this.log = [];
    this.logNext = 0;
    this.counters = newCounters();
    this.tokens = new Map();
    this.windows = new Map();
    this.opts = { ...this.initial };
  }
}

// ---- helpers

function pick(v: number | [number, number] | undefined, random: () => number): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  return v[0] + (v[1] - v[0]) * random();
}

function rateLimitError(retryAfter: number, limit: number): ApiError {
  const message = `Rate limit exceeded the maximum. Retry the request in [${retryAfter}] seconds`;
  return new ApiError(429, 'too.many.requests.retry.after', message, { retryAfter: String(retryAfter) }, { 'Retry-After': String(retryAfter) }, {
    messageWithParams: 'Rate limit exceeded the maximum. Retry the request in [{retryAfter}] seconds',
    limit: { key: 'client.credentials.token.rate.per.minute', namespace: 'platform.api', value: limit },
  });
}

function mediaType(req: http.IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

function isJson(req: http.IncomingMessage): boolean {
  const t = mediaType(req);
  return t === 'application/json' || t.endsWith('+json');
}

/** The body of a PATCH/POST that needs one: a JSON object. */
function jsonBody(req: http.IncomingMessage, raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) throw new ApiError(400, 'bad.request', 'A request body is required.');
  if (!isJson(req)) throw new ApiError(415, 'unsupported.media.type', `Content-Type [${req.headers['content-type'] ?? ''}] is not supported; use application/json.`);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'bad.request', `The request could not be understood by the server due to malformed syntax: ${(err as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'bad.request', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

function validateMediaParticipantRequest(body: Record<string, unknown>): void {
  for (const k of Object.keys(body)) if (!MEDIA_PARTICIPANT_FIELDS.includes(k)) throw invalidValue(k, 'unknown field');
  if (body.state !== undefined && body.state !== 'connected' && body.state !== 'disconnected') {
    throw invalidValue('state', `[${String(body.state)}] is not one of connected, disconnected`);
  }
  for (const k of ['wrapupSkipped', 'muted', 'held', 'confined', 'recording']) {
    if (body[k] !== undefined && typeof body[k] !== 'boolean') throw invalidValue(k, 'must be a boolean');
  }
  if (body.resumeTime !== undefined && (typeof body.resumeTime !== 'string' || Number.isNaN(Date.parse(body.resumeTime)))) throw invalidValue('resumeTime', 'must be an ISO-8601 date');
  if (body.wrapup !== undefined) {
    const w = body.wrapup as Record<string, unknown>;
    if (!w || typeof w !== 'object' || Array.isArray(w)) throw invalidValue('wrapup', 'must be an object');
    const allowed = ['code', 'name', 'notes', 'tags', 'durationSeconds', 'endTime', 'provisional', 'disableEndTimeUpdates'];
    for (const k of Object.keys(w)) if (!allowed.includes(k)) throw invalidValue(`wrapup.${k}`, 'unknown field');
    for (const k of ['code', 'name', 'notes']) if (w[k] !== undefined && typeof w[k] !== 'string') throw invalidValue(`wrapup.${k}`, 'must be a string');
  }
}

function applyFlags(p: ParticipantState, body: Record<string, unknown>): void {
  for (const k of ['held', 'muted', 'confined', 'recording'] as const) if (typeof body[k] === 'boolean') p[k] = body[k] as boolean;
  if (body.wrapup) p.wrapup = body.wrapup as ParticipantState['wrapup'];
  if (typeof body.wrapupSkipped === 'boolean') p.wrapupSkipped = body.wrapupSkipped;
}

export type { LastPartyPolicy };
