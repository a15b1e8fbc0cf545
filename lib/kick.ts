// The kick (design 2.4): remove exactly one participant from a live conversation, safely.
// resolve (fresh read, select, never guess) -> guard (refuse-customer, keep-call-alive) -> wait while the leg
// rings -> PATCH .../participants/{pid} {"state":"disconnected"} -> classify -> optionally confirm.
// Only that per-participant PATCH is ever sent: no endpoint that ends the call for everyone.
import { awaitTerminal } from './await-terminal';
import type { GenesysClient, WaitInfo } from './client';
import type { ConversationReader, ReadResult } from './conversation-reader';
import { GenesysError, invalidInput } from './errors';
import { selectTarget, TRANSITIONAL_STATES, type NormalisedParticipant } from './participants';
import { optionalId, parseSelector, requireId, type TargetSelector } from './validate';

export type KickPhase = 'resolving' | 'waiting for leg' | 'disconnecting' | 'confirming' | 'waiting';

export interface KickOptions {
  conversationId: string;
  participantId?: string;
  selector?: TargetSelector;
  refuseCustomer?: boolean;
  keepCallAlive?: boolean;
  dryRun?: boolean;
  confirm?: boolean;
  confirmTimeoutMs?: number;
  ringingTimeoutMs?: number;
  wrapup?: { code: string; notes?: string };
  signal?: AbortSignal;
  onProgress?: (phase: KickPhase, detail?: { waitMs?: number }) => void;
}

export type KickOutcome = 'disconnected' | 'already-disconnected' | 'dry-run';

export interface KickResult {
  conversationId: string;
  participantId: string;
  outcome: KickOutcome;
  attempts: number;
  durationMs: number;
  correlationId?: string;
  participant?: { purpose?: string; name?: string; userId?: string; state: string };
  request?: { method: 'PATCH'; path: string; body: unknown };
  confirmed?: { state: string; endedAt?: string; polls: number };
}

/** Purposes the refuse-customer guard protects. */
export const CUSTOMER_PURPOSES: ReadonlySet<string> = new Set(['customer', 'external']);
/** How many times a 409 ("the state moved") leads to a re-read and a new decision before giving up. */
export const MAX_CONFLICT_REDECISIONS = 3;
/** Poll interval while waiting for a ringing target to answer or give up. */
export const RINGING_POLL_MS = 500;
const ALREADY_DISCONNECTED = 'conversation.error.call.disconnected';
const MAX_WRAPUP_NOTES = 1_000;

interface Validated {
  conversationId: string;
  participantId?: string;
  selector?: TargetSelector;
  refuseCustomer: boolean;
  keepCallAlive: boolean;
  dryRun: boolean;
  confirm: boolean;
  confirmTimeoutMs: number;
  ringingTimeoutMs: number;
  body: { state: 'disconnected'; wrapup?: { code: string; notes?: string } };
}

