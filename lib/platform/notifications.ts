// The Notification Service, one manager per GenesysClient (so per config node): channels, one WebSocket each,
// topics subscribed in batches, and everything that keeps them working (docs/platform.md section 7, docs/architecture.md 2.5a).
// Nothing here decides what a wait does: listeners learn a topic's state ('pending', 'live', 'unavailable')
// and its events, and poll by REST whenever it is not 'live'. Every REST call goes through the client's one
// request path (its token, rate limiter and retry policy). No token is ever in a URL: Genesys' connectUri
// needs none (the channel id is the credential), and none is added.
//
// Channel API (MyPureCloud/platform-client-sdk-javascript, NotificationsApi.js / index.d.ts):
//   POST /api/v2/notifications/channels -> Channel {id, connectUri, expires}
//   POST|PUT /api/v2/notifications/channels/{id}/subscriptions?ignoreErrors=true, body ChannelTopic[]
//     -> ChannelTopicEntityListing {entities: ChannelTopic {id, state, rejectionReason, missingPermissions}}
//     (ignoreErrors: "prevent throwing of errors for failed permissions checks": a Rejected topic is listed
//     with its state instead of failing the whole batch)
//   HEAD /api/v2/notifications/channels/{id}: 200 while the channel lives, 404 after.
import { type Dispatcher, WebSocket } from 'undici';
import { z } from 'zod';
import type { ApiResponse, RequestOptions } from './client';
import { endInBatches } from './abort';
import { GenesysError } from './errors';
import { truncate } from './redact';

/** Genesys' limit of topics per channel (docs/platform.md section 7: 400 above it). */
export const MAX_TOPICS_PER_CHANNEL = 1_000;
/**
 * Channels one config node may hold. Genesys allows 20 per OAuth client and evicts the oldest beyond that;
 * other integrations of the same client share those 20, so we stay well under. Beyond the cap waits poll.
 */
export const DEFAULT_MAX_CHANNELS = 10;

export interface PushTiming {
  silenceMs: number;
  pongMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  failuresBeforeCheck: number;
  renewBeforeMs: number;
  rejectedForMs: number;
}

export const PUSH_TIMING: Readonly<PushTiming> = {
  /** Genesys sends a heartbeat about every 30 s: this long without any message, we ping. */
  silenceMs: 45_000,
  /** After a ping, this long without any message: the socket is dead, reconnect. */
  pongMs: 10_000,
  /** Reconnect backoff: full jitter over base * 2^attempt, capped. */
  reconnectBaseMs: 500,
  reconnectMaxMs: 30_000,
  /** A socket that will not open this many times in a row: ask whether the channel still lives (HEAD). */
  failuresBeforeCheck: 3,
  /** Re-create a channel this long before it expires (24 h lifetime), or at 90% of a shorter one. */
  renewBeforeMs: 30 * 60_000,
  /** A topic kind Rejected for missing permissions is not asked for again for this long (waits poll). */
  rejectedForMs: 10 * 60_000,
};

export type TopicState = 'pending' | 'live' | 'unavailable';

/** A wait (or anything) interested in a topic. Plain methods: the await scheduler's wait records implement it. */
export interface TopicListener {
  /** An event on the topic (the message's eventBody). */
  pushEvent(topic: string, body: unknown): void;
  /**
   * The topic's state changed. 'live' after anything else means events may have been missed meanwhile (a
   * reconnect, a new channel: Genesys does not replay): read by REST once. 'unavailable': poll.
   */
  pushState(state: TopicState, reason: string): void;
}

export type PushStatus =
  | { state: 'off' | 'idle' | 'up' | 'connecting'; channels: number; topics: number }
  | { state: 'unavailable' | 'degraded'; channels: number; topics: number; reason: string };

/** What the manager needs of its client: the one request path, and whether the budget has room. */
export interface PushClient {
  request<T>(options: RequestOptions<T>): Promise<ApiResponse<T>>;
  /** The proxy the REST requests use (HTTPS_PROXY & co.), if any: the socket goes through it too. */
  readonly socketDispatcher?: Dispatcher;
}

