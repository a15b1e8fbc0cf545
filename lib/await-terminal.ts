// Wait until a participant (or, without participantId, the whole conversation) has ended, by polling the
// conversation through the shared reader (design 2.5). Cheap enough for 10,000 concurrent waits: each holds
// at most one timer and one abort listener, both released the moment it settles.
import type { ConversationReader, ReadResult } from './conversation-reader';
import { GenesysError } from './errors';
import { requireId, optionalId } from './validate';

export interface AwaitOptions {
  conversationId: string;
  participantId?: string;
  timeoutMs: number;
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
}

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
    participantId = optionalId(options.participantId, 'participantId');
    if (typeof options.timeoutMs !== 'number' || !Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new GenesysError('invalid-input', `timeoutMs: must be a positive number of milliseconds, got ${String(options.timeoutMs)}`, { field: 'timeoutMs' });
    }
  } catch (err) {
    return Promise.reject(err);
  }
  const { signal, onProgress, timeoutMs } = options;
  if (signal?.aborted) return Promise.reject(new GenesysError('cancelled', 'cancelled'));

  const started = Date.now();
  const deadline = started + timeoutMs;

  return new Promise<AwaitResult>((resolve, reject) => {
    let polls = 0;
    let last: Seen | undefined;
    let delay: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    // Aborts the read in flight, on the caller's abort or when the deadline passes mid-read.
    let readAbort: AbortController | undefined;
    let deadlinePassed = false;

    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      signal?.removeEventListener('abort', onAbort);
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
      return out;
    };
    const onAbort = () => finish(() => reject(new GenesysError('cancelled', 'cancelled')));
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
      reader.read(conversationId, { signal: ctrl.signal }).then(
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
          if (last.done) {
            finish(() => resolve(result(false)));
            return;
          }
          const now = Date.now();
          if (now >= deadline) {
            timeOut();
            return;
          }
          delay = nextPollDelay(delay, now - started);
          const wait = Math.min(delay, deadline - now);
          onProgress?.({ polls, state: last.state, nextPollMs: wait });
          // When the deadline comes before the next poll, the last poll is the one at the deadline.
          timer = setTimeout(poll, wait);
        },
        (err: unknown) => {
          if (settled) return;
          if (deadlinePassed) timeOut();
          else finish(() => reject(err));
        },
      );
    };

    signal?.addEventListener('abort', onAbort, { once: true });
    poll();
  });
}
