// GenesysClient: one per config node. Every API request goes: token (cached, one grant in flight) ->
// rate limiter (sliding window, shared by all requests of this client) -> HTTP (undici) -> error mapping,
// with the retry policy of lib/retry.ts around it and one token renewal on a 401.
import { cancelled } from './abort';
import type { Dispatcher } from 'undici';
import type { ZodType } from 'zod';
import { z } from 'zod';
import { GenesysError, invalidInput } from './errors';
import { describe, isAbsent, parseFlag, parseNumber, type NumberRule } from './options';
import { DEFAULT_MAX_RESPONSE_BYTES, HttpResponse, HttpTransport, headerValue, parseJsonBody } from './http';
import { RateLimiter, type Booking, type RequestPriority } from './rate-limiter';
import { Redactor } from './redact';
import { CUSTOM_REGION, DEFAULT_REGION, Origins, resolveOrigins } from './regions';
import { DEFAULT_RETRY_POLICY, RetryPolicy, parseRetryAfter, withRetry } from './retry';
import { ErrorBody } from './schemas';
import { NotificationChannels, type NotificationOptions } from './notifications';
import { TokenManager } from './token';

/**
 * The limiter's window: Genesys' minute plus a 1 s margin. A start is recorded when a request leaves the
 * limiter, but it reaches Genesys a little later (a pooled socket, the network); without the margin a
 * request that travels faster than the one it replaces in the window can land 61st-in-60-s there and get
 * a 429. The margin costs under 2% of the budget.
 */
export const RATE_LIMIT_WINDOW_MS = 61_000;

export interface GenesysClientOptions {
  /** Default CLIENT_DEFAULTS.region. */
  region?: string;
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
  /** The same in whole seconds (1..3600), as a config node holds it; wins over requestTimeoutMs. */
  requestTimeoutSeconds?: number;
  /** Default DEFAULT_MAX_RESPONSE_BYTES (4 MiB): a longer answer body fails and its socket is dropped. */
  maxResponseBytes?: number;
  retry?: { maxAttempts?: number; maxTotalMs?: number; baseDelayMs?: number; maxDelayMs?: number };
  userAgent?: string;
  /** Tests only: the rate limiter's window (default RATE_LIMIT_WINDOW_MS). */
  rateLimitWindowMs?: number;
  /**
   * "Use notifications (push)": waits learn a leg's end from Genesys' Notification Service
   * (lib/platform/notifications.ts). Default off here (waits poll); the config node's default is on
   * (CONFIG_DEFAULTS.usePush).
   */
  usePush?: boolean;
  /** Code and tests: the Notification Service's options (enabled, caps, timings); wins over usePush. */
  notifications?: NotificationOptions;
}

export interface WaitInfo {
  reason: 'rate-limit' | 'retry-after' | 'backoff' | 'token';
  ms: number;
}