export interface NotificationOptions {
  /** Off: every topic is 'unavailable' (waits poll). Default on. */
  enabled?: boolean;
  maxChannels?: number;
  maxTopicsPerChannel?: number;
  /** Tests: shorter timings. */
  timing?: Partial<PushTiming>;
  /** Called when status() changes. */
  onStatus?: (status: PushStatus) => void;
}

const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);
const ChannelBody = z.object({ id: z.string().min(1), connectUri: z.string().min(1), expires: optionalString });
const ChannelTopicListing = z.object({
  entities: z
    .array(
      z.object({
        id: z.string(),
        state: optionalString,
        rejectionReason: optionalString,
        missingPermissions: z.array(z.string()).nullish(),
      }),
    )
    .nullish(),
});
type ChannelTopics = z.infer<typeof ChannelTopicListing>;

/** A topic's kind: the topic with its ids replaced (v2.detail.events.conversation.{id}.user.end). */
const ID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const kindOf = (topic: string) => topic.replace(ID_RE, '{id}');

interface Topic {
  name: string;
  state: 'pending' | 'live' | 'down' | 'rejected';
  reason: string;
  listeners: Set<TopicListener>;
  channel: Channel | undefined;
  /** Confirmed Permitted on its channel (kept across reconnects of the same channel). */
  permitted: boolean;
}

interface Channel {
  /** Undefined while the POST that creates it is in flight. */
  id: string | undefined;
  connectUri: string | undefined;
  expiresAt: number;
  topics: Map<string, Topic>;
  /** Topics assigned to this channel and not yet sent in a subscription request. */
  toSubscribe: Set<Topic>;
  /** Topics no listener needs any more (still subscribed on Genesys' side until the next replace). */
  idle: Set<Topic>;
  /** The next subscription request replaces the channel's whole list (PUT): idle topics were dropped. */
  replace: boolean;
  busy: boolean;
  socket: WebSocket | undefined;
  open: boolean;
  failures: number;
  watchdog: NodeJS.Timeout | undefined;
  pinged: boolean;
  reconnectTimer: NodeJS.Timeout | undefined;
  /** A failed subscription request's retry, and how many failed in a row (its backoff grows with them). */
  retryTimer: NodeJS.Timeout | undefined;
  subscribeFailures: number;
  renewTimer: NodeJS.Timeout | undefined;
  retired: boolean;
  /** Renewal before expiry: the channel taking over; this one keeps its socket until then (no gap). */
  successor: Channel | undefined;
}

function unref(t: NodeJS.Timeout): NodeJS.Timeout {
  t.unref();
  return t;
}

function clear(t: NodeJS.Timeout | undefined): undefined {
  if (t) clearTimeout(t);
  return undefined;
}

/** ws: only for loopback hosts (the simulator); anything else must be wss:. */
function checkConnectUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new GenesysError('genesys-error', 'the notification channel has a connectUri that is not a URL');
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (!(url.protocol === 'wss:' || (url.protocol === 'ws:' && loopback)) || url.username || url.password) {
    throw new GenesysError('genesys-error', `the notification channel's connectUri must be wss: (got ${url.protocol})`);
  }
  return url.href;
}

export class NotificationChannels {
  readonly enabled: boolean;
  private readonly maxChannels: number;
  private readonly maxTopics: number;
  private readonly timing: PushTiming;
  private readonly topics = new Map<string, Topic>();
  private readonly channels = new Set<Channel>();
  /** Topic kinds Genesys rejected (missing permissions): until when not to ask again, and why. */
  private readonly rejectedKinds = new Map<string, { until: number; reason: string }>();
  private flushImmediate: NodeJS.Immediate | undefined;
  /** After a failed channel creation, no new attempt before this time (waits poll meanwhile). */
  private createBlockedUntil = 0;
  private closed = false;
  private lastStatus = '';
  private problem: string | undefined;
  private readonly onStatus: ((s: PushStatus) => void)[] = [];
  /** Requests spent on push (channel creation, subscriptions, HEAD), for tests and benchmarks. */
  readonly counters = { channelsCreated: 0, subscriptionRequests: 0, checks: 0, reconnects: 0, events: 0 };

