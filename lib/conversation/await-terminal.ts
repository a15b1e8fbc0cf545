// Wait until a participant (waitFor 'participant', the default) or the whole conversation ('conversation') has
// ended, by polling the conversation through the shared reader (design 2.5). A failed read is retried on the
// next poll until the timeout; only a definite answer ends the wait early.
// Built for 50,000 waits in one process: a wait is one plain record (no closures, no timer, no AbortController
// of its own); one scheduler per reader (so per config node) holds every wait's next time in one heap behind
// one timer, joins reads without a promise, listens once per signal, and cancels a closed node's waits in
// batches, so a redeploy never freezes the runtime in one long turn.
import { CANCEL_BATCH, cancelled } from '../platform/abort';
import type { ConversationReader, ReadListener, ReadResult, ReadTicket } from './conversation-reader';
import { GenesysError, invalidInput, type MsgError } from '../platform/errors';
import { participantNotFound } from './participants';
import { Line } from '../platform/line';
import type { Booking, RequestPriority } from '../platform/rate-limiter';
import { isAbsent, parseChoice, parseNumber } from '../platform/options';
import { requireId, optionalId, TIMEOUT_SECONDS } from './validate';

export type WaitFor = 'participant' | 'conversation';
export const WAIT_FOR: readonly WaitFor[] = ['participant', 'conversation'];

/**
 * The await's defaults; the await node and its editor read them from here. A flow file without waitFor waits
 * for the participant, never silently for the whole call. timeout is in seconds.
 */
export const AWAIT_DEFAULTS = { waitFor: 'participant', timeout: 30 } as const satisfies { waitFor: WaitFor; timeout: number };

/** The await's settings as a node holds them. */
export interface AwaitSettings {
  waitFor: WaitFor;
  /** The node's own timeout; undefined: each msg's msg.timeout (else AWAIT_DEFAULTS.timeout). */
  timeoutMs?: number;
}

/** The await's settings from a flow file (waitFor in any case; timeout in seconds, maybe as text, blank = per msg). */
export function parseAwaitOptions(raw: Record<string, unknown>): AwaitSettings {
  const waitFor = raw.waitFor === undefined ? AWAIT_DEFAULTS.waitFor : parseChoice(String(raw.waitFor), 'waitFor', WAIT_FOR, AWAIT_DEFAULTS.waitFor, true);
  if (isAbsent(raw.timeout)) return { waitFor };
  return { waitFor, timeoutMs: parseNumber(raw.timeout, 'timeout', TIMEOUT_SECONDS) * 1000 };
}

/** The timeout of one wait: the node's own, else msg.timeout (seconds), else the default. */
export function awaitTimeoutMs(settings: AwaitSettings, msgTimeout: unknown): number {
  if (settings.timeoutMs !== undefined) return settings.timeoutMs;
  return parseNumber(msgTimeout ?? AWAIT_DEFAULTS.timeout, 'timeout', TIMEOUT_SECONDS) * 1000;
}

export interface AwaitOptions {
  conversationId: string;
  participantId?: string;
  /** Default 'participant', which needs a participantId: a missing id never turns into a wait for the whole call. */
  waitFor?: WaitFor;
  timeoutMs: number;
  /** Delay before the first read (default 0: the leg may already be gone). */
  firstPollDelayMs?: number;
  /** The rate-limit priority of the reads (default 'normal'). */
  priority?: RequestPriority;
  /** Slots booked for the reads (a kick books its first confirm read). */
  booking?: Booking;
  signal?: AbortSignal;
  onProgress?: (info: { polls: number; state?: string; nextPollMs: number }) => void;
}

export interface AwaitResult {
  conversationId: string;
  participantId?: string;
  /** The participant's derived state; for a whole conversation 'disconnected' once ended, else 'connected'. */
  state: string;
  disconnectType?: string;
  endedAt?: string;
  waitedMs: number;
  polls: number;
  timedOut: boolean;
  /** On a timeout after failed reads: the last failure (the wait polled on through it). */
  lastError?: MsgError;
}

/**
 * Answers that will not change by asking again: the conversation or participant is gone (404) or not visible,
 * the OAuth client lacks the permission (403), or the input is wrong. Anything else (network, 5xx after the
 * client's retries, a rate limit over the cap, a malformed answer) is retried on the next poll.
 */
