// The event source (docs/architecture.md 2.5b): topics a flow builder picks, subscribed through the config's
// channel manager (lib/platform/notifications.ts), each event turned into a plain result a node can send, and
// the topics' states turned into notices (subscribed, rejected, possible gap, reconnected).
// Topics (docs/platform.md section 7):
//   v2.routing.queues.{queueId}.conversations and v2.users.{userId}.conversations: the whole conversation on
//   every change, its participants in the topic's own shape (QueueConversationEventTopicParticipant of the
//   official SDKs: id, purpose, userId, queueId, address, name, calls[]/chats[]... with each communication's
//   state), read here with the same lenient schema and normalised as the list node does;
//   v2.detail.events.conversation.{id}.user.start|end and .customer.start|end: one event per leg that starts or
//   ends (UserStartDetailEventTopicUserStartEvent... of the SDKs: conversationId, participantId, eventTime).
// Genesys does not replay what a socket missed: a topic that was live and went down says "possible gap", and
// "reconnected" when it is back, with the window (from, to) in which events may have been lost.
import type { NotificationChannels, TopicListener, TopicState } from '../platform/notifications';
import { invalidInput } from '../platform/errors';
import { describe, parseChoice, parseFlag } from '../platform/options';
import { normaliseParticipants, type NormalisedParticipant } from './participants';
import { Conversation } from './schemas';
import { requireId } from './validate';

export const TOPIC_KINDS = ['queue', 'user', 'conversation'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];
/** Which changes make a msg: every event, or one msg per participant that joined (or left). */
export const EVENT_FILTERS = ['all', 'joins', 'leaves'] as const;
export type EventFilter = (typeof EVENT_FILTERS)[number];

export const EVENTS_DEFAULTS = { only: 'all', purpose: '', collapse: true } as const satisfies {
  only: EventFilter;
  purpose: string;
  collapse: boolean;
};

/** Topic rows one node may hold (a conversation row is four topics). Far below a channel's 1,000. */
export const MAX_TOPIC_ROWS = 50;
/** The detail events of a conversation row: its legs starting and ending. */
const DETAIL_EVENTS = ['user.start', 'user.end', 'customer.start', 'customer.end'];
/** Conversations whose participants are remembered (to tell joins from changes); the oldest go first. */
const MAX_TRACKED = 5_000;
/** Detail events remembered to drop duplicates. */
const MAX_RECENT = 1_000;
/**
 * At the node's first event of a conversation a live participant counts as joining when it is not connected
 * yet, or connected this recently (connectedTime, Genesys' clock against ours): one that was on the call long
 * before the node started is not reported as joining.
 */
export const RECENT_JOIN_MS = 30_000;
/** A topic Genesys rejected (or the manager dropped) is asked for again this often while the node runs. */
const RETRY_MS = 60_000;

export interface EventsSettings {
  only: EventFilter;
  /** Only participants of this purpose (lower case); undefined: any. */
  purpose: string | undefined;
  /** Drop an event that changes nothing the node reports (Genesys sends several per change). */
  collapse: boolean;
  /** The topic names, lower case, without duplicates. */
  topics: string[];
}

/** The topic names of one row: a queue's or user's conversations, or a conversation's four detail topics. */
export function topicsOfRow(kind: TopicKind, id: string): string[] {
  const lower = id.toLowerCase();
  if (kind === 'queue') return [`v2.routing.queues.${lower}.conversations`];
  if (kind === 'user') return [`v2.users.${lower}.conversations`];
  return DETAIL_EVENTS.map((e) => `v2.detail.events.conversation.${lower}.${e}`);
}

/**
 * The node's settings from its flow file: `topics` is a list of `{kind, id}` (ids already resolved by the
 * node: an env variable's value), `only`, `purpose`, `collapse`. A bad value names the field.
 */
