// What nodes/ may import from lib/: the public surface of the two layers. lib/platform/ is the HTTP client side
// (transport, retry, rate limits, token, redaction, regions, the one error type, the option parsers);
// lib/conversation/ is the participant domain built on it (validation, normalising, reading, the list, the
// kick, the await, the search). Each workflow owns its options: XX_DEFAULTS and parseXxOptions(raw).
// Dependencies run one way: nodes/ -> lib/index -> conversation/ -> platform/; lib/ never imports Node-RED.
export {
  CLIENT_DEFAULTS,
  CONFIG_DEFAULTS,
  GenesysClient,
  MAX_RETRY_AFTER_SECONDS,
  parseClientOptions,
  type ClientSettings,
  type GenesysClientOptions,
} from './platform/client';
export { GenesysError, invalidInput, isGenesysError } from './platform/errors';
export { CUSTOM_REGION, DEFAULT_REGION, REGIONS, resolveOrigins, type Origins } from './platform/regions';
export { ConversationReader } from './conversation/conversation-reader';
export { KickLedger } from './conversation/kick-ledger';
export { optionalId, parseSelector, requireId, UUID_RE, type TargetSelector } from './conversation/validate';
export { LIST_DEFAULTS, listParticipants, parseListOptions, type ListResult, type ListSettings } from './conversation/list-participants';
export {
  KICK_DEFAULTS,
  kickParticipant,
  parseKickOptions,
  type KickContext,
  type KickOptions,
  type KickResult,
  type KickSettings,
} from './conversation/kick';
export {
  AWAIT_DEFAULTS,
  awaitTerminal,
  awaitTimeoutMs,
  parseAwaitOptions,
  WAIT_FOR,
  type AwaitResult,
  type AwaitSettings,
  type WaitFor,
} from './conversation/await-terminal';
export { FIND_DEFAULTS, findLiveConversations, parseFindOptions, type FindCriteria, type FindSettings } from './conversation/find-conversations';
export { probePush, type PushProbe } from './conversation/leg-events';
export {
  ConversationEvents,
  EVENT_FILTERS,
  EVENTS_DEFAULTS,
  parseEventsOptions,
  TOPIC_KINDS,
  type EventsNotice,
  type EventsSettings,
  type EventsStatus,
  type TopicEvent,
} from './conversation/events';
export type { PushStatus } from './platform/notifications';
