import * as assert from 'node:assert/strict';
import { expectError, helper, load, run, useNodeTestServer } from '../../testkit/harness';
import { CONFERENCE, USER_D } from '../../testkit/fixtures';

describe('genesys-list-participants node', () => {
  const ctx = useNodeTestServer({ seed: CONFERENCE });

  const node = (extra: Record<string, unknown> = {}) => ({ id: 'n1', type: 'genesys-list-participants', wires: [['out1']], ...extra });

  it('outputs the 5-party conference normalised: ringing leg, held leg, a user with a terminated and a live leg', async () => {
    await load(ctx.sim.url, [node()]);
    const req = { marker: 'kept' };
    const o = await run('n1', { conversationId: ctx.cid, req, other: 42 });
    assert.equal(o.port, 'out1');
    const list = o.msg.payload;
    assert.equal(list.length, 6);
    const byId = new Map(list.map((p: any) => [p.id, p]));
    const [customer, agent, held, ringing, failedLeg, liveLeg] = ctx.ids.map((id) => byId.get(id) as any);
    assert.equal(customer.purpose, 'customer');
    assert.equal(customer.state, 'connected');
    assert.equal(agent.live, true);
    assert.equal(held.held, true);
    assert.equal(held.state, 'connected');
    assert.equal(ringing.state, 'alerting');
    assert.equal(ringing.live, true);
    assert.equal(failedLeg.userId, USER_D);
    assert.equal(failedLeg.state, 'terminated');
    assert.equal(failedLeg.live, false);
    assert.equal(liveLeg.userId, USER_D);
    assert.equal(liveLeg.state, 'connected');
    assert.equal(liveLeg.mediaType, 'call');
    assert.ok(liveLeg.communicationId);
    // the raw conversation, and every other msg property kept as is
    assert.equal(o.msg.conversation.id, ctx.cid);
    assert.equal(o.msg.req, req);
    assert.equal(o.msg.other, 42);
  });

  it('liveOnly + a selector keep only the live leg of that user', async () => {
    await load(ctx.sim.url, [node({ liveOnly: true })]);
    const o = await run('n1', { conversationId: ctx.cid, target: { userId: USER_D } });
    assert.equal(o.port, 'out1');
    assert.deepEqual(
      o.msg.payload.map((p: any) => p.id),
      [ctx.ids[5]],
    );
  });

  it('split sends one msg per participant', async () => {
    await load(ctx.sim.url, [node({ liveOnly: true, split: true })]);
    const got: any[] = [];
    const out = helper.getNode('out1');
    const all = new Promise<void>((resolve) =>
      out.on('input', (m: any) => {
        got.push(m);
        if (got.length === 5) resolve();
      }),
    );
    helper.getNode('n1').receive({ conversationId: ctx.cid });
    await all;
    assert.deepEqual(got.map((m) => m.payload.id).sort(), [ctx.ids[0], ctx.ids[1], ctx.ids[2], ctx.ids[3], ctx.ids[5]].sort());
  });

  it('a node value wins over msg (str conversation id)', async () => {
    await load(ctx.sim.url, [node({ conversationId: ctx.cid, conversationIdType: 'str' })]);
    const o = await run('n1', { conversationId: 'not-used' });
    assert.equal(o.port, 'out1');
    assert.equal(o.msg.payload.length, 6);
  });

  it('an unknown conversation is target-not-found with the correlation id', async () => {
    await load(ctx.sim.url, [node()]);
    const m = await expectError('n1', { conversationId: '00000000-0000-4000-8000-000000000000' }, 'target-not-found');
    assert.ok(m._error.correlationId);
  });

  it('a node from a flow file without the options uses the defaults (msg.conversationId, msg.target)', async () => {
    await load(ctx.sim.url, [{ id: 'n1', type: 'genesys-list-participants', wires: [['out1']] }]);
    const o = await run('n1', { conversationId: ctx.cid });
    assert.equal(o.port, 'out1');
    assert.equal(o.msg.payload.length, 6);
  });
});