export interface RequestOptions<T> {
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT';
  /** '/api/v2/...'; callers have validated ids already. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Validates a 2xx JSON body (failure -> 'genesys-error' saying the answer was malformed). */
  schema?: ZodType<T>;
  signal?: AbortSignal;
  /** Called when this request waits (limiter, Retry-After, backoff, token grant). */
  onWait?: (info: WaitInfo) => void;
  /**
   * Called each time the request leaves for Genesys (after the limiter, once the transport has it): from then
   * on it may take effect. Work done here overlaps the round trip.
   */
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

/** The client's defaults: the config node and its editor read them from here. */
export const CLIENT_DEFAULTS = {
  region: DEFAULT_REGION,
  requestsPerMinute: 300,
  maxRetryAfterSeconds: 180,
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
  userAgent: 'node-red-contrib-genesys-participants',
} as const;

/**
 * What a genesys-cloud-config node offers besides the origins and credentials, with the defaults: the fields of
 * its editor. The config node hands exactly these from its flow file to parseClientOptions (the other options
 * are for code), and its editor shows these defaults.
 */
export const CONFIG_DEFAULTS = {
  region: CLIENT_DEFAULTS.region,
  requestsPerMinute: CLIENT_DEFAULTS.requestsPerMinute,
  maxRetryAfterSeconds: CLIENT_DEFAULTS.maxRetryAfterSeconds,
  requestTimeoutSeconds: CLIENT_DEFAULTS.requestTimeoutMs / 1000,
  usePush: true,
} as const;

/**
 * Upper bound of every time option (timeouts, retry delays, the limiter's window): one hour. Node's timers
 * hold at most 2^31-1 ms (24.8 days); a longer delay fires after 1 ms with a TimeoutOverflowWarning, and a
 * loop re-arming it spins. One hour is far above anything useful and far below that limit.
 */
export const MAX_TIME_MS = 3_600_000;
/** maxRetryAfterSeconds: 1 .. 3600 (the Go and Java SDKs give up above 180 s, docs/platform.md section 6). */
export const MAX_RETRY_AFTER_SECONDS = MAX_TIME_MS / 1000;
/** maxResponseBytes: 1 KiB .. 64 MiB. */
const MAX_RESPONSE_BYTES_LIMIT = 64 * 1024 * 1024;

const time = (dflt: number, min = 1): NumberRule => ({ min, max: MAX_TIME_MS, unit: 'milliseconds', default: dflt });
/** The range of each number option (the retry ones default to lib/platform/retry.ts DEFAULT_RETRY_POLICY). */
const RULES = {
  requestsPerMinute: { min: 1, integer: true, default: CLIENT_DEFAULTS.requestsPerMinute },
  maxRetryAfterSeconds: { min: 1, max: MAX_RETRY_AFTER_SECONDS, integer: true, unit: 'seconds', default: CLIENT_DEFAULTS.maxRetryAfterSeconds },
  connectTimeoutMs: time(CLIENT_DEFAULTS.connectTimeoutMs),
  requestTimeoutMs: time(CLIENT_DEFAULTS.requestTimeoutMs),
  maxResponseBytes: { min: 1024, max: MAX_RESPONSE_BYTES_LIMIT, integer: true, unit: 'bytes', default: CLIENT_DEFAULTS.maxResponseBytes },
  rateLimitWindowMs: time(RATE_LIMIT_WINDOW_MS),
  'retry.maxAttempts': { min: 1, max: 100, integer: true, default: DEFAULT_RETRY_POLICY.maxAttempts },
  'retry.maxTotalMs': time(DEFAULT_RETRY_POLICY.maxTotalMs, 0),
  'retry.baseDelayMs': time(DEFAULT_RETRY_POLICY.baseDelayMs, 0),
  'retry.maxDelayMs': time(DEFAULT_RETRY_POLICY.maxDelayMs, 0),
} satisfies Record<string, NumberRule>;

/** The client's options after parseClientOptions: every default filled in, every value in range. */
export interface ClientSettings {
  region: string;
  origins: Origins;
  clientId: string;
  clientSecret: string;
  requestsPerMinute: number;
  maxRetryAfterSeconds: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  rateLimitWindowMs: number;
  usePush: boolean;
  retry: { maxAttempts: number; maxTotalMs: number; baseDelayMs: number; maxDelayMs: number };
  userAgent: string;
}

/**
 * The client's options from code or from a config node's flow file (numbers may be text). An absent or blank
 * region is CLIENT_DEFAULTS.region. Bad values are 'invalid-input' naming the field, before any client exists.
 * `credential` reads clientId and clientSecret (a config node also says which ${VAR} was not substituted).
 */
export function parseClientOptions(
  raw: Partial<Record<keyof GenesysClientOptions, unknown>>,
  credential: (field: string, value: unknown) => string = requiredString,
): ClientSettings {
  if (!raw || typeof raw !== 'object') throw invalidInput('options', 'are required');
  if (!isAbsent(raw.region) && typeof raw.region !== 'string') {
    throw invalidInput('region', `must be a region domain such as ${DEFAULT_REGION}, got ${describe(raw.region)}`);
  }
  const region = isAbsent(raw.region) ? CLIENT_DEFAULTS.region : String(raw.region).trim();
  const custom =
    region.toLowerCase() === CUSTOM_REGION ? { apiBaseUrl: raw.apiBaseUrl as string, authBaseUrl: raw.authBaseUrl as string } : undefined;
  const origins = resolveOrigins(region, custom);
  const clientId = credential('clientId', raw.clientId);
  const clientSecret = credential('clientSecret', raw.clientSecret);
  const r = (raw.retry ?? {}) as Record<string, unknown>;
  if (typeof r !== 'object') throw invalidInput('retry', 'must be an object');
  const num = (field: keyof typeof RULES, value: unknown) => parseNumber(value, field, RULES[field]);
  if (raw.userAgent !== undefined && (typeof raw.userAgent !== 'string' || /[\r\n]/.test(raw.userAgent))) {
    throw invalidInput('userAgent', 'must be a single-line string');
  }
  return {
    region,
    origins,
    clientId,
    clientSecret,
    retry: {
      maxAttempts: num('retry.maxAttempts', r.maxAttempts),
      maxTotalMs: num('retry.maxTotalMs', r.maxTotalMs),
      baseDelayMs: num('retry.baseDelayMs', r.baseDelayMs),
      maxDelayMs: num('retry.maxDelayMs', r.maxDelayMs),
    },
    maxRetryAfterSeconds: num('maxRetryAfterSeconds', raw.maxRetryAfterSeconds),
    requestsPerMinute: num('requestsPerMinute', raw.requestsPerMinute),
    connectTimeoutMs: num('connectTimeoutMs', raw.connectTimeoutMs),
    requestTimeoutMs: isAbsent(raw.requestTimeoutSeconds)
      ? num('requestTimeoutMs', raw.requestTimeoutMs)
      : parseNumber(raw.requestTimeoutSeconds, 'requestTimeoutSeconds', { min: 1, max: MAX_TIME_MS / 1000, integer: true, unit: 'seconds' }) * 1000,
    maxResponseBytes: num('maxResponseBytes', raw.maxResponseBytes),
    rateLimitWindowMs: num('rateLimitWindowMs', raw.rateLimitWindowMs),
    userAgent: (raw.userAgent as string | undefined) || CLIENT_DEFAULTS.userAgent,
    usePush: parseFlag(raw.usePush, 'usePush', false),
  };
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PATCH', 'PUT']);

const Organization = z.object({
  id: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined),
  name: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined),
});