export function parseEventsOptions(raw: Record<string, unknown>): EventsSettings {
  const rows = raw.topics ?? [];
  if (!Array.isArray(rows)) throw invalidInput('topics', `must be a list of {kind, id}, got ${describe(rows)}`);
  if (rows.length === 0) throw invalidInput('topics', 'is empty: add at least one queue, user or conversation');
  if (rows.length > MAX_TOPIC_ROWS) throw invalidInput('topics', `holds ${rows.length} rows, at most ${MAX_TOPIC_ROWS}`);
  const topics = new Set<string>();
  rows.forEach((row: unknown, i) => {
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw invalidInput(`topics[${i}]`, `must be {kind, id}, got ${describe(row)}`);
    const r = row as { kind?: unknown; id?: unknown };
    const kind = parseChoice(r.kind, `topics[${i}].kind`, TOPIC_KINDS, 'queue');
    for (const t of topicsOfRow(kind, requireId(r.id, `topics[${i}].id`))) topics.add(t);
  });
  const purpose = raw.purpose;
  if (purpose !== undefined && purpose !== null && typeof purpose !== 'string')
    throw invalidInput('purpose', `must be text, got ${describe(purpose)}`);
  const p = (purpose ?? '').trim().toLowerCase();
  if (p.length > 40 || !/^[a-z_.-]*$/.test(p)) throw invalidInput('purpose', `must be a purpose such as agent or customer, got ${describe(purpose)}`);
  return {
    only: parseChoice(raw.only, 'only', EVENT_FILTERS, EVENTS_DEFAULTS.only),
    purpose: p || undefined,
    collapse: parseFlag(raw.collapse, 'collapse', EVENTS_DEFAULTS.collapse),
    topics: [...topics],
  };
}

/** One event as the node sends it. */
export interface TopicEvent {
  topic: string;
  /** The event body as Genesys sent it. */
  body: unknown;
  conversationId?: string;
  /** Conversation topics: everyone on the call, normalised as the list node does. */
  participants?: NormalisedParticipant[];
  /** With only joins / leaves (and for detail events): the leg that joined or left. */
  participantId?: string;
  participant?: NormalisedParticipant;
  change?: 'joined' | 'left';
  /** A join reported at the node's first sight of the conversation (it may have joined earlier). */
  firstSeen?: boolean;
}

export type NoticeKind = 'subscribed' | 'rejected' | 'possible-gap' | 'reconnected';

export interface EventsNotice {
  notice: NoticeKind;
  topics: string[];
  reason?: string;
  /** possible-gap: since when events may be missed; reconnected: the window in which they may have been. */
  from?: string;
  to?: string;
}

export interface EventsStatus {
  total: number;
  live: number;
  pending: number;
  down: number;
  rejected: number;
  /** Why a topic is not live (the latest reason). */
  reason?: string;
}

export interface EventsHandlers {
  onEvent(event: TopicEvent): void;
  onNotice(notice: EventsNotice): void;
  onStatus(status: EventsStatus): void;
}

interface TopicRecord {
  state: TopicState | 'rejected';
  everLive: boolean;
  /** When a live topic went down (events may be missed since then). */
  downSince: number | undefined;
  reason: string;
  /** The rejection already told (not repeated on every retry). */
  toldRejected: string | undefined;
  retry: NodeJS.Timeout | undefined;
}

interface Tracked {
  live: Set<string>;
  signature: string;
}

const DETAIL_RE = /^v2\.detail\.events\.conversation\.[^.]+\.(user|customer)\.(start|end)$/i;
const CUSTOMER_SIDE: ReadonlySet<string> = new Set(['customer', 'external']);

/**
 * The subscriptions of one node. start() subscribes; events and notices go to the handlers; close()
 * unsubscribes, and nothing reaches the handlers after it.
 */
export class ConversationEvents {
  private readonly records = new Map<string, TopicRecord>();
  private readonly conversations = new Map<string, Tracked>();
  private readonly recent = new Set<string>();
  /** Topic state changes of this turn, told together (one notice per kind, not one per topic). */
  private changed = new Set<string>();
  private flushing: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(
    private readonly push: NotificationChannels,
    private readonly settings: EventsSettings,
    private readonly handlers: EventsHandlers,
    private readonly retryMs = RETRY_MS,
  ) {}

