// Reads conversations for every workflow (list, kick, await) and shares in-flight GETs: when many awaits,
// a list and a kick read the same conversation at the same moment, Genesys sees ONE GET and all of them get
// its answer. That keeps a busy flow inside the rate limit (300 requests/minute per client by default).
import type { GenesysClient, WaitInfo } from '../platform/client';
import type { Booking, RequestPriority } from '../platform/rate-limiter';
import { abortListenersOn, cancelled } from '../platform/abort';
import { GenesysError } from '../platform/errors';
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
  /**
   * A booked slot (RateLimiter.book) for the GET. A read with a booked slot left always starts its own GET:
   * joining one still waiting for the rate limiter would hold the slot idle while that GET waits for another,
   * and with every slot of the window booked that way nothing would move (a deadlock).
   */
  booking?: Booking;
}

/**
 * Who waits for a read's answer. The await scheduler passes its wait records themselves (no closure per poll:
 * 50,000 waits poll); read() passes a small object around its promise.
 */
export interface ReadListener {
  readDone(result: ReadResult): void;
  readFailed(err: unknown): void;
  readWaiting?(info: WaitInfo): void;
}

/** A joined read, to leave with ConversationReader.leave(). */
export interface ReadTicket {
  readonly conversationId: string;
}

interface InFlight extends ReadTicket {
  key: string;
  controller: AbortController;
  listeners: Set<ReadListener>;
}

/** An id from an answer, shortened for an error message (the answer may hold anything). */
function shortId(id: string): string {
  const clean = id.replace(/[^\w.-]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 37)}...` : clean;
}

/** Why a GET is aborted when every caller left it: nobody sees it, so one for all. */
const EVERYONE_LEFT = new GenesysError('cancelled', 'every caller of the read left');

/**
 * Controllers of GETs that ended unaborted, with no listener left on their signal: the next GET takes one. A
 * new AbortSignal per GET cost ~30 µs of a guarded kick's latency on the bench machine (measured against a
 * GET without one), more than the rest of starting a read; nothing can abort a settled flight (leave() is a
 * no-op once its listeners are gone), and a signal something still listens to is never reused.
 */
const SPARE_CONTROLLERS = 64;

export class ConversationReader {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly spareControllers: AbortController[] = [];
  private gets = 0;
  private shared = 0;

  constructor(readonly client: GenesysClient) {}

  /**
   * GET /api/v2/conversations/{id}; reads of the same conversation in flight at the same moment share ONE
   * GET (a caller that aborts leaves; the GET is aborted only when every caller left). 404 ->
   * 'target-not-found' with the correlation id. A conversationId that is not a UUID rejects 'invalid-input'
   * with no request. Callers sharing a GET share its result objects: treat them as read-only.
   */
  read(conversationId: string, options: ReadOptions = {}): Promise<ReadResult> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(cancelled(signal));
    return new Promise<ReadResult>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const listener: ReadListener = {
        readDone: (r) => {
          if (onAbort) signal!.removeEventListener('abort', onAbort);
          resolve(r);
        },
        readFailed: (e) => {
          if (onAbort) signal!.removeEventListener('abort', onAbort);
          reject(e);
        },
        readWaiting: options.onWait,
      };
      let ticket: ReadTicket;
      try {
        ticket = this.join(conversationId, options, listener);
      } catch (err) {
        reject(err);
        return;
      }
      if (signal) {
        onAbort = () => {
          this.leave(ticket, listener);
          reject(cancelled(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  /**
   * read() without a promise or a signal: `listener` gets the answer (readDone / readFailed, once), unless it
   * leaves first. Throws 'invalid-input' (no request) for an id that is not a UUID.
   */
  join(conversationId: string, options: Omit<ReadOptions, 'signal' | 'onWait'>, listener: ReadListener): ReadTicket {
    // Callers validate first; this is the last line against path injection.
    conversationId = requireId(conversationId, 'conversationId');
    const priority = options.priority ?? 'normal';
    const key = `${priority}:${conversationId.toLowerCase()}`;
    const booked = options.booking !== undefined && options.booking.remaining > 0;
    const flight = options.fresh || booked ? undefined : this.inFlight.get(key);
    if (!flight) return this.start(key, conversationId, priority, options.booking, listener);
    this.shared++;
    flight.listeners.add(listener);
    return flight;
  }

  /** The listener no longer wants the answer; the GET is aborted when nobody does. */
  leave(ticket: ReadTicket, listener: ReadListener): void {
    const flight = ticket as InFlight;
    if (!flight.listeners.delete(listener) || flight.listeners.size > 0) return;
    flight.controller.abort(EVERYONE_LEFT);
    if (this.inFlight.get(flight.key) === flight) this.inFlight.delete(flight.key);
  }

  /** reads: GET requests started; sharedReads: read() calls answered by a GET already in flight. */
  stats(): { reads: number; sharedReads: number } {
    return { reads: this.gets, sharedReads: this.shared };
  }

  private recycle(controller: AbortController): void {
    const signal = controller.signal;
    // The transport's one listener stays on a signal it has seen (abort.ts inFlightOn): it waits on nothing.
    if (signal.aborted || this.spareControllers.length >= SPARE_CONTROLLERS || abortListenersOn(signal) > 0) return;
    this.spareControllers.push(controller);
  }

  /** A new GET with its first listener, listening before the request starts (a wait it reports at once reaches it). */
  private start(key: string, conversationId: string, priority: RequestPriority, booking: Booking | undefined, first: ReadListener): InFlight {
    const flight: InFlight = { conversationId, key, controller: this.spareControllers.pop() ?? new AbortController(), listeners: new Set([first]) };
    this.inFlight.set(key, flight);
    this.gets++;
    const settle = (fn: (l: ReadListener) => void) => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
      const listeners = [...flight.listeners];
      flight.listeners.clear();
      this.recycle(flight.controller);
      for (const l of listeners) fn(l);
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
          for (const l of flight.listeners) l.readWaiting?.(info);
        },
      })
      .then(
        (res) => {
          // A proxy or cache that answers another conversation must never lead to a decision about this one.
          if (res.body.id.toLowerCase() !== conversationId.toLowerCase()) {
            settle((l) =>
              l.readFailed(
                new GenesysError(
                  'genesys-error',
                  `GET /api/v2/conversations/${conversationId} answered a different conversation (${shortId(res.body.id)}): nothing was decided on it`,
                  { correlationId: res.correlationId },
                ),
              ),
            );
            return;
          }
          const result: ReadResult = {
            conversation: res.body,
            participants: normaliseParticipants(res.body),
            correlationId: res.correlationId,
          };
          settle((l) => l.readDone(result));
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
          settle((l) => l.readFailed(out));
        },
      );
    return flight;
  }
}
