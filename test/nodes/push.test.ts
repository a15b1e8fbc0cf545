// Push through Node-RED (issue 16): the config node's "Use notifications (push)", a kick with confirm and an
// await learning the end by push, faults ending every msg exactly once, a Rejected topic polling and saying so
// (output and status), redeploy closing the socket. Against the simulator's Notification Service over real
// sockets; count-based (what came out, what the simulator logged).
import * as assert from 'node:assert/strict';
import { helper, load, run, statusPainted, useNodeTestServer } from '../../testkit/harness';
import { seedConversation } from '../../testkit/fixtures';
import { until } from '../support/until';

const AGENT_A = 'a0000000-0000-4000-8000-00000000000a';
const AGENT_B = 'a0000000-0000-4000-8000-00000000000b';

describe('push through Node-RED (config node, disconnect with confirm, await end)', function () {
  this.timeout(60_000);
  const ctx = useNodeTestServer();

  const seed = () =>
    seedConversation(ctx.sim, [{ purpose: 'customer' }, { purpose: 'agent', userId: AGENT_A }, { purpose: 'agent', userId: AGENT_B }]);
  const kick = { id: 'k', type: 'genesys-disconnect-participant', confirm: true, wires: [['w']] };
  const wait = { id: 'w', type: 'genesys-await-terminal', timeout: 30, wires: [['out1'], ['out2']] };
  const push = () => helper.getNode('cfg').connection.client.notifications;

  /** Every msg that comes out of out1/out2/the Catch node, in order. */
  function collect(): { port: string; msg: any }[] {
    const seen: { port: string; msg: any }[] = [];
    for (const port of ['out1', 'out2', 'caughtOut']) helper.getNode(port).on('input', (msg: any) => seen.push({ port, msg }));
    return seen;
  }

  it('a kick with confirm, then await end: both learn the end by push; no read after the PATCH', async () => {
    const { cid, ids } = await seed();
    await load(ctx.sim.url, [kick, wait]);
    const o = await run('k', { conversationId: cid, participantId: ids[1] });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.payload ?? o.msg.error));
    // The kick's own confirm came by push; await end then found the leg already ended.
    const log = await ctx.sim.control.requests();
    const patchAt = log.findIndex((r: any) => r.method === 'PATCH');
    const readsAfterPatch = log.slice(patchAt + 1).filter((r: any) => r.method === 'GET' && r.path.startsWith('/api/v2/conversations'));
    assert.ok(readsAfterPatch.length <= 1, "at most the await node's own first read");
    assert.equal(o.msg.payload.participantId, ids[1]);
    assert.ok(['push', 'poll'].includes(o.msg.payload.via));
  });

  it('the disconnect node reports confirmed.via push', async () => {
    const { cid, ids } = await seed();
    await load(ctx.sim.url, [{ ...kick, wires: [['out1']] }]);
    const o = await run('k', { conversationId: cid, participantId: ids[1] });
    assert.equal(o.port, 'out1');
    assert.equal(o.msg.payload.confirmed.via, 'push');
  });

  for (const fault of ['dropSocket', 'socketClosing', 'expireChannel'] as const) {
    it(`${fault}: 8 awaits each end exactly once, on output 1`, async () => {
      const convs = [];
      for (let i = 0; i < 8; i++) convs.push(await seed());
      await load(ctx.sim.url, [wait]);
      const seen = collect();
      for (const c of convs) helper.getNode('w').receive({ conversationId: c.cid, participantId: c.ids[1] });
      await until(() => push().status().state === 'up' && push().status().topics >= 8, 'subscribed');
      await until(
        async () => (await ctx.sim.control.notifications.state()).channels.some((ch) => ch.topics.length >= 8),
        'the simulator has the topics',
      );
      const [channel] = (await ctx.sim.control.notifications.state()).channels;
      await ctx.sim.control.notifications[fault](channel.id);
      for (const c of convs) await ctx.sim.control.transition({ conversationId: c.cid, participantId: c.ids[1], state: 'disconnected' });
      await until(() => seen.length >= 8, 'eight outputs', 40_000);
      // One more round trip to the simulator: anything still on its way would come out meanwhile.
      await ctx.sim.control.counters();
      assert.equal(seen.length, 8, 'no duplicate');
      assert.deepEqual(
        seen.map((s) => s.port),
        Array(8).fill('out1'),
      );
      assert.deepEqual(new Set(seen.map((s) => s.msg.payload.conversationId)), new Set(convs.map((c) => c.cid)));
    });
  }

  it('a Rejected topic: the await polls, says so in its output and status', async () => {
    await ctx.sim.control.notifications.rejectTopic({
      topic: 'v2.detail.events.conversation.{id}.user.end',
      missingPermissions: ['some:permission:view'],
    });
    await ctx.sim.control.notifications.rejectTopic({
      topic: 'v2.detail.events.conversation.{id}.customer.end',
      missingPermissions: ['some:permission:view'],
    });
    const { cid, ids } = await seed();
    await load(ctx.sim.url, [wait]);
    const n = helper.getNode('w');
    const statuses: any[] = [];
    const original = n.status.bind(n);
    n.status = (s: any) => {
      statuses.push(s);
      return original(s);
    };
    await ctx.sim.control.transition({ conversationId: cid, participantId: ids[1], state: 'disconnected', afterMs: 1000 });
    const o = await run('w', { conversationId: cid, participantId: ids[1] });
    await statusPainted();
    assert.equal(o.port, 'out1');
    assert.equal(o.msg.payload.via, 'poll');
    assert.match(o.msg.payload.pushUnavailable, /some:permission:view/);
    assert.match(statuses.at(-1).text, /pushUnavailable/);
    assert.ok(
      statuses.some((x) => /waitingPolling/.test(x.text)),
      'while waiting, the status says it polls',
    );
  });

  it('push off: no channel, the waits poll', async () => {
    const { cid, ids } = await seed();
    await load(ctx.sim.url, [wait], { config: { usePush: false } });
    await ctx.sim.control.transition({ conversationId: cid, participantId: ids[1], state: 'disconnected', afterMs: 500 });
    const o = await run('w', { conversationId: cid, participantId: ids[1] });
    assert.equal(o.msg.payload.via, 'poll');
    assert.equal(o.msg.payload.pushUnavailable, undefined);
    assert.equal((await ctx.sim.control.notifications.state()).channels.length, 0);
  });

  it('an invalid usePush in a flow file is refused, naming the option', async () => {
    const { cid, ids } = await seed();
    await load(ctx.sim.url, [wait], { config: { usePush: 'yes' } });
    const o = await run('w', { conversationId: cid, participantId: ids[1] });
    assert.equal(o.port, 'error');
    assert.equal(o.msg.error.code, 'invalid-input');
    assert.match(o.msg.error.message, /usePush/);
  });

  it('Test connection says whether the detail-event topics are Permitted (typed secret, and the deployed node)', async () => {
    await load(ctx.sim.url, []);
    const body = {
      region: 'custom',
      apiBaseUrl: ctx.sim.url,
      authBaseUrl: ctx.sim.url,
      clientId: 'sim-client-id',
      clientSecret: 'sim-client-secret',
    };
    let res = await helper.request().post('/genesys-cloud-config/test').send(body).expect(200);
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.deepEqual(res.body.push, { state: 'permitted' });
    await ctx.sim.control.notifications.rejectTopic({
      topic: 'v2.detail.events.conversation.{id}.customer.end',
      missingPermissions: ['some:permission:view'],
    });
    res = await helper
      .request()
      .post('/genesys-cloud-config/test')
      .send({ ...body, id: 'cfg', clientSecret: '__PWRD__' })
      .expect(200);
    assert.equal(res.body.push.state, 'unavailable');
    assert.match(res.body.push.reason, /some:permission:view/);
    res = await helper
      .request()
      .post('/genesys-cloud-config/test')
      .send({ ...body, usePush: false })
      .expect(200);
    assert.deepEqual(res.body.push, { state: 'off' });
    assert.ok(!/sim-client-secret|access_token|bearer/i.test(JSON.stringify(res.body)));
  });

  it('redeploy: pending waits end cancelled and the socket closes', async () => {
    const { cid, ids } = await seed();
    await load(ctx.sim.url, [wait]);
    const seen = collect();
    helper.getNode('w').receive({ conversationId: cid, participantId: ids[1] });
    await until(() => push().status().state === 'up', 'up');
    await until(async () => (await ctx.sim.control.notifications.state()).channels.some((ch) => ch.connected), 'connected');
    await helper.unload();
    await until(async () => (await ctx.sim.control.notifications.state()).channels.every((ch) => !ch.connected), 'no socket');
    assert.ok(seen.every((s) => s.port === 'caughtOut'));
  });
});