const DEFINITE: ReadonlySet<string> = new Set(['target-not-found', 'permission-denied', 'invalid-input']);

/**
 * Poll schedule: the first poll at once (the leg may already be gone), then every FAST_MS while the wait is
 * young (most legs end within a couple of seconds of a kick: detection within one interval, ~3 polls), then
 * x1.5 per poll up to MAX_MS for long waits, so a 30-minute wait costs ~360 GETs, not ~2,400.
 */
export const POLL_SCHEDULE = { fastMs: 700, fastForMs: 2_500, factor: 1.5, maxMs: 5_000 } as const;

export function nextPollDelay(previousMs: number | undefined, elapsedMs: number): number {
  if (previousMs === undefined || elapsedMs < POLL_SCHEDULE.fastForMs) return POLL_SCHEDULE.fastMs;
  return Math.min(POLL_SCHEDULE.maxMs, Math.round(previousMs * POLL_SCHEDULE.factor));
}

const POSITIVE_MS = { min: 0, above: true, unit: 'milliseconds' };

/** How long a read in flight at the deadline may still take before the wait times out without it. */
const READ_GRACE_MS = 1_000;

interface Seen {
  done: boolean;
  state: string;
  disconnectType?: string;
  endedAt?: string;
}

function inspect(read: ReadResult, conversationId: string, participantId: string | undefined): Seen {
  if (participantId === undefined) {
    const endedAt = read.conversation.endTime;
    return endedAt ? { done: true, state: 'disconnected', endedAt } : { done: false, state: 'connected' };
  }
  const p = read.participants.find((x) => x.id.toLowerCase() === participantId.toLowerCase());
  if (!p) throw participantNotFound(read.participants, participantId, conversationId, { correlationId: read.correlationId });
  return { done: !p.live, state: p.state, disconnectType: p.disconnectType, endedAt: p.endTime };
}

export function awaitTerminal(reader: ConversationReader, options: AwaitOptions): Promise<AwaitResult> {
  let conversationId: string;
  let participantId: string | undefined;
  try {
    conversationId = requireId(options.conversationId, 'conversationId');
    const waitFor = options.waitFor ?? 'participant';
    if (!WAIT_FOR.includes(waitFor)) throw invalidInput('waitFor', `must be one of ${WAIT_FOR.join(', ')}`);
    participantId = waitFor === 'participant' ? optionalId(options.participantId, 'participantId') : undefined;
    if (waitFor === 'participant' && participantId === undefined) {
      throw invalidInput('participantId', 'is empty: give the participant to wait for, or wait for the whole conversation (waitFor "conversation")');
    }
    // A number only: the wait uses it as it is.
    parseNumber(typeof options.timeoutMs === 'number' ? options.timeoutMs : undefined, 'timeoutMs', POSITIVE_MS);
    if (options.firstPollDelayMs !== undefined) parseNumber(options.firstPollDelayMs, 'firstPollDelayMs', { min: 0, unit: 'milliseconds' });
  } catch (err) {
    return Promise.reject(err);
  }
  if (options.signal?.aborted) return Promise.reject(cancelled(options.signal));
  const scheduler = schedulerOf(reader);
  return new Promise<AwaitResult>((resolve, reject) => {
    scheduler.start(new Wait(scheduler, conversationId, participantId, options, resolve, reject), options.firstPollDelayMs ?? 0);
  });
}

/** One pending wait: plain fields only (it is the reader's listener and the heap's entry itself). */
class Wait implements ReadListener {
  readonly started = Date.now();
  readonly deadline: number;
  readonly priority: RequestPriority | undefined;
  readonly booking: Booking | undefined;
  readonly onProgress: AwaitOptions['onProgress'];
  readonly signal: AbortSignal | undefined;
  polls = 0;
  delay: number | undefined;
  last: Seen | undefined;
  lastError: GenesysError | undefined;
  /** The read in flight (then the heap holds the deadline), or undefined (then it holds the next poll). */
  ticket: ReadTicket | undefined;
  settled = false;
  /** The heap: when this wait is due, and where it sits (-1: not in the heap). */
  dueAt = 0;
  heapIndex = -1;
  /** Its group's line (the waits of one signal). */
  group: Group | undefined;
  prev: Wait | undefined;
  next: Wait | undefined;

