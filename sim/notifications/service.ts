// The simulator's Notification Service: channels, subscriptions, one WebSocket per channel, the events the
// conversation state machine publishes, and the faults tests inject. Facts: docs/platform.md section 7; shapes:
// the official SDK models (JS SDK index.d.ts: Channel, ChannelEntityListing, ChannelTopic,
// ChannelTopicEntityListing, AvailableTopicEntityListing). No HTTP pipeline here: the server authenticates,
// rate-limits and logs the REST calls (module.ts maps its routes here) and hands them over as a
// NotificationRequest.
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import { ApiError } from '../api-error';
import { isTerminal } from '../conversation-store';
import { ControlError, type Reply } from '../module';
import type { Timers } from '../timers';
import { CallState, ParticipantState, SeededConversation } from '../types';
import { availableTopics, parseTopic, topicKey } from './topics';
import { Notification, channelMetadata, conversationEventBody, detailEventBody, detailKind, envelope } from './events';

export interface NotificationOptions {
  /** `channel.metadata` "WebSocket Heartbeat" every this many ms (Genesys: about 30 s). */
  heartbeatMs?: number;
  /** A channel lives this long (Genesys: 24 h); tests scale it down. */
  channelLifetimeMs?: number;
  /** Channels per OAuth client (Genesys: 20 per user/app); creating one more evicts one. */
  maxChannels?: number;
  /** Topics per channel (Genesys: 1,000). */
  maxTopicsPerChannel?: number;
  /** Events leave this long after the change that caused them (detail events come from analytics). Default 0. */
  eventLagMs?: number;
}
const MAX_SOCKET_REQUESTS = 100;
const DEFAULTS: Required<NotificationOptions> = {
  heartbeatMs: 30_000,
  channelLifetimeMs: 24 * 3600_000,
  maxChannels: 20,
  maxTopicsPerChannel: 1000,
  eventLagMs: 0,
};

/** A REST call to /api/v2/notifications/..., already authenticated and counted by the server. */
export interface NotificationRequest {
  query: URLSearchParams;
  clientId: string;
  token: string;
  /** Like 127.0.0.1:4567: where connectUri points. */
  host: string;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
}

interface Channel {
  id: string;
  clientId: string;
  token: string;
  expires: number;
  lastUsed: number;
  /** topic key -> the topic as subscribed */
  topics: Map<string, string>;
  socket?: WebSocket;
  heartbeat?: NodeJS.Timeout;
  /** Fault: the socket stays open but nothing comes (no heartbeat, pong or event): a half-open connection. */
  silenced: boolean;
  connections: number;
}

/** A rejected topic (control-routes.ts builds them): its pattern, for one client or all. */
export interface Rejection {
  re: RegExp;
  clientId?: string;
  missingPermissions: string[];
  rejectionReason: string;
}

/** The next `remaining` events on topics matching `re` are lost or leave `ms` late. */
export interface EventFault {
  kind: 'lose' | 'delay';
  remaining: number;
  ms: number;
  re?: RegExp;
}

export class NotificationService {
  private opts: Required<NotificationOptions>;
  private readonly channels = new Map<string, Channel>();
  /** topic key -> channels subscribed to it: publishing looks up one key. */
  private readonly subscribers = new Map<string, Set<Channel>>();
  private rejections: Rejection[] = [];
  private requiresPermissions = new Map<string, string[]>();
  private eventFaults: EventFault[] = [];
  /** Clients only ever send a ping: a bigger message closes the socket (1009) instead of filling memory. */
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private stats = { published: 0, delivered: 0, lost: 0, delayed: 0 };
  /** The URLs of the last socket requests, as asked (tests prove no token rides in one). */
  private socketRequests: string[] = [];
  private closed = false;

  constructor(
    options: NotificationOptions,
    private readonly timers: Timers,
  ) {
    this.opts = { ...DEFAULTS, ...options };
  }

