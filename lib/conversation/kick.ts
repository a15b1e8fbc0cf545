// The kick (docs/architecture.md 2.4): remove exactly one participant from a live conversation, safely.
// resolve (fresh read, select, never guess) -> guard (refuse-customer, keep-call-alive) -> PATCH
// .../participants/{pid} {"state":"disconnected"} -> classify -> optionally confirm. The decision and the PATCH
// run one kick at a time per conversation (KickLedger), so the guards hold for the conversation as a whole.
// Only that per-participant PATCH is ever sent: no endpoint that ends the call for everyone.
import { cancelled } from '../platform/abort';
import { awaitTerminal, watchLeg } from './await-terminal';
import type { LegWatch } from './leg-events';
import type { GenesysClient, WaitInfo } from '../platform/client';
import type { ConversationReader, ReadResult } from './conversation-reader';
import { GenesysError, invalidInput } from '../platform/errors';
import type { KickLedger } from './kick-ledger';
import type { Booking } from '../platform/rate-limiter';
import { selectTarget, type NormalisedParticipant } from './participants';
import { parseFlag, parseFlags, parseNumber } from '../platform/options';
import { optionalId, parseSelector, requireId, TIMEOUT_SECONDS, type TargetSelector } from './validate';

export type KickPhase = 'resolving' | 'disconnecting' | 'confirming' | 'waiting';

/** What a kick needs of its config: the client, the shared reader, and the config's one ledger. */
export interface KickContext {
  client: GenesysClient;
  reader: ConversationReader;
  ledger: KickLedger;
}

export interface KickOptions {
  conversationId: string;
  participantId?: string;
  selector?: TargetSelector;
  refuseCustomer?: boolean;
  keepCallAlive?: boolean;
  dryRun?: boolean;
  confirm?: boolean;
  /** Counted from Genesys' 202, not from when the kick started (default 30 s). */
  confirmTimeoutMs?: number;
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
  confirmed?: { state: string; endedAt?: string; polls: number; via: 'push' | 'poll'; pushUnavailable?: string };
}

/** Purposes the refuse-customer guard protects (compared trimmed, in lower case). */
export const CUSTOMER_PURPOSES: ReadonlySet<string> = new Set(['customer', 'external']);
/** How many times a 409 ("the state moved") leads to a re-read and a new decision before giving up. */
export const MAX_CONFLICT_REDECISIONS = 3;
/**
 * Confirm's first read waits this long after the 202: a leg takes a moment to end (the simulator: 200 ms; the
 * real platform: a few hundred ms), and a read sent at once only shows it still connected.
 */
export const CONFIRM_FIRST_READ_MS = 500;
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
  body: { state: 'disconnected'; wrapup?: { code: string; notes?: string } };
}

/** The kick's defaults; the disconnect node and its editor read them from here. confirmTimeout is in seconds. */
export const KICK_DEFAULTS = {
  refuseCustomer: true,
  keepCallAlive: true,
  dryRun: false,
  confirm: false,
  confirmTimeout: 30,
} as const;

/** The kick's settings as a node holds them (the same for every msg). */
export interface KickSettings {
  refuseCustomer: boolean;
  keepCallAlive: boolean;
  dryRun: boolean;
  confirm: boolean;
  /** Set when confirm is on. */
  confirmTimeoutMs?: number;
}

const KICK_FLAGS = {
  refuseCustomer: KICK_DEFAULTS.refuseCustomer,
  keepCallAlive: KICK_DEFAULTS.keepCallAlive,
  dryRun: KICK_DEFAULTS.dryRun,
  confirm: KICK_DEFAULTS.confirm,
};

/**
 * The kick's settings from a flow file (flags as booleans or "true"/"false", confirmTimeout in seconds, maybe
 * as text). Safety options fail closed: a bad value is an 'invalid-input' naming it, never "off". The timeout
 * is only read when confirm is on.
 */
export function parseKickOptions(raw: Record<string, unknown>): KickSettings {
  const flags = parseFlags(raw, KICK_FLAGS);
  if (!flags.confirm) return flags;
  const seconds = parseNumber(raw.confirmTimeout ?? KICK_DEFAULTS.confirmTimeout, 'confirmTimeout', TIMEOUT_SECONDS);
  return { ...flags, confirmTimeoutMs: seconds * 1000 };
}

