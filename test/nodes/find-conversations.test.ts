import * as assert from 'node:assert/strict';
import { expectError, helper, load, run, useNodeTestServer } from '../../testkit/harness';
import { USER_A, USER_B, seedConversation } from '../../testkit/fixtures';

const QUEUE = 'f0000000-0000-4000-8000-0000000000a1';
const ANALYTICS = '/api/v2/analytics/conversations/details/query';

describe('genesys-find-conversations node', () => {
  const ctx = useNodeTestServer({ simOptions: { disconnectDelayMs: 20 } });
  const node = (extra: Record<string, unknown> = {}) => ({ id: 'n1', type: 'genesys-find-conversations', wires: [['out1']], ...extra });
  const apiRequests = async () => (await ctx.sim.control.requests()).filter((r) => r.path.startsWith('/api/v2/'));

  it('a node from a flow file without options: msg.userId, voice, the last 24 h; payload = the live conversations', async () => {
    const live = await seedConversation(ctx.sim, [
      { purpose: 'customer' },
      { purpose: 'agent', userId: USER_A },
      { purpose: 'agent', userId: USER_B },
    ]);
    await seedConversation(ctx.sim, [
      { purpose: 'customer' },
      { purpose: 'agent', userId: USER_A, state: 'terminated' },
      { purpose: 'agent', userId: USER_B },
    ]);
    await load(ctx.sim.url, [{ id: 'n1', type: 'genesys-find-conversations', wires: [['out1']] }]);
    const req = { marker: 'kept' };
    const o = await run('n1', { userId: USER_A, req, topic: 'flag' });
    assert.equal(o.port, 'out1');
    assert.equal(o.msg.payload.length, 1);
    const [c] = o.msg.payload;
    assert.equal(c.conversationId, live.cid);
    assert.equal(c.participantId, live.ids[1]);
    assert.equal(c.participant.userId, USER_A);
    assert.equal(c.participants.length, 3);
    assert.equal(o.msg.req, req);
    assert.equal(o.msg.topic, 'flag');
    assert.equal(o.msg.conversationId, undefined, 'array mode sets no single conversation');
  });

  it('one msg per conversation, each with msg.conversationId and msg.participantId, ready for disconnect', async () => {
    const a = await seedConversation(ctx.sim, [{ purpose: 'customer' }, { purpose: 'agent', userId: USER_A }, { purpose: 'agent', userId: USER_B }]);
    const b = await seedConversation(ctx.sim, [{ purpose: 'customer' }, { purpose: 'user', userId: USER_A }, { purpose: 'agent', userId: USER_B }]);
    await load(ctx.sim.url, [node({ split: true })]);
    const got: any[] = [];
    const all = new Promise<void>((resolve) =>
      helper.getNode('out1').on('input', (m: any) => {
        got.push(m);
        if (got.length === 2) resolve();
      }),
    );
    helper.getNode('n1').receive({ userId: USER_A, participantId: 'stale-from-elsewhere' });
    await all;
    const pairs = got.map((m) => [m.conversationId, m.participantId]).sort();
    assert.deepEqual(
      pairs,
      [
        [a.cid, a.ids[1]],
        [b.cid, b.ids[1]],
      ].sort(),
    );
    assert.ok(got.every((m) => m.payload.conversationId === m.conversationId));
  });

  it("find -> disconnect removes exactly the flagged user's leg, given only the user id", async () => {
    const call = await seedConversation(ctx.sim, [
      { purpose: 'customer' },
      { purpose: 'agent', userId: USER_A },
      { purpose: 'agent', userId: USER_B },
    ]);
    await load(ctx.sim.url, [
      node({ split: true, wires: [['kick']] }),
      { id: 'kick', type: 'genesys-disconnect-participant', confirm: true, wires: [['out1']] },
    ]);
    const o = await run('n1', { userId: USER_A });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.error));
    assert.equal(o.msg.payload.outcome, 'disconnected');
    assert.equal(o.msg.participantId, call.ids[1]);
    const state = await ctx.sim.control.getState(call.cid);
    assert.deepEqual(
      state.participants.map((p: any) => ['disconnected', 'terminated'].includes(p.state)),
      [false, true, false],
    );
    const patches = (await apiRequests()).filter((r) => r.method === 'PATCH');
    assert.deepEqual(
      patches.map((r) => r.path),
      [`/api/v2/conversations/${call.cid}/participants/${call.ids[1]}`],
    );
  });

  it('none found is an output with payload [], in both modes', async () => {
    for (const split of [false, true]) {
      await load(ctx.sim.url, [node({ split })]);
      const o = await run('n1', { userId: USER_A });
      assert.equal(o.port, 'out1');
      assert.deepEqual(o.msg.payload, []);
      await helper.unload();
    }
  });

  it('by queue id, from a node value (str), and by caller address from msg.ani', async () => {
    const q = await seedConversation(ctx.sim, [
      { purpose: 'customer', address: 'tel:+15550001111' },
      { purpose: 'agent', userId: USER_A, queueId: QUEUE },
    ]);
    await load(ctx.sim.url, [node({ searchBy: 'queueId', who: QUEUE, whoType: 'str' })]);
    const byQueue = await run('n1', { queueId: 'ignored: the node value wins' });
    assert.deepEqual(
      byQueue.msg.payload.map((c: any) => c.conversationId),
      [q.cid],
    );
    await helper.unload();
    await load(ctx.sim.url, [node({ searchBy: 'ani' })]);
    const byAni = await run('n1', { ani: 'tel:+15550001111' });
    assert.deepEqual(
      byAni.msg.payload.map((c: any) => c.participantId),
      [q.ids[0]],
    );
  });

  it('bad input: invalid-input naming the field, nothing sent', async () => {
    await load(ctx.sim.url, [node()]);
    for (const msg of [{}, { userId: 'someone' }, { userId: '../../users/me' }, { userId: 42 }]) {
      const m = await expectError('n1', msg, 'invalid-input');
      assert.equal(m._error.field, 'userId');
    }
    await helper.unload();
    await load(ctx.sim.url, [node({ intervalHours: 1000 })]);
    assert.equal((await expectError('n1', { userId: USER_A }, 'invalid-input'))._error.field, 'intervalHours');
    await helper.unload();
    await load(ctx.sim.url, [node({ searchBy: 'email' })]);
    assert.equal((await expectError('n1', { userId: USER_A }, 'invalid-input'))._error.field, 'searchBy');
    assert.deepEqual(await apiRequests(), []);
  });

  it('a 403 on the analytics query: permission-denied naming analytics:conversationDetail:view', async () => {
    await ctx.sim.control.failNext([{ path: 'analytics', status: 403, code: 'missing.permissions' }]);
    await load(ctx.sim.url, [node()]);
    const m = await expectError('n1', { userId: USER_A }, 'permission-denied');
    assert.equal(m._error.status, 403);
    assert.equal(m._error.missingPermission, 'analytics:conversationDetail:view');
    assert.match(m._error.message, /analytics:conversationDetail:view/);
    assert.equal((await apiRequests()).filter((r) => r.path === ANALYTICS).length, 1);
  });
});
