// POST /api/v2/analytics/conversations/details/query as Genesys answers it (docs/platform.md section 3).
// The request vocabulary is the official one: `ConversationQuery`, `ConversationDetailQueryPredicate`,
// `SegmentDetailQueryPredicate` and `SegmentDetailQueryFilter` of the official SDKs
// (MyPureCloud/platform-client-sdk-java build/docs/*.md, platform-client-v2 212.0.0). The answer is
// `AnalyticsConversationQueryResponse`: conversations -> participants -> sessions -> segments, with the
// analytics spellings (mediaType `voice`, disconnectType `conferenceTransfer`...), not the REST ones.
// Real analytics lags (a conversation shows up late, an ended leg still looks live for a while): the
// `analyticsLagMs` option plays that.
import { isTerminal } from './conversation-store';
import type { ParticipantState, SeededConversation } from './types';

/** A query Genesys refuses: 400 with this code and message. */
export class QueryError extends Error {
  constructor(
    readonly code: 'bad.request' | 'invalid.value',
    message: string,
  ) {
    super(message);
  }
}

// SegmentDetailQueryPredicate.DimensionEnum (platform-client-sdk-java build/docs/SegmentDetailQueryPredicate.md,
// 212.0.0). Neither participantId nor conversationId is one (an old SDK listed participantId; it is gone).
export const SEGMENT_DIMENSIONS: readonly string[] = [
  'addressFrom',
  'addressTo',
  'agentAssistantId',
  'agentOwned',
  'ani',
  'authenticated',
  'bargedParticipantId',
  'callbackNumber',
  'callbackScheduledTime',
  'canonicalExternalContactId',
  'cleared',
  'coachedParticipantId',
  'conference',
  'deliveryStatus',
  'destinationAddress',
  'destinationConversationId',
  'detectedSpeechEnd',
  'detectedSpeechStart',
  'direction',
  'disconnectType',
  'dnis',
  'edgeId',
  'errorCode',
  'exitReason',
  'extendedDeliveryStatus',
  'externalContactId',
  'externalOrganizationId',
  'flaggedReason',
  'flowId',
  'flowName',
  'flowOutType',
  'flowOutcome',
  'flowOutcomeId',
  'flowOutcomeValue',
  'flowVersion',
  'groupId',
  'journeyActionId',
  'journeyActionMapId',
  'journeyCustomerId',
  'journeyCustomerIdType',
  'journeyCustomerSessionId',
  'mediaCount',
  'mediaType',
  'messageType',
  'monitoredParticipantId',
  'outboundCampaignId',
  'outboundContactId',
  'outboundContactListId',
  'participantName',
  'protocolCallId',
  'provider',
  'purpose',
  'queueId',
  'recording',
  'remote',
  'remoteNameDisplayable',
  'requestedLanguageId',
  'requestedRouting',
  'requestedRoutingSkillId',
  'scoredAgentId',
  'screenRecording',
  'scriptId',
  'segmentEnd',
  'segmentType',
  'sessionDnis',
  'sipResponseCode',
  'subject',
  'teamId',
  'transferTargetAddress',
  'transferTargetName',
  'transferType',
  'usedRouting',
  'userId',
  'wrapUpCode',
  'wrapUpNote',
];
// ConversationDetailQueryPredicate.DimensionEnum (same source).
export const CONVERSATION_DIMENSIONS: readonly string[] = [
  'conversationEnd',
  'conversationId',
  'conversationInitiator',
  'conversationStart',
  'customerParticipation',
  'divisionId',
  'externalTag',
  'mediaStatsMinConversationMos',
  'originatingDirection',
  'originatingSocialMediaPublic',
];
const OPERATORS = ['matches', 'exists', 'notExists']; // OperatorEnum of both predicates
const FILTER_TYPES = ['and', 'or']; // SegmentDetailQueryFilter / ConversationDetailQueryFilter TypeEnum
const ORDERS = ['asc', 'desc', 'unordered']; // ConversationQuery.OrderEnum
const ORDER_BYS = ['conversationStart', 'conversationEnd', 'segmentStart', 'segmentEnd']; // ConversationQuery.OrderByEnum
const QUERY_FIELDS = [
  'conversationFilters',
  'segmentFilters',
  'evaluationFilters',
  'surveyFilters',
  'resolutionFilters',
  'order',
  'orderBy',
  'interval',
  'aggregations',
  'paging',
];
/** "Default page size is 25" (ConversationQuery.paging); at most 100 (docs/platform.md section 3). */
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;