  start(): void {
    for (const topic of this.settings.topics) {
      this.records.set(topic, {
        state: 'pending',
        everLive: false,
        downSince: undefined,
        reason: 'subscribing',
        toldRejected: undefined,
        retry: undefined,
      });
      this.subscribe(topic);
    }
    this.handlers.onStatus(this.status());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushing) clearImmediate(this.flushing);
    for (const [topic, r] of this.records) {
      if (r.retry) clearTimeout(r.retry);
      this.push.unsubscribe(topic, this.listenerFor(topic));
    }
    this.conversations.clear();
    this.recent.clear();
  }

  status(): EventsStatus {
    const s: EventsStatus = { total: this.records.size, live: 0, pending: 0, down: 0, rejected: 0 };
    for (const r of this.records.values()) {
      if (r.state === 'live') s.live++;
      else if (r.state === 'pending') s.pending++;
      else if (r.state === 'rejected') s.rejected++;
      else s.down++;
      // A rejection is what a user must act on: its reason first.
      if (r.state === 'rejected' || (r.state === 'unavailable' && s.reason === undefined)) s.reason = r.reason;
    }
    return s;
  }

  // ---- topics ----

  private subscribe(topic: string): void {
    const r = this.records.get(topic)!;
    r.retry = undefined;
    const { state, reason } = this.push.subscribe(topic, this.listenerFor(topic));
    this.noteState(topic, state, reason);
  }

  /** One listener per topic: the manager's state calls name no topic. */
  private readonly listeners = new Map<string, TopicListener>();
  private listenerFor(topic: string): TopicListener {
    let l = this.listeners.get(topic);
    if (!l) {
      l = {
        pushEvent: (t, body) => this.event(t, body),
        pushState: (state, reason) => {
          if (this.closed || reason === 'closed') return;
          this.noteState(topic, state, reason);
        },
      };
      this.listeners.set(topic, l);
    }
    return l;
  }

  private noteState(topic: string, state: TopicState, reason: string): void {
    const r = this.records.get(topic);
    if (!r) return;
    const now = Date.now();
    if (state === 'live') {
      r.state = 'live';
      r.reason = reason;
      r.toldRejected = undefined;
    } else if (state === 'pending') {
      r.state = 'pending';
    } else {
      r.reason = reason;
      // Still 'down' in the manager: it comes back by itself. Rejected or forgotten: asked again later.
      const detail = this.push.topicDetail(topic);
      if (detail && detail.state !== 'rejected') {
        r.state = 'unavailable';
        if (r.everLive && r.downSince === undefined) r.downSince = now;
      } else {
        r.state = 'rejected';
        if (r.everLive && r.downSince === undefined) r.downSince = now;
        if (this.push.enabled && !r.retry) {
          r.retry = setTimeout(() => {
            if (this.closed) return;
            this.push.unsubscribe(topic, this.listenerFor(topic));
            this.subscribe(topic);
          }, this.retryMs);
          r.retry.unref();
        }
      }
    }
    this.changed.add(topic);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushing || this.closed) return;
    // One turn later: a reconnect brings every topic of the channel back at once; one notice tells them all.
    this.flushing = setImmediate(() => {
      this.flushing = undefined;
      if (!this.closed) this.flush();
    });
  }

  private flush(): void {
    const now = Date.now();
    const subscribed: string[] = [];
    const reconnected: string[] = [];
    const gap: string[] = [];
    const rejected = new Map<string, string[]>();
    let gapFrom = now;
    let downFrom = now;
    for (const topic of this.changed) {
      const r = this.records.get(topic);
      if (!r) continue;
      if (r.state === 'live') {
        if (!r.everLive) subscribed.push(topic);
        else if (r.downSince !== undefined) {
          reconnected.push(topic);
          gapFrom = Math.min(gapFrom, r.downSince);
        }
        r.everLive = true;
        r.downSince = undefined;
      } else if (r.state === 'rejected') {
        if (r.toldRejected !== r.reason) {
          r.toldRejected = r.reason;
          rejected.set(r.reason, [...(rejected.get(r.reason) ?? []), topic]);
        }
      }
      if (r.state === 'live') this.gapTold.delete(topic);
      else if (r.downSince !== undefined && !this.gapTold.has(topic)) {
        this.gapTold.add(topic);
        gap.push(topic);
        downFrom = Math.min(downFrom, r.downSince);
      }
    }
    this.changed.clear();
    const iso = (ms: number) => new Date(ms).toISOString();
    if (subscribed.length) this.handlers.onNotice({ notice: 'subscribed', topics: subscribed });
    for (const [reason, topics] of rejected) this.handlers.onNotice({ notice: 'rejected', topics, reason });
    if (gap.length) this.handlers.onNotice({ notice: 'possible-gap', topics: gap, reason: this.records.get(gap[0])!.reason, from: iso(downFrom) });
    if (reconnected.length) this.handlers.onNotice({ notice: 'reconnected', topics: reconnected, from: iso(gapFrom), to: iso(now) });
    this.handlers.onStatus(this.status());
  }

  /** Topics whose gap was told (one possible-gap notice per outage, not one per state change in it). */
  private readonly gapTold = new Set<string>();

  // ---- events ----

  private event(topic: string, body: unknown): void {
    if (this.closed) return;
    try {
      if (DETAIL_RE.test(topic)) this.detailEvent(topic, body);
      else this.conversationEvent(topic, body);
    } catch {
      /* a body we cannot read is dropped; the next event of the conversation is read afresh */
    }
  }

  private conversationEvent(topic: string, body: unknown): void {
    const parsed = Conversation.safeParse(body);
    if (!parsed.success) {
      // Not a conversation we can read: passed on as it is when every event is wanted.
      if (this.settings.only === 'all' && !this.settings.purpose) this.handlers.onEvent({ topic, body });
      return;
    }
    const conversationId = parsed.data.id;
    const participants = normaliseParticipants(parsed.data);
    const key = conversationId.toLowerCase();
    const seen = this.conversations.get(key);
    const signature = JSON.stringify(participants.map((p) => [p.id, p.state, p.held, p.muted, p.confined, p.live]));
    const live = new Set(participants.filter((p) => p.live).map((p) => p.id));
    // Most recently changed last: the oldest is evicted first.
    this.conversations.delete(key);
    this.conversations.set(key, { live, signature });
    if (this.conversations.size > MAX_TRACKED) this.conversations.delete(this.conversations.keys().next().value as string);

    const purpose = this.settings.purpose;
    const fits = (p: NormalisedParticipant) => !purpose || (p.purpose ?? '').trim().toLowerCase() === purpose;
    if (this.settings.only === 'all') {
      if (this.settings.collapse && seen?.signature === signature) return;
      if (purpose && !participants.some(fits)) return;
      this.handlers.onEvent({ topic, body, conversationId, participants });
      return;
    }
    // Joins and leaves: the difference to what the node saw last of this conversation (on any of its topics),
    // so the several events Genesys sends for one change, or the same change on a queue and a user topic,
    // report it once.
    const joins = this.settings.only === 'joins';
    const now = Date.now();
    const joined = (p: NormalisedParticipant) =>
      p.live && (seen ? !seen.live.has(p.id) : p.connectedTime === undefined || !(Date.parse(p.connectedTime) < now - RECENT_JOIN_MS));
    const changed = participants.filter((p) => fits(p) && (joins ? joined(p) : !p.live && seen?.live.has(p.id) === true));
    for (const p of changed) {
      const event: TopicEvent = { topic, body, conversationId, participants, participantId: p.id, participant: p, change: joins ? 'joined' : 'left' };
      if (joins) event.firstSeen = seen === undefined;
      this.handlers.onEvent(event);
    }
  }

  private detailEvent(topic: string, body: unknown): void {
    const m = DETAIL_RE.exec(topic)!;
    const side = m[1].toLowerCase();
    const change = m[2].toLowerCase() === 'start' ? 'joined' : 'left';
    if ((this.settings.only === 'joins' && change !== 'joined') || (this.settings.only === 'leaves' && change !== 'left')) return;
    // Detail events carry no purpose: customer and external legs are the .customer.* events, agent and user legs
    // the .user.* events (as the waits choose their topic, lib/conversation/leg-events.ts); others have neither.
    const purpose = this.settings.purpose;
    if (purpose && (CUSTOMER_SIDE.has(purpose) ? side !== 'customer' : side !== 'user' || !['agent', 'user'].includes(purpose))) return;
    const b = (body && typeof body === 'object' ? body : {}) as {
      conversationId?: unknown;
      participantId?: unknown;
      sessionId?: unknown;
      eventTime?: unknown;
    };
    if (this.settings.collapse) {
      const key = `${topic}|${String(b.participantId)}|${String(b.sessionId)}|${String(b.eventTime)}`;
      if (this.recent.has(key)) return;
      this.recent.add(key);
      if (this.recent.size > MAX_RECENT) this.recent.delete(this.recent.values().next().value as string);
    }
    const event: TopicEvent = { topic, body, change };
    if (typeof b.conversationId === 'string') event.conversationId = b.conversationId;
    if (typeof b.participantId === 'string') event.participantId = b.participantId;
    this.handlers.onEvent(event);
  }
}
