// The simulator's HTTP server: the Genesys Cloud Platform API subset our nodes use (/oauth/token and
// /api/v2/...), and the control API under /__sim/ (control-api.ts). node:http only. Every answer carries
// ININ-Correlation-Id. This file wires the parts; each concern lives in the file named after it.
//
// An /api/v2 request goes: body read -> counted and its body kept for the log (request-log.ts) -> faults
// (faults.ts) -> bearer token and rate window (auth.ts) -> its route. /oauth/token goes to auth.ts.
//
// Adding an API area (e.g. the Notification Service) is one module and one line:
//   1. routes/<area>.ts exports a SimModuleFactory (module.ts). Its `routes` (paths after /api/v2/, {name}
//      parameters) are served behind the same counting, faults, token check and rate window as every route;
//      `control` adds endpoints under /__sim/ (e.g. its faults); `upgrade` takes an HTTP upgrade (the WebSocket
//      of a channel); `reset` and `close` drop its state. It reads and watches conversations through
//      SimContext.store (store.onLegChange) and schedules through SimContext.timers.
//   2. Its factory is added to API_AREAS below.
import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ApiError, errorBody, notFound } from './api-error';
import { DEFAULT_CLIENT, OAuth, RateWindows, WINDOW_SLOTS } from './auth';
import { ControlApi } from './control-api';
import { ConversationStore } from './conversation-store';
import { Faults } from './faults';
import type { ApiRoute, Reply, SimContext, SimModule, SimModuleFactory } from './module';
import { type Exchange, MAX_BODY_BYTES, readBody } from './request';
import { RequestLog } from './request-log';
import { Router } from './router';
import { notifications } from './notifications/module';
import { analytics } from './routes/analytics';
import { conversations } from './routes/conversations';
import { organization } from './routes/organization';
import { participants } from './routes/participants';
import { teardown } from './routes/teardown';
import { Settings } from './settings';
import { Timers } from './timers';
import type { SimOptions } from './types';

/** The API areas the simulator serves, one module each. */
const API_AREAS: SimModuleFactory[] = [organization, conversations, participants, teardown, analytics, notifications];

export class SimServer {
  readonly server: http.Server;
  private readonly timers = new Timers();
  private readonly settings: Settings;
  private readonly windows: RateWindows;
  private readonly oauth: OAuth;
  private readonly store: ConversationStore;
  private readonly faults: Faults;
  private readonly log: RequestLog;
  private readonly modules: SimModule[];
  private readonly api = new Router<ApiRoute>();
  private readonly control: ControlApi;