/** The dimensions the simulator evaluates; the other official ones are refused as not modelled. */
const MODELLED_SEGMENT = new Set([
  'userId',
  'queueId',
  'mediaType',
  'purpose',
  'segmentType',
  'segmentEnd',
  'disconnectType',
  'direction',
  'ani',
  'dnis',
  'conference',
  'wrapUpCode',
  'participantName',
  'externalContactId',
  'addressFrom',
  'addressTo',
]);
const MODELLED_CONVERSATION = new Set(['conversationEnd', 'conversationId', 'conversationStart', 'originatingDirection', 'divisionId']);

/** AnalyticsSession.mediaType spellings for the simulator's media. */
const ANALYTICS_MEDIA: Record<string, string> = { call: 'voice', chat: 'chat', email: 'email', message: 'message' };

/**
 * REST disconnectType -> analytics disconnectType. The analytics values are AnalyticsConversationSegment's
 * DisconnectTypeEnum (platform-client-sdk-java build/docs/AnalyticsConversationSegment.md: client,
 * conferenceTransfer, consultTransfer, dndEndpoint, dndTransfer, endpoint, error, forwardTransfer, noAnswerTransfer,
 * notAvailableTransfer, other, peer, spam, system, timeout, transfer, transportFailure, uncallable); the last three
 * here are in docs/platform.md section 3's newer list.
 */
const ANALYTICS_DISCONNECT: Record<string, string> = {
  client: 'client',
  endpoint: 'endpoint',
  system: 'system',
  timeout: 'timeout',
  transfer: 'transfer',
  'transfer.conference': 'conferenceTransfer',
  'transfer.consult': 'consultTransfer',
  'transfer.forward': 'forwardTransfer',
  'transfer.noanswer': 'noAnswerTransfer',
  'transfer.notavailable': 'notAvailableTransfer',
  'transport.failure': 'transportFailure',
  'endpoint.donotdisturb': 'dndEndpoint',
  'transfer.donotdisturb': 'dndTransfer',
  error: 'error',
  peer: 'peer',
  other: 'other',
  spam: 'spam',
  uncallable: 'uncallable',
  inactivity: 'inactivity',
  'session.expired': 'sessionExpired',
  takeover: 'takeover',
};

interface Predicate {
  type?: unknown;
  dimension?: unknown;
  operator?: unknown;
  value?: unknown;
}
interface Clause {
  type?: unknown;
  predicates?: unknown;
}
interface Filter {
  type?: unknown;
  predicates?: unknown;
  clauses?: unknown;
}

/** One segment as analytics shows it, with the session and participant values a segment filter sees. */
interface SegmentRow {
  participant: Record<string, unknown>;
  session: Record<string, unknown>;
  segment: Record<string, unknown>;
}

// ---- the request

/** An enum value outside the official list: Genesys cannot read the body (400 bad.request). */
function notOneOf(field: string, value: unknown, allowed: readonly string[]): QueryError {
  return new QueryError(
    'bad.request',
    `The request could not be understood by the server due to malformed syntax: ${field} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`,
  );
}

function checkPredicates(list: unknown, at: string, dims: readonly string[], modelled: Set<string>): Predicate[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new QueryError('invalid.value', `${at}.predicates must be an array`);
  return list.map((p: Predicate, i) => {
    const pat = `${at}.predicates[${i}]`;
    if (!p || typeof p !== 'object') throw new QueryError('invalid.value', `${pat} must be an object`);
    if (p.type !== undefined && !['dimension', 'property', 'metric'].includes(String(p.type)))
      throw notOneOf(`${pat}.type`, p.type, ['dimension', 'property', 'metric']);
    if (p.type !== undefined && p.type !== 'dimension')
      throw new QueryError('invalid.value', `${pat}: the simulator evaluates dimension predicates only`);
    if (typeof p.dimension !== 'string' || !dims.includes(p.dimension)) throw notOneOf(`${pat}.dimension`, p.dimension, dims);
    if (!modelled.has(p.dimension)) throw new QueryError('invalid.value', `${pat}: the simulator does not model dimension ${p.dimension}`);
    const op = p.operator ?? 'matches';
    if (typeof op !== 'string' || !OPERATORS.includes(op)) throw notOneOf(`${pat}.operator`, p.operator, OPERATORS);
    if (op === 'matches' && typeof p.value !== 'string') throw new QueryError('invalid.value', `${pat}: a matches predicate needs a string value`);
    return p;
  });
}

function checkFilters(filters: unknown, field: string, dims: readonly string[], modelled: Set<string>): Filter[] {
  if (filters === undefined) return [];
  if (!Array.isArray(filters)) throw new QueryError('invalid.value', `${field} must be an array`);
  return filters.map((f: Filter, i) => {
    const at = `${field}[${i}]`;
    if (!f || typeof f !== 'object') throw new QueryError('invalid.value', `${at} must be an object`);
    if (!FILTER_TYPES.includes(f.type as string)) throw notOneOf(`${at}.type`, f.type, FILTER_TYPES);
    checkPredicates(f.predicates, at, dims, modelled);
    if (f.clauses !== undefined) {
      if (!Array.isArray(f.clauses)) throw new QueryError('invalid.value', `${at}.clauses must be an array`);
      f.clauses.forEach((c: Clause, j) => {
        if (!c || typeof c !== 'object' || !FILTER_TYPES.includes(c.type as string))
          throw notOneOf(`${at}.clauses[${j}].type`, c?.type, FILTER_TYPES);
        checkPredicates(c.predicates, `${at}.clauses[${j}]`, dims, modelled);
      });
    }
    return f;
  });
}

