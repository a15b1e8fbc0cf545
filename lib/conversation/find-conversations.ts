// Finds the live conversations of a user, a queue or a caller address (docs/architecture.md 2.5c) when a flow knows who,
// not which call. With client credentials the only way is the analytics details query
// (POST /api/v2/analytics/conversations/details/query, docs/platform.md section 3): `conversationEnd notExists`
// plus a segment filter, paged, over a bounded recent interval. Analytics lags and is not authoritative, so ONE
// REST read of each candidate (through the shared ConversationReader) decides: only conversations where the
// match really has a live leg are reported. Every request goes through the config's GenesysClient (its rate
// limiter, token, retry).
import { z } from 'zod';
import type { GenesysClient, WaitInfo } from '../platform/client';
import type { ConversationReader } from './conversation-reader';
import { GenesysError, invalidInput } from '../platform/errors';
import type { NormalisedParticipant } from './participants';
import { parseChoice, parseFlag, parseNumber } from '../platform/options';
import { UUID_RE } from './validate';

/** The default window: conversations that started in the last 24 hours (and are still live). */
export const DEFAULT_INTERVAL_HOURS = 24;
/** At most a week back: a bounded query, and no live call lasts that long. */
export const MAX_INTERVAL_HOURS = 168;
/** PagingSpec: page size at most 100 (docs/platform.md section 3). */
export const PAGE_SIZE = 100;
/** At most this many pages (1,000 candidates): beyond that the answer says `truncated`. */
export const MAX_PAGES = 10;
/** Candidate reads in flight at once (they all queue behind the same rate limiter anyway). */
const READ_CONCURRENCY = 4;
export const ANALYTICS_PERMISSION = 'analytics:conversationDetail:view';

/**
 * AnalyticsSession.mediaType values (platform-client-sdk-python models/analytics_session.py) -> the media of the
 * REST participant (lib/participants.ts mediaType).
 */
const MEDIA: Record<string, string> = {
  voice: 'call',
  callback: 'callback',
  chat: 'chat',
  email: 'email',
  message: 'message',
  video: 'video',
  screenshare: 'screenshare',
  cobrowse: 'cobrowse',
};
export const MEDIA_TYPES = Object.keys(MEDIA);

export const SEARCH_BY = ['userId', 'queueId', 'ani'] as const;
export type SearchBy = (typeof SEARCH_BY)[number];

/** The search's defaults; the find node and its editor read them from here. */
export const FIND_DEFAULTS = { searchBy: 'userId', mediaType: 'voice', intervalHours: DEFAULT_INTERVAL_HOURS, split: false } as const satisfies {
  searchBy: SearchBy;
  mediaType: string;
  intervalHours: number;
  split: boolean;
};

const INTERVAL_HOURS = { min: 0, above: true, max: MAX_INTERVAL_HOURS, unit: 'hours', default: DEFAULT_INTERVAL_HOURS };

/** The search's settings as a node holds them (who to look for comes with each msg). */
export interface FindSettings {
  searchBy: SearchBy;
  mediaType: string;
  intervalHours: number;
  /** One msg per conversation instead of one array. */
  split: boolean;
}

/** The search's settings from a flow file (absent or blank: the defaults; intervalHours may be text). */
export function parseFindOptions(raw: Record<string, unknown>): FindSettings {
  return {
    searchBy: parseChoice(raw.searchBy, 'searchBy', SEARCH_BY, FIND_DEFAULTS.searchBy),
    mediaType: parseChoice(raw.mediaType, 'mediaType', MEDIA_TYPES, FIND_DEFAULTS.mediaType),
    intervalHours: parseNumber(raw.intervalHours, 'intervalHours', INTERVAL_HOURS),
    split: parseFlag(raw.split, 'split', FIND_DEFAULTS.split),
  };
}

export interface FindCriteria {
  /** Exactly one of userId, queueId, ani. */
  userId?: string;
  queueId?: string;
  /** The caller's address as Genesys holds it (e.g. `tel:+15551234567`). */
  ani?: string;
  /** An analytics media type; default 'voice'. */
  mediaType?: string;
  /** How far back conversations may have started; default 24, at most 168. */
  intervalHours?: number;
}

