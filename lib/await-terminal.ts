// Wait until a participant (waitFor 'participant', the default) or the whole conversation ('conversation') has
// ended, by polling the conversation through the shared reader (design 2.5). Cheap enough for 10,000 concurrent
// waits: each holds at most one timer and one abort listener, both released the moment it settles. A failed
// read is retried on the next poll until the timeout; only a definite answer ends the wait early.
import type { ConversationReader, ReadResult } from './conversation-reader';
import { GenesysError, invalidInput, type MsgError } from './errors';
import type { Booking, RequestPriority } from './rate-limiter';
import { requireId, optionalId } from './validate';

export type WaitFor = 'participant' | 'conversation';
export const WAIT_FOR: readonly WaitFor[] = ['participant', 'conversation'];

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
  if (!p) throw new GenesysError('target-not-found', `participant ${participantId} is not in conversation ${conversationId}`, { correlationId: read.correlationId });
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
    if (typeof options.timeoutMs !== 'number' || !Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw invalidInput('timeoutMs', `must be a positive number of milliseconds, got ${String(options.timeoutMs)}`);
    }
    const first = options.firstPollDelayMs ?? 0;
    if (typeof first !== 'number' || !Number.isFinite(first) || first < 0) throw invalidInput('firstPollDelayMs', 'must be a number >= 0');
  } catch (err) {
    return Promise.reject(err);
  }
  const { signal, onProgress, timeoutMs, priority, booking } = options;
  if (signal?.aborted) return Promise.reject(new GenesysError('cancelled', 'cancelled'));

  const started = Date.now();
  const deadline = started + timeoutMs;

  return new Promise<AwaitResult>((resolve, reject) => {
    let polls = 0;
    let last: Seen | undefined;
    let lastError: GenesysError | undefined;
    let delay: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    // Aborts the read in flight, on the caller's abort or when the deadline passes mid-read.
    let readAbort: AbortController | undefined;
    let deadlinePassed = false;

    const finish = (fn: () => void, aborted = false) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      // On abort, `once` already removed the listener: searching a signal shared by many waits is O(n) each.
      if (!aborted) signal?.removeEventListener('abort', onAbort);
      readAbort?.abort();
      readAbort = undefined;
      fn();
    };
    const result = (timedOut: boolean): AwaitResult => {
      const out: AwaitResult = {
        conversationId,
        state: last?.state ?? 'unknown',
        waitedMs: Date.now() - started,
        polls,
        timedOut,
      };
      if (participantId !== undefined) out.participantId = participantId;
      if (last?.disconnectType !== undefined) out.disconnectType = last.disconnectType;
      if (last?.endedAt !== undefined) out.endedAt = last.endedAt;
      if (timedOut && lastError) out.lastError = lastError.toMsgError();
      return out;
    };
    const onAbort = () => finish(() => reject(new GenesysError('cancelled', 'cancelled')), true);
    const timeOut = () => finish(() => resolve(result(true)));

    const poll = () => {
      timer = undefined;
      if (settled) return;
      readAbort = new AbortController();
      const ctrl = readAbort;
      // One timer at a time: while a read is in flight it is the deadline (a read slowed by the rate
      // limiter must not outlive the wait by much); the grace lets the last poll, at the deadline, answer.
      timer = setTimeout(() => {
        deadlinePassed = true;
        ctrl.abort();
      }, Math.max(0, deadline - Date.now()) + READ_GRACE_MS);
      polls++;
      reader.read(conversationId, { signal: ctrl.signal, priority, booking }).then(
        (read) => {
          if (settled) return;
          clearTimeout(timer);
          timer = undefined;
          readAbort = undefined;
          try {
            last = inspect(read, conversationId, participantId);
          } catch (err) {
            finish(() => reject(err));
            return;
          }
          lastError = undefined;
          if (last.done) finish(() => resolve(result(false)));
          else next();
        },
        (err: unknown) => {
          if (settled) return;
          clearTimeout(timer);
          timer = undefined;
          readAbort = undefined;
          if (deadlinePassed) return timeOut();
          if (!(err instanceof GenesysError) || DEFINITE.has(err.code) || err.code === 'cancelled') {
            finish(() => reject(err));
            return;
          }
          lastError = err;
          next();
        },
      );
    };

    /** Schedules the next poll, or times out. When the deadline comes first, the last poll is at the deadline. */
    const next = () => {
      const now = Date.now();
      if (now >= deadline) {
        timeOut();
        return;
      }
      delay = nextPollDelay(delay, now - started);
      const wait = Math.min(delay, deadline - now);
      onProgress?.({ polls, state: last?.state, nextPollMs: wait });
      timer = setTimeout(poll, wait);
    };

    signal?.addEventListener('abort', onAbort, { once: true });
    const first = Math.min(options.firstPollDelayMs ?? 0, timeoutMs);
    if (first > 0) timer = setTimeout(poll, first);
    else poll();
  });
}