  constructor(
    private readonly client: PushClient,
    options: NotificationOptions = {},
  ) {
    this.enabled = options.enabled !== false;
    this.maxChannels = options.maxChannels ?? DEFAULT_MAX_CHANNELS;
    this.maxTopics = Math.min(options.maxTopicsPerChannel ?? MAX_TOPICS_PER_CHANNEL, MAX_TOPICS_PER_CHANNEL);
    this.timing = { ...PUSH_TIMING, ...options.timing };
    if (options.onStatus) this.onStatus.push(options.onStatus);
  }

  /** Calls `fn` with every new status (the config node shows it); returns a function that stops it. */
  watch(fn: (s: PushStatus) => void): () => void {
    this.onStatus.push(fn);
    return () => {
      const i = this.onStatus.indexOf(fn);
      if (i >= 0) this.onStatus.splice(i, 1);
    };
  }

  /**
   * `listener` wants the events of `topic`. Returns the topic's state now; later changes come through
   * listener.pushState. A topic nobody else needs yet is subscribed with the next batch.
   */
  subscribe(topic: string, listener: TopicListener): { state: TopicState; reason: string } {
    if (!this.enabled || this.closed) return { state: 'unavailable', reason: this.closed ? 'closed' : 'push is off' };
    let t = this.topics.get(topic);
    if (!t) {
      t = { name: topic, state: 'pending', reason: 'subscribing', listeners: new Set(), channel: undefined, permitted: false };
      this.topics.set(topic, t);
      this.place(t);
    } else if (t.listeners.size === 0) t.channel?.idle.delete(t);
    t.listeners.add(listener);
    return { state: publicState(t), reason: t.reason };
  }

  /** A topic's state now (no side effect: a topic nobody subscribed is 'unavailable'). */
  state(topic: string): TopicState {
    const t = this.topics.get(topic);
    return t ? publicState(t) : 'unavailable';
  }

  /**
   * What the manager knows of a topic: 'rejected' (Genesys said no, or no channel could serve it: it is not
   * asked for again), 'down' (it comes back by itself), or undefined when it forgot the topic (a channel that
   * could not be created drops its topics): a listener that still wants it subscribes again.
   */
  topicDetail(topic: string): { state: Topic['state']; reason: string } | undefined {
    const t = this.topics.get(topic);
    return t ? { state: t.state, reason: t.reason } : undefined;
  }

  /** `listener` no longer needs `topic`. The topic stays subscribed until its channel needs the room. */
  unsubscribe(topic: string, listener: TopicListener): void {
    const t = this.topics.get(topic);
    if (!t || !t.listeners.delete(listener) || t.listeners.size > 0) return;
    const ch = t.channel;
    if (!ch || t.state === 'rejected' || ch.toSubscribe.has(t)) {
      // Not subscribed on Genesys' side, nor in a request on its way: forget it now.
      ch?.toSubscribe.delete(t);
      ch?.topics.delete(t.name);
      this.topics.delete(t.name);
      return;
    }
    // Subscribed (or being subscribed): it keeps its place until the channel needs the room (then a PUT).
    ch.idle.add(t);
  }

  status(): PushStatus {
    const channels = [...this.channels].filter((c) => !c.retired).length;
    const topics = this.topics.size;
    if (!this.enabled) return { state: 'off', channels, topics };
    if (this.problem) return { state: 'unavailable', channels, topics, reason: this.problem };
    const all = [...this.channels];
    if (all.length === 0) return { state: 'idle', channels, topics };
    const down = all.filter((c) => !c.open);
    if (down.length === 0) return { state: 'up', channels, topics };
    if (down.every((c) => c.failures === 0 && !c.pinged)) return { state: 'connecting', channels, topics };
    return { state: 'degraded', channels, topics, reason: 'reconnecting' };
  }

