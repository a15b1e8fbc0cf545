// The simulator's Notification Service: channels, subscriptions, one WebSocket per channel, the events the
// conversation state machine publishes, and the faults tests inject. Facts: genesys-api.md section 7; shapes:
// the official SDK models (JS SDK index.d.ts: Channel, ChannelEntityListing, ChannelTopic,
// ChannelTopicEntityListing, AvailableTopicEntityListing). No HTTP pipeline here: the server authenticates,
// rate-limits and logs the REST calls and hands them over as a NotificationRequest.
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import { CallState, ParticipantState, SeededConversation } from '../types';
import { isTerminal } from '../state';
import { availableTopics, parseTopic, topicKey } from './topics';
import { Notification, channelMetadata, conversationEventBody, endEventBody, endKind, envelope } from './events';

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
const DEFAULTS: Required<NotificationOptions> = {
  heartbeatMs: 30_000,
  channelLifetimeMs: 24 * 3600_000,
  maxChannels: 20,
  maxTopicsPerChannel: 1000,
  eventLagMs: 0,
};

/** A REST call to /api/v2/notifications/..., already authenticated and counted by the server. */
export interface NotificationRequest {
  method: string;
  /** The path after /api/v2/notifications/, split on '/'. */
  parts: string[];
  query: URLSearchParams;
  clientId: string;
  token: string;
  /** Like 127.0.0.1:4567: where connectUri points. */
  host: string;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
}
export interface NotificationAnswer {
  status: number;
  body?: unknown;
}

/** An API error: the server answers it as a Genesys ErrorBody. */
export class NotificationError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly messageParams: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A bad control call: the control API answers 400 with this message. */
export class NotificationControlError extends Error {}

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

interface Rejection {
  re: RegExp;
  clientId?: string;
  missingPermissions: string[];
  rejectionReason: string;
}

interface EventFault {
  kind: 'lose' | 'delay';
  remaining: number;
  ms: number;
  re?: RegExp;
}

/** The simulator's own text: the real rejection message is not known, so clients must not match on it. */
const DEFAULT_REJECTION = 'The client is not permitted to subscribe to this topic (simulator).';

