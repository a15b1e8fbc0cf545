// Client-side request budget: at most `requestsPerMinute` requests START in any window of `windowMs`
// (60 s). A sliding-window log of start times guarantees that exactly; a token bucket of capacity rpm
// would let up to 2x through in the first minute. Waiters are served first come, first served, high priority
// (work already begun, such as confirming a kick Genesys accepted) before normal; a wait ends at once when
// its signal aborts, and pauseUntil() (a 429's Retry-After) holds everyone back.
// A job of several requests (a kick: read, PATCH, confirm read) books them together (book()): once it starts,
// its later requests never wait behind new work, so a confirm does not time out because a bulk of other kicks
// used the minute. Normal work also leaves a small share of the window to high-priority requests.
import { cancelled, endInBatches } from './abort';
import { Line } from './line';
import { GenesysError } from './errors';

export interface RateLimiterOptions {
  requestsPerMinute: number;
  /** Length of the window: 60_000 by default; the client uses 61_000 (a margin, see RATE_LIMIT_WINDOW_MS). */
  windowMs?: number;
  /** Clock, ms since the epoch. */
  now?: () => number;
  /**
   * One request out until answered() is called, the rest held: the first answer may say that Genesys allows
   * less than requestsPerMinute (inin-ratelimit-allowed, setAllowed). Without it, a burst of new work at
   * start sends the whole configured budget before any answer can lower it (600 one-request kicks at once,
   * 300/min configured, 180 allowed: 120 429s). Costs the first burst one round trip, nothing later.
   */
  firstAnswerFirst?: boolean;
}

/** 'high': finishing work already begun (a confirm read) goes before starting new work. */
export type RequestPriority = 'normal' | 'high';

export interface LimiterWait {
  reason: 'rate-limit' | 'retry-after';
  /** Estimated wait in ms. */
  ms: number;
}

/** Requests booked together: each take() lets one start at once (no wait but a Retry-After pause). */
export interface Booking {
  readonly remaining: number;
  /** Gives back what was not used; call it when the job ends, whatever happened. */
  release(): void;
}

interface Waiter {
  /** Window slots this waiter takes: 1 for a request (a start), n for a booking (n booked slots). */
  cost: number;
  booking: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
  cleanup: () => void;
  /** Neighbours in its line: removal on abort is O(1), however many wait (50,000 on a redeploy). */
  prev: Waiter | undefined;
  next: Waiter | undefined;
}

/**
 * The start times in the window, oldest first. Dropping from the front is O(1) (a head index, the array
 * compacted now and then): Array#shift copies the whole array once it is large, and with a raised budget the
 * window holds tens of thousands of starts (14 µs per request at 60,000, for every request).
 */
class StartLog {
  private times: number[] = [];
  private head = 0;

  get size(): number {
    return this.times.length - this.head;
  }

  /** The i-th oldest start (0: the oldest). */
  at(i: number): number {
    return this.times[this.head + i];
  }

  push(time: number): void {
    this.times.push(time);
  }

  /** Forgets the starts at or before `time`. */
  dropUntil(time: number): void {
    const times = this.times;
    while (this.head < times.length && times[this.head] <= time) this.head++;
    if (this.head === times.length) {
      times.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= times.length) {
      this.times = times.slice(this.head);
      this.head = 0;
    }
  }
}

/** The share of the window that normal work leaves to high-priority requests (a confirm's second read...). */
const HIGH_PRIORITY_SHARE = 0.05;

function normalShare(limit: number): number {
  return limit - Math.floor(limit * HIGH_PRIORITY_SHARE);
}

class BookingImpl implements Booking {
  constructor(
    private readonly limiter: RateLimiter,
    public remaining: number,
  ) {}
  release(): void {
    const back = this.remaining;
    this.remaining = 0;
    if (back > 0) this.limiter.unbook(back);
  }
}

export class RateLimiter {
  /** The configured budget: the limit never goes above it. */
  readonly requestsPerMinute: number;
  /** The budget in force: the configured one, or lower when Genesys says it allows less (setAllowed). */
  private limit: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private readonly starts = new StartLog(); // start times still inside the window
  private readonly queue = new Line<Waiter>();
  private readonly urgent = new Line<Waiter>();
  /** Slots booked and not yet used: starts.size + booked never exceeds the limit (if setAllowed lowers the
   * limit below what is booked, a booked request that would go over it waits, first in line). */
  private booked = 0;
  /** What normal work may fill of the window (the rest is for high priority). */
  private normalLimit: number;
  private pausedUntil = 0;
  /** firstAnswerFirst: 'open' until the first start, 'out' while it waits for its answer, then 'known'. */
  private firstAnswer: 'open' | 'out' | 'known';
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private closed = false;
  /** How many acquire() calls had to wait. */
  waits = 0;

