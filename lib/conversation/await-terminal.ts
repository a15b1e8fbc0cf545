// Wait until a participant (waitFor 'participant', the default) or the whole conversation ('conversation') has
// ended (docs/architecture.md 2.5, 2.5a): told by Genesys' Notification Service when it can (the config's channel manager,
// lib/platform/notifications.ts; topics in leg-events.ts), by polling the conversation through the shared
// reader whenever push is not available (off, Rejected, no channel, socket down). A failed read is retried on
// the next poll until the timeout; only a definite answer ends the wait early.
// With push, REST reads are the budget's lowest priority (client.hasSpareBudget): a standalone wait's first
// read (the leg may have ended before the subscription), the re-read after a reconnect (events are not
// replayed) and a slow safety sweep; none of them waits in the rate limiter, so kicks never queue behind them.
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
import type { NotificationChannels, TopicListener, TopicState } from '../platform/notifications';
import { CUSTOMER_END, eachTopic, legEndOf, legTopics, LegWatch, USER_END, type LegEnd, type LegTopics } from './leg-events';

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
  const waitFor =
    raw.waitFor === undefined ? AWAIT_DEFAULTS.waitFor : parseChoice(String(raw.waitFor), 'waitFor', WAIT_FOR, AWAIT_DEFAULTS.waitFor, true);
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
  /** `pushUnavailable`: push is on but cannot serve this wait, which polls (for a status that says so). */
  onProgress?: (info: { polls: number; state?: string; nextPollMs: number; pushUnavailable?: boolean }) => void;
  /** Learn the end from the Notification Service when the config has it (default true). */
  push?: boolean;
  /** What the leg is, when the caller knows (picks its one topic); unknown: both topics of the conversation. */
  leg?: { purpose?: string; userId?: string };
  /** A confirmed kick's subscription, made before its PATCH (kick.ts): the wait takes it over. */
  watch?: LegWatch;
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
  /** How the end (or the last state) was learnt: a Notification Service event, or a REST read. */
  via: 'push' | 'poll';
  /** Why this wait polled although push is on (Rejected topic, no channel, socket down...). */
  pushUnavailable?: string;
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

/**
 * With push: a safety read (only when the budget has room) after 2 s, then doubling up to once a minute; it
 * ends a wait whose event was lost. LOW_READ_RETRY_MS: how often reads of the lowest priority look for room.
 */
export const SWEEP_SCHEDULE = { firstMs: 2_000, factor: 2, maxMs: 60_000 } as const;
const LOW_READ_RETRY_MS = 250;
/** The share of the rate-limit window that reads of the lowest priority may fill. */
const LOW_READ_SHARE = 0.5;

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
    scheduler.start(new Wait(scheduler, conversationId, participantId, options, resolve, reject), options.firstPollDelayMs ?? 0, options);
  });
}

