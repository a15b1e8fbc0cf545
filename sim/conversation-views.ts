// The shapes the Platform API answers with, built from the stored conversations. No HTTP here.
import type { ParticipantState, SeededConversation } from './types';
import { isTerminal } from './conversation-store';

/** Purposes whose legs Genesys answers without a `name` (agents: docs/platform.md section 3). */
const NAMELESS_PURPOSES: ReadonlySet<string> = new Set(['agent', 'user']);

// ---- Views: the shapes the Platform API answers with. Absent values are left out, as the real API does.
// Real answers are less tidy than a fixture (docs/platform.md section 3): agent legs have no `name`, every
// participant lists all nine media arrays (unused ones empty), `selfUri`s are relative, every leg of an
// inbound call says `inbound`, and Conversation.recordingState is upper case where the call view's is not.

const mediaArray: Record<string, string> = { call: 'calls', chat: 'chats', email: 'emails', message: 'messages' };
const ALL_MEDIA_ARRAYS = ['calls', 'callbacks', 'chats', 'emails', 'messages', 'videos', 'screenshares', 'cobrowsesessions', 'socialExpressions'];

/** The name as Genesys shows it on a leg: none for agents, the caller-ID place for a customer, the queue's for acd. */
const shownName = (p: ParticipantState): string | undefined => (NAMELESS_PURPOSES.has(p.purpose) ? undefined : p.name);

function communication(p: ParticipantState): Record<string, unknown> {
  const base: Record<string, unknown> = {
    state: p.state,
    id: p.communicationId,
    held: p.held,
    disconnectType: p.disconnectType,
    connectedTime: p.connectedTime,
    disconnectedTime: isTerminal(p.state) ? p.endTime : undefined,
    direction: 'inbound',
    provider: 'Edge',
  };
  if (p.mediaType === 'call') {
    Object.assign(base, {
      recording: p.recording,
      recordingState: p.recording ? 'active' : 'none',
      muted: p.muted,
      confined: p.confined,
      self: p.address ? { addressNormalized: p.address } : undefined,
    });
  }
  return base;
}

function mediaArrays(p: ParticipantState): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const m of ALL_MEDIA_ARRAYS) out[m] = [];
  out[mediaArray[p.mediaType]] = [communication(p)];
  return out;
}

/** GET /api/v2/conversations/{id}: `Conversation` (no participant-level state). */
export function conversationView(c: SeededConversation): Record<string, unknown> {
  return {
    id: c.id,
    startTime: c.startTime,
    endTime: c.endTime,
    participants: c.participants.map((p) => ({
      id: p.id,
      startTime: p.startTime,
      endTime: p.endTime,
      connectedTime: p.connectedTime,
      name: shownName(p),
      userId: p.userId,
      queueId: p.queueId,
      externalContactId: p.externalContactId,
      purpose: p.purpose,
      address: p.address,
      ani: p.mediaType === 'call' ? p.address : undefined,
      wrapupRequired: p.wrapupRequired,
      wrapup: p.wrapup,
      attributes: {},
      ...mediaArrays(p),
    })),
    recordingState: 'NONE',
    divisions: [],
    selfUri: `/api/v2/conversations/${c.id}`,
  };
}

/** GET /api/v2/conversations/calls/{id}: `CallConversation`, flat voice participants, no conversation endTime. */
export function callConversationView(c: SeededConversation): Record<string, unknown> {
  return {
    id: c.id,
    participants: c.participants
      .filter((p) => p.mediaType === 'call')
      .map((p) => ({
        id: p.id,
        name: shownName(p),
        address: p.address,
        ani: p.address,
        startTime: p.startTime,
        connectedTime: p.connectedTime,
        endTime: p.endTime,
        purpose: p.purpose,
        state: p.state,
        direction: 'inbound',
        disconnectType: p.disconnectType,
        held: p.held,
        muted: p.muted,
        confined: p.confined,
        recording: p.recording,
        wrapupRequired: p.wrapupRequired,
        wrapup: p.wrapup,
        provider: 'Edge',
        user: p.userId ? { id: p.userId, selfUri: `/api/v2/users/${p.userId}` } : undefined,
        queue: p.queueId ? { id: p.queueId, selfUri: `/api/v2/routing/queues/${p.queueId}` } : undefined,
        externalContact: p.externalContactId ? { id: p.externalContactId } : undefined,
        attributes: {},
      })),
    otherMediaUris: [],
    recordingState: 'none',
    divisions: [],
    selfUri: `/api/v2/conversations/calls/${c.id}`,
  };
}