export class NotificationService {
  private opts: Required<NotificationOptions>;
  private readonly channels = new Map<string, Channel>();
  /** topic key -> channels subscribed to it: publishing looks up one key. */
  private readonly subscribers = new Map<string, Set<Channel>>();
  private rejections: Rejection[] = [];
  private requiresPermissions = new Map<string, string[]>();
  private eventFaults: EventFault[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private stats = { published: 0, delivered: 0, lost: 0, delayed: 0 };
  private closed = false;

  constructor(options: NotificationOptions = {}) {
    this.opts = { ...DEFAULTS, ...validateOptions(options) };
  }

  /** Serves the channels' WebSockets on the API's own HTTP server: `ws://{host}/channels/{id}`. */
  attach(server: http.Server): void {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  // ---- REST: /api/v2/notifications/...

  handle(r: NotificationRequest): NotificationAnswer {
    const [a, id, sub, ...rest] = r.parts;
    if (a === 'availabletopics' && id === undefined && r.method === 'GET') {
      return { status: 200, body: availableTopics(r.query.getAll('expand'), (t) => this.requiresPermissions.get(t) ?? []) };
    }
    if (a === 'channels' && id === undefined) {
      if (r.method === 'POST') return { status: 200, body: this.createChannel(r) };
      if (r.method === 'GET') return { status: 200, body: this.listChannels(r) };
    }
    if (a === 'channels' && id !== undefined && sub === undefined && r.method === 'HEAD') {
      this.channelOf(r, id);
      return { status: 200 };
    }
    if (a === 'channels' && id !== undefined && sub === 'subscriptions' && rest.length === 0) {
      const ch = this.channelOf(r, id);
      ch.lastUsed = Date.now();
      switch (r.method) {
        case 'GET':
          return { status: 200, body: { entities: [...ch.topics.values()].map((t) => ({ id: t, state: 'Permitted' })) } };
        case 'POST':
        case 'PUT':
          return { status: 200, body: this.subscribe(r, ch, r.method === 'PUT') };
        case 'DELETE':
          this.unsubscribeAll(ch);
          return { status: 204 };
      }
    }
    throw new NotificationError(404, 'not.found', `The requested resource [${r.method} /api/v2/notifications/${r.parts.join('/')}] was not found.`);
  }

  /** Channel: connectUri + id + expires. A 21st channel of one client evicts one: idle ones first, then the least recently used. */
  private createChannel(r: NotificationRequest): Record<string, unknown> {
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
    const ch: Channel = { id, clientId: r.clientId, token: r.token, expires: now + this.opts.channelLifetimeMs, lastUsed: now, topics: new Map(), silenced: false, connections: 0 };
    this.channels.set(id, ch);
    this.schedule(this.opts.channelLifetimeMs, () => {
      if (this.channels.get(id) === ch) this.removeChannel(ch);
    });
    return this.channelView(ch, r.host);
  }

  private channelView(ch: Channel, host: string): Record<string, unknown> {
    return { connectUri: `ws://${host}/channels/${ch.id}`, id: ch.id, expires: new Date(ch.expires).toISOString() };
  }

  /**
   * ChannelEntityListing. `includechannels` (SDK: token | oauthclient, default token): this token's channels, or
   * every channel of the OAuth client, "Channel Ids for other access tokens will not be shown, but will be
   * presented to show their existence".
   */
  private listChannels(r: NotificationRequest): Record<string, unknown> {
    this.expireDue();
    const scope = r.query.get('includechannels') ?? 'token';
    if (scope !== 'token' && scope !== 'oauthclient') {
      throw new NotificationError(400, 'invalid.value', `Value for field [includechannels] is not valid: [${scope}] is not one of token, oauthclient`, { field: 'includechannels' });
    }
    const entities = [...this.channels.values()]
      .filter((c) => c.clientId === r.clientId && (scope === 'oauthclient' || c.token === r.token))
      .map((c) => (c.token === r.token ? this.channelView(c, r.host) : { expires: new Date(c.expires).toISOString() }));
    return { entities };
  }

  /** The caller's live channel, or 404: another client's channel is as unknown as a gone one. */
  private channelOf(r: NotificationRequest, id: string): Channel {
    this.expireDue();
    const ch = this.channels.get(id);
    if (!ch || ch.clientId !== r.clientId) throw new NotificationError(404, 'not.found', `The channel [${id}] was not found.`, { channelId: id });
    return ch;
  }

  /**
   * POST adds, PUT replaces. Body: ChannelTopic[] (only `id` is read). Every topic is validated first: one unknown
   * topic or bad id fails the whole request with 400 notification.invalid.topic (genesys-api.md section 7) and
   * changes nothing. Answer: ChannelTopicEntityListing, every subscribed topic Permitted plus this request's
   * Rejected ones with rejectionReason and missingPermissions.
   */
  private subscribe(r: NotificationRequest, ch: Channel, replace: boolean): Record<string, unknown> {
    if (!Array.isArray(r.body)) throw new NotificationError(400, 'bad.request', 'The request body must be a JSON array of ChannelTopic objects.');
    const wanted = new Map<string, string>();
    r.body.forEach((t: unknown, i) => {
      const topic = (t as { id?: unknown } | null)?.id;
      if (!t || typeof t !== 'object' || typeof topic !== 'string') throw new NotificationError(400, 'bad.request', `body[${i}].id must be a topic name (string).`, { field: `body[${i}].id` });
      if (!parseTopic(topic)) throw new NotificationError(400, 'notification.invalid.topic', `Invalid topic: ${topic}`, { topic });
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
    // 403 missing.permissions is the documented code for a missing permission (genesys-api.md section 5).
    if (rejected.length && r.query.get('ignoreErrors') !== 'true') {
      const missing = [...new Set(rejected.flatMap((x) => x.missingPermissions as string[]))];
      throw new NotificationError(403, 'missing.permissions', `Not permitted to subscribe to: ${rejected.map((x) => x.id).join(', ')}`, { topics: rejected.map((x) => x.id).join(','), permissions: missing.join(',') });
    }
    const after = replace ? wanted.size : new Set([...ch.topics.keys(), ...wanted.keys()]).size;
    if (after > this.opts.maxTopicsPerChannel) {
      // 400 above 1,000 topics (genesys-api.md section 7); the code string is UNCONFIRMED, so the generic one.
      throw new NotificationError(400, 'bad.request', `A channel can have at most ${this.opts.maxTopicsPerChannel} topics; this request would make ${after}.`);
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

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const m = /^\/channels\/([^/?]+)(?:\?.*)?$/.exec(req.url ?? '');
    this.expireDue();
    const ch = m ? this.channels.get(decodeURIComponent(m[1])) : undefined;
    if (!ch || this.closed) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ch, ws));
  }

  private connected(ch: Channel, ws: WebSocket): void {
    if (!this.channels.has(ch.id)) return ws.terminate();
    // "a second socket on the same channel disconnects the first" (genesys-api.md section 7).
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
      // `{"message":"ping"}` is answered with a pong on channel.metadata (genesys-api.md section 7).
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
   * Called by the conversation state machine after every change (previous: the leg's state before, undefined
   * when it joined or the conversation was seeded). A leg that ends publishes its detail end event; every change
   * publishes the whole conversation to its queues' and users' conversation topics.
   */
  conversationChanged(c: SeededConversation, p?: ParticipantState, previous?: CallState): void {
    if (this.closed || this.subscribers.size === 0) return;
    if (p && previous !== undefined && !isTerminal(previous) && isTerminal(p.state)) {
      const kind = endKind(p);
      if (kind) {
        const topic = `v2.detail.events.conversation.${c.id}.${kind}.end`;
        if (this.subscribers.has(topicKey(topic))) this.publish(topic, endEventBody(c, p, kind));
      }
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
    if (delay > 0) this.schedule(delay, deliver);
    else deliver();
  }

  // ---- control API: /__sim/notifications/...

  /** parts: the path after /__sim/notifications/. Answers { status, body }; bad input throws NotificationControlError. */
  control(method: string, parts: string[], body: unknown): NotificationAnswer {
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b !== 'object' || Array.isArray(b)) throw new NotificationControlError('the body must be a JSON object');
    const key = `${method} ${parts[0] === 'channels' && parts.length === 3 ? `channels/*/${parts[2]}` : parts.join('/')}`;
    switch (key) {
      case 'GET ':
        this.expireDue();
        return { status: 200, body: this.state() };
      case 'PATCH options':
        this.opts = { ...this.opts, ...validateOptions(b as NotificationOptions) };
        return { status: 204 };
      case 'PUT permissions':
        this.setPermissions(b);
        return { status: 204 };
      case 'POST reject':
        this.rejections.push(rejection(b, 'reject'));
        return { status: 204 };
      case 'POST events/lose':
      case 'POST events/delay':
        this.eventFaults.push(eventFault(parts[1] as 'lose' | 'delay', b));
        return { status: 204 };
      case 'POST publish':
        if (typeof b.topicName !== 'string' || !b.topicName) throw new NotificationControlError('publish needs topicName (string)');
        this.publish(b.topicName, b.eventBody ?? {});
        return { status: 204 };
      case 'POST channels/*/drop':
      case 'POST channels/*/socket-closing':
      case 'POST channels/*/expire':
      case 'POST channels/*/silence':
        this.channelFault(parts[1], parts[2], b);
        return { status: 204 };
    }
    return { status: 404, body: { error: `unknown control endpoint ${method} /__sim/notifications/${parts.join('/')}` } };
  }

  private channelFault(id: string, fault: string, b: Record<string, unknown>): void {
    const ch = this.channels.get(id);
    if (!ch) throw new NotificationControlError(`no channel ${id}`);
    switch (fault) {
      case 'drop': // a network drop: no close frame
        return this.dropSocket(ch, (s) => s.terminate());
      case 'socket-closing': {
        // Maintenance: the service says v2.system.socket_closing, then closes; the channel and its
        // subscriptions stay, a client reconnects to the same connectUri (genesys-api.md section 7).
        const after = b.closeAfterMs ?? 50;
        if (typeof after !== 'number' || !(after >= 0)) throw new NotificationControlError('closeAfterMs must be a number >= 0');
        const s = ch.socket;
        // The body of this system message is not documented: clients act on topicName alone.
        this.send(ch, envelope('v2.system.socket_closing', {}));
        if (s) this.schedule(after, () => { if (ch.socket === s) this.dropSocket(ch, (x) => x.close(1001)); });
        return;
      }
      case 'expire':
        return this.removeChannel(ch);
      case 'silence':
        ch.silenced = true;
        return;
    }
  }

  private setPermissions(b: Record<string, unknown>): void {
    const rejected = b.rejected ?? [];
    if (!Array.isArray(rejected)) throw new NotificationControlError('rejected must be an array');
    const rules = rejected.map((r, i) => rejection(r, `rejected[${i}]`));
    const req = new Map<string, string[]>();
    const rp = b.requiresPermissions ?? {};
    if (!rp || typeof rp !== 'object' || Array.isArray(rp)) throw new NotificationControlError('requiresPermissions must be an object: topic template -> permissions');
    for (const [t, perms] of Object.entries(rp)) {
      if (!Array.isArray(perms) || !perms.every((x) => typeof x === 'string')) throw new NotificationControlError(`requiresPermissions.${t} must be an array of strings`);
      req.set(t, perms);
    }
    this.rejections = rules;
    this.requiresPermissions = req;
  }

  private state(): Record<string, unknown> {
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
    };
  }

  // ---- lifecycle

  private schedule(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      try {
        fn();
      } catch {
        /* never take the server down */
      }
    }, Math.max(0, ms));
    t.unref();
    this.timers.add(t);
  }

