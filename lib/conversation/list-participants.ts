// The list workflow: one fresh-or-shared read of a conversation (through the config's ConversationReader),
// its participants normalised (lib/conversation/participants.ts) and filtered: all, only the live ones, or
// those matching a selector.
import type { WaitInfo } from '../platform/client';
import { parseFlags } from '../platform/options';
import type { ConversationReader } from './conversation-reader';
import { filterParticipants, type NormalisedParticipant } from './participants';
import type { Conversation } from './schemas';
import { parseSelector, requireId, type TargetSelector } from './validate';

/** The list's defaults; the list node and its editor read them from here. */
export const LIST_DEFAULTS = { liveOnly: false, split: false } as const;

/** The list's settings as a node holds them. */
export interface ListSettings {
  /** Only the legs still live. */
  liveOnly: boolean;
  /** One msg per participant instead of one array. */
  split: boolean;
}

/** The list's settings from a flow file (booleans or "true"/"false"; absent: the defaults). */
export function parseListOptions(raw: Record<string, unknown>): ListSettings {
  return parseFlags(raw, LIST_DEFAULTS);
}

export interface ListOptions {
  conversationId: string;
  selector?: TargetSelector;
  liveOnly?: boolean;
  signal?: AbortSignal;
  onWait?: (info: WaitInfo) => void;
}

export interface ListResult {
  conversation: Conversation;
  participants: NormalisedParticipant[];
}

/** The conversation and its participants that pass the filter. Bad input is refused before the read. */
export async function listParticipants(reader: ConversationReader, options: ListOptions): Promise<ListResult> {
  const conversationId = requireId(options.conversationId, 'conversationId');
  const selector = parseSelector(options.selector, 'target');
  const read = await reader.read(conversationId, { signal: options.signal, onWait: options.onWait });
  return { conversation: read.conversation, participants: filterParticipants(read.participants, { selector, liveOnly: options.liveOnly === true }) };
}