function evalPredicate(p: Predicate, get: (dim: string) => unknown): boolean {
  const v = get(p.dimension as string);
  const op = p.operator ?? 'matches';
  if (op === 'exists') return v !== undefined;
  if (op === 'notExists') return v === undefined;
  return v !== undefined && String(v) === p.value;
}

function evalGroup(type: unknown, predicates: unknown, clauses: unknown, get: (dim: string) => unknown): boolean {
  const results = [
    ...((predicates as Predicate[] | undefined) ?? []).map((p) => evalPredicate(p, get)),
    ...((clauses as Clause[] | undefined) ?? []).map((c) => evalGroup(c.type, c.predicates, undefined, get)),
  ];
  return type === 'or' ? results.some(Boolean) : results.every(Boolean);
}

/** "start/end", two ISO-8601 instants. */
function parseInterval(interval: unknown): { from: number; to: number } {
  if (typeof interval !== 'string') throw new QueryError('invalid.value', 'interval is required (ISO-8601 "start/end")');
  const [a, b, extra] = interval.split('/');
  const from = Date.parse(a);
  const to = Date.parse(b);
  if (extra !== undefined || Number.isNaN(from) || Number.isNaN(to) || from >= to)
    throw new QueryError('invalid.value', 'interval must be "start/end" with two ISO-8601 instants, start before end');
  return { from, to };
}

const dayOf = (ms: number): number => Math.floor(ms / 86_400_000);

// ---- the answer

/** What analytics knows of a leg at `asOf` (now minus the lag): later ends are not in yet. */
function known(time: string | undefined, asOf: number): string | undefined {
  return time !== undefined && Date.parse(time) <= asOf ? time : undefined;
}

/** The segments of a leg: ringing (alert), then interact (or hold); the last one carries the disconnectType. */
function segmentsOf(c: SeededConversation, p: ParticipantState, asOf: number): Record<string, unknown>[] {
  const end = known(p.endTime, asOf);
  const conference = c.participants.filter((q) => q.mediaType === p.mediaType).length > 2;
  const base = { queueId: p.queueId, conference };
  const out: Record<string, unknown>[] = [];
  const connected = known(p.connectedTime, asOf);
  if (connected === undefined || connected > p.startTime) {
    out.push({ ...base, segmentStart: p.startTime, segmentEnd: connected ?? end, segmentType: p.state === 'dialing' ? 'dialing' : 'alert' });
  }
  if (connected !== undefined) out.push({ ...base, segmentStart: connected, segmentEnd: end, segmentType: p.held && !end ? 'hold' : 'interact' });
  const last = out[out.length - 1];
  if (end !== undefined) {
    last.disconnectType = ANALYTICS_DISCONNECT[p.disconnectType ?? 'endpoint'] ?? 'other';
    if (p.wrapup?.code) last.wrapUpCode = p.wrapup.code;
  }
  return out;
}

function conversationRows(c: SeededConversation, asOf: number): { view: Record<string, unknown>; rows: SegmentRow[] } {
  const rows: SegmentRow[] = [];
  const participants = c.participants.map((p) => {
    const segments = segmentsOf(c, p, asOf);
    const session: Record<string, unknown> = {
      sessionId: p.communicationId,
      mediaType: ANALYTICS_MEDIA[p.mediaType],
      direction: 'inbound',
      ani: p.mediaType === 'call' ? p.address : undefined,
      addressFrom: p.purpose === 'customer' || p.purpose === 'external' ? p.address : undefined,
      addressSelf: p.address,
      provider: p.mediaType === 'call' ? 'Edge' : undefined,
      segments,
    };
    const participant: Record<string, unknown> = {
      participantId: p.id,
      participantName: p.name,
      purpose: p.purpose,
      userId: p.userId,
      externalContactId: p.externalContactId,
      sessions: [session],
    };
    for (const segment of segments) rows.push({ participant, session, segment });
    return participant;
  });
  const ended = c.participants.every((p) => isTerminal(p.state) && known(p.endTime, asOf) !== undefined);
  return {
    view: {
      conversationId: c.id,
      conversationStart: c.startTime,
      conversationEnd: ended ? c.endTime : undefined,
      originatingDirection: 'inbound',
      divisionIds: [],
      participants,
    },
    rows,
  };
}

