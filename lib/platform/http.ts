// The one HTTP path of the package: undici (a keep-alive pool per origin inside one Agent), undici's connect,
// headers and body timeouts plus a whole-body deadline, AbortSignal on every call. Corporate proxies are
// honoured the way Node-RED's http request node does: HTTP_PROXY / HTTPS_PROXY / NO_PROXY (or lower case) from
// the environment, read when the client is created (undici's EnvHttpProxyAgent; without them, a plain Agent,
// which skips the proxy match on every request). API calls and the token grant
// both go through HttpTransport.send. It knows nothing of Genesys semantics (retry, tokens, error bodies):
// it returns every HTTP answer, whatever the status, and throws GenesysError only when there is no answer.
import { type Abortable, cancelled, inFlightOn } from './abort';
import { setMaxListeners } from 'node:events';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { GenesysError } from './errors';

export interface HttpTransportOptions {
  connectTimeoutMs: number;
  /**
   * The whole request: its headers must arrive within this (undici's headersTimeout), and a body chunk that
   * arrives later than this after sending, or a gap in the body that long (bodyTimeout), fails it.
   */
  requestTimeoutMs: number;
  /** Largest answer body read (default DEFAULT_MAX_RESPONSE_BYTES); a longer one fails and drops the socket. */
  maxResponseBytes?: number;
  userAgent?: string;
}

/**
 * Default cap on an answer body: 4 MiB. The largest answers the package reads are a conversation (a participant
 * of a realistic answer, with the nine media arrays of docs/platform.md section 3, is about 0.6 KB before its
 * attributes: a 20-party conference is 12 KB) and an analytics details page (at most 100 conversations, same
 * section). 4 MiB leaves a wide margin while bounding memory and the time parsing holds the event loop (an
 * unbounded 18 MB answer blocked it for seconds; a 4 MB one of 6,700 participants reads in about 0.2 s).
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface HttpRequest {
  /** e.g. https://api.mypurecloud.com */
  origin: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text ('' when empty). */
  text: string;
  /** The ININ-Correlation-Id header, when there is one. */
  correlationId?: string;
}

/** Socket-level error codes worth another attempt: the server (or something between) dropped us. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Error-code chain of an undici/Node error (code of the error, then of its causes). */
function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/** True for a network-error whose host name does not resolve (ENOTFOUND): usually a wrong region or origin. */
export function isHostNotFound(err: unknown): boolean {
  return err instanceof GenesysError && err.code === 'network-error' && errorCodes(err.cause).includes('ENOTFOUND');
}

/** True when the cause's error codes say another attempt may fix it (reset, refused, dropped socket, connect timeout). */
function transient(err: unknown): boolean {
  return errorCodes(err).some((c) => TRANSIENT_CODES.has(c));
}