  constructor(
    readonly scheduler: Scheduler,
    readonly conversationId: string,
    readonly participantId: string | undefined,
    options: AwaitOptions,
    readonly resolve: (r: AwaitResult) => void,
    readonly reject: (e: unknown) => void,
  ) {
    this.deadline = this.started + options.timeoutMs;
    this.priority = options.priority;
    this.booking = options.booking;
    this.onProgress = options.onProgress;
    this.signal = options.signal;
  }

  /** The heap says it is time: the next poll, or (a read still in flight) the deadline plus its grace. */
  due(): void {
    if (this.signal?.aborted) return; // its group is ending the waits of that signal, batch by batch: no new read
    if (this.ticket) this.timeOut();
    else this.poll();
  }

  poll(): void {
    this.polls++;
    try {
      this.ticket = this.scheduler.reader.join(this.conversationId, { priority: this.priority, booking: this.booking }, this);
    } catch (err) {
      this.fail(err);
      return;
    }
    // While a read is in flight the heap holds the deadline: a read slowed by the rate limiter must not
    // outlive the wait by much; the grace lets the last poll, at the deadline, answer.
    if (!this.settled && this.ticket) this.scheduler.schedule(this, this.deadline + READ_GRACE_MS);
  }

  readDone(read: ReadResult): void {
    this.ticket = undefined;
    try {
      this.last = inspect(read, this.conversationId, this.participantId);
      this.lastError = undefined;
      if (this.last.done) this.settle(false);
      else this.schedulePoll();
    } catch (err) {
      // Not found in the answer, or the caller's onProgress threw: this wait ends, the read's others do not.
      this.fail(err);
    }
  }

  readFailed(err: unknown): void {
    this.ticket = undefined;
    // The read was cancelled because this wait's own signal aborted (e.g. the client closed in the same
    // redeploy): the signal's group ends this wait in its batch, not every wait of the read in this turn.
    if (this.signal?.aborted && err instanceof GenesysError && err.code === 'cancelled') return;
    if (!(err instanceof GenesysError) || DEFINITE.has(err.code) || err.code === 'cancelled') {
      this.fail(err);
      return;
    }
    this.lastError = err;
    try {
      this.schedulePoll();
    } catch (e) {
      this.fail(e);
    }
  }

  /** The next poll, or the timeout. When the deadline comes first, the last poll is at the deadline. */
  schedulePoll(): void {
    const now = Date.now();
    if (now >= this.deadline) {
      this.timeOut();
      return;
    }
    this.delay = nextPollDelay(this.delay, now - this.started);
    const wait = Math.min(this.delay, this.deadline - now);
    this.onProgress?.({ polls: this.polls, state: this.last?.state, nextPollMs: wait });
    this.scheduler.schedule(this, now + wait);
  }

  timeOut(): void {
    this.settle(true);
  }

  settle(timedOut: boolean): void {
    if (!this.scheduler.finish(this)) return;
    const out: AwaitResult = {
      conversationId: this.conversationId,
      state: this.last?.state ?? 'unknown',
      waitedMs: Date.now() - this.started,
      polls: this.polls,
      timedOut,
    };
    if (this.participantId !== undefined) out.participantId = this.participantId;
    if (this.last?.disconnectType !== undefined) out.disconnectType = this.last.disconnectType;
    if (this.last?.endedAt !== undefined) out.endedAt = this.last.endedAt;
    if (timedOut && this.lastError) out.lastError = this.lastError.toMsgError();
    this.resolve(out);
  }

  fail(err: unknown): void {
    if (this.scheduler.finish(this)) this.reject(err);
  }
}

/** The waits of one signal: one abort listener for all of them. */
interface Group {
  signal: AbortSignal;
  line: Line<Wait>;
  onAbort: () => void;
}

export { CANCEL_BATCH };

const schedulers = new WeakMap<ConversationReader, Scheduler>();

function schedulerOf(reader: ConversationReader): Scheduler {
  let s = schedulers.get(reader);
  if (!s) schedulers.set(reader, (s = new Scheduler(reader)));
  return s;
}

