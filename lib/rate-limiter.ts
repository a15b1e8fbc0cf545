// Client-side request budget: at most `requestsPerMinute` requests START in any window of `windowMs`
// (60 s). A sliding-window log of start times guarantees that exactly; a token bucket of capacity rpm
// would let up to 2x through in the first minute. Waiters are served first come, first served, high priority
// (work already started, such as confirming a kick Genesys accepted) before normal; a wait ends at once when
// its signal aborts, and pauseUntil() (a 429's Retry-After) holds everyone back.
import { GenesysError } from './errors';

export interface RateLimiterOptions {
  requestsPerMinute: number;
  /** Length of the window: 60_000 by default; the client uses 61_000 (a margin, see RATE_LIMIT_WINDOW_MS). */
  windowMs?: number;
  /** Clock, ms since the epoch. */
  now?: () => number;
}

/** 'high': finishing work already begun (a confirm read) goes before starting new work. */
export type RequestPriority = 'normal' | 'high';

export interface LimiterWait {
  reason: 'rate-limit' | 'retry-after';
  /** Estimated wait in ms. */
  ms: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  cleanup: () => void;
}

export class RateLimiter {
  readonly requestsPerMinute: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private readonly starts: number[] = []; // ascending start times still inside the window
  private readonly queue: Waiter[] = [];
  private readonly urgent: Waiter[] = [];
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private closed = false;
  /** How many acquire() calls had to wait. */
  waits = 0;

  constructor(options: RateLimiterOptions) {
    const rpm = options.requestsPerMinute;
    if (!Number.isInteger(rpm) || rpm < 1) throw new RangeError('requestsPerMinute must be an integer >= 1');
    this.requestsPerMinute = rpm;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Resolves when this request may start (and records the start); rejects 'cancelled' on abort or close. */
  acquire(signal?: AbortSignal, onWait?: (wait: LimiterWait) => void, priority: RequestPriority = 'normal'): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.reject(new GenesysError('cancelled', 'the request was cancelled while waiting for the rate limiter'));
    if (this.queued === 0 && this.canStart(this.now())) {
      this.starts.push(this.now());
      return Promise.resolve();
    }
    this.waits++;
    const line = priority === 'high' ? this.urgent : this.queue;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = line.indexOf(waiter);
        if (i >= 0) line.splice(i, 1);
        waiter.cleanup();
        reject(new GenesysError('cancelled', 'the request was cancelled while waiting for the rate limiter'));
        this.pump(); // the ones behind may move up
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      line.push(waiter);
      if (onWait) onWait(this.estimate(line === this.urgent ? line.length - 1 : this.urgent.length + line.length - 1));
      this.pump();
    });
  }

  /** Holds every request back until `time` (ms since the epoch), e.g. after a 429 with Retry-After. */
  pauseUntil(time: number): void {
    if (time > this.pausedUntil) this.pausedUntil = time;
    this.pump();
  }

  /** Start times in the current window (for tests and status). */
  get inWindow(): number {
    this.prune(this.now());
    return this.starts.length;
  }

  get queued(): number {
    return this.urgent.length + this.queue.length;
  }

  /** Rejects every waiter with 'cancelled' and clears the timer: nothing keeps the process alive. */
  close(): void {
    this.closed = true;
    this.clearTimer();
    for (const w of [...this.urgent.splice(0), ...this.queue.splice(0)]) {
      w.cleanup();
      w.reject(new GenesysError('cancelled', 'the client was closed while the request waited for the rate limiter'));
    }
  }

  private prune(now: number): void {
    while (this.starts.length > 0 && this.starts[0] <= now - this.windowMs) this.starts.shift();
  }

  private canStart(now: number): boolean {
    if (now < this.pausedUntil) return false;
    this.prune(now);
    return this.starts.length < this.requestsPerMinute;
  }

  /** When the waiter at queue position `index` can expect to start. */
  private estimate(index: number): LimiterWait {
    const now = this.now();
    this.prune(now);
    const paused = Math.max(0, this.pausedUntil - now);
    // The slot it will take is freed when start number (starts.length - rpm + index) leaves the window.
    const k = this.starts.length - this.requestsPerMinute + index;
    let ms = k < 0 ? 0 : k < this.starts.length ? this.starts[k] + this.windowMs - now : this.windowMs;
    ms = Math.max(ms, paused);
    return { reason: paused > 0 && paused >= ms ? 'retry-after' : 'rate-limit', ms: Math.max(0, Math.ceil(ms)) };
  }

  private pump(): void {
    if (this.closed) return;
    const now = this.now();
    while (this.queued > 0 && this.canStart(now)) {
      const w = (this.urgent.length > 0 ? this.urgent : this.queue).shift()!;
      w.cleanup();
      this.starts.push(now);
      w.resolve();
    }
    if (this.queued === 0) {
      this.clearTimer();
      return;
    }
    // Wake up when the pause ends or the oldest start leaves the window, whichever is later.
    const full = this.starts.length >= this.requestsPerMinute;
    const at = Math.max(this.pausedUntil, full ? this.starts[0] + this.windowMs : now);
    if (this.timer && this.timerAt === at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(1, at - now));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
