// The endpoints that end a call for everyone. Our nodes must never call them; the simulator serves them (every
// live leg ends disconnectDelayMs later) and counts each on arrival, so tests can prove they were never called.
import { invalidValue } from '../api-error';
import { callConversationView } from '../conversation-views';
import type { ApiRequest, Reply, SimContext, SimModuleFactory } from '../module';
import { jsonBody } from '../request';
import { conversationOf, uuidParam } from './conversations';

const CALL_CONVERSATION_FIELDS = [
  'id',
  'name',
  'state',
  'participants',
  'otherMediaUris',
  'recentTransfers',
  'utilizationLabelId',
  'inactivityTimeout',
  'divisions',
  'recordingState',
  'maxParticipants',
  'securePause',
  'selfUri',
];

export const teardown: SimModuleFactory = (sim) => ({
  routes: [
    { method: 'POST', path: 'conversations/{conversationId}/disconnect', teardown: 'postDisconnect', handle: (r) => endForEveryone(sim, r) },
    { method: 'DELETE', path: 'conversations/{conversationId}', teardown: 'deleteConversation', handle: (r) => endForEveryone(sim, r) },
    {
      method: 'PATCH',
      path: 'conversations/calls/{conversationId}',
      teardown: 'patchCallConversation',
      handle: (r) => patchCallConversation(sim, r),
    },
  ],
});

function endForEveryone({ store, settings }: SimContext, { params }: ApiRequest): Reply {
  store.teardown(conversationOf(store, uuidParam(params, 'conversationId')), settings().disconnectDelayMs);
  return { status: 202 };
}

/** PATCH /api/v2/conversations/calls/{id} (CallConversation): state disconnected ends the call. */
function patchCallConversation({ store, settings }: SimContext, { req, params, raw }: ApiRequest): Reply {
  const cid = uuidParam(params, 'conversationId');
  const body = jsonBody(req, raw);
  for (const k of Object.keys(body)) if (!CALL_CONVERSATION_FIELDS.includes(k)) throw invalidValue(k, 'unknown field');
  if (body.state !== undefined && body.state !== 'connected' && body.state !== 'disconnected')
    throw invalidValue('state', 'must be connected or disconnected');
  const c = conversationOf(store, cid);
  if (body.state === 'disconnected') store.teardown(c, settings().disconnectDelayMs);
  return { status: 200, body: callConversationView(c) };
}