  constructor(options: RateLimiterOptions) {
    const rpm = options.requestsPerMinute;
    if (!Number.isInteger(rpm) || rpm < 1) throw new RangeError('requestsPerMinute must be an integer >= 1');
    this.requestsPerMinute = rpm;
    this.limit = rpm;
    this.normalLimit = normalShare(rpm);
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.firstAnswer = options.firstAnswerFirst ? 'open' : 'known';
  }

  /**
   * Resolves when this request may start (and records the start); rejects 'cancelled' on abort or close.
   * With a `booking` that has slots left, it starts at once (unless a Retry-After pause holds everyone).
   */
  acquire(signal?: AbortSignal, onWait?: (wait: LimiterWait) => void, priority: RequestPriority = 'normal', booking?: Booking): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.reject(cancelled(signal, 'the request was cancelled while waiting for the rate limiter'));
    if (this.tryAcquire(priority, booking)) return Promise.resolve();
    if (booking instanceof BookingImpl && booking.remaining > 0) {
      // Held back by a Retry-After pause, or booked under a higher budget than setAllowed now allows: the
      // booked slot becomes a wait first in line for a slot the booking no longer holds. Waiting while still
      // holding it could deadlock: every slot booked, every owner waiting for one.
      booking.remaining--;
      this.booked--;
      return this.wait(1, false, 'high', signal, onWait);
    }
    return this.wait(1, false, priority, signal, onWait);
  }

  /**
   * acquire() when it can start at once, without a promise: true when the request may start now (its start is
   * recorded, a booked slot used), false when it has to wait (then call acquire()).
   */
  tryAcquire(priority: RequestPriority = 'normal', booking?: Booking): boolean {
    if (this.closed) return false;
    const now = this.now();
    if (booking instanceof BookingImpl && booking.remaining > 0) {
      this.prune(now);
      if (now < this.pausedUntil || this.starts.size >= this.limit || this.firstAnswer === 'out') return false;
      booking.remaining--;
      this.booked--;
      this.recordStart(now);
      // A booked slot became a start: waiters held back by bookings now wait for the window (a timer).
      if (this.queued > 0) this.pump();
      return true;
    }
    if (this.queued > 0 || !this.canStart(now, 1, priority)) return false;
    this.grant(1, false, now);
    return true;
  }

  /**
   * Books `count` requests of one job: resolves (normal priority, in turn with other normal work) when the
   * window has room for all of them; each then starts at once through acquire() with the booking.
   */
  async book(count: number, signal?: AbortSignal, onWait?: (wait: LimiterWait) => void): Promise<Booking> {
    const cost = Math.max(1, Math.min(Math.floor(count), this.normalLimit));
    await this.wait(cost, true, 'normal', signal, onWait);
    return new BookingImpl(this, cost);
  }

  /** @internal Booked slots given back. */
  unbook(count: number): void {
    this.booked = Math.max(0, this.booked - count);
    this.pump();
  }

  private wait(cost: number, booking: boolean, priority: RequestPriority, signal?: AbortSignal, onWait?: (wait: LimiterWait) => void): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.reject(cancelled(signal, 'the request was cancelled while waiting for the rate limiter'));
    const line = priority === 'high' ? this.urgent : this.queue;
    if (this.queued === 0 && this.canStart(this.now(), cost, priority, booking)) {
      this.grant(cost, booking, this.now());
      return Promise.resolve();
    }
    this.waits++;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        // No removeEventListener here: `once` already removed it, and a search of a signal shared by many
        // waiters (a redeploy) would cost O(n) per waiter.
        line.remove(waiter);
        reject(cancelled(signal, 'the request was cancelled while waiting for the rate limiter'));
        this.pump(); // the ones behind may move up
      };
      const waiter: Waiter = {
        cost,
        booking,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
        prev: undefined,
        next: undefined,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      line.push(waiter);
      if (onWait) onWait(this.estimate(line === this.urgent ? line.size - 1 : this.urgent.size + line.size - 1));
      this.pump();
    });
  }

  /**
   * The figure Genesys says this token may use per minute (an answer's `inin-ratelimit-allowed`): the budget
   * becomes the lower of it and the configured requestsPerMinute, never above the configured one. Called with
   * each answer, so a figure that rises again (up to the configured one) raises the budget too.
   */
  setAllowed(allowed: number): void {
    if (!Number.isInteger(allowed) || allowed < 1) return;
    const limit = Math.min(allowed, this.requestsPerMinute);
    if (limit === this.limit) return;
    this.limit = limit;
    this.normalLimit = normalShare(limit);
    this.pump(); // a higher budget lets waiters go now
  }

  /** The budget in force (requestsPerMinute, or Genesys' lower figure). */
  get budget(): number {
    return this.limit;
  }

  /** Holds every request back until `time` (ms since the epoch), e.g. after a 429 with Retry-After. */
  pauseUntil(time: number): void {
    if (time > this.pausedUntil) this.pausedUntil = time;
    this.pump();
  }

  /** Start times in the current window (for tests and status). */
  get inWindow(): number {
    this.prune(this.now());
    return this.starts.size;
  }

  get queued(): number {
    return this.urgent.size + this.queue.size;
  }

  /** Rejects every waiter with 'cancelled' and clears the timer: nothing keeps the process alive. */
  close(): void {
    this.closed = true;
    this.clearTimer();
    // One error for all: building (and capturing a stack for) one per waiter costs more than the rest of a close.
    const err = new GenesysError('cancelled', 'the client was closed while the request waited for the rate limiter');
    // In batches: 12,500 reads queued behind the budget (50,000 waits) would each end a chain of work in one turn.
    endInBatches([...this.urgent.drain(), ...this.queue.drain()], (w) => {
      w.cleanup();
      w.reject(err);
    });
  }

  /**
   * A request (or the first of a job) had its answer, or failed without one: with firstAnswerFirst, what it
   * said about the budget is known now (setAllowed came first), and the requests held back may go.
   */
  answered(): void {
    if (this.firstAnswer === 'known') return;
    this.firstAnswer = 'known';
    this.pump();
  }

  /** A request records its start; a booking holds its slots until they are used or given back. */
  private grant(cost: number, booking: boolean, now: number): void {
    if (booking) this.booked += cost;
    else this.recordStart(now);
  }

  private recordStart(now: number): void {
    this.starts.push(now);
    if (this.firstAnswer === 'open') this.firstAnswer = 'out';
  }

  private prune(now: number): void {
    this.starts.dropUntil(now - this.windowMs);
  }

  /** For a start (`cost` 1) or a booking (`cost` slots, nothing starts yet). */
  private canStart(now: number, cost: number, priority: RequestPriority, booking = false): boolean {
    if (now < this.pausedUntil || (this.firstAnswer === 'out' && !booking)) return false;
    this.prune(now);
    const limit = priority === 'high' ? this.limit : this.normalLimit;
    return this.starts.size + this.booked + cost <= limit;
  }

  /** When the waiter at queue position `index` can expect to start. */
  private estimate(index: number): LimiterWait {
    const now = this.now();
    this.prune(now);
    const paused = Math.max(0, this.pausedUntil - now);
    // The slot it will take is freed when start number (starts.size - limit + index) leaves the window.
    const k = this.starts.size - this.limit + index;
    let ms = k < 0 ? 0 : k < this.starts.size ? this.starts.at(k) + this.windowMs - now : this.windowMs;
    ms = Math.max(ms, paused);
    return { reason: paused > 0 && paused >= ms ? 'retry-after' : 'rate-limit', ms: Math.max(0, Math.ceil(ms)) };
  }

  private pump(): void {
    if (this.closed) return;
    const now = this.now();
    for (;;) {
      const line = this.urgent.size > 0 ? this.urgent : this.queue;
      const w = line.first;
      if (!w || !this.canStart(now, w.cost, line === this.urgent ? 'high' : 'normal', w.booking)) break;
      line.remove(w);
      w.cleanup();
      this.grant(w.cost, w.booking, now);
      w.resolve();
    }
    if (this.queued === 0) {
      this.clearTimer();
      return;
    }
    // Wake up when the pause ends or the oldest start leaves the window, whichever is later. Held back by
    // booked slots alone, the wait ends when they are used or given back (unbook pumps), and held back for
    // the first answer, when it comes (answered pumps): no timer.
    if (now >= this.pausedUntil && (this.starts.size === 0 || this.firstAnswer === 'out')) {
      this.clearTimer();
      return;
    }
    const at = Math.max(this.pausedUntil, this.starts.size > 0 ? this.starts.at(0) + this.windowMs : now);
    if (this.timer && this.timerAt === at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
        // Capped at Node's largest timer (2^31-1 ms): a longer one would fire after 1 ms, again and again.
      },
      Math.min(2 ** 31 - 1, Math.max(1, at - now)),
    );
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