/** A time option given in code: milliseconds > 0. */
const POSITIVE_MS = { min: 0, above: true, unit: 'milliseconds' };

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
  // Each flag read by name (not parseFlags' loop over the keys): validation runs on every kick.
  return {
    conversationId,
    participantId,
    selector,
    refuseCustomer: parseFlag(o.refuseCustomer, 'refuseCustomer', KICK_DEFAULTS.refuseCustomer),
    keepCallAlive: parseFlag(o.keepCallAlive, 'keepCallAlive', KICK_DEFAULTS.keepCallAlive),
    dryRun: parseFlag(o.dryRun, 'dryRun', KICK_DEFAULTS.dryRun),
    confirm: parseFlag(o.confirm, 'confirm', KICK_DEFAULTS.confirm),
    confirmTimeoutMs:
      o.confirmTimeoutMs === undefined || o.confirmTimeoutMs === null
        ? KICK_DEFAULTS.confirmTimeout * 1000
        : parseNumber(o.confirmTimeoutMs, 'confirmTimeoutMs', POSITIVE_MS),
    body,
  };
}

/** What the guards decide about one read. */
type Decision = { kind: 'already-disconnected' | 'act'; target: NormalisedParticipant };

const purposeOf = (p: NormalisedParticipant): string => (p.purpose ?? '').trim().toLowerCase();

/**
 * Select and guard against one read. Throws the refusals (nothing has been sent). `gone`: legs whose disconnect
 * Genesys accepted moments ago (they count as ended although the read may still show them connected). Once a
 * selector has resolved to a leg, later decisions (after a 409) are about that leg: `pinnedId`.
 */
function decide(v: Validated, read: ReadResult, gone: Set<string>, pinnedId?: string): Decision {
  const participants = gone.size === 0 ? read.participants : read.participants.map((p) => (gone.has(p.id.toLowerCase()) ? { ...p, live: false } : p));
  const by = pinnedId ? { participantId: pinnedId } : { participantId: v.participantId, selector: v.selector };
  const target = selectTarget(participants, by, v.conversationId);
  if (!target.live) return { kind: 'already-disconnected', target };
  if (v.refuseCustomer && CUSTOMER_PURPOSES.has(purposeOf(target))) {
    throw new GenesysError(
      'refuse-customer',
      `participant ${target.id} is the ${target.purpose} leg: refusing to disconnect it (switch off "refuse customer" to allow)`,
      { correlationId: read.correlationId },
    );
  }
  if (v.keepCallAlive) {
    // Only connected legs keep a call alive: a ringing leg may never answer (held/muted are flags on a connected leg).
    const remaining = participants.filter((p) => p.id !== target.id && p.live && p.state === 'connected');
    if (remaining.length < 2) {
      throw new GenesysError(
        'keep-call-alive',
        `disconnecting participant ${target.id} would leave ${remaining.length} connected participant(s): refusing ` +
          '(switch off "keep call alive" to allow)',
        { correlationId: read.correlationId },
      );
    }
  }
  return { kind: 'act', target };
}

function summary(p: NormalisedParticipant): NonNullable<KickResult['participant']> {
  const out: NonNullable<KickResult['participant']> = { state: p.state };
  if (p.purpose !== undefined) out.purpose = p.purpose;
  if (p.name !== undefined) out.name = p.name;
  if (p.userId !== undefined) out.userId = p.userId;
  return out;
}

type PatchAnswer =
  { kind: 'accepted'; correlationId?: string } | { kind: 'refused'; error: GenesysError } | { kind: 'conflict'; error: GenesysError };

/** What the serialised part of a kick ends with: a final result, or a 202 still to confirm. */
type Decided =
  | { kind: 'final'; result: KickResult }
  | { kind: 'accepted'; participantId: string; correlationId?: string; target?: NormalisedParticipant; at: number };