  /** Back to no channels, permissions, faults or stats (options stay). */
  reset(): void {
    for (const ch of [...this.channels.values()]) this.removeChannel(ch);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.rejections = [];
    this.requiresPermissions = new Map();
    this.eventFaults = [];
    this.stats = { published: 0, delivered: 0, lost: 0, delayed: 0 };
  }

  close(): void {
    this.reset();
    this.closed = true;
    for (const s of this.wss.clients) s.terminate();
    this.wss.close();
  }
}

// ---- control input

function validateOptions(o: NotificationOptions): NotificationOptions {
  if (!o || typeof o !== 'object') throw new NotificationControlError('notification options must be an object');
  const positive = ['heartbeatMs', 'channelLifetimeMs', 'maxChannels', 'maxTopicsPerChannel'] as const;
  for (const k of Object.keys(o)) if (![...positive, 'eventLagMs'].includes(k)) throw new NotificationControlError(`unknown notification option ${k}`);
  for (const k of positive) if (o[k] !== undefined && !(typeof o[k] === 'number' && o[k]! > 0)) throw new NotificationControlError(`${k} must be a number > 0`);
  if (o.eventLagMs !== undefined && !(typeof o.eventLagMs === 'number' && o.eventLagMs >= 0)) throw new NotificationControlError('eventLagMs must be a number >= 0');
  return o;
}

