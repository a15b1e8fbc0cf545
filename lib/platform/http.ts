// The one HTTP path of the package: undici (a keep-alive pool per origin inside one Agent), undici's connect,
// headers and body timeouts plus a whole-body deadline, AbortSignal on every call. Corporate proxies are
// honoured the way Node-RED's http request node does: HTTP_PROXY / HTTPS_PROXY / NO_PROXY (or lower case) from
// the environment, read when the client is created (undici's EnvHttpProxyAgent; without them, a plain Agent,
// which skips the proxy match on every request). API calls and the token grant
// both go through HttpTransport.send. It knows nothing of Genesys semantics (retry, tokens, error bodies):
// it returns every HTTP answer, whatever the status, and throws GenesysError only when there is no answer.
import { cancelled, undiciSignal } from './abort';
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
  private readonly maxResponseBytes: number;
  private readonly requestTimeoutMs: number;
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
    // (undici docs, Dispatcher / Agent options); readBody adds the whole-body deadline.
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
   * Sends one request and reads its answer. It ends early on the caller's signal (passed to undici as is),
   * on close() (agent.destroy() fails every request in flight) and on undici's timeouts.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    if (this.closed || req.signal?.aborted) throw cancelled(req.signal, `${describe(req)} was cancelled`);

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

    let deadlinePassed = false;
    const deadline = performance.now() + this.requestTimeoutMs;
    try {
      const res = await this.agent.request({
        origin: req.origin,
        path: req.path,
        method: req.method,
        headers,
        body,
        signal: req.signal && undiciSignal(req.signal),
      });
      // The whole request is bounded: a body still arriving requestTimeoutMs after sending fails at its next
      // chunk; a silent gap of that long fails by undici's bodyTimeout.
      const text = await this.readBody(res, req, deadline, () => (deadlinePassed = true));
      const out: HttpResponse = { status: res.statusCode, headers: res.headers, text };
      const correlationId = headerValue(res.headers, 'inin-correlation-id');
      if (correlationId) out.correlationId = correlationId;
      return out;
    } catch (err) {
      if (req.signal?.aborted || this.closed) throw cancelled(req.signal, `${describe(req)} was cancelled`);
      if (err instanceof GenesysError) throw err; // the body cap
      const codes = errorCodes(err);
      if (deadlinePassed || codes.includes('UND_ERR_HEADERS_TIMEOUT') || codes.includes('UND_ERR_BODY_TIMEOUT')) {
        // The whole-request budget is spent: another attempt would spend it again.
        throw new GenesysError('network-error', `${describe(req)} timed out after ${this.requestTimeoutMs} ms`, { retryable: false, cause: err });
      }
      const host = hostOf(req.origin);
      if (codes.includes('UND_ERR_CONNECT_TIMEOUT')) {
        throw new GenesysError('network-error', `could not connect to ${host}: connection timed out after ${this.connectTimeoutMs} ms`, {
          retryable: true,
          cause: err,
        });
      }
      const code = codes.find((c) => !c.startsWith('UND_ERR')) ?? codes[0];
      if (code === 'ENOTFOUND') {
        // One sentence, the likely cause first: a wrong region (or custom origin) names a host that does not exist.
        throw new GenesysError(
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
      throw new GenesysError('network-error', `${describe(req)} failed: ${detail}${code && !detail.includes(code) ? ` (${code})` : ''}`, {
        retryable: transient(err),
        cause: err,
      });
    }
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

  /**
   * The body as text, read while it streams: more than maxResponseBytes (announced by Content-Length or
   * counted) fails at once, and the body is destroyed, which aborts the request and closes the socket (undici
   * does not keep a connection whose answer was not read to the end). Memory stays at the cap whatever the
   * server sends.
   */
  private async readBody(res: Dispatcher.ResponseData, req: HttpRequest, deadline: number, onDeadline: () => void): Promise<string> {
    const cap = this.maxResponseBytes;
    const tooBig = () => {
      res.body.destroy();
      const correlationId = headerValue(res.headers, 'inin-correlation-id');
      return new GenesysError(
        'genesys-error',
        `the answer of ${describe(req)} (status ${res.statusCode}) is larger than ${cap} bytes (maxResponseBytes): not read, connection closed`,
        { status: res.statusCode, correlationId },
      );
    };
    const length = Number(headerValue(res.headers, 'content-length'));
    if (Number.isFinite(length) && length > cap) throw tooBig();
    // Stream events rather than `for await`: an async iterator per answer costs more than the rest of reading it.
    const body = res.body;
    return new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        chunks.length = 0;
        reject(err);
      };
      body.on('data', (buf: Buffer) => {
        if (failed) return;
        size += buf.length;
        if (size > cap) return fail(tooBig());
        if (performance.now() > deadline) {
          onDeadline();
          body.destroy();
          return fail(new Error('the body did not arrive within the request timeout'));
        }
        chunks.push(buf);
      });
      body.on('error', fail);
      body.on('end', () => {
        if (failed) return;
        // Most answers are one chunk (or none): decode without a copy.
        resolve(chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
      });
    });
  }

  /** Ends every request in flight (they fail 'cancelled') and closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    await this.agent.destroy().catch(() => undefined);
  }
}
