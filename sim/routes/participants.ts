// The participant PATCHes, the kick: PATCH /api/v2/conversations/{id}/participants/{pid} (MediaParticipantRequest)
// and its voice twin under conversations/calls/. A 202 now; a disconnect ends the leg disconnectDelayMs later.
import { ApiError, invalidValue } from '../api-error';
import { isTerminal, isTransitional } from '../conversation-store';
import type { ApiRequest, Reply, SimContext, SimModuleFactory } from '../module';
import { jsonBody } from '../request';
import type { ParticipantState } from '../types';
import { conversationOf, uuidParam } from './conversations';

const MEDIA_PARTICIPANT_FIELDS = ['state', 'wrapup', 'wrapupSkipped', 'muted', 'held', 'confined', 'recording', 'resumeTime'];

export const participants: SimModuleFactory = (sim) => ({
  routes: [
    { method: 'PATCH', path: 'conversations/{conversationId}/participants/{participantId}', handle: (r) => patchParticipant(sim, r, false) },
    { method: 'PATCH', path: 'conversations/calls/{conversationId}/participants/{participantId}', handle: (r) => patchParticipant(sim, r, true) },
  ],
});

function patchParticipant({ store, faults, settings }: SimContext, { req, params, raw }: ApiRequest, callsPath: boolean): Reply {
  const cid = uuidParam(params, 'conversationId');
  const pid = uuidParam(params, 'participantId');
  // A client-credentials token has no user context (docs/platform.md section 4, UNCONFIRMED): opt-in fault.
  if (callsPath && faults.notAUserOnCallsPatch) {
    throw new ApiError(400, 'not.a.user', 'This request requires a user context. Client credentials cannot be used for requests to this resource.');
  }
  const body = jsonBody(req, raw);
  validateMediaParticipantRequest(body);
  const c = conversationOf(store, cid);
  const p = c.participants.find((x) => x.id.toLowerCase() === pid.toLowerCase());
  if (!p || (callsPath && p.mediaType !== 'call')) {
    throw new ApiError(404, 'conversation.error.not.conversation.participant', `The participant [${pid}] is not a participant of the conversation.`, {
      participantId: pid,
    });
  }
  // An ended leg: the 2017 swagger lists participant.no.active.conversations for the generic participant PATCH and
  // call.disconnected for the calls path (docs/platform.md section 5).
  if (isTerminal(p.state)) {
    if (callsPath) throw new ApiError(400, 'conversation.error.call.disconnected', 'The call is already disconnected.');
    throw new ApiError(400, 'conversation.error.participant.no.active.conversations', 'Participant has no active conversations');
  }
  if (faults.conflictOnTransitional && isTransitional(p.state)) {
    throw new ApiError(409, 'conflict', `The participant's communication is ${p.state}; the request conflicts with its current state.`);
  }
  applyFlags(p, body);
  if (body.state === 'disconnected') store.kick(c, p, settings().disconnectDelayMs);
  else if (body.state === 'connected' && isTransitional(p.state)) store.setState(c, p, 'connected');
  return { status: 202 };
}

function validateMediaParticipantRequest(body: Record<string, unknown>): void {
  for (const k of Object.keys(body)) if (!MEDIA_PARTICIPANT_FIELDS.includes(k)) throw invalidValue(k, 'unknown field');
  if (body.state !== undefined && body.state !== 'connected' && body.state !== 'disconnected') {
    throw invalidValue('state', `[${String(body.state)}] is not one of connected, disconnected`);
  }
  for (const k of ['wrapupSkipped', 'muted', 'held', 'confined', 'recording']) {
    if (body[k] !== undefined && typeof body[k] !== 'boolean') throw invalidValue(k, 'must be a boolean');
  }
  if (body.resumeTime !== undefined && (typeof body.resumeTime !== 'string' || Number.isNaN(Date.parse(body.resumeTime))))
    throw invalidValue('resumeTime', 'must be an ISO-8601 date');
  if (body.wrapup !== undefined) {
    const w = body.wrapup as Record<string, unknown>;
    if (!w || typeof w !== 'object' || Array.isArray(w)) throw invalidValue('wrapup', 'must be an object');
    const allowed = ['code', 'name', 'notes', 'tags', 'durationSeconds', 'endTime', 'provisional', 'disableEndTimeUpdates'];
    for (const k of Object.keys(w)) if (!allowed.includes(k)) throw invalidValue(`wrapup.${k}`, 'unknown field');
    for (const k of ['code', 'name', 'notes'])
      if (w[k] !== undefined && typeof w[k] !== 'string') throw invalidValue(`wrapup.${k}`, 'must be a string');
  }
}

function applyFlags(p: ParticipantState, body: Record<string, unknown>): void {
  for (const k of ['held', 'muted', 'confined', 'recording'] as const) if (typeof body[k] === 'boolean') p[k] = body[k] as boolean;
  if (body.wrapup) p.wrapup = body.wrapup as ParticipantState['wrapup'];
  if (typeof body.wrapupSkipped === 'boolean') p.wrapupSkipped = body.wrapupSkipped;
}