export interface FoundConversation {
  conversationId: string;
  startTime?: string;
  /** The matching participant's id when exactly one live leg matches (ready for disconnect). */
  participantId?: string;
  participant?: NormalisedParticipant;
  /** Every live leg that matches (usually one). */
  matches: NormalisedParticipant[];
  participants: NormalisedParticipant[];
}

export interface FindResult {
  conversations: FoundConversation[];
  /** Conversations analytics offered (before the REST reads decided). */
  candidates: number;
  /** More than MAX_PAGES pages matched: the oldest candidates were not looked at. */
  truncated: boolean;
}

export interface FindOptions {
  signal?: AbortSignal;
  onWait?: (info: WaitInfo) => void;
  onPhase?: (phase: 'querying' | 'reading') => void;
  /** Tests: the clock for the interval. */
  now?: number;
}

interface Validated {
  by: 'userId' | 'queueId' | 'ani';
  value: string;
  mediaType: string;
  intervalHours: number;
}

/** Bad input is an 'invalid-input' naming the field, before any request. */
export function validateCriteria(criteria: unknown): Validated {
  if (!criteria || typeof criteria !== 'object' || Array.isArray(criteria))
    throw invalidInput('criteria', 'must be an object with userId, queueId or ani');
  const c = criteria as Record<string, unknown>;
  const given = SEARCH_BY.filter((k) => c[k] !== undefined && c[k] !== null && c[k] !== '');
  if (given.length === 0) throw invalidInput('userId', 'is required (or queueId, or ani)');
  if (given.length > 1) throw invalidInput(given[1], `give one of userId, queueId, ani (got ${given.join(' and ')})`);
  const by = given[0];
  const raw = c[by];
  if (typeof raw !== 'string') throw invalidInput(by, `must be a string (got ${typeof raw})`);
  const value = raw.trim();
  if (by === 'ani') {
    // Control characters are what this check refuses (a header or log line must not carry them).
    // eslint-disable-next-line no-control-regex
    if (value.length === 0 || value.length > 100 || /[\u0000-\u001f\u007f]/.test(value))
      throw invalidInput('ani', 'must be a caller address of 1..100 printable characters, e.g. tel:+15551234567');
  } else if (!UUID_RE.test(value)) {
    throw invalidInput(by, `must be a Genesys id (a UUID), got ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`);
  }
  const mediaType = parseChoice(c.mediaType, 'mediaType', MEDIA_TYPES, FIND_DEFAULTS.mediaType);
  const intervalHours = parseNumber(c.intervalHours, 'intervalHours', INTERVAL_HOURS);
  return { by, value: by === 'ani' ? value : value.toLowerCase(), mediaType, intervalHours };
}

/** The details query body: live conversations (conversationEnd notExists) with a live segment of the match. */
export function detailsQuery(v: Validated, now: number, pageNumber: number): Record<string, unknown> {
  const from = new Date(now - v.intervalHours * 3_600_000).toISOString();
  const to = new Date(now + 60_000).toISOString(); // a little ahead: a clock behind Genesys' must not cut the newest
  return {
    interval: `${from}/${to}`,
    order: 'desc',
    orderBy: 'conversationStart',
    paging: { pageSize: PAGE_SIZE, pageNumber },
    conversationFilters: [{ type: 'and', predicates: [{ type: 'dimension', dimension: 'conversationEnd', operator: 'notExists' }] }],
    segmentFilters: [
      {
        type: 'and',
        predicates: [
          { type: 'dimension', dimension: v.by, operator: 'matches', value: v.value },
          { type: 'dimension', dimension: 'mediaType', operator: 'matches', value: v.mediaType },
          { type: 'dimension', dimension: 'segmentEnd', operator: 'notExists' },
        ],
      },
    ],
  };
}