/** One pending wait: plain fields only (it is the reader's listener, its topics' listener and the heap's entry). */
class Wait implements ReadListener, TopicListener {
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
  /** Push: the topics subscribed (bits of leg-events.ts, 0: none), and how the wait learns now. */
  topics: LegTopics = 0;
  mode: 'poll' | 'push' | 'pending' = 'poll';
  via: 'push' | 'poll' = 'poll';
  pushUnavailable: string | undefined;
  /** Push: the next safety sweep's delay; and whether a read of the lowest priority is owed (in the scheduler's set). */
  sweep = 0;
  /** An event ended the leg: settle (after the read in flight, if the budget allowed one for the final state). */
  ending: LegEnd | undefined;
  /** The standalone wait confirms an event by REST when the budget has room; a confirmed kick does not. */
  readonly rereadEvents: boolean;

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
    this.rereadEvents = options.watch === undefined;
  }

  /** The heap says it is time: the next poll, or (a read still in flight) the deadline plus its grace. */
  due(): void {
    if (this.signal?.aborted) return; // its group is ending the waits of that signal, batch by batch: no new read
    if (this.ticket) this.timeOut();
    else if (this.mode === 'poll') this.poll();
    else if (Date.now() >= this.deadline) this.timeOut();
    else {
      // Push (or subscribing): the safety sweep, only when the budget has room (a confirm's: always, it is
      // work begun and its kick booked a read for it); then the next one.
      if (this.mode === 'push' && (this.priority === 'high' || this.scheduler.spare())) this.poll();
      else this.scheduleSweep();
    }
  }

  /** Push: the next safety sweep, or the deadline. */
  scheduleSweep(): void {
    const now = Date.now();
    this.sweep = this.sweep === 0 ? SWEEP_SCHEDULE.firstMs : Math.min(SWEEP_SCHEDULE.maxMs, this.sweep * SWEEP_SCHEDULE.factor);
    this.scheduler.schedule(this, Math.min(now + this.sweep, this.deadline));
  }

  /** A topic's state changed (lib/platform/notifications.ts). */
  pushState(state: TopicState, reason: string): void {
    // Settled, or its signal aborted (its group ends it in a batch): nothing to do.
    if (this.settled || this.signal?.aborted) return;
    if (state === 'live') {
      if (!this.allLive()) return;
      // Live (first time, or again after a gap): events before it are lost, so one read when there is room.
      this.mode = 'push';
      this.scheduler.wantLowRead(this);
      if (!this.ticket) {
        this.sweep = 0;
        this.scheduleSweep();
      }
    } else if (state === 'unavailable') this.toPolling(reason);
  }

  /** An event on one of its topics: the leg (or, for a whole conversation, some leg) ended. */
  pushEvent(_topic: string, body: unknown): void {
    if (this.settled || this.ending) return;
    const end = legEndOf(body);
    if (!end) return;
    if (this.participantId === undefined) {
      // Some leg ended: whether the conversation did only a read says. Now, not at the lowest priority.
      if (!this.ticket) {
        this.poll();
        this.via = 'push';
      }
      return;
    }
    if (end.participantId.toLowerCase() !== this.participantId.toLowerCase()) return;
    this.ending = end;
    // Genesys said the session ended. Its final state by REST only when the budget has room (and never for a
    // confirmed kick: the 202 and the event are enough).
    if (this.ticket) return; // the read in flight answers first
    if (this.rereadEvents && this.scheduler.spare()) this.poll();
    else this.settleByEvent();
  }

  settleByEvent(): void {
    const end = this.ending!;
    this.via = 'push';
    this.last = { done: true, state: 'disconnected', disconnectType: end.disconnectType ?? this.last?.disconnectType, endedAt: end.endedAt };
    this.settle(false);
  }

  allLive(): boolean {
    const push = this.scheduler.push;
    let live = true;
    if (push) {
      eachTopic(this.conversationId, this.topics, (t) => {
        if (push.state(t) !== 'live') live = false;
      });
    }
    return live;
  }

  toPolling(reason: string): void {
    this.pushUnavailable = reason;
    if (this.mode === 'poll') return;
    const wasLive = this.mode === 'push';
    this.mode = 'poll';
    this.scheduler.dropLowRead(this);
    // Subscribing, and push turned out unavailable: read now, as a wait without push starts. Live until now
    // (a dropped socket): the first poll one interval later, which a quick reconnect makes unnecessary.
    if (!this.ticket) {
      if (!wasLive && this.polls === 0) this.poll();
      else this.schedulePoll();
    }
  }

  /**
   * The scheduler found room for the read of the lowest priority this wait owes; false: not now (a read is in
   * flight, which may have left before the gap ended: the owed read comes after it).
   */
  lowRead(): boolean {
    if (this.settled || this.mode !== 'push') return true;
    if (this.ticket) return false;
    this.poll();
    return true;
  }

  poll(): void {
    this.polls++;
    this.via = 'poll';
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
      if (this.last.done) {
        // Found by this read, unless an event had already said so (then the read gave the final state).
        if (this.ending) this.via = 'push';
        this.settle(false);
      } else if (this.ending) this.settleByEvent();
      else if (this.mode !== 'poll') this.scheduleSweep();
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
      if (this.ending) this.settleByEvent();
      else if (this.mode !== 'poll') this.scheduleSweep();
      else this.schedulePoll();
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
    this.onProgress?.({ polls: this.polls, state: this.last?.state, nextPollMs: wait, pushUnavailable: this.pushUnavailable !== undefined });
    this.scheduler.schedule(this, now + wait);
  }

  timeOut(): void {
    this.via = this.mode === 'poll' ? 'poll' : 'push';
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
      via: this.via,
    };
    if (this.pushUnavailable !== undefined && this.via === 'poll') out.pushUnavailable = this.pushUnavailable;
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
  /** The config's channel manager, when push is on. */
  readonly push: NotificationChannels | undefined;
  /** Waits that owe a read of the lowest priority, in order; one timer looks for room for them. */
  private readonly lowReads = new Set<Wait>();
  private lowTimer: NodeJS.Timeout | undefined;

  constructor(readonly reader: ConversationReader) {
    // (Optional chaining: unit tests drive the scheduler with a stand-in reader that has no client.)
    const push = reader.client?.notifications;
    this.push = push?.enabled ? push : undefined;
  }

  /** Whether a read of the lowest priority may go now (nothing queued, the window at most half full). */
  spare(): boolean {
    return this.reader.client?.hasSpareBudget(LOW_READ_SHARE) ?? true;
  }

  /** The wait owes a read (events may have been missed): the lowest priority, but at once for a confirm. */
  wantLowRead(wait: Wait): void {
    if (wait.priority === 'high' && wait.lowRead()) return;
    this.lowReads.add(wait);
    this.drainLowReads();
  }

  dropLowRead(wait: Wait): void {
    this.lowReads.delete(wait);
  }

  private drainLowReads(): void {
    for (const wait of this.lowReads) {
      if (!this.spare()) break;
      if (wait.lowRead()) this.lowReads.delete(wait);
    }
    if (this.lowReads.size === 0) {
      if (this.lowTimer) clearTimeout(this.lowTimer);
      this.lowTimer = undefined;
    } else if (!this.lowTimer) {
      this.lowTimer = setTimeout(() => {
        this.lowTimer = undefined;
        this.drainLowReads();
      }, LOW_READ_RETRY_MS);
    }
  }

  /**
   * Push for a new wait: subscribes its topics (taking over a kick's watch) and sets how it starts: 'push'
   * (live: events end it), 'pending' (subscribing) or 'poll'. True when it owes a read (see wantLowRead).
   */
  private subscribe(wait: Wait, options: AwaitOptions): boolean {
    const push = this.push;
    if (!push || options.push === false) return false;
    const watch = options.watch;
    wait.topics = watch ? watch.kinds : wait.participantId === undefined ? USER_END | CUSTOMER_END : legTopics(options.leg);
    if (wait.topics === 0) {
      wait.pushUnavailable = 'no notification topic fits this leg';
      return false;
    }
    // The wait's state is its worst topic's: unavailable, else pending, else live.
    const rank = { live: 0, pending: 1, unavailable: 2 } as const;
    let state = 'live' as TopicState;
    let reason = '';
    eachTopic(wait.conversationId, wait.topics, (t) => {
      const s = push.subscribe(t, wait);
      if (rank[s.state] > rank[state]) {
        state = s.state;
        reason = s.reason;
      }
    });
    if (watch) {
      watch.release();
      if (watch.ended) wait.ending = watch.ended;
    }
    if (state === 'unavailable') wait.pushUnavailable = reason;
    else wait.mode = state === 'live' ? 'push' : 'pending';
    // Whether a read is owed: a live watch without a gap has missed nothing (subscribed before the PATCH).
    return wait.mode === 'push' && !(watch && watch.live && !watch.gap);
  }

  /** How many waits are pending (for tests and benchmarks). */
  get pending(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.line.size;
    return n + this.ungrouped;
  }

  private ungrouped = 0;

  start(wait: Wait, firstPollDelayMs: number, options: AwaitOptions): void {
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
    const owesRead = this.subscribe(wait, options);
    if (wait.ending) {
      wait.settleByEvent(); // the leg ended between the kick's PATCH and this wait
      return;
    }
    if (wait.mode !== 'poll') {
      wait.scheduleSweep();
      if (owesRead) this.wantLowRead(wait);
      return;
    }
    const first = Math.min(firstPollDelayMs, wait.deadline - wait.started);
    if (first > 0) this.schedule(wait, wait.started + first);
    else wait.poll();
  }

  /** Ends the wait's bookkeeping; false when it had already ended (the caller then does nothing). */
  finish(wait: Wait): boolean {
    if (wait.settled) return false;
    wait.settled = true;
    this.unschedule(wait);
    if (wait.topics !== 0 && this.push) {
      const push = this.push;
      eachTopic(wait.conversationId, wait.topics, (t) => push.unsubscribe(t, wait));
      this.lowReads.delete(wait);
      if (this.lowReads.size === 0 && this.lowTimer) {
        clearTimeout(this.lowTimer);
        this.lowTimer = undefined;
      }
    }
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

/** How long a confirmed kick waits for its subscription before the PATCH; longer, and its confirm polls. */
export const WATCH_READY_MS = 2_000;

/**
 * For a wait that starts right after a request that ends the leg (a confirmed kick): subscribes the leg's
 * topic BEFORE that request, so its event cannot come first. Pass the result as AwaitOptions.watch, and
 * release() it if no wait takes it over. Undefined when push is off.
 */
export async function watchLeg(
  reader: ConversationReader,
  conversationId: string,
  participantId: string,
  leg?: { purpose?: string; userId?: string },
  signal?: AbortSignal,
): Promise<LegWatch | undefined> {
  const push = reader.client.notifications;
  if (!push.enabled) return undefined;
  const watch = new LegWatch(push, conversationId, participantId, legTopics(leg));
  await watch.start(WATCH_READY_MS, signal);
  return watch;
}

/** @internal For tests and benchmarks: how many waits of this reader are pending. */
export function pendingWaits(reader: ConversationReader): number {
  return schedulers.get(reader)?.pending ?? 0;
}