  // ---- REST: /api/v2/notifications/...

  availableTopics(r: NotificationRequest): Reply {
    return { status: 200, body: availableTopics(r.query.getAll('expand'), (t) => this.requiresPermissions.get(t) ?? []) };
  }

  /** HEAD: 200 while the channel lives, 404 after (SDK: "Verify a channel still exists and is valid"). */
  headChannel(r: NotificationRequest, id: string): Reply {
    this.channelOf(r, id);
    return { status: 200 };
  }

  /** GET lists, POST adds, PUT replaces, DELETE removes every topic of a channel. */
  subscriptions(method: string, r: NotificationRequest, id: string): Reply {
    const ch = this.channelOf(r, id);
    ch.lastUsed = Date.now();
    if (method === 'POST' || method === 'PUT') return { status: 200, body: this.subscribe(r, ch, method === 'PUT') };
    if (method === 'DELETE') {
      this.unsubscribeAll(ch);
      return { status: 204 };
    }
    return { status: 200, body: { entities: [...ch.topics.values()].map((t) => ({ id: t, state: 'Permitted' })) } };
  }

  /** Channel: connectUri + id + expires. A 21st channel of one client evicts one: idle ones first, then the least recently used. */
  createChannel(r: NotificationRequest): Reply {
    this.expireDue();
    const own = [...this.channels.values()].filter((c) => c.clientId === r.clientId);
    while (own.length >= this.opts.maxChannels) {
      // "Creating a 21st channel will remove the channel with oldest last used date. Channels without an
      // active connection will be removed first." (SDK docs, postNotificationsChannels)
      own.sort((x, y) => Number(!!x.socket) - Number(!!y.socket) || x.lastUsed - y.lastUsed);
      this.removeChannel(own.shift()!);
    }
    const now = Date.now();
    // Opaque to clients; the real ids look alike (streaming-<n>-<random>).
    const id = `streaming-0-${randomBytes(13).toString('hex')}`;
    const ch: Channel = {
      id,
      clientId: r.clientId,
      token: r.token,
      expires: now + this.opts.channelLifetimeMs,
      lastUsed: now,
      topics: new Map(),
      silenced: false,
      connections: 0,
    };
    this.channels.set(id, ch);
    this.timers.schedule(this.opts.channelLifetimeMs, () => {
      if (this.channels.get(id) === ch) this.removeChannel(ch);
    });
    return { status: 200, body: this.channelView(ch, r.host) };
  }

  private channelView(ch: Channel, host: string): Record<string, unknown> {
    return { connectUri: `ws://${host}/channels/${ch.id}`, id: ch.id, expires: new Date(ch.expires).toISOString() };
  }

  /**
   * ChannelEntityListing. `includechannels` (SDK: token | oauthclient, default token): this token's channels, or
   * every channel of the OAuth client, "Channel Ids for other access tokens will not be shown, but will be
   * presented to show their existence".
   */
  listChannels(r: NotificationRequest): Reply {
    this.expireDue();
    const scope = r.query.get('includechannels') ?? 'token';
    if (scope !== 'token' && scope !== 'oauthclient') {
      throw new ApiError(400, 'invalid.value', `Value for field [includechannels] is not valid: [${scope}] is not one of token, oauthclient`, {
        field: 'includechannels',
      });
    }
    const entities = [...this.channels.values()]
      .filter((c) => c.clientId === r.clientId && (scope === 'oauthclient' || c.token === r.token))
      .map((c) => (c.token === r.token ? this.channelView(c, r.host) : { expires: new Date(c.expires).toISOString() }));
    return { status: 200, body: { entities } };
  }

  /** The caller's live channel, or 404: another client's channel is as unknown as a gone one. */
  private channelOf(r: NotificationRequest, id: string): Channel {
    this.expireDue();
    const ch = this.channels.get(id);
    if (!ch || ch.clientId !== r.clientId) throw new ApiError(404, 'not.found', `The channel [${id}] was not found.`, { channelId: id });
    return ch;
  }

