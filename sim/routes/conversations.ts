// Reading a conversation: GET /api/v2/conversations/{id} (Conversation) and GET /api/v2/conversations/calls/{id}
// (CallConversation); and how every conversation route reads its path.
import { ApiError, invalidValue } from '../api-error';
import { type ConversationStore, UUID_RE } from '../conversation-store';
import { callConversationView, conversationView } from '../conversation-views';
import type { SimModuleFactory } from '../module';
import type { SeededConversation } from '../types';

/** A path parameter that must be a UUID (conversationId, participantId): 400 invalid.value naming it if not. */
export function uuidParam(params: Record<string, string>, name: 'conversationId' | 'participantId'): string {
  const v = params[name];
  if (!UUID_RE.test(v)) throw invalidValue(name, `[${v}] is not a UUID`);
  return v;
}

/** The stored conversation, or 404 not.found naming it. */
export function conversationOf(store: ConversationStore, id: string): SeededConversation {
  const c = store.find(id);
  if (!c) throw new ApiError(404, 'not.found', `The conversation [${id}] was not found.`, { conversationId: id });
  return c;
}

export const conversations: SimModuleFactory = ({ store }) => ({
  routes: [
    {
      method: 'GET',
      path: 'conversations/{conversationId}',
      handle: ({ params }) => ({ status: 200, body: conversationView(conversationOf(store, uuidParam(params, 'conversationId'))) }),
    },
    {
      method: 'GET',
      path: 'conversations/calls/{conversationId}',
      handle: ({ params }) => ({ status: 200, body: callConversationView(conversationOf(store, uuidParam(params, 'conversationId'))) }),
    },
  ],
});