/** Every wait of one reader: a binary min-heap of due times behind one timer, and a group per signal. */
class Scheduler {
  private readonly heap: Wait[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly groups = new Map<AbortSignal, Group>();

  constructor(readonly reader: ConversationReader) {}

  /** How many waits are pending (for tests and benchmarks). */
  get pending(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.line.size;
    return n + this.ungrouped;
  }

  private ungrouped = 0;

  start(wait: Wait, firstPollDelayMs: number): void {
    const signal = wait.signal;
    if (signal) {
      let group = this.groups.get(signal);
      if (!group) {
        const g: Group = { signal, line: new Line<Wait>(), onAbort: () => this.cancelGroup(g) };
        this.groups.set(signal, (group = g));
        signal.addEventListener('abort', g.onAbort, { once: true });
      }
      wait.group = group;
      group.line.push(wait);
    } else this.ungrouped++;
    const first = Math.min(firstPollDelayMs, wait.deadline - wait.started);
    if (first > 0) this.schedule(wait, wait.started + first);
    else wait.poll();
  }

  /** Ends the wait's bookkeeping; false when it had already ended (the caller then does nothing). */
  finish(wait: Wait): boolean {
    if (wait.settled) return false;
    wait.settled = true;
    this.unschedule(wait);
    if (wait.ticket) {
      this.reader.leave(wait.ticket, wait);
      wait.ticket = undefined;
    }
    const group = wait.group;
    if (group) {
      group.line.remove(wait);
      wait.group = undefined;
      // The last wait of a signal: drop the listener (a signal with one listener: cheap to search).
      if (group.line.size === 0 && this.groups.get(group.signal) === group && !group.signal.aborted) {
        this.groups.delete(group.signal);
        group.signal.removeEventListener('abort', group.onAbort);
      }
    } else this.ungrouped--;
    return true;
  }

  /** The signal aborted: every wait of it rejects with one shared reason, CANCEL_BATCH per turn. */
  private cancelGroup(group: Group): void {
    if (this.groups.get(group.signal) === group) this.groups.delete(group.signal);
    const reason = cancelled(group.signal);
    const batch = () => {
      for (let i = 0; i < CANCEL_BATCH; i++) {
        const wait = group.line.first;
        if (!wait) return;
        wait.fail(reason);
      }
      if (group.line.size > 0) setImmediate(batch);
    };
    batch();
  }

  schedule(wait: Wait, at: number): void {
    wait.dueAt = at;
    if (wait.heapIndex < 0) {
      wait.heapIndex = this.heap.length;
      this.heap.push(wait);
    }
    this.siftUp(wait.heapIndex);
    this.siftDown(wait.heapIndex);
    this.arm();
  }

  private unschedule(wait: Wait): void {
    const i = wait.heapIndex;
    if (i < 0) return;
    wait.heapIndex = -1;
    const last = this.heap.pop()!;
    if (last !== wait) {
      this.heap[i] = last;
      last.heapIndex = i;
      this.siftUp(i);
      this.siftDown(last.heapIndex);
    }
    if (this.heap.length === 0) this.disarm();
  }

  /** One timer, for the earliest due wait. */
  private arm(): void {
    const head = this.heap[0];
    if (!head) return this.disarm();
    if (this.timer && this.timerAt <= head.dueAt) return;
    this.disarm();
    this.timerAt = head.dueAt;
    this.timer = setTimeout(() => this.fire(), Math.max(0, head.dueAt - Date.now()));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    while (this.heap.length > 0 && this.heap[0].dueAt <= now) {
      const wait = this.heap[0];
      this.unschedule(wait);
      try {
        wait.due();
      } catch (err) {
        wait.fail(err); // the caller's onProgress threw: that wait ends, the others go on
      }
    }
    this.arm();
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const w = h[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].dueAt <= w.dueAt) break;
      h[i] = h[parent];
      h[i].heapIndex = i;
      i = parent;
    }
    h[i] = w;
    w.heapIndex = i;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const w = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const c = l + 1 < h.length && h[l + 1].dueAt < h[l].dueAt ? l + 1 : l;
      if (h[c].dueAt >= w.dueAt) break;
      h[i] = h[c];
      h[i].heapIndex = i;
      i = c;
    }
    h[i] = w;
    w.heapIndex = i;
  }
}

/** @internal For tests and benchmarks: how many waits of this reader are pending. */
export function pendingWaits(reader: ConversationReader): number {
  return schedulers.get(reader)?.pending ?? 0;
}