  /**
   * POST adds, PUT replaces. Body: ChannelTopic[] (only `id` is read). Every topic is validated first: one unknown
   * topic or bad id fails the whole request with 400 notification.invalid.topic (docs/platform.md section 7) and
   * changes nothing. Answer: ChannelTopicEntityListing, every subscribed topic Permitted plus this request's
   * Rejected ones with rejectionReason and missingPermissions.
   */
  private subscribe(r: NotificationRequest, ch: Channel, replace: boolean): Record<string, unknown> {
    if (!Array.isArray(r.body)) throw new ApiError(400, 'bad.request', 'The request body must be a JSON array of ChannelTopic objects.');
    const wanted = new Map<string, string>();
    r.body.forEach((t: unknown, i) => {
      const topic = (t as { id?: unknown } | null)?.id;
      if (!t || typeof t !== 'object' || typeof topic !== 'string')
        throw new ApiError(400, 'bad.request', `body[${i}].id must be a topic name (string).`, { field: `body[${i}].id` });
      if (!parseTopic(topic)) throw new ApiError(400, 'notification.invalid.topic', `Invalid topic: ${topic}`, { topic });
      wanted.set(topicKey(topic), topic);
    });
    const rejected: Record<string, unknown>[] = [];
    for (const [key, topic] of wanted) {
      const rule = this.rejections.find((x) => (!x.clientId || x.clientId === r.clientId) && x.re.test(topic));
      if (!rule) continue;
      wanted.delete(key);
      rejected.push({ id: topic, state: 'Rejected', rejectionReason: rule.rejectionReason, missingPermissions: rule.missingPermissions });
    }
    // Without ignoreErrors=true one failed permission check fails the whole bulk request (purecloudlabs/
    // genesys-cloud-streaming-client PR #318: ignoreErrors "makes bulk requests succeed with individual failure
    // results instead of failing the entire bulk operation"). Status and code of that failure: UNCONFIRMED;
    // 403 missing.permissions is the documented code for a missing permission (docs/platform.md section 5).
    if (rejected.length && r.query.get('ignoreErrors') !== 'true') {
      const missing = [...new Set(rejected.flatMap((x) => x.missingPermissions as string[]))];
      throw new ApiError(403, 'missing.permissions', `Not permitted to subscribe to: ${rejected.map((x) => x.id).join(', ')}`, {
        topics: rejected.map((x) => x.id).join(','),
        permissions: missing.join(','),
      });
    }
    const after = replace ? wanted.size : new Set([...ch.topics.keys(), ...wanted.keys()]).size;
    if (after > this.opts.maxTopicsPerChannel) {
      // 400 above 1,000 topics (docs/platform.md section 7); the code string is UNCONFIRMED, so the generic one.
      throw new ApiError(400, 'bad.request', `A channel can have at most ${this.opts.maxTopicsPerChannel} topics; this request would make ${after}.`);
    }
    if (replace) this.unsubscribeAll(ch);
    for (const [key, topic] of wanted) {
      ch.topics.set(key, topic);
      let set = this.subscribers.get(key);
      if (!set) this.subscribers.set(key, (set = new Set()));
      set.add(ch);
    }
    return { entities: [...[...ch.topics.values()].map((t) => ({ id: t, state: 'Permitted' })), ...rejected] };
  }

  private unsubscribeAll(ch: Channel): void {
    for (const key of ch.topics.keys()) {
      const set = this.subscribers.get(key);
      set?.delete(ch);
      if (set && set.size === 0) this.subscribers.delete(key);
    }
    ch.topics.clear();
  }

  /** The channel is gone: HEAD answers 404, its socket closes, its topics are dropped. */
  private removeChannel(ch: Channel): void {
    this.unsubscribeAll(ch);
    this.channels.delete(ch.id);
    this.dropSocket(ch, (s) => s.close(1000));
  }