  /** Closes every socket and clears every timer; listeners are told 'unavailable' (they poll, and a closed client cancels). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushImmediate) clearImmediate(this.flushImmediate);
    this.flushImmediate = undefined;
    for (const ch of [...this.channels]) this.retire(ch);
    const topics = [...this.topics.values()];
    this.topics.clear();
    // In batches: 10,000 waits told at once would hold the event loop for one long turn.
    endInBatches(topics, (t) => this.setState(t, 'down', 'closed'));
  }

  // ---- topics and channels ----

  /** Finds (or creates, up to the cap) a channel with room for the topic, or says why push cannot serve it. */
  private place(t: Topic): void {
    const rejected = this.rejectedKinds.get(kindOf(t.name));
    if (rejected && rejected.until > Date.now()) {
      t.state = 'rejected';
      t.reason = rejected.reason;
      return;
    }
    let ch: Channel | undefined;
    for (const c of this.channels) {
      if (c.retired || c.successor) continue;
      if (c.topics.size < this.maxTopics) {
        ch = c;
        break;
      }
      if (c.idle.size > 0 && !ch) ch = c;
    }
    if (ch && ch.topics.size >= this.maxTopics) {
      // Full, but with topics nobody needs: drop one, and replace the list (PUT) with the next batch.
      const idle = ch.idle.values().next().value as Topic;
      ch.idle.delete(idle);
      ch.topics.delete(idle.name);
      this.topics.delete(idle.name);
      ch.replace = true;
    }
    if (!ch && this.liveChannels() < this.maxChannels) {
      if (this.createBlockedUntil > Date.now()) {
        t.state = 'rejected';
        t.reason = this.problem ?? 'no notification channel';
        return;
      }
      ch = this.newChannel();
    }
    if (!ch) {
      t.state = 'rejected';
      t.reason = `all ${this.maxChannels} notification channels are full`;
      return;
    }
    if (ch.id !== undefined && !ch.open && (ch.failures > 0 || ch.reconnectTimer !== undefined)) {
      t.state = 'down';
      t.reason = 'reconnecting';
    }
    t.channel = ch;
    ch.topics.set(t.name, t);
    ch.toSubscribe.add(t);
    this.scheduleFlush();
  }

  private liveChannels(): number {
    let n = 0;
    for (const c of this.channels) if (!c.retired && !c.successor) n++;
    return n;
  }

  private newChannel(): Channel {
    const ch: Channel = {
      id: undefined,
      connectUri: undefined,
      expiresAt: 0,
      topics: new Map(),
      toSubscribe: new Set(),
      idle: new Set(),
      replace: false,
      busy: true,
      socket: undefined,
      open: false,
      failures: 0,
      watchdog: undefined,
      pinged: false,
      reconnectTimer: undefined,
      retryTimer: undefined,
      subscribeFailures: 0,
      renewTimer: undefined,
      retired: false,
      successor: undefined,
    };
    this.channels.add(ch);
    void this.create(ch);
    return ch;
  }

  /** POST /api/v2/notifications/channels, then the socket; subscriptions are sent once it is open. */
  private async create(ch: Channel): Promise<void> {
    ch.busy = true;
    try {
      // High priority: few requests, and waits (a confirmed kick, before its PATCH) depend on them.
      const res = await this.client.request({ method: 'POST', path: '/api/v2/notifications/channels', schema: ChannelBody, priority: 'high' });
      this.counters.channelsCreated++;
      if (this.closed || ch.retired) return;
      ch.id = res.body.id;
      ch.connectUri = checkConnectUri(res.body.connectUri);
      const expires = res.body.expires ? Date.parse(res.body.expires) : NaN;
      const now = Date.now();
      ch.expiresAt = Number.isFinite(expires) && expires > now ? expires : now + 24 * 3_600_000;
      const lifetime = ch.expiresAt - now;
      const renewIn = Math.max(1_000, lifetime - Math.min(this.timing.renewBeforeMs, lifetime / 10));
      ch.renewTimer = unref(setTimeout(() => this.renew(ch), Math.min(renewIn, 2 ** 31 - 1)));
      this.problem = undefined;
      ch.busy = false;
      this.connect(ch);
    } catch (err) {
      ch.busy = false;
      if (this.closed || ch.retired) return;
      // No channel: its topics poll. Forget the channel; a later wait tries again (after this one's topics go).
      this.problem = `no notification channel (${describe(err)})`;
      // A definite no (404: no Notification Service here, 403) is not asked again for long; anything else soon.
      const definite = err instanceof GenesysError && (err.status === 400 || err.status === 403 || err.status === 404);
      this.createBlockedUntil = Date.now() + (definite ? this.timing.rejectedForMs : this.timing.reconnectMaxMs);
      this.retire(ch);
      for (const t of [...ch.topics.values()]) {
        ch.topics.delete(t.name);
        this.topics.delete(t.name);
        this.setState(t, 'down', this.problem);
      }
      // A renewal that failed: the old channel goes too (its topics were the new one's).
      for (const old of [...this.channels]) if (old.successor === ch) this.retire(old);
      this.emitStatus();
    }
  }