/** Parses a JSON body; undefined for an empty or blank body; throws SyntaxError for non-JSON. */
export function parseJsonBody(text: string): unknown {
  // A search for one non-blank character instead of trim(): no copy of the body.
  if (!/\S/.test(text)) return undefined;
  return JSON.parse(text);
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export { headerValue };

/**
 * Sockets per origin. Without a cap, a burst (thousands of waits polling at once under a raised budget)
 * opens one socket per request: hundreds of MB of socket buffers the allocator keeps, and a flood Genesys
 * does not want. Requests beyond the cap queue in undici's pool; 32 in flight is far above what 300
 * requests a minute need.
 */
export const MAX_CONNECTIONS_PER_ORIGIN = 32;

/** The proxy variables undici's EnvHttpProxyAgent reads, in the order it prefers them. */
const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/** Any proxy variable set (NO_PROXY too: EnvHttpProxyAgent then decides, as it would in Node-RED). */
function hasProxyVariable(): boolean {
  return [...PROXY_VARS, 'NO_PROXY', 'no_proxy'].some((name) => !!process.env[name]);
}

/** "GET host/path" for messages: built only when one is needed, not for every request. */
function describe(req: HttpRequest): string {
  return `${req.method} ${hostOf(req.origin)}${req.path}`;
}

function hostOf(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}

/** The error of a proxy URL that does not parse: names the variable, never its value (it may hold a password). */
function proxyProblem(): GenesysError | undefined {
  for (const name of PROXY_VARS) {
    const v = process.env[name];
    if (!v) continue;
    try {
      new URL(v);
    } catch {
      return new GenesysError('invalid-input', `${name} (environment): is not a valid proxy URL (value not shown: it may hold a password)`, {
        field: name,
      });
    }
  }
  return undefined;
}

export class HttpTransport {
  private readonly agent: Dispatcher;
  /** True when a proxy variable was set and requests go through EnvHttpProxyAgent. */
  readonly viaProxy: boolean;
  private readonly closing = new AbortController();
  private closed = false;
  /** @internal Read by AnswerReader. */
  readonly maxResponseBytes: number;
  /** @internal Read by AnswerReader. */
  readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  /** Headers every request carries, built once. */
  private readonly baseHeaders: Record<string, string>;
  /** Per content type ('' for none): the headers last built and the caller's object they were built from. */
  private readonly builtHeaders = new Map<string, { extra: Record<string, string> | undefined; headers: Record<string, string> }>();
  private readonly userAgent: string | undefined;

  constructor(options: HttpTransportOptions) {
    // Waits elsewhere (limiter, backoff, grants) listen to the close signal: many at once is normal, not a leak.
    setMaxListeners(0, this.closing.signal);
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.userAgent = options.userAgent || undefined;
    this.baseHeaders = { accept: 'application/json' };
    if (this.userAgent) this.baseHeaders['user-agent'] = this.userAgent;
    const problem = proxyProblem();
    if (problem) throw problem;
    // undici's own timeouts bound every request: no timer or AbortController of ours per request.
    // headersTimeout runs from the request written to the last header, bodyTimeout between two body chunks
    // (undici docs, Dispatcher / Agent options); AnswerReader adds the whole-body deadline.
    const agentOptions: Agent.Options = {
      connections: MAX_CONNECTIONS_PER_ORIGIN,
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
      keepAliveTimeout: 30_000,
    };
    this.viaProxy = hasProxyVariable();
    try {
      // EnvHttpProxyAgent only when a proxy variable is set: it costs a NO_PROXY match per request.
      this.agent = this.viaProxy ? new EnvHttpProxyAgent(agentOptions) : new Agent(agentOptions);
    } catch {
      // undici's own error carries the URL (err.input): never pass it on.
      throw new GenesysError('invalid-input', 'the proxy settings in the environment (HTTP_PROXY / HTTPS_PROXY / NO_PROXY) are not usable');
    }
  }

  /**
   * The proxy's dispatcher (EnvHttpProxyAgent) when a proxy variable is set, for connections the transport does
   * not make itself (the Notification Service's WebSocket): they then go the way every request goes.
   */
  get proxyDispatcher(): Dispatcher | undefined {
    return this.viaProxy ? this.agent : undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Aborted when the transport closes: waits elsewhere (limiter, backoff, grants) listen to it. */
  get closeSignal(): AbortSignal {
    return this.closing.signal;
  }

  /**
   * Sends one request and reads its answer. It ends early on the caller's signal, on close() (agent.destroy()
   * fails every request in flight) and on undici's timeouts.
   *
   * Through undici's dispatch with a handler of ours (AnswerReader) rather than agent.request: the answer is
   * collected chunk by chunk as it arrives, without a Readable stream and its events per answer, and the
   * caller's signal ends the request through one listener per signal (abort.ts inFlightOn) instead of one
   * added and removed per request. Both were measurable shares of a fast kick (bench 1).
   */
  send(req: HttpRequest): Promise<HttpResponse> {
    if (this.closed || req.signal?.aborted) return Promise.reject(cancelled(req.signal, `${describe(req)} was cancelled`));

    let body: string | undefined;
    let contentType: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      contentType = 'application/json';
    } else if (req.form !== undefined) {
      body = req.form;
      contentType = 'application/x-www-form-urlencoded';
    }
    const headers = req.headers || contentType ? this.headersWith(req.headers, contentType) : this.baseHeaders;
    return new Promise<HttpResponse>((resolve, reject) => {
      const reader = new AnswerReader(this, req, resolve, reject);
      this.agent.dispatch({ origin: req.origin, path: req.path, method: req.method, headers, body }, reader);
    });
  }

  /** @internal The error a request ends with when no answer was read (AnswerReader). */
  failure(req: HttpRequest, err: unknown, deadlinePassed: boolean): GenesysError {
    if (req.signal?.aborted || this.closed) return cancelled(req.signal, `${describe(req)} was cancelled`);
    if (err instanceof GenesysError) return err; // the body cap
    const codes = errorCodes(err);
    if (deadlinePassed || codes.includes('UND_ERR_HEADERS_TIMEOUT') || codes.includes('UND_ERR_BODY_TIMEOUT')) {
      // The whole-request budget is spent: another attempt would spend it again.
      return new GenesysError('network-error', `${describe(req)} timed out after ${this.requestTimeoutMs} ms`, { retryable: false, cause: err });
    }
    const host = hostOf(req.origin);
    if (codes.includes('UND_ERR_CONNECT_TIMEOUT')) {
      return new GenesysError('network-error', `could not connect to ${host}: connection timed out after ${this.connectTimeoutMs} ms`, {
        retryable: true,
        cause: err,
      });
    }
    const code = codes.find((c) => !c.startsWith('UND_ERR')) ?? codes[0];
    if (code === 'ENOTFOUND') {
      // One sentence, the likely cause first: a wrong region (or custom origin) names a host that does not exist.
      return new GenesysError(
        'network-error',
        `the host ${host} was not found: check the region (or the custom origin) (ENOTFOUND, ${describe(req)})`,
        { retryable: false, cause: err },
      );
    }
    const detail =
      code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'UND_ERR_SOCKET' || code === 'ECONNRESET'
          ? 'the connection was closed by the other side'
          : (code ?? (err instanceof Error ? err.message : 'unknown error'));
    return new GenesysError('network-error', `${describe(req)} failed: ${detail}${code && !detail.includes(code) ? ` (${code})` : ''}`, {
      retryable: transient(err),
      cause: err,
    });
  }

  /**
   * The base headers plus the caller's and the content type. Built once per content type and caller object,
   * then reused while the caller passes the same object (undici only reads them): every API call of one token
   * passes the same Authorization object, and a merged object per request was the costliest line of send().
   */
  private headersWith(extra: Record<string, string> | undefined, contentType: string | undefined): Record<string, string> {
    const built = this.builtHeaders.get(contentType ?? '');
    if (built && built.extra === extra) return built.headers;
    const headers: Record<string, string> = { ...this.baseHeaders, ...extra };
    if (this.userAgent) headers['user-agent'] = this.userAgent; // ours, whatever the caller set
    if (contentType) headers['content-type'] = contentType;
    this.builtHeaders.set(contentType ?? '', { extra, headers });
    return headers;
  }

  /** Ends every request in flight (they fail 'cancelled') and closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    await this.agent.destroy().catch(() => undefined);
  }
}

/**
 * One request's answer, read as undici delivers it (Dispatcher.dispatch handler): status and headers, then the
 * body's chunks, kept up to maxResponseBytes. It settles once: with the answer at its end, or with the first
 * failure (undici's error, the body cap, the whole-body deadline, the caller's signal). A failure found here
 * also aborts the request, which closes its socket (undici does not reuse a connection whose answer was not
 * read to the end): memory stays at the cap whatever the server sends.
 */
class AnswerReader implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private deadlinePassed = false;
  /** The whole request is bounded: a body chunk arriving requestTimeoutMs after sending fails it. */
  private readonly deadline: number;
  /** The caller's signal's requests in flight, this one among them until it settles. */
  private readonly inFlight: Set<Abortable> | undefined;

  constructor(
    private readonly transport: HttpTransport,
    private readonly req: HttpRequest,
    private readonly resolve: (res: HttpResponse) => void,
    private readonly reject: (err: GenesysError) => void,
  ) {
    this.deadline = performance.now() + transport.requestTimeoutMs;
    if (req.signal) (this.inFlight = inFlightOn(req.signal)).add(this);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Ended while it waited for a connection: it leaves now, before anything is written.
    if (this.settled) controller.abort(new Error('the request was ended before it started'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // informational (100 Continue...): the answer follows
    this.status = statusCode;
    this.headers = headers;
    const length = Number(headerValue(headers, 'content-length'));
    if (Number.isFinite(length) && length > this.transport.maxResponseBytes) this.stop(this.tooBig());
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.transport.maxResponseBytes) return this.stop(this.tooBig());
    if (performance.now() > this.deadline) {
      this.deadlinePassed = true;
      return this.stop(new Error('the body did not arrive within the request timeout'));
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.leave();
    const chunks = this.chunks;
    // Most answers are one chunk (or none): decode without a copy.
    const text = chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, this.size).toString('utf8');
    const out: HttpResponse = { status: this.status, headers: this.headers, text };
    const correlationId = headerValue(this.headers, 'inin-correlation-id');
    if (correlationId) out.correlationId = correlationId;
    this.resolve(out);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.settled) return;
    this.leave();
    this.reject(this.transport.failure(this.req, err, this.deadlinePassed));
  }

  /** The caller's signal aborted (abort.ts inFlightOn). */
  abort(reason: unknown): void {
    this.stop(reason);
  }

  /** Fails the request with `err` (mapped by the transport) and aborts it in undici. */
  private stop(err: unknown): void {
    if (this.settled) return;
    this.leave();
    this.chunks.length = 0;
    this.reject(this.transport.failure(this.req, err, this.deadlinePassed));
    this.controller?.abort(err instanceof Error ? err : new Error('aborted'));
  }

  private leave(): void {
    this.settled = true;
    this.inFlight?.delete(this);
  }

  private tooBig(): GenesysError {
    const correlationId = headerValue(this.headers, 'inin-correlation-id');
    return new GenesysError(
      'genesys-error',
      `the answer of ${describe(this.req)} (status ${this.status}) is larger than ${this.transport.maxResponseBytes} bytes (maxResponseBytes): not read, connection closed`,
      { status: this.status, correlationId },
    );
  }
}
