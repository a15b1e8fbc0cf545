// What a wait subscribes to learn that a leg ended (docs/architecture.md 2.5a): the conversation's detail events
// `v2.detail.events.conversation.{id}.user.end` (a leg with a user) and `.customer.end` (the customer/external
// leg), one event per ended session (docs/platform.md section 7; fields from the SDK model
// UserEndDetailEventTopicUserEndEvent / CustomerEndDetailEventTopicCustomerEndEvent of
// MyPureCloud/platform-client-sdk-javascript index.d.ts: eventTime (epoch ms), conversationId, participantId,
// disconnectType (upper case: CLIENT, ENDPOINT...)). There is no per-participant topic: waits on legs of the same
// conversation share the topic and each looks for its own participantId.
import type { NotificationChannels, TopicListener, TopicState } from '../platform/notifications';

/** Purposes whose legs end with a customer.end event (the customer/external side of the call). */
const CUSTOMER_SIDE: ReadonlySet<string> = new Set(['customer', 'external']);

/** Topic kinds as bits, so a wait record holds one small number. */
export const USER_END = 1;
export const CUSTOMER_END = 2;
/** The kinds of a wait: one bit, both (unknown leg, or the whole conversation), or 0 (no topic fits: poll). */
export type LegTopics = number;

export function topicOf(conversationId: string, kind: number): string {
  return `v2.detail.events.conversation.${conversationId.toLowerCase()}.${kind === USER_END ? 'user' : 'customer'}.end`;
}

/** Calls fn with each topic of `kinds`. */
export function eachTopic(conversationId: string, kinds: LegTopics, fn: (topic: string) => void): void {
  if (kinds & USER_END) fn(topicOf(conversationId, USER_END));
  if (kinds & CUSTOMER_END) fn(topicOf(conversationId, CUSTOMER_END));
}

/**
 * The topic that fits a leg: customer/external -> customer.end; a leg with a user (or purpose agent/user) ->
 * user.end; any other purpose (acd, ivr, workflow...) has neither (0: its wait polls). Unknown leg: both.
 */
export function legTopics(leg: { purpose?: string; userId?: string } | undefined): LegTopics {
  if (!leg) return USER_END | CUSTOMER_END;
  const purpose = (leg.purpose ?? '').trim().toLowerCase();
  if (CUSTOMER_SIDE.has(purpose)) return CUSTOMER_END;
  if (leg.userId || purpose === 'agent' || purpose === 'user') return USER_END;
  return 0;
}

export interface LegEnd {
  participantId: string;
  endedAt?: string;
  /** The event's disconnectType in lower case (events spell it CLIENT, ENDPOINT...; REST client, endpoint). */
  disconnectType?: string;
}

/** The ended session an event describes, or undefined for a body without a participantId. */
export function legEndOf(body: unknown): LegEnd | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as { participantId?: unknown; eventTime?: unknown; disconnectType?: unknown };
  if (typeof b.participantId !== 'string' || b.participantId === '') return undefined;
  const out: LegEnd = { participantId: b.participantId };
  if (typeof b.eventTime === 'number' && Number.isFinite(b.eventTime)) {
    const d = new Date(b.eventTime);
    if (!Number.isNaN(d.getTime())) out.endedAt = d.toISOString();
  }
  if (typeof b.disconnectType === 'string' && b.disconnectType !== '') out.disconnectType = b.disconnectType.slice(0, 60).toLowerCase();
  return out;
}

/**
 * A leg watched before the request that ends it (a confirmed kick subscribes before its PATCH, so the event
 * cannot come before the subscription). It keeps what happens until the wait takes it over.
 */
export class LegWatch implements TopicListener {
  /** The event that ended the leg, if one came before the wait took over. */
  ended: LegEnd | undefined;
  /** Live, and live without a gap since the subscription (no event can have been missed). */
  live = false;
  /** Push went away (or came back after a gap) before the wait took over: the wait reads by REST. */
  gap = false;
  private ready: (() => void) | undefined;

  constructor(
    readonly push: NotificationChannels,
    readonly conversationId: string,
    readonly participantId: string,
    readonly kinds: LegTopics,
  ) {}

  pushEvent(_topic: string, body: unknown): void {
    const end = legEndOf(body);
    if (end && end.participantId.toLowerCase() === this.participantId.toLowerCase()) this.ended ??= end;
  }

  pushState(state: TopicState): void {
    if (state === 'live' && !this.gap) this.live = true;
    else if (state !== 'pending') {
      if (this.live || state === 'live') this.gap = true;
      this.live = false;
    }
    if (state !== 'pending') this.ready?.();
  }

  /** Stops watching (the wait that took over subscribed itself first, so the topics stay). */
  release(): void {
    eachTopic(this.conversationId, this.kinds, (t) => this.push.unsubscribe(t, this));
  }

  /**
   * Subscribes and resolves when every topic is live (true) or one is unavailable, or after `maxWaitMs`
   * (false: the wait polls, as without push).
   */
  start(maxWaitMs: number, signal?: AbortSignal): Promise<boolean> {
    let pending = 0;
    let unavailable = false;
    eachTopic(this.conversationId, this.kinds, (t) => {
      const s = this.push.subscribe(t, this).state;
      if (s === 'pending') pending++;
      if (s === 'unavailable') unavailable = true;
    });
    if (unavailable || this.kinds === 0) return Promise.resolve(false);
    if (pending === 0) {
      this.live = true;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(), maxWaitMs);
      timer.unref();
      let left = pending;
      // Aborted (the node closed): no reason to wait; the caller sees its signal next.
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        this.ready = undefined;
        resolve(this.live && !this.gap);
      };
      signal?.addEventListener('abort', finish, { once: true });
      this.ready = () => {
        if (!this.live || --left <= 0) finish();
      };
    });
  }
}

export type PushProbe = { state: 'permitted' } | { state: 'off' } | { state: 'unavailable'; reason: string };

/**
 * "Test connection": are the detail-event topics Permitted for this OAuth client? Subscribes both topics of a
 * conversation id nobody has (on this client's channel, created if it has none: it then holds one of Genesys'
 * 20 channels per client until it expires or is evicted, idle ones first) and reads their ChannelTopic.state.
 */
export function probePush(push: NotificationChannels, conversationId: string, timeoutMs: number): Promise<PushProbe> {
  if (!push.enabled) return Promise.resolve({ state: 'off' });
  return new Promise<PushProbe>((resolve) => {
    const topics = [topicOf(conversationId, USER_END), topicOf(conversationId, CUSTOMER_END)];
    let done = false;
    let reason = 'unavailable';
    const listener: TopicListener = {
      pushEvent: () => undefined,
      pushState: (state, why) => {
        if (state === 'unavailable') reason = why;
        check();
      },
    };
    const finish = (result: PushProbe) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const t of topics) push.unsubscribe(t, listener);
      resolve(result);
    };
    const check = () => {
      const states = topics.map((t) => push.state(t));
      if (states.every((s) => s === 'live')) finish({ state: 'permitted' });
      else if (states.includes('unavailable')) finish({ state: 'unavailable', reason });
    };
    const timer = setTimeout(() => finish({ state: 'unavailable', reason: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    timer.unref();
    const first = topics.map((t) => push.subscribe(t, listener));
    const gone = first.find((s) => s.state === 'unavailable');
    if (gone) finish({ state: 'unavailable', reason: gone.reason });
    else check();
  });
}
