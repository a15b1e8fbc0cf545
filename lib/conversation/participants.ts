// The participant model (docs/architecture.md 2.3): Genesys keeps state on each communication (calls[], chats[]...),
// not on the participant. We derive one state per participant: live if ANY communication is live, terminal
// only when all are terminal (or the participant's endTime is set). Selection never guesses: terminal legs
// are skipped for selectors, and two live matches are an error listing both.
import { GenesysError, type GenesysErrorDetails } from '../platform/errors';
import { MEDIA_ARRAYS, type Communication, type Conversation, type MediaArray, type Participant } from './schemas';
import type { TargetSelector } from './validate';

export type LegState = string;

export const TERMINAL_STATES: ReadonlySet<string> = new Set(['disconnected', 'terminated']);
export const TRANSITIONAL_STATES: ReadonlySet<string> = new Set(['alerting', 'dialing', 'contacting', 'offering']);

export interface NormalisedParticipant {
  id: string;
  purpose?: string;
  name?: string;
  userId?: string;
  queueId?: string;
  externalContactId?: string;
  address?: string;
  /** 'call' | 'callback' | 'chat' | 'email' | 'message' | 'video' | 'screenshare' | 'cobrowse' | 'socialExpression' */
  mediaType?: string;
  /** Derived: the state of the participant's representative communication (see normaliseParticipants). */
  state: string;
  communicationId?: string;
  held: boolean;
  muted: boolean;
  confined: boolean;
  wrapupRequired: boolean;
  startTime?: string;
  connectedTime?: string;
  endTime?: string;
  disconnectType?: string;
  live: boolean;
}

const MEDIA_TYPE: Record<MediaArray, string> = {
  calls: 'call',
  callbacks: 'callback',
  chats: 'chat',
  emails: 'email',
  messages: 'message',
  videos: 'video',
  screenshares: 'screenshare',
  cobrowsesessions: 'cobrowse',
  socialExpressions: 'socialExpression',
};

/** A communication counts as live when it has a state that is neither terminal nor 'none'. */
function commIsLive(c: Communication): boolean {
  return !!c.state && c.state !== 'none' && !TERMINAL_STATES.has(c.state);
}

/** connected first (the leg that matters), then any other live state (ringing, parked...). */
function liveRank(c: Communication): number {
  return c.state === 'connected' ? 0 : TRANSITIONAL_STATES.has(c.state ?? '') ? 2 : 1;
}

export function normaliseParticipants(conversation: Conversation): NormalisedParticipant[] {
  const conversationEnded = !!conversation.endTime;
  return (conversation.participants ?? []).map((p) => normalise(p, conversationEnded));
}

/**
 * One participant, in one pass over its communications (this runs on every read of every kick and poll: no
 * intermediate lists). The representative communication: the best live one (connected first, then any other
 * live state, the first listed among equals); with none live, the last to end (latest disconnectedTime, else
 * the last listed).
 */
function normalise(p: Participant, conversationEnded: boolean): NormalisedParticipant {
  const ended = conversationEnded || !!p.endTime;
  let live: { media: MediaArray; comm: Communication } | undefined;
  let liveRankOf = 3;
  let last: { media: MediaArray; comm: Communication } | undefined;
  for (const media of MEDIA_ARRAYS) {
    const list = p[media];
    if (!list) continue;
    for (const comm of list) {
      if (!ended && commIsLive(comm)) {
        const rank = liveRank(comm);
        if (rank < liveRankOf) {
          live = { media, comm };
          liveRankOf = rank;
        }
      }
      if (!last || (comm.disconnectedTime ?? '') >= (last.comm.disconnectedTime ?? '')) last = { media, comm };
    }
  }
  const chosen = live ?? last;
  let state: string;
  if (live) state = live.comm.state as string;
  else {
    const s = last?.comm.state;
    if (s && TERMINAL_STATES.has(s)) state = s;
    else if (ended)
      state = 'disconnected'; // endTime set although a communication still says otherwise
    else state = s ?? 'none';
  }
  const isLive = live !== undefined;
  // Only defined fields (the list is put on msg.payload as it is), in this key order: what the Debug sidebar's
  // one-line preview shows first is who (name, purpose), then the rest.
  const out = {} as NormalisedParticipant;
  if (p.name !== undefined) out.name = p.name;
  if (p.purpose !== undefined) out.purpose = p.purpose;
  out.id = p.id;
  out.state = state;
  out.held = !!chosen?.comm.held;
  out.muted = !!chosen?.comm.muted;
  out.confined = !!chosen?.comm.confined;
  out.wrapupRequired = !!p.wrapupRequired;
  out.live = isLive;
  if (p.userId !== undefined) out.userId = p.userId;
  if (p.queueId !== undefined) out.queueId = p.queueId;
  if (p.externalContactId !== undefined) out.externalContactId = p.externalContactId;
  if (p.address !== undefined) out.address = p.address;
  if (chosen) out.mediaType = MEDIA_TYPE[chosen.media];
  const communicationId = chosen?.comm.id;
  if (communicationId !== undefined) out.communicationId = communicationId;
  if (p.startTime !== undefined) out.startTime = p.startTime;
  const connectedTime = p.connectedTime ?? chosen?.comm.connectedTime;
  if (connectedTime !== undefined) out.connectedTime = connectedTime;
  const endTime = p.endTime ?? (isLive ? undefined : chosen?.comm.disconnectedTime);
  if (endTime !== undefined) out.endTime = endTime;
  const disconnectType = isLive ? undefined : chosen?.comm.disconnectType;
  if (disconnectType !== undefined) out.disconnectType = disconnectType;
  return out;
}