export async function kickParticipant(ctx: KickContext, options: KickOptions): Promise<KickResult> {
  const started = Date.now();
  const v = validate(options);
  const { signal, onProgress } = options;
  if (signal?.aborted) throw cancelled(signal);
  /** Waits reported so far: a phase is not shown over a wait reported while its request was being started. */
  let waitsShown = 0;
  // A wait of 0 ms (a token grant about to start) is not worth a status change.
  const onWait = (info: WaitInfo) => {
    if (info.ms <= 0) return;
    waitsShown++;
    onProgress?.('waiting', { waitMs: info.ms });
  };
  let attempts = 0;
  /** Set once a PATCH has left for Genesys: from then on a cancel cannot promise that nothing happened. */
  let sentTo: string | undefined;
  let acceptedBy202 = false;
  /** The kick's requests booked together in the rate limit, so that once it starts it can finish. */
  let booking: Booking | undefined;
  /** Confirm with push: the leg's topic, subscribed before the PATCH (so its end event cannot come first). */
  let watch: LegWatch | undefined;

  const done = (participantId: string, outcome: KickOutcome, extra: Partial<KickResult> = {}): KickResult => {
    const out: KickResult = { conversationId: v.conversationId, participantId, outcome, attempts, durationMs: Date.now() - started };
    // Only defined fields (no correlationId: undefined on the msg); set, not deleted (a delete turns the
    // result into a slow dictionary object).
    if (extra.correlationId !== undefined) out.correlationId = extra.correlationId;
    if (extra.participant !== undefined) out.participant = extra.participant;
    if (extra.request !== undefined) out.request = extra.request;
    if (extra.confirmed !== undefined) out.confirmed = extra.confirmed;
    return out;
  };

  // The conversation id and the msg's participant id are validated UUIDs; an id from a read is Genesys' text: encoded.
  const path = (pid: string) => `/api/v2/conversations/${v.conversationId}/participants/${pid === v.participantId ? pid : encodeURIComponent(pid)}`;

  const patch = async (pid: string, target?: NormalisedParticipant): Promise<PatchAnswer> => {
    if (v.confirm && watch?.participantId !== pid) {
      watch?.release();
      watch = await watchLeg(ctx.reader, v.conversationId, pid, target, signal);
    }
    try {
      const res = await ctx.client.request({
        method: 'PATCH',
        path: path(pid),
        body: v.body,
        signal,
        onWait,
        // The phase is shown once the PATCH is on its way (after any wait): the status overlaps the round trip.
        onSend: () => {
          sentTo = pid;
          onProgress?.('disconnecting');
        },
        booking,
        // The decision was just made on a fresh read: act on it before new work takes the budget.
        priority: 'high',
      });
      attempts += res.attempts;
      return { kind: 'accepted', correlationId: res.correlationId };
    } catch (err) {
      // 4xx answers are not retried by the client: one request went out.
      if (err instanceof GenesysError && err.status !== undefined) attempts += 1;
      if (!(err instanceof GenesysError) || err.code !== 'genesys-error') throw err;
      // Which 400 an ended leg gets depends on the path (docs/platform.md section 5: the generic path lists
      // participant.no.active.conversations, the calls path call.disconnected): never trust one code string.
      if (err.status === 400 && err.genesysCode?.startsWith('conversation.error.')) return { kind: 'refused', error: err };
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

  /** After a 400 conversation.error.*: a fresh read tells whether the leg has ended (the goal is met) or not. */
  const refused = async (pid: string, error: GenesysError): Promise<Decided> => {
    onProgress?.('resolving');
    const read = await ctx.reader.read(v.conversationId, { signal, onWait, fresh: true, priority: 'high' });
    const now = read.participants.find((p) => p.id.toLowerCase() === pid.toLowerCase());
    if (now && !now.live) {
      return { kind: 'final', result: done(pid, 'already-disconnected', { correlationId: error.correlationId, participant: summary(now) }) };
    }
    throw error;
  };

  const accept = (pid: string, correlationId: string | undefined, target?: NormalisedParticipant): Decided => {
    ctx.ledger.markAccepted(v.conversationId, pid);
    acceptedBy202 = true;
    return { kind: 'accepted', participantId: pid, correlationId, target, at: Date.now() };
  };

  /** Decide and act, with no other kick of this conversation (through this config) deciding meanwhile. */
  const decideAndAct = async (): Promise<Decided> => {
    let conflicts = 0;
    // Fast path: an exact id and no guard asks for nothing a read would tell us; the PATCH alone decides.
    const fast = !!v.participantId && !v.refuseCustomer && !v.keepCallAlive && !v.dryRun;
    // Read (unless fast) + PATCH (unless dry run) + the first confirm read, booked together.
    const requests = (fast ? 0 : 1) + (v.dryRun ? 0 : 1) + (v.confirm && !v.dryRun ? 1 : 0);
    if (requests > 1) booking = await ctx.client.book(requests, signal, onWait);
    if (fast && v.participantId) {
      const answer = await patch(v.participantId);
      if (answer.kind === 'accepted') return accept(v.participantId, answer.correlationId);
      if (answer.kind === 'refused') return refused(v.participantId, answer.error);
      conflicts++; // a 409: fall through to a fresh read and a new decision
    }

    let pinnedId: string | undefined;
    for (;;) {
      // After a 409, do not join a GET that may have left before the state moved; it finishes work begun.
      const again = conflicts > 0;
      const waitsBefore = waitsShown;
      const reading = ctx.reader.read(v.conversationId, { signal, onWait, fresh: again, priority: again ? 'high' : 'normal', booking });
      // The GET is on its way unless it reported a wait: the phase is shown while it travels, not before it.
      if (waitsShown === waitsBefore) onProgress?.('resolving');
      const read = await reading;
      const live = new Set(read.participants.filter((p) => p.live).map((p) => p.id.toLowerCase()));
      const gone = ctx.ledger.acceptedLegs(v.conversationId, (id) => live.has(id));
      const decision = decide(v, read, gone, pinnedId);
      const target = decision.target;
      pinnedId = target.id;

      if (decision.kind === 'already-disconnected') {
        return {
          kind: 'final',
          result: done(target.id, 'already-disconnected', { correlationId: read.correlationId, participant: summary(target) }),
        };
      }
      if (v.dryRun) {
        return {
          kind: 'final',
          result: done(target.id, 'dry-run', {
            correlationId: read.correlationId,
            participant: summary(target),
            request: { method: 'PATCH', path: path(target.id), body: structuredClone(v.body) },
          }),
        };
      }
      // A ringing target is disconnected at once: the same PATCH cancels the invitation (docs/platform.md section 4).
      const answer = await patch(target.id, target);
      if (answer.kind === 'accepted') return accept(target.id, answer.correlationId, target);
      if (answer.kind === 'refused') return refused(target.id, answer.error);
      conflicts++;
      if (conflicts > MAX_CONFLICT_REDECISIONS) {
        throw new GenesysError(
          'genesys-error',
          `Genesys answered 409 (conflict) ${conflicts} times for participant ${target.id}: the conversation keeps changing, giving up`,
          { status: 409, genesysCode: answer.error.genesysCode, correlationId: answer.error.correlationId, cause: answer.error },
        );
      }
    }
  };

  try {
    const decided = await ctx.ledger.exclusive(v.conversationId, signal, decideAndAct);
    if (decided.kind === 'final') return decided.result;
    const { participantId: pid, correlationId, target } = decided;
    const extra: Partial<KickResult> = { correlationId };
    if (target) extra.participant = summary(target);
    if (v.confirm) {
      onProgress?.('confirming');
      // The timeout counts from the 202; the reads go before new work waiting for the rate limit.
      const waited = await awaitTerminal(ctx.reader, {
        conversationId: v.conversationId,
        participantId: pid,
        timeoutMs: Math.max(1, v.confirmTimeoutMs - (Date.now() - decided.at)),
        firstPollDelayMs: CONFIRM_FIRST_READ_MS,
        priority: 'high',
        booking,
        signal,
        watch,
      });
      if (waited.timedOut) {
        throw new GenesysError(
          'timeout',
          `Genesys accepted the disconnect of ${pid} but the leg was still ${waited.state} ${v.confirmTimeoutMs} ms later`,
          { correlationId },
        );
      }
      extra.confirmed = { state: waited.state, polls: waited.polls, via: waited.via };
      if (waited.pushUnavailable !== undefined) extra.confirmed.pushUnavailable = waited.pushUnavailable;
      if (waited.endedAt !== undefined) extra.confirmed.endedAt = waited.endedAt;
    }
    return done(pid, 'disconnected', extra);
  } catch (err) {
    if (err instanceof GenesysError && err.code === 'cancelled' && sentTo !== undefined) {
      throw new GenesysError(
        'cancelled',
        acceptedBy202
          ? `cancelled while confirming: Genesys had already accepted the disconnect of participant ${sentTo} (202)`
          : `cancelled after the disconnect of participant ${sentTo} was sent: Genesys may have carried it out`,
        { sent: true, cause: err },
      );
    }
    throw err;
  } finally {
    booking?.release();
    watch?.release();
  }
}
