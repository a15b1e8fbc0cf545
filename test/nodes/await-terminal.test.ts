import * as assert from 'node:assert/strict';
import { helper, load, run, useNodeTestServer } from '../../testkit/harness';
import { until } from '../support/until';

describe('genesys-await-terminal node', () => {
  const ctx = useNodeTestServer({ seed: [{ purpose: 'customer' }, { purpose: 'agent' }, { purpose: 'agent' }] });

  const node = (extra: Record<string, unknown> = {}) => ({ id: 'w', type: 'genesys-await-terminal', wires: [['out1'], ['out2']], ...extra });

  it('output 1 at the first poll after the leg ended', async () => {
    await load(ctx.sim.url, [node({ timeout: 10 })]);
    await ctx.sim.control.transition({
      conversationId: ctx.cid,
      participantId: ctx.ids[1],
      state: 'disconnected',
      afterMs: 1000,
      disconnectType: 'client',
    });
    const o = await run('w', { conversationId: ctx.cid, participantId: ctx.ids[1], keep: 1 });
    assert.equal(o.port, 'out1');
    // Count-based: exactly one read after the end (the one that saw it), however late timers fire.
    const endedAt: string = ((await ctx.sim.control.getState(ctx.cid)) as any).participants[1].endTime;
    const gets = (await ctx.sim.control.requests()).filter((r: any) => r.method === 'GET' && r.path === `/api/v2/conversations/${ctx.cid}`);
    // (A read logged in the same millisecond as the end may have seen the leg still connected: strictly after.)
    assert.ok(gets.filter((g: any) => g.time > endedAt).length <= 1);
    const p = o.msg.payload;
    assert.equal(p.conversationId, ctx.cid);
    assert.equal(p.participantId, ctx.ids[1]);
    assert.match(p.state, /^(disconnected|terminated)$/);
    assert.equal(p.disconnectType, 'client');
    assert.ok(p.endedAt);
    assert.ok(p.polls >= 2);
    assert.ok(p.waitedMs >= 900);
    assert.equal(o.msg.keep, 1);
  });

  it('output 2 on timeout with the last state', async () => {
    await load(ctx.sim.url, [node({ timeout: 1 })]);
    const t0 = Date.now();
    const o = await run('w', { conversationId: ctx.cid, participantId: ctx.ids[1] });
    assert.equal(o.port, 'out2');
    assert.equal(o.msg.payload.state, 'connected');
    assert.ok(o.at - t0 >= 900, `${o.at - t0} ms`);
  });

  it('msg.timeout is used when the node leaves timeout empty', async () => {
    await load(ctx.sim.url, [node({ timeout: '' })]);
    const o = await run('w', { conversationId: ctx.cid, participantId: ctx.ids[1], timeout: 1 });
    assert.equal(o.port, 'out2');
  });

  it('waitFor "conversation" waits for the whole conversation to end (also spelled " Conversation" in a flow file)', async () => {
    await load(ctx.sim.url, [node({ timeout: 10, waitFor: ' Conversation' })]);
    for (const id of ctx.ids) await ctx.sim.control.transition({ conversationId: ctx.cid, participantId: id, state: 'disconnected', afterMs: 500 });
    const o = await run('w', { conversationId: ctx.cid });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.payload));
    assert.equal(o.msg.payload.conversationId, ctx.cid);
    assert.ok(o.msg.payload.endedAt);
  });

  it('closing the node cancels 1,000 pending waits at once: each done(err) cancelled, one shared reason, no more polls', async function () {
    this.timeout(30_000);
    await load(ctx.sim.url, [node({ timeout: 60 })]);
    const w = helper.getNode('w');
    const errors: any[] = [];
    // done(err) reports through node.error(err, msg): record what it gets.
    const originalError = w.error.bind(w);
    w.error = (err: any, msg: any) => {
      errors.push({ err, msg });
      return originalError(err, msg);
    };
    for (let i = 0; i < 1000; i++) w.receive({ conversationId: ctx.cid, participantId: ctx.ids[1 + (i % 2)], n: i });
    // Count-based: close once the waits have polled (their reads share GETs).
    await until(async () => (await ctx.sim.control.counters()).gets >= 2, 'the waits to poll');
    const t0 = Date.now();
    await helper.unload();
    // The waits had 60 s left, Node-RED gives a close 15 s: 10 s is far from both, and from a loaded machine.
    assert.ok(Date.now() - t0 < 10_000, `close took ${Date.now() - t0} ms`);
    await until(() => errors.length >= 1000, 'every wait to end');
    assert.equal(errors.length, 1000, 'each msg ends once');
    assert.deepEqual([...new Set(errors.map((e) => e.err.code))], ['cancelled']);
    assert.equal(new Set(errors.map((e) => e.err)).size, 1, 'one shared reason, not an error per msg');
    assert.deepEqual(new Set(errors.map((e) => e.msg.n)).size, 1000, 'every msg, none twice');
    assert.equal(errors[0].msg.error.code, 'cancelled');
    const gets = (await ctx.sim.control.counters()).gets;
    await new Promise((r) => setTimeout(r, 1600));
    assert.equal((await ctx.sim.control.counters()).gets, gets, 'no poll after close');
  });
});