  /**
   * Before the channel expires: a new channel takes its topics while the old socket stays open, and the old
   * one goes once the new one's subscriptions are answered (handOver). No gap, so the waits need no re-read.
   */
  private renew(old: Channel): void {
    old.renewTimer = undefined;
    if (this.closed || old.retired || old.successor) return;
    if (!old.open) return this.recreate(old, 'the channel expires soon');
    const topics = [...old.topics.values()].filter((t) => t.listeners.size > 0 && t.channel === old);
    for (const t of old.topics.values()) if (t.listeners.size === 0 && t.channel === old) this.topics.delete(t.name);
    if (topics.length === 0) {
      this.retire(old);
      return this.emitStatus();
    }
    const ch = this.newChannel();
    old.successor = ch;
    for (const t of topics) {
      t.channel = ch;
      t.permitted = false;
      ch.topics.set(t.name, t);
      ch.toSubscribe.add(t);
    }
  }

  /** The renewed channel has its subscriptions answered: the old one goes. */
  private handOver(ch: Channel): void {
    for (const old of [...this.channels]) if (old.successor === ch) this.retire(old);
  }

  /** A channel being renewed went away early: its topics not yet on the new one had a gap (re-read). */
  private retireRenewed(old: Channel): void {
    const next = old.successor!;
    for (const t of old.topics.values())
      if (t.channel === next && !t.permitted && t.state === 'live') this.setState(t, 'down', 'renewing the channel');
    this.retire(old);
    this.emitStatus();
  }

  /** Throw the channel away and put its topics on a new one (expired, gone, or no_longer_subscribed). */
  private recreate(old: Channel, why: string): void {
    if (this.closed || old.retired) return;
    if (old.successor) return this.retireRenewed(old);
    this.retire(old);
    const topics = [...old.topics.values()].filter((t) => t.listeners.size > 0 && t.channel === old);
    for (const t of old.topics.values()) if (t.listeners.size === 0 && t.channel === old) this.topics.delete(t.name);
    if (topics.length === 0) return this.emitStatus();
    const ch = this.newChannel();
    for (const t of topics) {
      t.channel = ch;
      t.permitted = false;
      ch.topics.set(t.name, t);
      ch.toSubscribe.add(t);
      this.setState(t, 'down', why);
    }
    this.emitStatus();
  }

  private retire(ch: Channel): void {
    ch.retired = true;
    this.dropSocket(ch, true);
    ch.renewTimer = clear(ch.renewTimer);
    ch.retryTimer = clear(ch.retryTimer);
    this.channels.delete(ch);
  }

  private scheduleFlush(): void {
    if (this.flushImmediate || this.closed) return;
    // One turn later: the waits of one burst (a redeploy, a bulk of kicks) go in one request.
    this.flushImmediate = setImmediate(() => {
      this.flushImmediate = undefined;
      for (const ch of this.channels) this.flush(ch);
    });
    this.flushImmediate.unref();
  }

