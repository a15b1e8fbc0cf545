// What nodes/ may import from lib/: the public surface of the two layers. lib/platform/ is the HTTP client side
// (transport, retry, rate limits, token, redaction, regions, the one error type); lib/conversation/ is the
// participant domain built on it (validation, normalising, reading, the kick, the await, the search).
// Dependencies run one way: nodes/ -> lib/index -> conversation/ -> platform/; lib/ never imports Node-RED.
export { GenesysClient, MAX_RETRY_AFTER_SECONDS } from './platform/client';
export { GenesysError, invalidInput, isGenesysError } from './platform/errors';
export { CUSTOM_REGION, REGIONS, resolveOrigins } from './platform/regions';
export { ConversationReader } from './conversation/conversation-reader';
export { KickLedger } from './conversation/kick-ledger';
export { filterParticipants } from './conversation/participants';
export { optionalId, parseFlag, parseSelector, parseTimeoutSeconds, requireId, UUID_RE, type TargetSelector } from './conversation/validate';
export { kickParticipant, type KickOptions } from './conversation/kick';
export { awaitTerminal, WAIT_FOR, type AwaitResult, type WaitFor } from './conversation/await-terminal';
export { findLiveConversations, type FindCriteria } from './conversation/find-conversations';
export { probePush, type PushProbe } from './conversation/leg-events';
export type { PushStatus } from './platform/notifications';