function same(a: string | undefined, b: string): boolean {
  return a !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Addresses come as "tel:+1555..." or "+1555...": compare without the scheme. */
function sameAddress(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const strip = (s: string) =>
    s
      .trim()
      .toLowerCase()
      .replace(/^(tel|sip):/, '');
  return strip(a) === strip(b);
}

/** Every field given in the selector must match (trimmed and case-insensitive, purpose too: a server may say " Agent"). */
export function matchesSelector(p: NormalisedParticipant, selector: TargetSelector): boolean {
  if (selector.userId !== undefined && !same(p.userId, selector.userId)) return false;
  if (selector.queueId !== undefined && !same(p.queueId, selector.queueId)) return false;
  if (selector.externalContactId !== undefined && !same(p.externalContactId, selector.externalContactId)) return false;
  if (selector.purpose !== undefined && !same(p.purpose, selector.purpose)) return false;
  if (selector.name !== undefined && !same(p.name, selector.name)) return false;
  if (selector.address !== undefined && !sameAddress(p.address, selector.address)) return false;
  return true;
}

export function filterParticipants(list: NormalisedParticipant[], opts: { selector?: TargetSelector; liveOnly?: boolean }): NormalisedParticipant[] {
  return list.filter((p) => (!opts.liveOnly || p.live) && (!opts.selector || matchesSelector(p, opts.selector)));
}

/** What an ambiguous-target error lists: enough to tell the legs apart, nothing more. */
export function describeCandidate(p: NormalisedParticipant): Record<string, unknown> {
  const out: Record<string, unknown> = { id: p.id };
  for (const k of ['purpose', 'name', 'userId', 'address', 'state'] as const) if (p[k] !== undefined) out[k] = p[k];
  return out;
}

function describeSelector(selector: TargetSelector): string {
  return JSON.stringify(selector);
}

/**
 * The error for a participantId that is not in the conversation. A common mix-up is a user id given as the
 * participantId: when the id is the userId of a participant (its live leg first), the message says which
 * participant id to use instead.
 */
export function participantNotFound(
  list: NormalisedParticipant[],
  participantId: string,
  conversationId: string,
  details: GenesysErrorDetails = {},
): GenesysError {
  const users = list.filter((p) => same(p.userId, participantId));
  const leg = users.find((p) => p.live) ?? users[0];
  const hint = leg ? `; ${participantId} is the user id of participant ${leg.id}: use participantId ${leg.id} or target.userId` : '';
  return new GenesysError('target-not-found', `participant ${participantId} is not in conversation ${conversationId}${hint}`, details);
}

/**
 * By participantId: that participant, whatever its state (the caller decides what a terminal leg means).
 * By selector: the one live match; terminal legs are skipped; none -> target-not-found; two or more ->
 * ambiguous-target with the candidates.
 */
export function selectTarget(
  list: NormalisedParticipant[],
  by: { participantId?: string; selector?: TargetSelector },
  conversationId: string,
): NormalisedParticipant {
  if (by.participantId !== undefined) {
    const found = list.find((p) => same(p.id, by.participantId as string));
    if (!found) throw participantNotFound(list, by.participantId, conversationId);
    return found;
  }
  if (!by.selector) {
    throw new GenesysError('invalid-input', 'a participantId or a target selector is needed', { field: 'participantId' });
  }
  const matches = filterParticipants(list, { selector: by.selector });
  const live = matches.filter((p) => p.live);
  if (live.length === 0) {
    const ended = matches.length > 0 ? ` (${matches.length} matching leg(s) already ended)` : '';
    throw new GenesysError(
      'target-not-found',
      `no live participant matches ${describeSelector(by.selector)} in conversation ${conversationId}${ended}`,
    );
  }
  if (live.length > 1) {
    throw new GenesysError(
      'ambiguous-target',
      `${live.length} live participants match ${describeSelector(by.selector)} in conversation ${conversationId}: ` +
        `${live.map((p) => p.id).join(', ')}; give a participantId or a narrower target`,
      { candidates: live.map(describeCandidate) },
    );
  }
  return live[0];
}