  /** Channels past their lifetime go even when their timer has not run yet (a clock jump, a busy loop). */
  private expireDue(): void {
    const now = Date.now();
    for (const ch of this.channels.values()) if (ch.expires <= now) this.removeChannel(ch);
  }

  // ---- WebSocket: one per channel

  /** An HTTP upgrade to `/channels/{id}` (the connectUri): true when it was one (answered 404 for an unknown channel). */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const m = /^\/channels\/([^/?]+)(?:\?.*)?$/.exec(req.url ?? '');
    if (!m) return false;
    this.socketRequests = [...this.socketRequests.slice(-(MAX_SOCKET_REQUESTS - 1)), req.url!];
    this.expireDue();
    const ch = this.channels.get(decodeURIComponent(m[1]));
    if (!ch || this.closed) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ch, ws));
    return true;
  }

  private connected(ch: Channel, ws: WebSocket): void {
    if (!this.channels.has(ch.id)) return ws.terminate();
    // "a second socket on the same channel disconnects the first" (docs/platform.md section 7).
    this.dropSocket(ch, (s) => s.close(1000));
    ch.socket = ws;
    ch.silenced = false;
    ch.connections++;
    ch.lastUsed = Date.now();
    ch.heartbeat = setInterval(() => this.send(ch, channelMetadata('WebSocket Heartbeat')), this.opts.heartbeatMs);
    ch.heartbeat.unref();
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      // `{"message":"ping"}` is answered with a pong on channel.metadata (docs/platform.md section 7).
      if ((msg as { message?: unknown } | null)?.message === 'ping') this.send(ch, channelMetadata('pong'));
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      if (ch.socket !== ws) return;
      clearInterval(ch.heartbeat);
      ch.socket = undefined;
      ch.heartbeat = undefined;
    });
  }

  private dropSocket(ch: Channel, how: (s: WebSocket) => void): void {
    const s = ch.socket;
    if (!s) return;
    clearInterval(ch.heartbeat);
    ch.socket = undefined;
    ch.heartbeat = undefined;
    how(s);
  }

  private send(ch: Channel, n: Notification): boolean {
    const s = ch.socket;
    if (!s || ch.silenced || s.readyState !== WebSocket.OPEN) return false;
    s.send(JSON.stringify(n));
    return true;
  }

  // ---- events

  /**
   * Called by the conversation store after every leg change (previous: the leg's state before, undefined when
   * it joined). A leg that joins publishes its detail start event and one that ends its end event; every change
   * publishes the whole conversation to its queues' and users' conversation topics.
   */
  conversationChanged(c: SeededConversation, p: ParticipantState, previous: CallState | undefined): void {
    if (this.closed || this.subscribers.size === 0) return;
    const kind = detailKind(p);
    const phase = previous === undefined ? 'start' : !isTerminal(previous) && isTerminal(p.state) ? 'end' : undefined;
    if (kind && phase) {
      const topic = `v2.detail.events.conversation.${c.id}.${kind}.${phase}`;
      if (this.subscribers.has(topicKey(topic))) this.publish(topic, detailEventBody(c, p, kind, phase));
    }
    const topics = new Set<string>();
    for (const q of c.participants) {
      if (q.queueId) topics.add(`v2.routing.queues.${q.queueId}.conversations`);
      if (q.userId) topics.add(`v2.users.${q.userId}.conversations`);
    }
    let body: Record<string, unknown> | undefined; // a snapshot now, built only when someone listens
    for (const t of topics) if (this.subscribers.has(topicKey(t))) this.publish(t, (body ??= conversationEventBody(c)));
  }

  /** Sends one event to every channel subscribed to its topic, through the lose/delay faults and the lag. */
  publish(topicName: string, eventBody: unknown): void {
    const subs = this.subscribers.get(topicKey(topicName));
    if (!subs || subs.size === 0) return;
    this.stats.published++;
    const n = envelope(topicName, eventBody);
    let delay = this.opts.eventLagMs;
    const fault = this.eventFaults.find((f) => !f.re || f.re.test(topicName));
    if (fault) {
      if (--fault.remaining <= 0) this.eventFaults.splice(this.eventFaults.indexOf(fault), 1);
      if (fault.kind === 'lose') {
        this.stats.lost++;
        return;
      }
      this.stats.delayed++;
      delay += fault.ms;
    }
    const targets = [...subs];
    const deliver = (): void => {
      for (const ch of targets) if (this.channels.get(ch.id) === ch && ch.topics.has(topicKey(topicName)) && this.send(ch, n)) this.stats.delivered++;
    };
    if (delay > 0) this.timers.schedule(delay, deliver);
    else deliver();
  }

  // ---- faults and state (the control API: control-routes.ts)

  setOptions(o: NotificationOptions): void {
    this.opts = { ...this.opts, ...o };
  }

  /** Replaces the permission set: the rejected topics and what availabletopics lists as required. */
  setPermissions(rejections: Rejection[], requiresPermissions: Map<string, string[]>): void {
    this.rejections = rejections;
    this.requiresPermissions = requiresPermissions;
  }

  addRejection(r: Rejection): void {
    this.rejections.push(r);
  }

  addEventFault(f: EventFault): void {
    this.eventFaults.push(f);
  }

  /** A network drop: the socket is cut without a close frame; the channel and its topics stay. */
  dropChannelSocket(id: string): void {
    this.dropSocket(this.channelForControl(id), (s) => s.terminate());
  }

  /**
   * Maintenance: the service says v2.system.socket_closing, then closes (1001); the channel and its
   * subscriptions stay, a client reconnects to the same connectUri (docs/platform.md section 7).
   */
  socketClosing(id: string, closeAfterMs: number): void {
    const ch = this.channelForControl(id);
    const s = ch.socket;
    // The body of this system message is not documented: clients act on topicName alone.
    this.send(ch, envelope('v2.system.socket_closing', {}));
    if (s)
      this.timers.schedule(closeAfterMs, () => {
        if (ch.socket === s) this.dropSocket(ch, (x) => x.close(1001));
      });
  }

  expireChannel(id: string): void {
    this.removeChannel(this.channelForControl(id));
  }

  /** A half-open socket: it stays open but nothing comes (no heartbeat, pong or event) until the client reconnects. */
  silence(id: string): void {
    this.channelForControl(id).silenced = true;
  }

  /** Any message, as is, on one channel's socket. */
  sendTo(id: string, n: Notification): void {
    if (!this.send(this.channelForControl(id), n)) throw new ControlError(`channel ${id} has no open socket`);
  }

  private channelForControl(id: string): Channel {
    const ch = this.channels.get(id);
    if (!ch) throw new ControlError(`no channel ${id}`);
    return ch;
  }

  state(): Record<string, unknown> {
    this.expireDue();
    return {
      channels: [...this.channels.values()].map((c) => ({
        id: c.id,
        clientId: c.clientId,
        expires: new Date(c.expires).toISOString(),
        connected: !!c.socket,
        connections: c.connections,
        silenced: c.silenced,
        topics: [...c.topics.values()],
      })),
      stats: { ...this.stats },
      socketRequests: [...this.socketRequests],
    };
  }

  // ---- lifecycle

  /** Back to no channels, permissions, faults or stats (options stay); the server has cleared its timers. */
  reset(): void {
    for (const ch of [...this.channels.values()]) this.removeChannel(ch);
    this.rejections = [];
    this.requiresPermissions = new Map();
    this.eventFaults = [];
    this.stats = { published: 0, delivered: 0, lost: 0, delayed: 0 };
    this.socketRequests = [];
  }

  close(): void {
    this.reset();
    this.closed = true;
    for (const s of this.wss.clients) s.terminate();
    this.wss.close();
  }
}
