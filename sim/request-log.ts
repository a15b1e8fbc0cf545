// What the simulator saw: the request log (GET /__sim/requests) and the counters (GET /__sim/counters).
// Control requests are neither logged nor counted.
import { type Exchange, isJson } from './request';
import type { Counters, LoggedRequest } from './types';

const LOG_CAPACITY = 10_000; // ring buffer: the log never grows past this
const LOGGED_BODY_MAX = 4096; // bigger bodies are logged as { truncated: true }

/** The endpoints that end a call for everyone: counted on arrival, whatever the answer, so tests prove they are never called. */
export type TeardownEndpoint = keyof Counters['teardown'];

const newCounters = (): Counters => ({
  tokenGrants: 0,
  apiRequests: 0,
  patches: 0,
  gets: 0,
  rateLimited: 0,
  teardown: { postDisconnect: 0, deleteConversation: 0, patchCallConversation: 0 },
});

export class RequestLog {
  private log: LoggedRequest[] = [];
  private next = 0; // next slot of the ring buffer once it is full
  counters: Counters = newCounters();

  /** line: one line per request, never a token or a secret (SimOptions.log). */
  constructor(private readonly line?: (text: string) => void) {}

  /** An /api/v2 request arrived (any method, any answer). */
  countApiRequest(method: string, teardown: TeardownEndpoint | undefined): void {
    this.counters.apiRequests++;
    if (method === 'GET') this.counters.gets++;
    if (method === 'PATCH') this.counters.patches++;
    if (teardown) this.counters.teardown[teardown]++;
  }

  /** Keeps the JSON body of an /api/v2 request for its log entry (a big one only as its size). */
  keepBody(ex: Exchange, raw: Buffer): void {
    if (raw.length && raw.length <= LOGGED_BODY_MAX && isJson(ex.req)) {
      try {
        ex.loggedBody = JSON.parse(raw.toString('utf8'));
      } catch {
        /* logged without body */
      }
    } else if (raw.length > LOGGED_BODY_MAX) ex.loggedBody = { truncated: true, bytes: raw.length };
  }

  /** Logs the answer to a request; status 0: its socket was destroyed without one. */
  record(ex: Exchange, status: number): void {
    if (ex.path.startsWith('/__sim/')) return;
    const entry: LoggedRequest = {
      time: new Date(ex.started).toISOString(),
      method: ex.method,
      path: ex.path,
      status,
      clientId: ex.clientId,
      correlationId: ex.correlationId,
      body: ex.loggedBody,
      durationMs: Date.now() - ex.started,
    };
    if (this.log.length < LOG_CAPACITY) this.log.push(entry);
    else {
      this.log[this.next] = entry;
      this.next = (this.next + 1) % LOG_CAPACITY;
    }
    this.line?.(
      `${entry.time} ${entry.method} ${entry.path} ${status || 'reset'} ${entry.durationMs}ms${entry.clientId ? ` client=${entry.clientId}` : ''} corr=${entry.correlationId}`,
    );
  }

  /** The logged requests, oldest first. */
  entries(): LoggedRequest[] {
    return this.log.length < LOG_CAPACITY ? this.log.slice() : [...this.log.slice(this.next), ...this.log.slice(0, this.next)];
  }

  clear(): void {
    this.log = [];
    this.next = 0;
    this.counters = newCounters();
  }
}