  /** One subscription request per channel at a time: topics that come meanwhile go in the next one. */
  private flush(ch: Channel): void {
    if (this.closed || ch.retired || ch.busy || !ch.open || !ch.id) return;
    if (ch.toSubscribe.size === 0 && !ch.replace) return;
    const batch = [...ch.toSubscribe];
    ch.toSubscribe.clear();
    const replace = ch.replace;
    ch.replace = false;
    // PUT replaces the whole list (and so drops the idle topics); POST adds.
    const sent = replace ? [...ch.topics.values()].filter((t) => !ch.idle.has(t)) : batch;
    if (replace) {
      for (const t of ch.idle) {
        ch.topics.delete(t.name);
        this.topics.delete(t.name);
      }
      ch.idle.clear();
    }
    ch.busy = true;
    this.counters.subscriptionRequests++;
    const id = ch.id;
    this.client
      .request({
        method: replace ? 'PUT' : 'POST',
        path: `/api/v2/notifications/channels/${encodeURIComponent(id)}/subscriptions?ignoreErrors=true`,
        body: sent.map((t) => ({ id: t.name })),
        schema: ChannelTopicListing,
        priority: 'high',
      })
      .then(
        (res) => this.subscribed(ch, batch, res.body),
        (err: unknown) => this.subscribeFailed(ch, batch, err, replace),
      )
      .finally(() => {
        ch.busy = false;
        if (ch.retired) return;
        if (ch.toSubscribe.size > 0 || ch.replace) this.scheduleFlush();
        else if (ch.retryTimer === undefined) this.handOver(ch);
      });
  }

  private subscribed(ch: Channel, batch: Topic[], listing: ChannelTopics): void {
    if (this.closed || ch.retired) return;
    ch.subscribeFailures = 0;
    const answer = new Map((listing.entities ?? []).map((e) => [e.id.toLowerCase(), e]));
    for (const t of batch) {
      if (ch.topics.get(t.name) !== t) continue; // left meanwhile
      const e = answer.get(t.name.toLowerCase());
      // Only an explicit Permitted counts: anything else polls (fail toward the slower, sure path).
      if (e?.state === 'Permitted') {
        t.permitted = true;
        this.setState(t, ch.open ? 'live' : 'down', ch.open ? 'subscribed' : 'socket down');
        continue;
      }
      const missing = e?.missingPermissions?.length ? `: missing ${e.missingPermissions.join(', ')}` : '';
      const reason = e
        ? `Genesys rejected the topic (${truncate(e.rejectionReason ?? e.state ?? 'no state', 200)}${truncate(missing, 300)})`
        : 'Genesys did not confirm the subscription';
      if (e && (e.missingPermissions?.length || /permission/i.test(e.rejectionReason ?? ''))) {
        this.rejectedKinds.set(kindOf(t.name), { until: Date.now() + this.timing.rejectedForMs, reason });
        this.problem = reason;
      }
      ch.topics.delete(t.name);
      ch.idle.delete(t);
      t.channel = undefined;
      this.setState(t, 'rejected', reason);
      if (t.listeners.size === 0) this.topics.delete(t.name);
    }
    this.emitStatus();
  }

  private subscribeFailed(ch: Channel, batch: Topic[], err: unknown, replace: boolean): void {
    if (this.closed || ch.retired) return;
    // A replace that failed: Genesys still holds the old list, idle topics included; the next request replaces.
    if (replace) ch.replace = true;
    if (err instanceof GenesysError && err.status === 404) return this.recreate(ch, 'the channel is gone (404)');
    // Their waits poll meanwhile; the topics go in the next request (backoff: the client already retried).
    const reason = `subscribing failed (${describe(err)})`;
    for (const t of batch) {
      if (ch.topics.get(t.name) !== t) continue;
      this.setState(t, 'down', reason);
    }
    if (err instanceof GenesysError && (err.status === 400 || err.status === 403)) {
      // A definite no for this batch: these topics poll for good.
      for (const t of batch) {
        ch.topics.delete(t.name);
        ch.idle.delete(t);
        t.channel = undefined;
        this.setState(t, 'rejected', reason);
        if (t.listeners.size === 0) this.topics.delete(t.name);
      }
      this.problem = reason;
      return this.emitStatus();
    }
    for (const t of batch) if (ch.topics.get(t.name) === t && !t.permitted) ch.toSubscribe.add(t);
    ch.busy = true;
    ch.subscribeFailures++;
    ch.retryTimer = unref(
      setTimeout(
        () => {
          ch.retryTimer = undefined;
          ch.busy = false;
          this.flush(ch);
        },
        this.backoff(ch.subscribeFailures + 1),
      ),
    );
  }