/** A Genesys permission name: domain:entity:action (e.g. conversation:communication:disconnect). */
const PERMISSION_RE = /\b[a-zA-Z][\w-]*:[a-zA-Z*][\w*-]*:[a-zA-Z*][\w*-]*\b/g;

function requiredString(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidInput(field, 'is required and must not be empty or blank');
  }
  return value.trim();
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
  /** This client's channels of the Notification Service (nothing happens until a wait subscribes a topic). */
  readonly notifications: NotificationChannels;
  private auth: { token: string; headers: Record<string, string> } | undefined;

  constructor(options: GenesysClientOptions) {
    const o = parseClientOptions(options);
    this.origins = o.origins;
    this.redactor = new Redactor([o.clientSecret]);
    this.policy = { ...o.retry, maxRetryAfterSeconds: o.maxRetryAfterSeconds };
    const { connectTimeoutMs, requestTimeoutMs, maxResponseBytes } = o;

    this.apiHost = new URL(this.origins.apiBaseUrl).host;
    try {
      this.http = new HttpTransport({ connectTimeoutMs, requestTimeoutMs, maxResponseBytes, userAgent: o.userAgent });
    } catch (err) {
      throw this.redactor.error(err); // a proxy URL that does not parse
    }
    this.limiter = new RateLimiter({ requestsPerMinute: o.requestsPerMinute, windowMs: o.rateLimitWindowMs, firstAnswerFirst: true });
    this.tokens = new TokenManager({
      authBaseUrl: this.origins.authBaseUrl,
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      http: this.http,
      policy: this.policy,
      redactor: this.redactor,
    });
    this.notifications = new NotificationChannels(this, options.notifications ?? { enabled: o.usePush });
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
  private requestOnce<T>(options: RequestOptions<T>, slotHeld: boolean): Promise<ApiResponse<T>> {
    const { method, path, signal, onWait } = options;
    const what = `${method} ${this.apiHost}${path}`;
    let sent = 0;
    return withRetry(
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
          else if (!this.limiter.tryAcquire(options.priority, options.booking))
            await this.limiter.acquire(signal, onWait, options.priority, options.booking);
          this.counters.requests++;
          sent++;
          let res: HttpResponse;
          try {
            const sending = this.http.send({
              origin: this.origins.apiBaseUrl,
              method,
              path,
              headers: this.authorization(token),
              json: options.body,
              signal,
            });
            // undici has written the request by now (a string body is written in the call): what the caller
            // does on sending (a status) overlaps the round trip instead of delaying it.
            options.onSend?.();
            res = await sending;
          } catch (err) {
            this.limiter.answered(); // no answer to learn the budget from: hold nobody back for it
            throw err;
          }
          // Genesys says what this token may use per minute; a lower figure than ours becomes our budget
          // (docs/platform.md section 6: the official blog's sample answer shows inin-ratelimit-allowed: 180,
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
      { policy: this.policy, signals: [signal, this.http.closeSignal], onWait, onRetryAfter: this.onRetryAfter, onRetry: this.onRetry, what },
    ).then(
      (done) => done.value,
      (err: unknown) => {
        throw this.redactor.error(err);
      },
    );
  }

  /** A 429's Retry-After pauses every request of this client. */
  private readonly onRetryAfter = (time: number) => this.limiter.pauseUntil(time);
  private readonly onRetry = () => void this.counters.retries++;

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

  /**
   * Whether a request of the lowest priority may go now: nothing waits for the rate limiter and the window is
   * at most `share` full. Such requests (an await's first read, re-reads after a reconnect, the safety sweep)
   * never queue, so kicks never wait behind them.
   */
  hasSpareBudget(share = 0.5): boolean {
    // Without a token a request takes its slot only after the grant: it would not count here yet.
    return !this.closed && this.tokens.hasValidToken && this.limiter.queued === 0 && this.limiter.inWindow < this.limiter.budget * share;
  }

  /** Where a WebSocket of this client connects through: the proxy of HTTPS_PROXY & co. when one is set. */
  get socketDispatcher(): Dispatcher | undefined {
    return this.http.proxyDispatcher;
  }

  /** Requests per window in force: requestsPerMinute, or less when Genesys' inin-ratelimit-allowed says so. */
  get rateLimitBudget(): number {
    return this.limiter.budget;
  }

  /** Cancels waits and requests in flight ('cancelled'), clears timers, closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notifications.close();
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
    return new GenesysError('genesys-error', `the answer of ${what} was malformed (${why})`, {
      status: res.status,
      correlationId: res.correlationId,
    });
  }

  /** Maps a non-2xx answer to the one error type (see docs/platform.md section 5). */
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
    return new GenesysError(
      'genesys-error',
      `${what} failed with status ${res.status}${codeText}${said || ` (no error message from ${this.apiHost})`}`,
      details,
    );
  }
}