  constructor(private readonly options: SimOptions) {
    this.settings = new Settings(options);
    const windowMs = options.rateLimitWindowMs ?? WINDOW_SLOTS * 1000;
    if (!(typeof windowMs === 'number' && windowMs >= WINDOW_SLOTS)) throw new RangeError(`rateLimitWindowMs must be >= ${WINDOW_SLOTS}`);
    const rateLimit = (): number => this.settings.current.rateLimitPerMinute;
    this.windows = new RateWindows(windowMs / WINDOW_SLOTS, rateLimit);
    this.oauth = new OAuth(options.clients ?? [DEFAULT_CLIENT], this.windows);
    this.store = new ConversationStore(
      (ms, fn) => this.timers.schedule(ms, fn),
      () => this.settings.current.lastPartyPolicy,
    );
    this.faults = new Faults(this.timers, rateLimit);
    this.log = new RequestLog(options.log);

    const context: SimContext = { store: this.store, faults: this.faults, timers: this.timers, settings: () => this.settings.current, options };
    this.modules = API_AREAS.map((area) => area(context));
    for (const m of this.modules) for (const r of m.routes ?? []) this.api.add(r);
    const { store, oauth, faults, log, settings, timers } = this;
    this.control = new ControlApi(
      { store, oauth, faults, log, settings, timers, reset: () => this.reset() },
      this.modules.flatMap((m) => m.control ?? []),
    );

    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => this.lastResort(res, err));
    });
    // A malformed request line or headers: answer 400 and drop the socket, never crash.
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
    // Without a listener, Node serves an upgrade request as a plain request: only listen when an area takes them.
    if (this.modules.some((m) => m.upgrade)) {
      this.server.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => {
        if (!this.modules.some((m) => m.upgrade?.(req, socket, head)))
          socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      });
    }
  }

  async listen(port: number, host: string): Promise<string> {
    if (this.options.scenario) this.control.seed(this.options.scenario);
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
    this.timers.close();
    for (const m of this.modules) m.close?.();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Back to a clean slate: no conversations, faults, log, counters, tokens or rate windows; options as started. */
  private reset(): void {
    this.timers.clear();
    this.store.clear();
    this.faults.clear();
    this.log.clear();
    this.oauth.clear();
    this.settings.reset();
    for (const m of this.modules) m.reset?.();
  }

  // ---- the request pipeline

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const correlationId = randomUUID();
    res.setHeader('ININ-Correlation-Id', correlationId);
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://sim').pathname;
    } catch {
      path = req.url ?? '/';
    }
    const ex: Exchange = {
      req,
      res,
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      correlationId,
      started: Date.now(),
      api: path.startsWith('/api/v2/'),
    };

    const raw = await readBody(req);
    if (path.startsWith('/__sim/')) return this.control.handle(res, ex.method, path, raw);

    try {
      if (raw === 'too-large') throw new ApiError(413, 'request.entity.too.large', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
      const tokenGrant = path === '/oauth/token';
      let found: ReturnType<typeof this.api.match>;
      if (ex.api) {
        found = this.api.match(ex.method, path.split('/').slice(3)); // after '', 'api', 'v2'
        this.log.countApiRequest(ex.method, found?.route.teardown);
        this.log.keepBody(ex, raw);
      }
      if (ex.api || (tokenGrant && this.faults.includeTokenGrant)) {
        const fault = await this.faults.meet(ex.method, path);
        if (fault === 'reset') return this.resetSocket(ex);
        if (fault) return this.sendError(ex, fault);
      }
      if (tokenGrant) {
        const reply = this.oauth.grant(ex, raw);
        if (reply.status === 200) this.log.counters.tokenGrants++;
        return this.send(ex, reply);
      }
      if (!ex.api) throw notFound(path);
      this.oauth.authenticate(ex);
      this.windows.take(ex.token!);
      if (!found) throw notFound(`${ex.method} ${path}`);
      this.send(ex, await found.route.handle({ req, params: found.params, raw, clientId: ex.clientId! }));
    } catch (err) {
      if (err instanceof ApiError) return this.sendError(ex, err);
      throw err;
    }
  }

  // ---- answers

  private send(ex: Exchange, { status, body, headers = {} }: Reply): void {
    const { res } = ex;
    if (res.headersSent || res.destroyed) return;
    if (ex.api) this.windows.setHeaders(res, ex.token);
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
    this.log.record(ex, status);
  }

  private sendError(ex: Exchange, err: ApiError): void {
    if (err.status === 429) this.log.counters.rateLimited++;
    this.send(ex, { status: err.status, body: errorBody(err, ex.correlationId), headers: err.headers });
  }

  /** A fault: the socket is destroyed without an answer (logged with status 0). */
  private resetSocket(ex: Exchange): void {
    this.log.record(ex, 0);
    ex.req.socket.destroy();
  }

  /** Last resort: something unexpected threw. Answer 500 if we still can; the server lives on. */
  private lastResort(res: http.ServerResponse, err: unknown): void {
    try {
      if (!res.headersSent && !res.destroyed) {
        const id = String(res.getHeader('ININ-Correlation-Id') ?? randomUUID());
        res.statusCode = 500;
        res.setHeader('Content-Type', 'application/json; charset=UTF-8');
        res.end(JSON.stringify(errorBody(new ApiError(500, 'internal.server.error', 'The server encountered an unexpected error.'), id)));
      } else res.destroy();
      this.options.log?.(`simulator: internal error: ${err instanceof Error ? err.message : String(err)}`);
    } catch {
      /* nothing left to do */
    }
  }
}