  // ---- the socket ----

  private connect(ch: Channel): void {
    if (this.closed || ch.retired || !ch.connectUri) return;
    ch.reconnectTimer = clear(ch.reconnectTimer);
    let ws: WebSocket;
    try {
      // Behind a proxy, through it (a CONNECT tunnel), as the REST requests: undici's WebSocketInit.dispatcher.
      const dispatcher = this.client.socketDispatcher;
      ws = dispatcher ? new WebSocket(ch.connectUri, { dispatcher }) : new WebSocket(ch.connectUri);
    } catch (err) {
      this.socketDown(ch, undefined, `cannot open the socket (${describe(err)})`, true);
      return;
    }
    ch.socket = ws;
    let heard = false;
    ws.addEventListener('open', () => {
      if (ch.socket !== ws) return;
      ch.open = true;
      ch.pinged = false;
      this.armWatchdog(ch);
      // Topics already Permitted on this channel (a reconnect): live again, and their waits re-read.
      for (const t of ch.topics.values()) if (t.permitted && t.channel === ch) this.setState(t, 'live', 'reconnected');
      this.emitStatus();
      this.flush(ch);
    });
    ws.addEventListener('message', (ev) => {
      if (ch.socket !== ws) return;
      // A socket counts as working once Genesys said something on it (a heartbeat at the latest).
      if (!heard) ch.failures = 0;
      heard = true;
      this.armWatchdog(ch);
      this.message(ch, ev.data);
    });
    ws.addEventListener('error', () => {
      /* 'close' follows and handles it */
    });
    ws.addEventListener('close', () => {
      if (ch.socket !== ws) return;
      this.socketDown(ch, ws, heard ? 'the socket closed' : 'the socket closed before any message', !heard);
    });
  }