/** The value a segment filter sees for a dimension: segment first, then its session, then its participant. */
function segmentDimension(row: SegmentRow, dim: string): unknown {
  for (const level of [row.segment, row.session, row.participant]) if (level[dim] !== undefined) return level[dim];
  return undefined;
}

export function analyticsQuery(
  conversations: Iterable<SeededConversation>,
  body: Record<string, unknown>,
  lagMs: number,
  now = Date.now(),
): Record<string, unknown> {
  for (const k of Object.keys(body))
    if (!QUERY_FIELDS.includes(k))
      throw new QueryError('bad.request', `The request could not be understood by the server due to malformed syntax: unknown field ${k}`);
  const { from, to } = parseInterval(body.interval);
  const convFilters = checkFilters(body.conversationFilters, 'conversationFilters', CONVERSATION_DIMENSIONS, MODELLED_CONVERSATION);
  const segFilters = checkFilters(body.segmentFilters, 'segmentFilters', SEGMENT_DIMENSIONS, MODELLED_SEGMENT);
  const order = body.order ?? 'asc';
  if (!ORDERS.includes(order as string)) throw notOneOf('order', body.order, ORDERS);
  const orderBy = body.orderBy ?? 'conversationStart';
  if (!ORDER_BYS.includes(orderBy as string)) throw notOneOf('orderBy', body.orderBy, ORDER_BYS);
  const paging = (body.paging ?? {}) as { pageSize?: unknown; pageNumber?: unknown };
  if (typeof paging !== 'object' || Array.isArray(paging)) throw new QueryError('invalid.value', 'paging must be an object');
  const pageSize = paging.pageSize ?? DEFAULT_PAGE_SIZE;
  const pageNumber = paging.pageNumber ?? 1;
  if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
    throw new QueryError('invalid.value', `paging.pageSize must be an integer 1..${MAX_PAGE_SIZE}`);
  if (typeof pageNumber !== 'number' || !Number.isInteger(pageNumber) || pageNumber < 1)
    throw new QueryError('invalid.value', 'paging.pageNumber must be an integer >= 1');

  const asOf = now - lagMs;
  const hits: { view: Record<string, unknown>; rows: SegmentRow[]; c: SeededConversation }[] = [];
  for (const c of conversations) {
    const start = Date.parse(c.startTime);
    // Not in analytics yet: it shows up lagMs after it started.
    if (start + lagMs > now) continue;
    // "Results will include conversations that both started on a day touched by the interval AND either
    // started, ended, or any activity during the interval" (ConversationQuery.interval, platform-client-sdk-python
    // build/docs/ConversationQuery.md).
    if (dayOf(start) < dayOf(from) || dayOf(start) > dayOf(to - 1)) continue;
    const { view, rows } = conversationRows(c, asOf);
    const end = view.conversationEnd ? Date.parse(view.conversationEnd as string) : Infinity;
    if (!(start < to && end >= from)) continue;
    const convGet = (d: string): unknown => {
      switch (d) {
        case 'conversationEnd':
          return view.conversationEnd;
        case 'conversationStart':
          return view.conversationStart;
        case 'conversationId':
          return c.id;
        case 'originatingDirection':
          return view.originatingDirection;
        default:
          return undefined; // divisionId: the simulator's conversations are in no division
      }
    };
    if (!convFilters.every((f) => evalGroup(f.type, f.predicates, f.clauses, convGet))) continue;
    // Each segment filter is met by one segment (with its session's and participant's values).
    if (!segFilters.every((f) => rows.some((r) => evalGroup(f.type, f.predicates, f.clauses, (d) => segmentDimension(r, d))))) continue;
    hits.push({ view, rows, c });
  }
  if (order !== 'unordered') {
    const key = (h: (typeof hits)[number]): number => {
      const times = (field: 'segmentStart' | 'segmentEnd') =>
        h.rows
          .map((r) => r.segment[field])
          .filter((t): t is string => typeof t === 'string')
          .map(Date.parse);
      switch (orderBy) {
        case 'conversationEnd':
          return h.view.conversationEnd ? Date.parse(h.view.conversationEnd as string) : Infinity;
        case 'segmentStart':
          return Math.min(...times('segmentStart'));
        case 'segmentEnd': {
          const t = times('segmentEnd');
          return t.length ? Math.max(...t) : Infinity;
        }
        default:
          return Date.parse(h.c.startTime);
      }
    };
    const sign = order === 'desc' ? -1 : 1;
    hits.sort((x, y) => {
      const a = key(x);
      const b = key(y);
      return a === b ? 0 : (a < b ? -1 : 1) * sign;
    });
  }
  const page = hits.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  return { conversations: page.map((h) => h.view), totalHits: hits.length };
}
