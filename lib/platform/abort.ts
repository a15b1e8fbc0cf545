// Cancellation, one way for every layer. A flow node that closes aborts its signal with ONE GenesysError (the
// reason); every wait, limiter slot and backoff of that node rejects with that same object. A redeploy of
// 50,000 waits then builds one error, not an Error (and a DOMException) per layer per msg.
import { getEventListeners } from 'node:events';
import { GenesysError } from './errors';

/** The signal's reason when it is already a 'cancelled' GenesysError, else a new one with this message. */
export function cancelled(signal: AbortSignal | undefined, message = 'cancelled'): GenesysError {
  const reason: unknown = signal?.reason;
  return reason instanceof GenesysError && reason.code === 'cancelled' ? reason : new GenesysError('cancelled', message);
}

/** The first aborted signal of the list, if any. */
export function abortedOf(signals: readonly (AbortSignal | undefined)[]): AbortSignal | undefined {
  for (const s of signals) if (s?.aborted) return s;
  return undefined;
}

/** Resolves after ms, or rejects 'cancelled' at once when a signal aborts. Clears its timer either way. */
export function sleep(ms: number, signals: readonly (AbortSignal | undefined)[] = []): Promise<void> {
  const active = signals.filter((s): s is AbortSignal => s !== undefined);
  const already = abortedOf(active);
  if (already) return Promise.reject(cancelled(already, 'the request was cancelled while waiting'));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      // The aborted signal dropped its `once` listener itself; searching it (shared by many waits) is O(n).
      for (const s of active) if (!s.aborted) s.removeEventListener('abort', onAbort);
      reject(cancelled(abortedOf(active), 'the request was cancelled while waiting'));
    };
    const timer = setTimeout(
      () => {
        for (const s of active) s.removeEventListener('abort', onAbort);
        resolve();
        // Callers bound every delay (1 h at most, lib/client.ts MAX_TIME_MS); the cap keeps Node's timer limit
        // (2^31-1 ms) out of reach even so: above it a timer fires after 1 ms.
      },
      Math.min(ms, 2 ** 31 - 1),
    );
    for (const s of active) s.addEventListener('abort', onAbort, { once: true });
  });
}

/** The promise's outcome, or 'cancelled' as soon as the signal aborts (the promise itself goes on). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, message = 'the request was cancelled'): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(cancelled(signal, message));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled(signal, message));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * How many waiters a close or an abort ends per turn of the event loop: 50,000 at once (a redeploy) would
 * hold every flow of the runtime for the whole time; small turns keep it responsive while they end.
 */
export const CANCEL_BATCH = 500;

/** Calls `end` for every item, CANCEL_BATCH per turn (the first batch at once, the rest on setImmediate). */
export function endInBatches<T>(items: readonly T[], end: (item: T) => void): void {
  let next = 0;
  const batch = () => {
    const stop = Math.min(items.length, next + CANCEL_BATCH);
    for (; next < stop; next++) end(items[next]);
    if (next < items.length) setImmediate(batch);
  };
  batch();
}

/** A request in flight that its signal's abort ends (lib/platform/http.ts AnswerReader). */
export interface Abortable {
  abort(reason: unknown): void;
}

/** Each signal's requests in flight, weakly: a signal no longer used takes its set with it. */
const inFlight = new WeakMap<AbortSignal, Set<Abortable>>();

/**
 * The requests in flight on `signal`: a request adds itself while it runs and leaves when it settles, and one
 * listener on the signal, added the first time, aborts those still there. undici's own signal option adds
 * and removes a listener per request (about 8 µs a request on an AbortSignal, still a measurable share of a
 * fast kick on an EventEmitter), and every msg of a node passes the node's one signal.
 */
export function inFlightOn(signal: AbortSignal): Set<Abortable> {
  let requests = inFlight.get(signal);
  if (!requests) {
    const set = new Set<Abortable>();
    signal.addEventListener(
      'abort',
      () => {
        // A Set may lose entries while it is iterated: each request leaves it as it ends.
        for (const request of set) request.abort(signal.reason);
        set.clear();
      },
      { once: true },
    );
    inFlight.set(signal, (requests = set));
  }
  return requests;
}

/** Abort listeners on `signal` besides the transport's one (inFlightOn): 0 when nothing waits on it. */
export function abortListenersOn(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length - (inFlight.has(signal) && !signal.aborted ? 1 : 0);
}
