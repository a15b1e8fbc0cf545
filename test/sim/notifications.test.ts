// The simulator's Notification Service over real sockets: REST over HTTP, the channel over a real WebSocket
// (the ws client), faults through the control API. No timing assertions: every wait is for a message or a
// state, with a generous limit that only a broken simulator reaches.
import * as assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { start, SimHandle } from '../../sim';
import { api, assertError, conference, CONV, eventually, P, QUEUE, token, USER } from './helpers';

const NOTIF = '/api/v2/notifications';
const userEnd = (conv = CONV) => `v2.detail.events.conversation.${conv}.user.end`;
const customerEnd = (conv = CONV) => `v2.detail.events.conversation.${conv}.customer.end`;
const queueTopic = `v2.routing.queues.${QUEUE}.conversations`;

interface Msg {
  topicName: string;
  version?: string;
  eventBody: any;
  metadata?: { CorrelationId: string };
}

/** A WebSocket client that keeps every message; next() waits for one matching a predicate. */
class Listener {
  readonly messages: Msg[] = [];
  readonly closed: Promise<{ code: number }>;
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  private seen = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Msg;
      this.messages.push(m);
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
  }

  static async open(url: string): Promise<Listener> {
    const ws = new WebSocket(url);
    const l = new Listener(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return l;
  }

  /** The next message (after those already taken by next) matching pred. */
  next(pred: (m: Msg) => boolean = () => true, timeoutMs = 10_000): Promise<Msg> {
    const i = this.messages.slice(this.seen).findIndex(pred);
    if (i >= 0) {
      this.seen += i + 1;
      return Promise.resolve(this.messages[this.seen - 1]);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no matching message in time')), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(t);
          this.seen = this.messages.indexOf(m) + 1;
          resolve(m);
        },
      });
    });
  }

  topics(): string[] {
    return this.messages.map((m) => m.topicName).filter((t) => t !== 'channel.metadata');
  }

  close(): void {
    this.ws.terminate();
  }
}

const onTopic = (t: string) => (m: Msg) => m.topicName === t;