/** A topic or a template with `{id}` (any id) as a case-insensitive whole-name pattern. */
function topicPattern(topic: unknown, at: string): RegExp {
  if (typeof topic !== 'string' || !topic) throw new NotificationControlError(`${at}.topic must be a topic name or template`);
  const src = topic.split('{id}').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^.]+');
  return new RegExp(`^${src}$`, 'i');
}

function rejection(r: unknown, at: string): Rejection {
  const o = r as Record<string, unknown>;
  if (!o || typeof o !== 'object') throw new NotificationControlError(`${at} must be an object`);
  const missing = o.missingPermissions ?? [];
  if (!Array.isArray(missing) || !missing.every((x) => typeof x === 'string')) throw new NotificationControlError(`${at}.missingPermissions must be an array of strings`);
  if (o.rejectionReason !== undefined && typeof o.rejectionReason !== 'string') throw new NotificationControlError(`${at}.rejectionReason must be a string`);
  if (o.clientId !== undefined && typeof o.clientId !== 'string') throw new NotificationControlError(`${at}.clientId must be a string`);
  return { re: topicPattern(o.topic, at), clientId: o.clientId as string | undefined, missingPermissions: missing as string[], rejectionReason: (o.rejectionReason as string | undefined) ?? DEFAULT_REJECTION };
}

function eventFault(kind: 'lose' | 'delay', b: Record<string, unknown>): EventFault {
  const count = b.count ?? 1;
  if (typeof count !== 'number' || !(count >= 1)) throw new NotificationControlError('count must be a number >= 1');
  const ms = kind === 'delay' ? b.ms : 0;
  if (typeof ms !== 'number' || !(ms >= 0)) throw new NotificationControlError('ms must be a number >= 0');
  return { kind, remaining: count, ms, re: b.topic === undefined ? undefined : topicPattern(b.topic, kind) };
}
