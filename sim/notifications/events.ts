// The bodies of the notifications the simulator publishes, in the shapes of the official SDK models.
// Envelope: `{ topicName, version, eventBody, metadata: { CorrelationId } }` (docs/platform.md section 7).
import { randomUUID } from 'node:crypto';
import { ParticipantState, SeededConversation } from '../types';
import { isTerminal } from '../conversation-store';

export interface Notification {
  topicName: string;
  version: string;
  eventBody: unknown;
  metadata?: { CorrelationId: string };
}

export const envelope = (topicName: string, eventBody: unknown): Notification => ({
  topicName,
  version: '2',
  eventBody,
  metadata: { CorrelationId: randomUUID() },
});

/** Socket-level messages on `channel.metadata` carry no version or metadata. */
export const channelMetadata = (message: string): Notification => ({ topicName: 'channel.metadata', eventBody: { message } }) as Notification;

/** The purposes whose end is a `.customer.end` (a customer or external party). */
const CUSTOMER_PURPOSES: ReadonlySet<string> = new Set(['customer', 'external']);

/** Which detail topics a leg's start and end go to: `user` for a leg with a user, `customer` for the customer side. */
export function detailKind(p: ParticipantState): 'user' | 'customer' | undefined {
  if (p.userId) return 'user';
  if (CUSTOMER_PURPOSES.has(p.purpose)) return 'customer';
  return undefined;
}

/** Detail events spell media types upper case (PY SDK user_end_detail_event_topic_user_end_event.py). */
const DETAIL_MEDIA: Record<string, string> = { call: 'VOICE', chat: 'CHAT', email: 'EMAIL', message: 'MESSAGE' };

/**
 * Detail events spell disconnect types UPPER_SNAKE (`CLIENT`, `ENDPOINT`, `TRANSFER`, `CONFERENCE_TRANSFER`,
 * `TRANSPORT_FAILURE`, `DND_ENDPOINT`: docs/platform.md section 7) where the conversation API says `client`,
 * `endpoint`, `transfer`, `conference.transfer`, `transport.failure`, `endpoint.dnd`.
 */
export function detailDisconnectType(t: string | undefined): string | undefined {
  if (!t) return undefined;
  if (t === 'endpoint.dnd') return 'DND_ENDPOINT';
  return t
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/[.\s-]/g, '_')
    .toUpperCase();
}

const ms = (iso: string | undefined): number | undefined => (iso ? Date.parse(iso) : undefined);

/**
 * `v2.detail.events.conversation.{id}.user.end` / `.customer.end` (UserEndDetailEventTopicUserEndEvent /
 * CustomerEndDetailEventTopicCustomerEndEvent, JS SDK index.d.ts) and `.user.start` / `.customer.start` (the
 * -StartEvent models: the same fields without disconnectType and durations). Absent values are left out.
 */
export function detailEventBody(
  c: SeededConversation,
  p: ParticipantState,
  kind: 'user' | 'customer',
  phase: 'start' | 'end',
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    eventTime: ms(phase === 'end' ? p.endTime : p.startTime) ?? Date.now(),
    conversationId: c.id,
    participantId: p.id,
    sessionId: p.communicationId,
    mediaType: DETAIL_MEDIA[p.mediaType],
    provider: 'Edge',
    direction: 'INBOUND',
    ani: p.mediaType === 'call' ? p.address : undefined,
  };
  if (phase === 'end') {
    const connected = ms(p.connectedTime);
    body.disconnectType = detailDisconnectType(p.disconnectType);
    if (connected !== undefined) body.interactingDurationMs = Math.max(0, (body.eventTime as number) - connected);
  }
  if (kind === 'user') Object.assign(body, { userId: p.userId, queueId: p.queueId });
  else body.externalContactId = p.externalContactId;
  return dropUndefined(body);
}

const MEDIA_ARRAYS = ['calls', 'callbacks', 'chats', 'cobrowsesessions', 'emails', 'messages', 'screenshares', 'socialExpressions', 'videos'];
const mediaArray: Record<string, string> = { call: 'calls', chat: 'chats', email: 'emails', message: 'messages' };

/**
 * `v2.routing.queues.{id}.conversations` and `v2.users.{id}.conversations`: the whole conversation, every
 * participant with its communication (QueueConversationEventTopicConversation / -Participant / -Call, JS SDK
 * index.d.ts). The topic's own shape: no conversation start/end time, states lower case as on the REST API.
 */
export function conversationEventBody(c: SeededConversation): Record<string, unknown> {
  return {
    id: c.id,
    participants: c.participants.map((p) => {
      const out: Record<string, unknown> = dropUndefined({
        id: p.id,
        connectedTime: p.connectedTime,
        endTime: p.endTime,
        userId: p.userId,
        externalContactId: p.externalContactId,
        name: p.name,
        queueId: p.queueId,
        purpose: p.purpose,
        address: p.address,
        wrapupRequired: p.wrapupRequired,
        attributes: {},
      });
      for (const m of MEDIA_ARRAYS) out[m] = [];
      out[mediaArray[p.mediaType]] = [
        dropUndefined({
          id: p.communicationId,
          state: p.state,
          recording: p.recording,
          recordingState: p.recording ? 'active' : 'none',
          muted: p.muted,
          confined: p.confined,
          held: p.held,
          disconnectType: p.disconnectType,
          direction: 'inbound',
          self: p.address ? { addressNormalized: p.address } : undefined,
          provider: 'Edge',
          connectedTime: p.connectedTime,
          disconnectedTime: isTerminal(p.state) ? p.endTime : undefined,
        }),
      ];
      return out;
    }),
    divisions: [],
  };
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
