// Reads conversations for every workflow (list, kick, await) and shares in-flight GETs: when many awaits,
// a list and a kick read the same conversation at the same moment, Genesys sees ONE GET and all of them get
// its answer. That keeps a busy flow inside the rate limit (300 requests/minute per client by default).
import type { GenesysClient, WaitInfo } from './client';
import type { Booking, RequestPriority } from './rate-limiter';
import { GenesysError } from './errors';
import { normaliseParticipants, type NormalisedParticipant } from './participants';
import { Conversation } from './schemas';
import { requireId } from './validate';

export interface ReadResult {
  conversation: Conversation;
  participants: NormalisedParticipant[];
  correlationId?: string;
}

export interface ReadOptions {
  signal?: AbortSignal;
  onWait?: (info: WaitInfo) => void;
  /**
   * Do not join a GET that is already in flight (it may have left before the caller learnt that the state
   * moved, e.g. after a 409): start a new one, which later callers then share.
   */
  fresh?: boolean;
  /**
   * 'high' for reads that finish work already begun (confirming an accepted kick): they go before normal
   * requests waiting for the rate limiter, and share GETs only with other high-priority reads.
   */
  priority?: RequestPriority;
  /** A booked slot (RateLimiter.book) for the GET, used only when this read starts one (not when it joins). */
  booking?: Booking;
}

interface Waiter {
  resolve: (r: ReadResult) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  onWait?: (info: WaitInfo) => void;
}

interface InFlight {
  controller: AbortController;
  waiters: Set<Waiter>;
}

/** An id from an answer, shortened for an error message (the answer may hold anything). */
function shortId(id: string): string {
  const clean = id.replace(/[^\w.-]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 37)}...` : clean;
}

function cancelled(): GenesysError {
  return new GenesysError('cancelled', 'cancelled');
}

export class ConversationReader {
  private readonly inFlight = new Map<string, InFlight>();
  private gets = 0;
  private shared = 0;

  constructor(private readonly client: GenesysClient) {}

  /**
   * GET /api/v2/conversations/{id}; reads of the same conversation in flight at the same moment share ONE
   * GET (a caller that aborts leaves; the GET is aborted only when every caller left). 404 ->
   * 'target-not-found' with the correlation id. A conversationId that is not a UUID rejects 'invalid-input'
   * with no request. Callers sharing a GET share its result objects: treat them as read-only.
   */
  read(conversationId: string, options: ReadOptions = {}): Promise<ReadResult> {
    const { signal } = options;
    try {
      // Callers validate first; this is the last line against path injection.
      conversationId = requireId(conversationId, 'conversationId');
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal?.aborted) return Promise.reject(cancelled());
    const priority = options.priority ?? 'normal';
    const key = `${priority}:${conversationId.toLowerCase()}`;
    let entry = options.fresh ? undefined : this.inFlight.get(key);
    if (entry) this.shared++;
    else entry = this.start(key, conversationId, priority, options.booking);
    const flight = entry;

    return new Promise<ReadResult>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onWait: options.onWait };
      if (signal) {
        waiter.onAbort = () => {
          flight.waiters.delete(waiter);
          reject(cancelled());
          // The last caller left: nobody wants the answer any more.
          if (flight.waiters.size === 0) {
            flight.controller.abort();
            if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
          }
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      flight.waiters.add(waiter);
    });
  }

  /** reads: GET requests started; sharedReads: read() calls answered by a GET already in flight. */
  stats(): { reads: number; sharedReads: number } {
    return { reads: this.gets, sharedReads: this.shared };
  }

  private start(key: string, conversationId: string, priority: RequestPriority, booking: Booking | undefined): InFlight {
    const flight: InFlight = { controller: new AbortController(), waiters: new Set() };
    this.inFlight.set(key, flight);
    this.gets++;
    const settle = (fn: (w: Waiter) => void) => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
      for (const w of flight.waiters) {
        if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
        fn(w);
      }
      flight.waiters.clear();
    };
    this.client
      .request({
        method: 'GET',
        path: `/api/v2/conversations/${encodeURIComponent(conversationId)}`,
        schema: Conversation,
        signal: flight.controller.signal,
        priority,
        booking,
        onWait: (info) => {
          for (const w of flight.waiters) w.onWait?.(info);
        },
      })
      .then(
        (res) => {
          // A proxy or cache that answers another conversation must never lead to a decision about this one.
          if (res.body.id.toLowerCase() !== conversationId.toLowerCase()) {
            settle((w) => w.reject(new GenesysError('genesys-error',
              `GET /api/v2/conversations/${conversationId} answered a different conversation (${shortId(res.body.id)}): nothing was decided on it`,
              { correlationId: res.correlationId })));
            return;
          }
          const result: ReadResult = {
            conversation: res.body,
            participants: normaliseParticipants(res.body),
            correlationId: res.correlationId,
          };
          settle((w) => w.resolve(result));
        },
        (err: unknown) => {
          let out = err;
          if (err instanceof GenesysError && err.code === 'genesys-error' && err.status === 404) {
            out = new GenesysError('target-not-found', `conversation ${conversationId} was not found (or is not visible to this OAuth client)`, {
              status: 404,
              genesysCode: err.genesysCode,
              correlationId: err.correlationId,
              cause: err,
            });
          }
          settle((w) => w.reject(out));
        },
      );
    return flight;
  }
}
