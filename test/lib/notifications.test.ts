// The channel manager (lib/platform/notifications.ts) against a hostile local Notification Service
// (test/support/fake-push.ts) over real HTTP and WebSockets. Timing-free: every test waits for the state it
// needs (until), and the short timings given to the manager only make the faults come sooner.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { GenesysClient } from '../../lib/platform/client';
import type { NotificationOptions, TopicListener, TopicState } from '../../lib/platform/notifications';
import { startFakePush, type FakePush } from '../support/fake-push';
import { sendJson } from '../support/test-server';
import { until } from '../support/until';

class Recorder implements TopicListener {
  states: { state: TopicState; reason: string }[] = [];
  events: unknown[] = [];
  pushEvent(_topic: string, body: unknown): void {
    this.events.push(body);
  }
  pushState(state: TopicState, reason: string): void {
    this.states.push({ state, reason });
  }
  get last(): TopicState | undefined {
    return this.states.at(-1)?.state;
  }
}

const userEnd = (cid = randomUUID()) => `v2.detail.events.conversation.${cid}.user.end`;

describe('lib/platform/notifications (channel manager)', function () {
  let fake: FakePush;
  let client: GenesysClient;

  function newClient(push: NotificationOptions = {}): GenesysClient {
    return new GenesysClient({
      region: 'custom',
      apiBaseUrl: fake.http.origin,
      authBaseUrl: fake.http.origin,
      clientId: 'id',
      clientSecret: 'secret-value-1',
      notifications: { enabled: true, timing: { reconnectBaseMs: 5, reconnectMaxMs: 50 }, ...push },
    });
  }

  /** A new client with one topic subscribed and live: its recorder and the topic. */
  async function oneLiveTopic(push: NotificationOptions = {}): Promise<{ l: Recorder; topic: string }> {
    client = newClient(push);
    const l = new Recorder();
    const topic = userEnd();
    client.notifications.subscribe(topic, l);
    await until(() => l.last === 'live', 'live');
    return { l, topic };
  }

  beforeEach(async () => {
    fake = await startFakePush();
  });
  afterEach(async () => {
    await client?.close();
    await fake.close();
  });

  it('creates one channel lazily and subscribes a burst of topics in one request', async () => {
    client = newClient();
    assert.equal(fake.channelCreations().length, 0, 'nothing before a wait needs it');
    const listeners = Array.from({ length: 50 }, () => new Recorder());
    const topics = listeners.map(() => userEnd());
    listeners.forEach((l, i) => assert.equal(client.notifications.subscribe(topics[i], l).state, 'pending'));
    await until(() => listeners.every((l) => l.last === 'live'), 'every topic live');
    assert.equal(fake.channelCreations().length, 1);
    const subs = fake.subscriptionRequests();
    assert.equal(subs.length, 1, 'one request for the burst');
    assert.equal((JSON.parse(subs[0].body) as unknown[]).length, 50);
    assert.match(subs[0].path, /ignoreErrors=true/);
    // An event reaches the listener of its topic only.
    fake.event(topics[3], { participantId: 'p', conversationId: 'c' });
    await until(() => listeners[3].events.length === 1, 'the event');
    assert.ok(listeners.every((l, i) => i === 3 || l.events.length === 0));
    assert.equal(client.notifications.status().state, 'up');
  });

  it('a Rejected topic is unavailable (its wait polls), and its kind is not asked for again', async () => {
    client = newClient();
    fake.reject = /customer\.end$/;
    const ok = new Recorder();
    const no = new Recorder();
    client.notifications.subscribe(userEnd(), ok);
    client.notifications.subscribe(`v2.detail.events.conversation.${randomUUID()}.customer.end`, no);
    await until(() => ok.last === 'live' && no.last === 'unavailable', 'states');
    assert.match(no.states.at(-1)!.reason, /analytics:conversationDetail:view/);
    const before = fake.subscriptionRequests().length;
    const again = client.notifications.subscribe(`v2.detail.events.conversation.${randomUUID()}.customer.end`, new Recorder());
    assert.equal(again.state, 'unavailable', 'known to be rejected: no request');
    await new Promise((r) => setImmediate(r));
    assert.equal(fake.subscriptionRequests().length, before);
    const s = client.notifications.status();
    assert.equal(s.state, 'unavailable');
  });

  it('a dropped socket: unavailable, then live again after the reconnect (the waits re-read), no new channel', async () => {
    const { l } = await oneLiveTopic();
    for (const s of fake.channels.get('ch-1')!.sockets) s.terminate();
    await until(() => l.states.length >= 3 && l.last === 'live', 'down and live again');
    assert.deepEqual(
      l.states.slice(-2).map((s) => s.state),
      ['unavailable', 'live'],
    );
    assert.equal(fake.channelCreations().length, 1);
    assert.equal(fake.subscriptionRequests().length, 1, 'the subscriptions stay with the channel');
  });

  it('socket_closing: reconnects to the same channel', async () => {
    const { l } = await oneLiveTopic();
    fake.send('ch-1', { topicName: 'v2.system.socket_closing', eventBody: {} });
    await until(() => l.states.length >= 3 && l.last === 'live', 'live again');
    assert.equal(client.notifications.counters.reconnects, 1);
    assert.equal(fake.channelCreations().length, 1);
    assert.equal(fake.openSockets(), 1);
  });

  it('no_longer_subscribed: a new channel with the same topics', async () => {
    const { l, topic } = await oneLiveTopic();
    fake.send('ch-1', { topicName: 'v2.system.no_longer_subscribed.ch-1', eventBody: { systemTopicType: 'no_longer_subscribed' } });
    await until(() => fake.channels.get('ch-2')?.topics.has(topic) === true && l.last === 'live', 'moved to ch-2');
    fake.event(topic, { participantId: 'x' });
    await until(() => l.events.length === 1, 'event on the new channel');
  });

  it('a channel that is gone (the socket is refused, HEAD 404): re-created', async () => {
    const { l, topic } = await oneLiveTopic({ timing: { reconnectBaseMs: 1, reconnectMaxMs: 5, failuresBeforeCheck: 2 } });
    fake.channels.get('ch-1')!.gone = true;
    for (const s of fake.channels.get('ch-1')!.sockets) s.terminate();
    await until(() => fake.channels.get('ch-2')?.topics.has(topic) === true && l.last === 'live', 're-created');
    assert.ok(
      fake.http.requests.some((r) => r.method === 'HEAD'),
      'asked whether the channel lives',
    );
  });

  it('re-creates the channel before it expires', async () => {
    fake.expiresInS = 3; // renews at 90% of its life
    client = newClient();
    const l = new Recorder();
    const topic = userEnd();
    client.notifications.subscribe(topic, l);
    await until(() => fake.channels.get('ch-2')?.topics.has(topic) === true && l.last === 'live', 'renewed', 10_000);
    // Seamless: the old socket stayed until the new channel had the topic, so no gap, no re-read.
    assert.deepEqual(
      l.states.map((x) => x.state),
      ['live'],
    );
    await until(() => fake.openSockets() === 1 && fake.channels.get('ch-1')!.sockets.every((x) => x.readyState !== x.OPEN), 'the old socket closed');
    fake.event(topic, { participantId: 'p' });
    await until(() => l.events.length === 1, 'an event on the new channel');
  });

  it('silence: pings, and reconnects when no pong comes', async () => {
    const { l } = await oneLiveTopic({ timing: { silenceMs: 30, pongMs: 30, reconnectBaseMs: 1, reconnectMaxMs: 5 } });
    await until(() => fake.received.some((m) => m === '{"message":"ping"}'), 'a ping');
    assert.equal(client.notifications.counters.reconnects, 0, 'the pong kept it');
    fake.pong = false;
    await until(() => client.notifications.counters.reconnects >= 1 && l.last === 'live', 'reconnected after a missing pong');
  });

  it('spreads topics over channels up to the cap; beyond it topics are unavailable; idle topics make room (PUT)', async () => {
    client = newClient({ maxChannels: 2, maxTopicsPerChannel: 3 });
    const ls = Array.from({ length: 7 }, () => new Recorder());
    const topics = ls.map(() => userEnd());
    const first = ls.map((l, i) => client.notifications.subscribe(topics[i], l).state);
    assert.equal(first[6], 'unavailable');
    assert.match(ls[6].states.at(-1)?.reason ?? client.notifications.subscribe(topics[6], ls[6]).reason, /full/);
    await until(() => ls.slice(0, 6).every((l) => l.last === 'live'), 'six live');
    assert.equal(fake.channelCreations().length, 2);
    // One wait ends: its topic stays until the room is needed, then a PUT replaces the channel's list.
    client.notifications.unsubscribe(topics[0], ls[0]);
    const late = new Recorder();
    const lateTopic = userEnd();
    client.notifications.subscribe(lateTopic, late);
    await until(() => late.last === 'live', 'the late topic live');
    const put = fake.subscriptionRequests().find((r) => r.method === 'PUT');
    assert.ok(put, 'replaced by PUT');
    const ids = (JSON.parse(put.body) as { id: string }[]).map((x) => x.id);
    assert.ok(ids.includes(lateTopic) && !ids.includes(topics[0]) && ids.length === 3);
  });

  const badUris: [string, string][] = [
    ['plain ws: to another host', 'ws://streaming.example.com/channels/x'],
    ['http:', 'http://127.0.0.1:1/channels/x'],
    ['credentials in the URL', ['wss:', '//user:', 'pw@streaming.example.com/channels/x'].join('')],
  ];
  for (const [what, uri] of badUris) {
    it(`a connectUri that is not wss: (or ws: on loopback) is refused: ${what}`, async () => {
      fake.connectUri = () => uri;
      client = newClient();
      const l = new Recorder();
      client.notifications.subscribe(userEnd(), l);
      await until(() => l.last === 'unavailable', 'unavailable');
      assert.match(JSON.stringify(client.notifications.status()), /no notification channel/);
      assert.ok(!JSON.stringify(client.notifications.status()).includes('pw'));
    });
  }

  it('hostile frames on the socket (not JSON, binary, odd shapes) change nothing; the next event still arrives', async () => {
    const { l, topic } = await oneLiveTopic();
    const [socket] = fake.channels.get('ch-1')!.sockets;
    socket.send('not json {');
    socket.send(Buffer.from([1, 2, 3]));
    for (const m of [
      null,
      42,
      [],
      { topicName: 7 },
      { topicName: topic },
      { topicName: topic, eventBody: 'x' },
      { topicName: topic, eventBody: { participantId: 5 } },
    ])
      socket.send(JSON.stringify(m));
    fake.event(topic, { participantId: 'p-1' });
    await until(() => l.events.some((e) => (e as { participantId?: string })?.participantId === 'p-1'), 'the real event');
    assert.deepEqual(
      l.states.map((x) => x.state),
      ['live'],
      'no reconnect',
    );
  });

  it('a malformed subscription answer: the topics poll, and the request is retried (with a growing backoff)', async () => {
    client = newClient({ timing: { reconnectBaseMs: 20, reconnectMaxMs: 200 } });
    const original = fake.handler;
    fake.http.setHandler((req, res) => {
      if (req.path.includes('/subscriptions')) return sendJson(res, 200, { entities: 'nope' });
      return original(req, res);
    });
    const l = new Recorder();
    client.notifications.subscribe(userEnd(), l);
    await until(() => l.last === 'unavailable', 'unavailable');
    await until(() => fake.subscriptionRequests().length >= 4, 'a few retries');
  });

  it('push off: every topic unavailable, no request', async () => {
    client = newClient({ enabled: false });
    assert.equal(client.notifications.subscribe(userEnd(), new Recorder()).state, 'unavailable');
    await new Promise((r) => setImmediate(r));
    assert.equal(fake.http.requests.length, 0);
    assert.equal(client.notifications.status().state, 'off');
  });

  it('no Notification Service (404 on the channel POST): unavailable, not asked again at once', async () => {
    client = newClient();
    fake.http.setHandler((req, res) => {
      if (req.path === '/oauth/token') sendJson(res, 200, { access_token: 't-123456789', expires_in: 3600 });
      else sendJson(res, 404, { code: 'not.found', status: 404 });
    });
    const l = new Recorder();
    client.notifications.subscribe(userEnd(), l);
    await until(() => l.last === 'unavailable', 'unavailable');
    assert.equal(client.notifications.subscribe(userEnd(), new Recorder()).state, 'unavailable');
    await new Promise((r) => setImmediate(r));
    assert.equal(fake.http.requests.filter((r) => r.path === '/api/v2/notifications/channels').length, 1);
    assert.match(JSON.stringify(client.notifications.status()), /404/);
  });

  it('close: every socket closed, listeners told, no timer keeps the process (the socket count drops to 0)', async () => {
    client = newClient();
    const l = new Recorder();
    client.notifications.subscribe(userEnd(), l);
    await until(() => l.last === 'live' && fake.openSockets() === 1, 'live');
    await client.close();
    assert.equal(l.last, 'unavailable');
    await until(() => fake.openSockets() === 0, 'the socket closed');
    assert.equal(client.notifications.subscribe(userEnd(), new Recorder()).state, 'unavailable');
  });

  it('no token or secret in the connectUri, the messages sent on the socket, or the status', async () => {
    client = newClient({ timing: { silenceMs: 20, pongMs: 1000 } });
    const l = new Recorder();
    client.notifications.subscribe(userEnd(), l);
    await until(() => l.last === 'live' && fake.received.length > 0, 'live and pinged');
    const text = JSON.stringify([fake.received, client.notifications.status(), l.states]);
    assert.ok(!/test-access-token|secret-value/.test(text));
  });
});