function positiveMs(value: unknown, field: string, dflt: number): number {
  if (value === undefined || value === null) return dflt;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidInput(field, `must be a positive number of milliseconds, got ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}

function flag(value: unknown, field: string, dflt: boolean): boolean {
  if (value === undefined || value === null) return dflt;
  if (typeof value !== 'boolean') throw invalidInput(field, `must be true or false, got ${typeof value}`);
  return value;
}

function validate(o: KickOptions): Validated {
  if (o === null || typeof o !== 'object') throw invalidInput('options', 'must be an object');
  const conversationId = requireId(o.conversationId, 'conversationId');
  const participantId = optionalId(o.participantId, 'participantId');
  const selector = parseSelector(o.selector, 'target');
  if (participantId && selector) {
    throw invalidInput('target', 'give either a participantId or a target selector, not both');
  }
  if (!participantId && !selector) {
    throw invalidInput('participantId', 'is empty and there is no target selector (e.g. { "userId": "..." })');
  }
  const body: Validated['body'] = { state: 'disconnected' };
  if (o.wrapup !== undefined && o.wrapup !== null) {
    if (typeof o.wrapup !== 'object') throw invalidInput('wrapup', 'must be { code, notes? }');
    const code = requireId(o.wrapup.code, 'wrapupCode');
    const notes = o.wrapup.notes;
    if (notes !== undefined && notes !== null && typeof notes !== 'string') throw invalidInput('wrapupNotes', 'must be text');
    if (typeof notes === 'string' && notes.length > MAX_WRAPUP_NOTES) {
      throw invalidInput('wrapupNotes', `must be at most ${MAX_WRAPUP_NOTES} characters`);
    }
    body.wrapup = notes ? { code, notes } : { code };
  }
  return {
    conversationId,
    participantId,
    selector,
    refuseCustomer: flag(o.refuseCustomer, 'refuseCustomer', true),
    keepCallAlive: flag(o.keepCallAlive, 'keepCallAlive', true),
    dryRun: flag(o.dryRun, 'dryRun', false),
    confirm: flag(o.confirm, 'confirm', false),
    confirmTimeoutMs: positiveMs(o.confirmTimeoutMs, 'confirmTimeoutMs', 30_000),
    ringingTimeoutMs: positiveMs(o.ringingTimeoutMs, 'ringingTimeoutMs', 30_000),
    body,
  };
}

/** What the guards and the ringing wait decide about one fresh read. */
type Decision =
  | { kind: 'already-disconnected'; target: NormalisedParticipant }
  | { kind: 'ringing'; target: NormalisedParticipant }
  | { kind: 'act'; target: NormalisedParticipant };

/**
 * Select and guard against one read. Throws the refusals (nothing has been sent). Once a selector has
 * resolved to a leg, later decisions (while it rings, after a 409) are about that leg: `pinnedId`.
 */
function decide(v: Validated, read: ReadResult, pinnedId?: string): Decision {
  const by = pinnedId ? { participantId: pinnedId } : { participantId: v.participantId, selector: v.selector };
  const target = selectTarget(read.participants, by, v.conversationId);
  if (!target.live) return { kind: 'already-disconnected', target };
  if (v.refuseCustomer && CUSTOMER_PURPOSES.has((target.purpose ?? '').toLowerCase())) {
    throw new GenesysError(
      'refuse-customer',
      `participant ${target.id} is the ${target.purpose} leg: refusing to disconnect it (switch off "refuse customer" to allow)`,
      { correlationId: read.correlationId },
    );
  }
  if (v.keepCallAlive) {
    // Only answered legs count as staying: a leg that is still ringing may never connect.
    const remaining = read.participants.filter((p) => p.id !== target.id && p.live && !TRANSITIONAL_STATES.has(p.state));
    if (remaining.length < 2) {
      throw new GenesysError(
        'keep-call-alive',
        `disconnecting participant ${target.id} would leave ${remaining.length} connected participant(s): refusing ` +
          '(switch off "keep call alive" to allow)',
        { correlationId: read.correlationId },
      );
    }
  }
  if (TRANSITIONAL_STATES.has(target.state)) return { kind: 'ringing', target };
  return { kind: 'act', target };
}

function cancelled(): GenesysError {
  return new GenesysError('cancelled', 'cancelled');
}

/** A sleep that an abort ends at once (rejecting 'cancelled'), leaving no timer or listener behind. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function summary(p: NormalisedParticipant): NonNullable<KickResult['participant']> {
  const out: NonNullable<KickResult['participant']> = { state: p.state };
  if (p.purpose !== undefined) out.purpose = p.purpose;
  if (p.name !== undefined) out.name = p.name;
  if (p.userId !== undefined) out.userId = p.userId;
  return out;
}

type PatchAnswer =
  | { kind: 'accepted'; correlationId?: string }
  | { kind: 'already-disconnected'; correlationId?: string }
  | { kind: 'conflict'; error: GenesysError };

export async function kickParticipant(
  ctx: { client: GenesysClient; reader: ConversationReader },
  options: KickOptions,
): Promise<KickResult> {
  const started = Date.now();
  const v = validate(options);
  const { signal, onProgress } = options;
  if (signal?.aborted) throw cancelled();
  // A wait of 0 ms (a token grant about to start) is not worth a status change.
  const onWait = (info: WaitInfo) => {
    if (info.ms > 0) onProgress?.('waiting', { waitMs: info.ms });
  };
  let attempts = 0;

  const done = (participantId: string, outcome: KickOutcome, extra: Partial<KickResult> = {}): KickResult => {
    const out: KickResult = { conversationId: v.conversationId, participantId, outcome, attempts, durationMs: 0, ...extra };
    if (out.correlationId === undefined) delete out.correlationId;
    out.durationMs = Date.now() - started;
    return out;
  };

  const path = (pid: string) =>
    `/api/v2/conversations/${encodeURIComponent(v.conversationId)}/participants/${encodeURIComponent(pid)}`;

  const patch = async (pid: string): Promise<PatchAnswer> => {
    onProgress?.('disconnecting');
    try {
      const res = await ctx.client.request({ method: 'PATCH', path: path(pid), body: v.body, signal, onWait });
      attempts += res.attempts;
      return { kind: 'accepted', correlationId: res.correlationId };
    } catch (err) {
      // 4xx answers are not retried by the client: one request went out.
      if (err instanceof GenesysError && err.status !== undefined) attempts += 1;
      if (!(err instanceof GenesysError) || err.code !== 'genesys-error') throw err;
      if (err.status === 400 && err.genesysCode === ALREADY_DISCONNECTED) {
        return { kind: 'already-disconnected', correlationId: err.correlationId };
      }
      if (err.status === 404) {
        throw new GenesysError('target-not-found', `participant ${pid} or conversation ${v.conversationId} was not found`, {
          status: 404,
          genesysCode: err.genesysCode,
          correlationId: err.correlationId,
          cause: err,
        });
      }
      if (err.status === 409) return { kind: 'conflict', error: err };
      throw err;
    }
  };

  /** After a 202: confirm (if asked) and build the result. */
  const accepted = async (pid: string, correlationId: string | undefined, target?: NormalisedParticipant): Promise<KickResult> => {
    const extra: Partial<KickResult> = { correlationId };
    if (target) extra.participant = summary(target);
    if (v.confirm) {
      onProgress?.('confirming');
      const waited = await awaitTerminal(ctx.reader, {
        conversationId: v.conversationId,
        participantId: pid,
        timeoutMs: v.confirmTimeoutMs,
        signal,
      });
      if (waited.timedOut) {
        throw new GenesysError(
          'timeout',
          `Genesys accepted the disconnect of ${pid} but the leg was still ${waited.state} after ${v.confirmTimeoutMs} ms`,
          { correlationId },
        );
      }
      extra.confirmed = { state: waited.state, polls: waited.polls };
      if (waited.endedAt !== undefined) extra.confirmed.endedAt = waited.endedAt;
    }
    return done(pid, 'disconnected', extra);
  };

  // Fast path: an exact id and no guard asks for nothing a read would tell us; the PATCH alone decides.
  let conflicts = 0;
  if (v.participantId && !v.refuseCustomer && !v.keepCallAlive && !v.dryRun) {
    const answer = await patch(v.participantId);
    if (answer.kind === 'accepted') return accepted(v.participantId, answer.correlationId);
    if (answer.kind === 'already-disconnected') {
      return done(v.participantId, 'already-disconnected', { correlationId: answer.correlationId });
    }
    conflicts++; // a 409: fall through to a fresh read and a new decision
  }

  let pinnedId: string | undefined;
  for (;;) {
    onProgress?.('resolving');
    // After a 409, do not join a GET that may have left before the state moved.
    let read = await ctx.reader.read(v.conversationId, { signal, onWait, fresh: conflicts > 0 });
    let decision = decide(v, read, pinnedId);
    pinnedId = decision.target.id;

    if (decision.kind === 'ringing' && !v.dryRun) {
      // Wait (bounded) for the leg to answer or to give up; re-decide on every read, the guards included.
      const ringingDeadline = Date.now() + v.ringingTimeoutMs;
      while (decision.kind === 'ringing') {
        const left = ringingDeadline - Date.now();
        if (left <= 0) {
          throw new GenesysError(
            'timeout',
            `participant ${decision.target.id} was still ${decision.target.state} after ${v.ringingTimeoutMs} ms: not disconnected`,
            { correlationId: read.correlationId },
          );
        }
        onProgress?.('waiting for leg', { waitMs: left });
        await sleep(Math.min(RINGING_POLL_MS, left), signal);
        read = await ctx.reader.read(v.conversationId, { signal, onWait });
        decision = decide(v, read, pinnedId);
      }
    }

    const target = decision.target;
    if (decision.kind === 'already-disconnected') {
      return done(target.id, 'already-disconnected', { correlationId: read.correlationId, participant: summary(target) });
    }
    if (v.dryRun) {
      return done(target.id, 'dry-run', {
        correlationId: read.correlationId,
        participant: summary(target),
        request: { method: 'PATCH', path: path(target.id), body: structuredClone(v.body) },
      });
    }

    const answer = await patch(target.id);
    if (answer.kind === 'accepted') return accepted(target.id, answer.correlationId, target);
    if (answer.kind === 'already-disconnected') {
      return done(target.id, 'already-disconnected', { correlationId: answer.correlationId, participant: summary(target) });
    }
    conflicts++;
    if (conflicts > MAX_CONFLICT_REDECISIONS) {
      throw new GenesysError(
        'genesys-error',
        `Genesys answered 409 (conflict) ${conflicts} times for participant ${target.id}: the conversation keeps changing, giving up`,
        { status: 409, genesysCode: answer.error.genesysCode, correlationId: answer.error.correlationId, cause: answer.error },
      );
    }
  }
}