describe('sim: Notification Service', () => {
  let sim: SimHandle;
  let tok: string;
  const listeners: Listener[] = [];
  const listen = async (url: string) => {
    const l = await Listener.open(url);
    listeners.push(l);
    return l;
  };

  before(async () => {
    sim = await start({ disconnectDelayMs: 10, notifications: { heartbeatMs: 50 } });
  });
  after(() => sim.close());
  beforeEach(async () => {
    await sim.control.reset();
    await sim.control.seed({ conversations: [conference()] });
    tok = await token(sim);
  });
  afterEach(() => {
    for (const l of listeners.splice(0)) l.close();
  });

  const createChannel = async (t = tok) => {
    const r = await api(sim, t, 'POST', `${NOTIF}/channels`);
    assert.equal(r.status, 200, r.text);
    return r.json as { id: string; connectUri: string; expires: string };
  };
  const subscribe = async (channelId: string, topics: string[], method = 'PUT', query = '') =>
    api(
      sim,
      tok,
      method,
      `${NOTIF}/channels/${channelId}/subscriptions${query}`,
      topics.map((id) => ({ id })),
    );
  const subscribed = async (channelId: string): Promise<string[]> => {
    const r = await api(sim, tok, 'GET', `${NOTIF}/channels/${channelId}/subscriptions`);
    assert.equal(r.status, 200, r.text);
    return r.json.entities.map((e: { id: string }) => e.id).sort();
  };
  const head = async (channelId: string) => (await api(sim, tok, 'HEAD', `${NOTIF}/channels/${channelId}`)).status;
  const kick = async (pid: string) => {
    const r = await api(sim, tok, 'PATCH', `/api/v2/conversations/${CONV}/participants/${pid}`, { state: 'disconnected' });
    assert.equal(r.status, 202, r.text);
  };

  describe('channels', () => {
    it('POST creates a Channel {connectUri, id, expires} a day ahead; HEAD answers 200 for it and 404 for an unknown one', async () => {
      const ch = await createChannel();
      assert.deepEqual(Object.keys(ch).sort(), ['connectUri', 'expires', 'id']);
      assert.equal(ch.connectUri, `${sim.url.replace('http', 'ws')}/channels/${ch.id}`);
      const ahead = Date.parse(ch.expires) - Date.now();
      assert.ok(ahead > 23.9 * 3600_000 && ahead <= 24 * 3600_000, String(ahead));
      assert.equal(await head(ch.id), 200);
      assert.equal(await head('streaming-0-nosuchchannel'), 404);
    });

    it("GET lists this token's channels; includechannels=oauthclient also shows other tokens' channels without their ids", async () => {
      const mine = await createChannel();
      const other = await token(sim);
      await createChannel(other);
      const own = await api(sim, tok, 'GET', `${NOTIF}/channels`);
      assert.deepEqual(
        own.json.entities.map((e: { id: string }) => e.id),
        [mine.id],
      );
      const all = await api(sim, tok, 'GET', `${NOTIF}/channels?includechannels=oauthclient`);
      assert.equal(all.json.entities.length, 2);
      const hidden = all.json.entities.find((e: { id?: string }) => e.id !== mine.id);
      assert.deepEqual(Object.keys(hidden), ['expires']);
      assertError(await api(sim, tok, 'GET', `${NOTIF}/channels?includechannels=everything`), 400, 'invalid.value');
    });

    it('behind the bearer check, the request log and the rate window like every API call', async () => {
      assertError(await api(sim, 'not-a-token', 'POST', `${NOTIF}/channels`), 401, 'bad.credentials');
      const ch = await createChannel();
      await head(ch.id);
      const log = await sim.control.requests();
      assert.deepEqual(
        log.filter((e) => e.path.startsWith(NOTIF)).map((e) => `${e.method} ${e.status}`),
        ['POST 401', 'POST 200', 'HEAD 200'],
      );
      await sim.control.setOptions({ rateLimitPerMinute: 3 });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await api(sim, tok, 'GET', `${NOTIF}/channels`)).status);
      assert.deepEqual(statuses, [200, 429, 429], 'the two earlier calls count in the same window');
    });

    it("another OAuth client's channel is not found (404), for HEAD and for subscriptions", async () => {
      await sim.control.seed({ conversations: [], clients: [{ clientId: 'other-app', clientSecret: 's' }] });
      const otherTok = await token(sim, 'other-app', 's');
      const theirs = await createChannel(otherTok);
      assert.equal(await head(theirs.id), 404);
      assertError(await subscribe(theirs.id, [userEnd()]), 404, 'not.found');
    });

    it('a 21st channel of one client evicts one: idle channels first, then the least recently used', async () => {
      const chans = [];
      for (let i = 0; i < 20; i++) chans.push(await createChannel());
      const connected = await listen(chans[0].connectUri); // the oldest, but in use
      await createChannel();
      assert.equal(await head(chans[0].id), 200, 'a connected channel is kept');
      assert.equal(await head(chans[1].id), 404, 'the oldest idle channel went');
      assert.equal((await api(sim, tok, 'GET', `${NOTIF}/channels?includechannels=oauthclient`)).json.entities.length, 20);
      assert.equal(connected.ws.readyState, WebSocket.OPEN);
    });
  });

  describe('subscriptions', () => {
    it('PUT replaces, POST adds, GET lists, DELETE removes every topic; answers are ChannelTopicEntityListings', async () => {
      const ch = await createChannel();
      const put = await subscribe(ch.id, [userEnd(), customerEnd()]);
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.json.entities, [
        { id: userEnd(), state: 'Permitted' },
        { id: customerEnd(), state: 'Permitted' },
      ]);
      const post = await subscribe(ch.id, [queueTopic, userEnd()], 'POST');
      assert.equal(post.json.entities.length, 3, 'added once, the repeated topic not twice');
      assert.deepEqual(await subscribed(ch.id), [customerEnd(), userEnd(), queueTopic].sort());
      await subscribe(ch.id, [`v2.users.${USER.agent1}.conversations`]);
      assert.deepEqual(await subscribed(ch.id), [`v2.users.${USER.agent1}.conversations`]);
      const del = await api(sim, tok, 'DELETE', `${NOTIF}/channels/${ch.id}/subscriptions`);
      assert.ok(del.status >= 200 && del.status < 300);
      assert.deepEqual(await subscribed(ch.id), []);
    });

    it('an unknown topic or a topic with a bad id fails the whole request with 400 notification.invalid.topic', async () => {
      const ch = await createChannel();
      await subscribe(ch.id, [userEnd()]);
      for (const bad of [
        'v2.conversations.everything',
        `v2.detail.events.conversation.${CONV}.user.ended`,
        'v2.detail.events.conversation.not-a-uuid.user.end',
        `v2.routing.queues.${QUEUE}`,
        'channel.metadata',
      ]) {
        const r = await subscribe(ch.id, [customerEnd(), bad], 'POST');
        assertError(r, 400, 'notification.invalid.topic');
      }
      assert.deepEqual(await subscribed(ch.id), [userEnd()], 'nothing changed');
      assertError(await api(sim, tok, 'POST', `${NOTIF}/channels/${ch.id}/subscriptions`, { id: userEnd() }), 400, 'bad.request');
      assertError(await api(sim, tok, 'POST', `${NOTIF}/channels/${ch.id}/subscriptions`, [{ topic: userEnd() }]), 400, 'bad.request');
    });

    it('at most 1,000 topics per channel: a request that would make 1,001 fails with 400 and changes nothing', async () => {
      const ch = await createChannel();
      const conv = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const topics = Array.from({ length: 1000 }, (_, i) => userEnd(conv(i)));
      assert.equal((await subscribe(ch.id, topics)).status, 200);
      assertError(await subscribe(ch.id, [userEnd(conv(1000))], 'POST'), 400, 'bad.request');
      assert.equal((await subscribed(ch.id)).length, 1000);
      assert.equal((await subscribe(ch.id, topics.slice(1), 'PUT')).status, 200, 'a replacement counts only its own topics');
    });

    it('a rejected topic: with ignoreErrors=true it is listed Rejected with its reason and missing permissions, and not subscribed; without, the request fails', async () => {
      await sim.control.notifications.setPermissions({
        rejected: [{ topic: 'v2.users.{id}.conversations', missingPermissions: ['conversation:communication:view'] }],
        requiresPermissions: { 'v2.users.{id}.conversations': ['conversation:communication:view'] },
      });
      const ch = await createChannel();
      const userTopic = `v2.users.${USER.agent1}.conversations`;
      const r = await subscribe(ch.id, [userEnd(), userTopic], 'PUT', '?ignoreErrors=true');
      assert.equal(r.status, 200, r.text);
      const rejected = r.json.entities.find((e: { id: string }) => e.id === userTopic);
      assert.equal(rejected.state, 'Rejected');
      assert.equal(typeof rejected.rejectionReason, 'string');
      assert.deepEqual(rejected.missingPermissions, ['conversation:communication:view']);
      assert.deepEqual(await subscribed(ch.id), [userEnd()]);
      assertError(await subscribe(ch.id, [customerEnd(), userTopic], 'POST'), 403, 'missing.permissions');
      assert.deepEqual(await subscribed(ch.id), [userEnd()], 'nothing changed');
      const topics = await api(sim, tok, 'GET', `${NOTIF}/availabletopics?expand=requiresPermissions`);
      const t = topics.json.entities.find((e: { id: string }) => e.id === 'v2.users.{id}.conversations');
      assert.deepEqual(t.requiresPermissions, ['conversation:communication:view']);
      assert.ok(topics.json.entities.some((e: { id: string }) => e.id === 'v2.detail.events.conversation.{id}.user.end'));
    });

    it('the reject-topic fault rejects one exact topic for one client, others stay Permitted', async () => {
      await sim.control.notifications.rejectTopic({ topic: userEnd(), clientId: 'sim-client-id', rejectionReason: 'nope' });
      const ch = await createChannel();
      const r = await subscribe(ch.id, [userEnd(), customerEnd()], 'PUT', '?ignoreErrors=true');
      assert.deepEqual(r.json.entities.map((e: { id: string; state: string }) => `${e.id === userEnd() ? 'user' : 'customer'} ${e.state}`).sort(), [
        'customer Permitted',
        'user Rejected',
      ]);
    });
  });

  describe('the WebSocket', () => {
    it('sends channel.metadata "WebSocket Heartbeat" periodically and answers {"message":"ping"} with a pong', async () => {
      const ch = await createChannel();
      const l = await listen(ch.connectUri);
      await l.next((m) => m.eventBody?.message === 'WebSocket Heartbeat');
      const hb = await l.next((m) => m.eventBody?.message === 'WebSocket Heartbeat');
      assert.deepEqual(hb, { topicName: 'channel.metadata', eventBody: { message: 'WebSocket Heartbeat' } });
      l.ws.send(JSON.stringify({ message: 'ping' }));
      const pong = await l.next((m) => m.eventBody?.message === 'pong');
      assert.equal(pong.topicName, 'channel.metadata');
    });

    it('one socket per channel: a second connection closes the first', async () => {
      const ch = await createChannel();
      const first = await listen(ch.connectUri);
      const second = await listen(ch.connectUri);
      await first.closed;
      await subscribe(ch.id, [userEnd()]);
      await kick(P.agent1);
      await second.next(onTopic(userEnd()));
      assert.deepEqual(first.topics(), []);
      const state = await sim.control.notifications.state();
      assert.equal(state.channels[0].connections, 2);
      assert.deepEqual(state.socketRequests, [`/channels/${ch.id}`, `/channels/${ch.id}`]);
    });

    it('a hostile client: garbage is ignored, an oversized message closes its socket (1009), the channel stays', async () => {
      const ch = await createChannel();
      const l = await listen(ch.connectUri);
      l.ws.send('not json');
      l.ws.send(Buffer.from([1, 2, 3]));
      l.ws.send(JSON.stringify({ message: 'pong' }));
      l.ws.send(JSON.stringify({ message: 'ping' }));
      await l.next((m) => m.eventBody?.message === 'pong');
      l.ws.send('x'.repeat(1024 * 1024));
      assert.equal((await l.closed).code, 1009);
      assert.equal(await head(ch.id), 200);
    });

    it('closing the simulator closes every channel socket', async () => {
      const other = await start({});
      const t = await token(other);
      const ch = (await api(other, t, 'POST', `${NOTIF}/channels`)).json;
      const l = await Listener.open(ch.connectUri);
      await other.close();
      await l.closed;
    });

    it('refuses a socket for an unknown channel', async () => {
      const ws = new WebSocket(`${sim.url.replace('http', 'ws')}/channels/streaming-0-nosuchchannel`);
      ws.on('error', () => undefined); // terminate() below, while still connecting, reports one
      const status = await new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
      });
      ws.terminate();
      assert.equal(status, 404);
    });

    it('a channel expires after its lifetime: its socket closes and HEAD answers 404', async () => {
      await sim.control.notifications.setOptions({ channelLifetimeMs: 1000 });
      try {
        const ch = await createChannel();
        // On a machine slow enough to take the whole lifetime to connect, the refused socket proves it as well.
        const l = await listen(ch.connectUri).catch(() => undefined);
        if (l) await l.closed;
        assert.equal(await head(ch.id), 404);
      } finally {
        await sim.control.notifications.setOptions({ channelLifetimeMs: 24 * 3600_000 });
      }
    });
  });

  describe('events', () => {
    it('a kicked agent leg publishes user.end with the UserEndDetailEventTopicUserEndEvent body', async () => {
      const ch = await createChannel();
      await subscribe(ch.id, [userEnd(), customerEnd()]);
      const l = await listen(ch.connectUri);
      await kick(P.agent1);
      const m = await l.next(onTopic(userEnd()));
      assert.equal(m.version, '2');
      assert.equal(typeof m.metadata?.CorrelationId, 'string');
      const b = m.eventBody;
      assert.equal(b.conversationId, CONV);
      assert.equal(b.participantId, P.agent1);
      assert.equal(b.userId, USER.agent1);
      assert.equal(b.queueId, QUEUE);
      assert.equal(b.disconnectType, 'CLIENT');
      assert.equal(b.mediaType, 'VOICE');
      assert.equal(b.direction, 'INBOUND');
      assert.equal(typeof b.eventTime, 'number');
      assert.equal(typeof b.sessionId, 'string');
      const state = await sim.control.getState(CONV);
      assert.equal(b.eventTime, Date.parse(state.participants[1].endTime));
      await eventually(async () => (await sim.control.getState(CONV)).participants[1].state === 'terminated');
      assert.deepEqual(l.topics(), [userEnd()], 'one event per ended leg: disconnected -> terminated publishes nothing more');
    });

    it('a customer leg that ends publishes customer.end; legs without a user or customer side publish neither', async () => {
      const ch = await createChannel();
      await subscribe(ch.id, [userEnd(), customerEnd()]);
      const l = await listen(ch.connectUri);
      await sim.control.transition({ conversationId: CONV, participantId: P.sup, state: 'disconnected' }); // purpose user, no userId
      await sim.control.transition({ conversationId: CONV, participantId: P.customer, state: 'disconnected', disconnectType: 'transport.failure' });
      const m = await l.next(onTopic(customerEnd()));
      assert.equal(m.eventBody.participantId, P.customer);
      assert.equal(m.eventBody.disconnectType, 'TRANSPORT_FAILURE');
      assert.deepEqual(l.topics(), [customerEnd()]);
    });

    it('queue and user conversation topics get the whole conversation on every change', async () => {
      const ch = await createChannel();
      await subscribe(ch.id, [queueTopic, `v2.users.${USER.agent2}.conversations`]);
      const l = await listen(ch.connectUri);
      await kick(P.agent1);
      const q = await l.next((m) => m.topicName === queueTopic && m.eventBody.participants[1].calls[0].state === 'disconnected');
      assert.equal(q.eventBody.id, CONV);
      assert.equal(q.eventBody.participants.length, 4);
      assert.equal(q.eventBody.participants[1].calls[0].disconnectType, 'client');
      assert.deepEqual(q.eventBody.participants[0].chats, []);
      await l.next((m) => m.topicName === queueTopic && m.eventBody.participants[1].calls[0].state === 'terminated');
      await l.next((m) => m.topicName === `v2.users.${USER.agent2}.conversations`);
    });

    it('a scripted join adds a participant to a live conversation and publishes user.start and the change', async () => {
      const ch = await createChannel();
      const userStart = `v2.detail.events.conversation.${CONV}.user.start`;
      await subscribe(ch.id, [queueTopic, userStart]);
      const l = await listen(ch.connectUri);
      const joined = await sim.control.join(CONV, { purpose: 'agent', userId: '33333333-0000-4000-8000-000000000009', queueId: QUEUE });
      const start = await l.next(onTopic(userStart));
      assert.equal(start.eventBody.participantId, joined.id);
      assert.equal(start.eventBody.userId, '33333333-0000-4000-8000-000000000009');
      assert.equal(start.eventBody.eventTime, Date.parse(joined.startTime));
      assert.equal(start.eventBody.disconnectType, undefined);
      const m = await l.next(onTopic(queueTopic));
      assert.equal(m.eventBody.participants.length, 5);
      assert.equal(m.eventBody.participants[4].id, joined.id);
      assert.equal(m.eventBody.participants[4].calls[0].state, 'connected');
      const read = await api(sim, tok, 'GET', `/api/v2/conversations/${CONV}`);
      assert.ok(read.json.participants.some((p: { id: string }) => p.id === joined.id));
      await assert.rejects(sim.control.join(CONV, { purpose: 'agent', id: P.agent1 }), /used twice/);
      await assert.rejects(sim.control.join('11111111-1111-4111-8111-000000000000', { purpose: 'agent' }), /unknown conversationId/);
    });
  });

  describe('faults', () => {
    const subscribedChannel = async () => {
      const ch = await createChannel();
      await subscribe(ch.id, [userEnd(), customerEnd(), queueTopic]);
      return { ch, l: await listen(ch.connectUri) };
    };

    it('drop: the socket is cut (no close frame), the channel and its topics stay; events meanwhile are lost, a new socket gets the next', async () => {
      const { ch, l } = await subscribedChannel();
      await sim.control.notifications.dropSocket(ch.id);
      assert.equal((await l.closed).code, 1006);
      await kick(P.agent1);
      await eventually(async () => (await sim.control.getState(CONV)).participants[1].state !== 'connected');
      const again = await listen(ch.connectUri);
      await kick(P.agent2);
      const m = await again.next(onTopic(userEnd()));
      assert.equal(m.eventBody.participantId, P.agent2, 'no replay of the event sent while down');
      assert.equal(await head(ch.id), 200);
    });

    it('socket_closing: v2.system.socket_closing, then close 1001; the same connectUri works again with the same topics', async () => {
      const { ch, l } = await subscribedChannel();
      await sim.control.notifications.socketClosing(ch.id);
      const m = await l.next(onTopic('v2.system.socket_closing'));
      assert.equal(m.version, '2');
      assert.equal((await l.closed).code, 1001);
      const again = await listen(ch.connectUri);
      await kick(P.agent1);
      await again.next(onTopic(userEnd()));
    });

    it('expire: the socket closes, HEAD answers 404 and subscribing answers 404', async () => {
      const { ch, l } = await subscribedChannel();
      await sim.control.notifications.expireChannel(ch.id);
      await l.closed;
      assert.equal(await head(ch.id), 404);
      assertError(await subscribe(ch.id, [userEnd()]), 404, 'not.found');
    });

    it('lose: the next matching event never comes, the one after does', async () => {
      const { l } = await subscribedChannel();
      await sim.control.notifications.loseEvents({ topic: 'v2.detail.events.conversation.{id}.user.end' });
      await kick(P.agent1);
      await kick(P.agent2);
      const m = await l.next(onTopic(userEnd()));
      assert.equal(m.eventBody.participantId, P.agent2);
      assert.equal((await sim.control.notifications.state()).stats.lost, 1);
      assert.equal(l.messages.filter(onTopic(userEnd())).length, 1);
    });

    it('delay: the next matching event leaves late, after events published later', async () => {
      const { l } = await subscribedChannel();
      await sim.control.notifications.delayEvents({ topic: userEnd(), ms: 1000 });
      await sim.control.transition({ conversationId: CONV, participantId: P.agent1, state: 'disconnected' });
      await sim.control.transition({ conversationId: CONV, participantId: P.customer, state: 'disconnected' });
      await l.next(onTopic(userEnd()));
      const order = l.topics().filter((t) => t === userEnd() || t === customerEnd());
      assert.deepEqual(order, [customerEnd(), userEnd()]);
    });

    it('silence: the socket stays open but no heartbeat or pong comes until the client reconnects', async () => {
      const { ch, l } = await subscribedChannel();
      await l.next((m) => m.eventBody?.message === 'WebSocket Heartbeat');
      await sim.control.notifications.silence(ch.id);
      l.ws.send(JSON.stringify({ message: 'ping' }));
      await kick(P.agent1);
      await eventually(async () => (await sim.control.getState(CONV)).participants[1].state === 'terminated');
      assert.ok(!l.messages.some((m) => m.eventBody?.message === 'pong'), 'no pong');
      assert.deepEqual(l.topics(), [], 'no event');
      assert.equal(l.ws.readyState, WebSocket.OPEN);
      const again = await listen(ch.connectUri);
      await again.next((m) => m.eventBody?.message === 'WebSocket Heartbeat');
    });

    it("send: any message on one channel's socket, e.g. v2.system.no_longer_subscribed.{channelId}", async () => {
      const { ch, l } = await subscribedChannel();
      const topicName = `v2.system.no_longer_subscribed.${ch.id}`;
      await sim.control.notifications.send(ch.id, { topicName, eventBody: { systemTopicType: 'no_longer_subscribed' } });
      const m = await l.next(onTopic(topicName));
      assert.deepEqual(m.eventBody, { systemTopicType: 'no_longer_subscribed' });
      l.close();
      await l.closed;
      await assert.rejects(sim.control.notifications.send(ch.id, { topicName }), /no open socket/);
    });

    it('publish: any event reaches the channels subscribed to its topic; control input is checked', async () => {
      const { l } = await subscribedChannel();
      await sim.control.notifications.publish(queueTopic, { id: CONV, participants: [] });
      const m = await l.next(onTopic(queueTopic));
      assert.deepEqual(m.eventBody, { id: CONV, participants: [] });
      await assert.rejects(sim.control.notifications.delayEvents({ ms: -1 }), /400/);
      await assert.rejects(sim.control.notifications.rejectTopic({ topic: '' }), /400/);
      await assert.rejects(sim.control.notifications.dropSocket('streaming-0-nosuchchannel'), /400/);
      await assert.rejects(sim.control.notifications.setOptions({ heartbeatMs: 0 }), /heartbeatMs must be a number > 0/);
      await assert.rejects(start({ notifications: { maxChannels: -1 } }), /maxChannels must be a number > 0/);
    });
  });
});