  private message(ch: Channel, data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: { topicName?: unknown; eventBody?: unknown };
    try {
      msg = JSON.parse(data) as typeof msg;
    } catch {
      return; // not JSON: nothing we can act on (the watchdog saw the socket is alive)
    }
    if (!msg || typeof msg !== 'object' || typeof msg.topicName !== 'string') return;
    const topic = msg.topicName;
    if (topic === 'channel.metadata') {
      ch.pinged = false; // a heartbeat or our pong
      return;
    }
    if (topic === 'v2.system.socket_closing') {
      // Maintenance: reconnect to the same connectUri; the subscriptions stay (docs/platform.md section 7).
      // Events in the gap are lost: the topics go down and come back live (their waits re-read).
      this.counters.reconnects++;
      this.dropSocket(ch, false, 'socket_closing');
      if (ch.successor) return this.retireRenewed(ch);
      for (const t of ch.topics.values()) if (t.state === 'live' && t.channel === ch) this.setState(t, 'down', 'socket_closing');
      this.connect(ch);
      return;
    }
    if (topic.startsWith('v2.system.no_longer_subscribed') || topic.startsWith('v2.system.token_revoked')) {
      return this.recreate(ch, 'Genesys ended the channel');
    }
    // Our topics are in lower case (ids included); an echo in another case is the same topic.
    const t = ch.topics.get(topic) ?? ch.topics.get(topic.toLowerCase());
    if (!t || t.listeners.size === 0) return;
    this.counters.events++;
    for (const l of [...t.listeners]) {
      try {
        l.pushEvent(topic, msg.eventBody);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  /** Any message proves the socket alive; silence gets a ping, and silence after the ping a reconnect. */
  private armWatchdog(ch: Channel): void {
    clear(ch.watchdog);
    ch.pinged = false;
    ch.watchdog = unref(setTimeout(() => this.silent(ch), this.timing.silenceMs));
  }

  private silent(ch: Channel): void {
    ch.watchdog = undefined;
    if (this.closed || ch.retired || !ch.socket) return;
    if (!ch.pinged) {
      ch.pinged = true;
      try {
        ch.socket.send(JSON.stringify({ message: 'ping' }));
      } catch {
        /* the close event follows */
      }
      ch.watchdog = unref(setTimeout(() => this.silent(ch), this.timing.pongMs));
      return;
    }
    this.counters.reconnects++;
    this.socketDown(ch, ch.socket, 'no heartbeat or pong', false);
  }

  /** `failed`: the socket never worked (refused, or closed before any message): counts towards a HEAD check. */
  private socketDown(ch: Channel, ws: WebSocket | undefined, why: string, failed: boolean): void {
    if (this.closed || ch.retired) return;
    if (ws && ch.socket !== ws) return;
    if (ch.successor) return this.retireRenewed(ch);
    this.dropSocket(ch, false, why);
    if (failed) ch.failures++;
    for (const t of ch.topics.values()) if ((t.state === 'live' || t.state === 'pending') && t.channel === ch) this.setState(t, 'down', why);
    this.emitStatus();
    const delay = this.backoff(ch.failures);
    ch.reconnectTimer = unref(
      setTimeout(() => {
        ch.reconnectTimer = undefined;
        // Every few failures in a row (not after each: the backoff keeps growing meanwhile).
        if (ch.failures > 0 && ch.failures % this.timing.failuresBeforeCheck === 0) void this.check(ch);
        else this.connect(ch);
      }, delay),
    );
  }

  /** The socket will not open: does the channel still exist? 404 -> a new one; else try the socket again. */
  private async check(ch: Channel): Promise<void> {
    this.counters.checks++;
    try {
      await this.client.request({ method: 'HEAD', path: `/api/v2/notifications/channels/${encodeURIComponent(ch.id!)}`, priority: 'high' });
      if (!this.closed && !ch.retired) this.connect(ch);
    } catch (err) {
      if (this.closed || ch.retired) return;
      if (err instanceof GenesysError && err.status === 404) return this.recreate(ch, 'the channel is gone (404)');
      ch.reconnectTimer = unref(setTimeout(() => this.connect(ch), this.backoff(ch.failures)));
    }
  }

  private dropSocket(ch: Channel, final: boolean, _why?: string): void {
    ch.watchdog = clear(ch.watchdog);
    ch.open = false;
    ch.pinged = false;
    if (final) ch.reconnectTimer = clear(ch.reconnectTimer);
    const ws = ch.socket;
    ch.socket = undefined;
    if (ws) {
      try {
        ws.close(1000);
      } catch {
        /* already closing */
      }
    }
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.timing.reconnectMaxMs, this.timing.reconnectBaseMs * 2 ** Math.min(attempt, 16));
    return Math.round(Math.random() * cap) + 1;
  }

  // ---- telling the listeners ----

  private setState(t: Topic, state: Topic['state'], reason: string): void {
    const before = publicState(t);
    const wasLive = t.state === 'live';
    t.state = state;
    t.reason = reason;
    const now = publicState(t);
    if (now === before && !(now === 'live' && !wasLive)) return;
    for (const l of [...t.listeners]) {
      try {
        l.pushState(now, reason);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  private emitStatus(): void {
    const s = this.status();
    const key = JSON.stringify(s);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    for (const fn of [...this.onStatus]) {
      try {
        fn(s);
      } catch {
        /* the watcher's failure is its own */
      }
    }
  }
}

function publicState(t: Topic): TopicState {
  return t.state === 'live' ? 'live' : t.state === 'pending' ? 'pending' : 'unavailable';
}

/** An error's message for a status (lib errors went through the redaction point already). */
function describe(err: unknown): string {
  // (Errors of the client went through its redaction point; ours hold no secret.)
  if (err instanceof GenesysError) return err.status ? `${err.status}${err.genesysCode ? ` ${err.genesysCode}` : ''}` : truncate(err.message, 200);
  return err instanceof Error ? err.name : 'error';
}