// Only what this workflow needs of AnalyticsConversationQueryResponse; the rest passes through unread.
const DetailsPage = z
  .object({
    conversations: z.array(z.object({ conversationId: z.string(), conversationStart: z.string().optional() }).passthrough()).optional(),
    totalHits: z.number().optional(),
  })
  .passthrough();

function isMatch(p: NormalisedParticipant, raw: { ani?: string } | undefined, v: Validated): boolean {
  if (!p.live || p.mediaType !== MEDIA[v.mediaType]) return false;
  if (v.by === 'userId') return p.userId?.toLowerCase() === v.value;
  if (v.by === 'queueId') return p.queueId?.toLowerCase() === v.value;
  return p.address === v.value || raw?.ani === v.value;
}

/** Runs `fn` over `items`, at most `limit` at a time; the first failure stops new work and rejects. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i]);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function findLiveConversations(
  client: GenesysClient,
  reader: ConversationReader,
  criteria: FindCriteria,
  options: FindOptions = {},
): Promise<FindResult> {
  const v = validateCriteria(criteria);
  const now = options.now ?? Date.now();
  const { signal, onWait } = options;

  options.onPhase?.('querying');
  const ids: { id: string; start?: string }[] = [];
  const seen = new Set<string>();
  let truncated = false;
  for (let pageNumber = 1; ; pageNumber++) {
    let page: z.infer<typeof DetailsPage>;
    try {
      const res = await client.request({
        method: 'POST',
        path: '/api/v2/analytics/conversations/details/query',
        body: detailsQuery(v, now, pageNumber),
        schema: DetailsPage,
        signal,
        onWait,
      });
      page = res.body;
    } catch (err) {
      throw explainForbidden(err);
    }
    const conversations = page.conversations ?? [];
    for (const c of conversations) {
      const id = c.conversationId.toLowerCase();
      // Pages can overlap while data arrives (totalHits is approximate): each conversation once.
      if (seen.has(id) || !UUID_RE.test(id)) continue;
      seen.add(id);
      ids.push({ id: c.conversationId, start: c.conversationStart });
    }
    if (conversations.length < PAGE_SIZE) break;
    if (pageNumber >= MAX_PAGES) {
      truncated = true;
      break;
    }
  }

  options.onPhase?.('reading');
  const found = await pool(ids, READ_CONCURRENCY, async ({ id, start }): Promise<FoundConversation | undefined> => {
    let read;
    try {
      read = await reader.read(id, { signal, onWait });
    } catch (err) {
      // Gone between the query and the read (or never visible to this client): not live, not an error.
      if (err instanceof GenesysError && err.code === 'target-not-found') return undefined;
      throw err;
    }
    if (read.conversation.endTime) return undefined;
    const rawById = new Map(read.conversation.participants.map((p) => [p.id, p]));
    const matches = read.participants.filter((p) => isMatch(p, rawById.get(p.id), v));
    if (matches.length === 0) return undefined;
    const out: FoundConversation = {
      conversationId: read.conversation.id,
      startTime: read.conversation.startTime ?? start,
      matches,
      participants: read.participants,
    };
    if (matches.length === 1) {
      out.participantId = matches[0].id;
      out.participant = matches[0];
    }
    return out;
  });
  return { conversations: found.filter((f): f is FoundConversation => f !== undefined), candidates: ids.length, truncated };
}

/** A 403 on the details query says which permission it needs. */
function explainForbidden(err: unknown): unknown {
  if (!(err instanceof GenesysError) || err.code !== 'permission-denied') return err;
  const named = err.missingPermission ? ` (Genesys names ${err.missingPermission})` : '';
  return new GenesysError(
    'permission-denied',
    `permission denied (403${err.genesysCode ? ` ${err.genesysCode}` : ''}): finding conversations uses the analytics details query, ` +
      `which needs ${ANALYTICS_PERMISSION} (or analytics:agentConversationDetail:view) in the OAuth client's roles${named}`,
    {
      status: err.status,
      genesysCode: err.genesysCode,
      correlationId: err.correlationId,
      missingPermission: err.missingPermission ?? ANALYTICS_PERMISSION,
      cause: err,
    },
  );
}
