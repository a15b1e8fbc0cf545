// The event source (issue 13) through Node-RED against the simulator's Notification Service, over real sockets:
// a queue's conversation events with normalised participants, one msg per join, auto-eject kicking exactly the
// denied party, a Rejected topic (status and output 2), a dropped socket (notices, then events again), redeploy
// (nothing sent after close). Count-based: what came out, what the simulator saw; no wall-clock thresholds.
import * as assert from 'node:assert/strict';
import { ALL_NODES, CONFIG_ID, flow, helper, load, recordStatuses, SIM_CREDENTIALS, useNodeTestServer } from '../../testkit/harness';
import { seedConversation } from '../../testkit/fixtures';
import { nodeRedDir } from '../../testkit/node-red';
import { until } from '../support/until';

const QUEUE = 'd0000001-0000-4000-8000-0000000000e1';
const DENIED = 'de000000-0000-4000-8000-000000000666';
const ALLOWED = 'a1000000-0000-4000-8000-000000000001';
const TOPIC = `v2.routing.queues.${QUEUE}.conversations`;

describe('genesys-events (queue events, joins, auto-eject, notices, redeploy)', function () {
  this.timeout(60_000);
  const ctx = useNodeTestServer();

  const seed = () =>
    seedConversation(ctx.sim, [
      { purpose: 'customer', name: 'Caller', address: 'tel:+15550100' },
      { purpose: 'agent', userId: 'a1000000-0000-4000-8000-0000000000a1', queueId: QUEUE },
      { purpose: 'agent', userId: 'a1000000-0000-4000-8000-0000000000a2', queueId: QUEUE },
    ]);
  const events = (extra: Record<string, unknown> = {}) => ({
    id: 'e',
    type: 'genesys-events',
    topics: [{ kind: 'queue', id: QUEUE, idType: 'str' }],
    wires: [['out1'], ['out2']],
    ...extra,
  });

  /** What comes out of out1 (events) and out2 (notices), in order. */
  function collect(): { out1: any[]; out2: any[] } {
    const seen = { out1: [] as any[], out2: [] as any[] };
    helper.getNode('out1').on('input', (m: any) => seen.out1.push(m));
    helper.getNode('out2').on('input', (m: any) => seen.out2.push(m));
    return seen;
  }
  const subscribed = (seen: { out2: any[] }) => until(() => seen.out2.some((m) => m.topic === 'subscribed'), 'subscribed notice');
  /** One more round trip to the simulator: an event still on its way comes out meanwhile. */
  const settle = () => ctx.sim.control.counters();

  it('subscribes a queue; a participant joins: one msg with the topic, the conversation and its participants normalised', async () => {
    const { cid } = await seed();
    await load(ctx.sim.url, [events()]);
    const seen = collect();
    await subscribed(seen);
    assert.deepEqual(seen.out2[0].payload, { notice: 'subscribed', topics: [TOPIC] });
    const joiner = await ctx.sim.control.join(cid, { purpose: 'agent', userId: ALLOWED });
    await until(() => seen.out1.length >= 1, 'the event');
    await settle();
    assert.equal(seen.out1.length, 1, 'one msg for one change');
    const msg = seen.out1[0];
    assert.equal(msg.topic, TOPIC);
    assert.equal(msg.conversationId, cid);
    assert.equal(msg.payload.id, cid, 'payload: the event body');
    assert.equal(msg.participants.length, 4);
    const p = msg.participants.find((x: any) => x.id === joiner.id);
    assert.deepEqual(
      { purpose: p.purpose, userId: p.userId, state: p.state, live: p.live, mediaType: p.mediaType },
      { purpose: 'agent', userId: ALLOWED, state: 'connected', live: true, mediaType: 'call' },
    );
    assert.equal(msg.participants.find((x: any) => x.purpose === 'customer').address, 'tel:+15550100');
  });

  it('only joins: one msg per participant who joins (not those on the call before), ready for disconnect', async () => {
    const { cid, ids } = await seed();
    await load(ctx.sim.url, [events({ only: 'joins' })]);
    const seen = collect();
    await subscribed(seen);
    const a = await ctx.sim.control.join(cid, { purpose: 'agent', userId: ALLOWED });
    const b = await ctx.sim.control.join(cid, { purpose: 'user', userId: DENIED });
    // A leave is no join: the next event of the conversation reports nothing.
    await ctx.sim.control.transition({ conversationId: cid, participantId: ids[1], state: 'disconnected' });
    await until(() => seen.out1.length >= 2, 'two joins');
    await settle();
    assert.deepEqual(
      seen.out1.map((m) => [m.participantId, m.change, m.participant.userId, m.conversationId]),
      [
        [a.id, 'joined', ALLOWED, cid],
        [b.id, 'joined', DENIED, cid],
      ],
    );
    assert.equal(seen.out1[0].firstSeen, true, "the node's first event of that conversation");
    assert.equal(seen.out1[1].firstSeen, false);
  });

  it('auto-eject: events -> switch (deny list) -> disconnect with guards and confirm kicks exactly the denied party', async () => {
    const { cid, ids } = await seed();
    // Node-RED's own switch node, from the Node-RED under test.
    const switchNode = require(require.resolve('@node-red/nodes/core/function/10-switch.js', { paths: [nodeRedDir] }));
    const nodes = flow(ctx.sim.url, [
      events({ only: 'joins', wires: [['deny'], []] }),
      {
        id: 'deny',
        type: 'switch',
        property: `participant.userId in ["${DENIED}"] or participant.address in ["tel:+15550000666"]`,
        propertyType: 'jsonata',
        rules: [{ t: 'true' }],
        checkall: 'true',
        outputs: 1,
        wires: [['k']],
      },
      { id: 'k', type: 'genesys-disconnect-participant', confirm: true, refuseCustomer: true, keepCallAlive: true, wires: [['out1']] },
    ]);
    await helper.load([...ALL_NODES, switchNode], nodes, { [CONFIG_ID]: SIM_CREDENTIALS });
    const out: any[] = [];
    helper.getNode('out1').on('input', (m: any) => out.push(m));
    const caught: any[] = [];
    helper.getNode('caughtOut').on('input', (m: any) => caught.push(m));
    await until(() => helper.getNode('cfg').connection.client.notifications.state(TOPIC.toLowerCase()) === 'live', 'live');
    const allowed = await ctx.sim.control.join(cid, { purpose: 'agent', userId: ALLOWED });
    const denied = await ctx.sim.control.join(cid, { purpose: 'user', name: 'Denied', userId: DENIED });
    await until(() => out.length + caught.length >= 1, 'the kick');
    // The kick's own changes (disconnected, terminated) publish events too: none of them is a join.
    const state = async () => (await ctx.sim.control.getState(cid)).participants as { id: string; state: string }[];
    await until(async () => (await state()).find((p) => p.id === denied.id)!.state === 'terminated', 'terminated');
    await settle();
    assert.deepEqual(caught, []);
    assert.equal(out.length, 1);
    assert.equal(out[0].payload.participantId, denied.id);
    assert.equal(out[0].payload.outcome, 'disconnected');
    assert.ok(out[0].payload.confirmed, 'confirmed');
    const patches = (await ctx.sim.control.requests()).filter((r) => r.method === 'PATCH');
    assert.deepEqual(
      patches.map((r) => r.path),
      [`/api/v2/conversations/${cid}/participants/${denied.id}`],
    );
    const after = await state();
    for (const id of [ids[0], ids[1], ids[2], allowed.id]) assert.equal(after.find((p) => p.id === id)!.state, 'connected', id);
  });

  it('a Rejected topic: notice on output 2 with the reason, red status; no event', async () => {
    await ctx.sim.control.notifications.rejectTopic({ topic: 'v2.routing.queues.{id}.conversations', missingPermissions: ['routing:queue:view'] });
    await load(ctx.sim.url, [events()]);
    const shown = recordStatuses('e');
    const seen = collect();
    await until(() => seen.out2.length >= 1, 'a notice');
    assert.equal(seen.out2[0].topic, 'rejected');
    assert.deepEqual(seen.out2[0].payload.topics, [TOPIC]);
    assert.match(seen.out2[0].payload.reason, /routing:queue:view/);
    await until(() => shown.some((s) => s.fill === 'red'), 'red status');
    assert.match(shown.at(-1).text, /rejected 1\/1: Genesys rejected the topic/);
    await settle();
    assert.equal(seen.out2.length, 1, 'told once');
    assert.equal(seen.out1.length, 0);
  });

  it('push off in the config: rejected notice, no channel', async () => {
    await load(ctx.sim.url, [events()], { config: { usePush: false } });
    const seen = collect();
    await until(() => seen.out2.length >= 1, 'a notice');
    assert.equal(seen.out2[0].topic, 'rejected');
    assert.match(seen.out2[0].payload.reason, /push is off/);
    assert.equal((await ctx.sim.control.notifications.state()).channels.length, 0);
  });

  it('a dropped socket: possible-gap, then one reconnected notice with the window, and events come again', async () => {
    const { cid } = await seed();
    await load(ctx.sim.url, [events()], { config: {} });
    const seen = collect();
    await subscribed(seen);
    const [channel] = (await ctx.sim.control.notifications.state()).channels;
    await ctx.sim.control.notifications.dropSocket(channel.id);
    await until(() => seen.out2.some((m) => m.topic === 'reconnected'), 'reconnected', 40_000);
    const kinds = seen.out2.map((m) => m.topic);
    assert.deepEqual(kinds, ['subscribed', 'possible-gap', 'reconnected']);
    const back = seen.out2[2].payload;
    assert.deepEqual(back.topics, [TOPIC]);
    assert.ok(Date.parse(back.from) <= Date.parse(back.to));
    assert.equal(seen.out2[1].payload.from, back.from);
    await ctx.sim.control.join(cid, { purpose: 'agent', userId: ALLOWED });
    await until(() => seen.out1.length >= 1, 'an event after the reconnect');
  });

  it('redeploy: the node unsubscribes, the socket closes, nothing is sent after close', async () => {
    const { cid } = await seed();
    await load(ctx.sim.url, [events()]);
    const seen = collect();
    await subscribed(seen);
    const node = helper.getNode('e');
    const sentAfterClose: unknown[] = [];
    let closed = false;
    const send = node.send.bind(node);
    node.send = (m: unknown) => (closed ? sentAfterClose.push(m) : send(m));
    node.on('close', () => (closed = true));
    await helper.unload();
    await until(async () => (await ctx.sim.control.notifications.state()).channels.every((ch) => !ch.connected), 'no socket');
    await ctx.sim.control.join(cid, { purpose: 'agent', userId: ALLOWED });
    await settle();
    assert.deepEqual(sentAfterClose, []);
  });

  it('a bad flow file (no topics, a bad id): error status naming the field, no channel', async () => {
    for (const bad of [
      { topics: [] },
      { topics: [{ kind: 'queue', id: 'not-a-uuid' }] },
      { topics: [{ kind: 'skill', id: QUEUE }] },
      { only: 'sometimes' },
    ]) {
      await load(ctx.sim.url, [events(bad)]);
      const n = helper.getNode('e');
      assert.equal(n.status.lastCall.args[0].text, 'genesys-events.status.error: invalid-input', JSON.stringify(bad));
      assert.match(n.error.lastCall.args[0], /topics|only/);
      await helper.unload();
    }
    assert.equal((await ctx.sim.control.notifications.state()).channels.length, 0);
  });

  it('env ids: a row read from an environment variable', async () => {
    const { cid } = await seed();
    process.env.GENESYS_EVENTS_TEST_QUEUE = QUEUE;
    try {
      await load(ctx.sim.url, [events({ topics: [{ kind: 'queue', id: 'GENESYS_EVENTS_TEST_QUEUE', idType: 'env' }] })]);
      const seen = collect();
      await subscribed(seen);
      await ctx.sim.control.join(cid, { purpose: 'agent', userId: ALLOWED });
      await until(() => seen.out1.length >= 1, 'the event');
      assert.equal(seen.out1[0].topic, TOPIC);
    } finally {
      delete process.env.GENESYS_EVENTS_TEST_QUEUE;
    }
  });
});
