import * as assert from 'node:assert/strict';
import { helper, load, run, seedConversation, useNodeTestServer } from './support';
import { until } from '../support/until';

describe('genesys-await-terminal node', () => {
  const ctx = useNodeTestServer();
  let cid: string;
  let ids: string[];
  beforeEach(async () => {
    ({ cid, ids } = await seedConversation(ctx.sim, [{ purpose: 'customer' }, { purpose: 'agent' }, { purpose: 'agent' }]));
  });

  const node = (extra: Record<string, unknown> = {}) => ({ id: 'w', type: 'genesys-await-terminal', wires: [['out1'], ['out2']], ...extra });

  it('output 1 from the first poll after the leg ended', async () => {
    await load(ctx.sim.url, [node({ timeout: 10 })]);
    await ctx.sim.control.transition({ conversationId: cid, participantId: ids[1], state: 'disconnected', afterMs: 1000, disconnectType: 'client' });
    const o = await run('w', { conversationId: cid, participantId: ids[1], keep: 1 });
    assert.equal(o.port, 'out1');
    // Counted in polls, not in ms (a loaded machine delays every poll alike): the simulator saw at most one GET
    // after the leg's end, the one that found it; the gap between polls is lib's schedule (lib/await tests).
    const state = (await ctx.sim.control.getState(cid)) as unknown as { participants: { endTime?: string }[] };
    const endedAt = Date.parse(state.participants[1].endTime as string);
    const gets = (await ctx.sim.control.requests()).filter((r) => r.method === 'GET' && r.path === `/api/v2/conversations/${cid}`).map((r) => Date.parse(r.time));
    assert.ok(gets.filter((t) => t > endedAt).length <= 1, `GETs after the end (${endedAt}): ${gets}`);
    assert.ok(o.at >= endedAt, 'not before the end');
    const p = o.msg.payload;
    assert.equal(p.conversationId, cid);
    assert.equal(p.participantId, ids[1]);
    assert.equal(p.state, 'disconnected');
    assert.equal(p.disconnectType, 'client');
    assert.ok(p.endedAt);
    assert.ok(p.polls >= 2);
    assert.ok(p.waitedMs >= 900);
    assert.equal(o.msg.keep, 1);
  });

  it('output 2 on timeout with the last state', async () => {
    await load(ctx.sim.url, [node({ timeout: 1 })]);
    const t0 = Date.now();
    const o = await run('w', { conversationId: cid, participantId: ids[1] });
    assert.equal(o.port, 'out2');
    assert.equal(o.msg.payload.state, 'connected');
    // Not before the 1 s timeout; and it stopped there: at most 3 polls (0 s, 0.7 s, the last one at 1 s)
    // whatever the load, which only makes polls later and fewer.
    assert.ok(o.at - t0 >= 900, `${o.at - t0} ms`);
    assert.ok(o.msg.payload.polls >= 1 && o.msg.payload.polls <= 3, `polls ${o.msg.payload.polls}`);
  });

  it('msg.timeout is used when the node leaves timeout empty', async () => {
    await load(ctx.sim.url, [node({ timeout: '' })]);
    const o = await run('w', { conversationId: cid, participantId: ids[1], timeout: 1 });
    assert.equal(o.port, 'out2');
  });

  it('without participantId it waits for the whole conversation to end', async () => {
    await load(ctx.sim.url, [node({ timeout: 10 })]);
    for (const id of ids) await ctx.sim.control.transition({ conversationId: cid, participantId: id, state: 'disconnected', afterMs: 500 });
    const o = await run('w', { conversationId: cid });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.payload));
    assert.equal(o.msg.payload.conversationId, cid);
    assert.ok(o.msg.payload.endedAt);
  });

  it('closing the node cancels pending waits at once: done(err) cancelled, no more polls', async () => {
    await load(ctx.sim.url, [node({ timeout: 60 })]);
    const w = helper.getNode('w');
    const errors: any[] = [];
    // done(err) reports through node.error(err, msg): record what it gets.
    const originalError = w.error.bind(w);
    w.error = (err: any, msg: any) => { errors.push(err); return originalError(err, msg); };
    w.receive({ conversationId: cid, participantId: ids[1] });
    w.receive({ conversationId: cid, participantId: ids[2] });
    await new Promise((r) => setTimeout(r, 900));
    const t0 = Date.now();
    await helper.unload();
    // The waits had 60 s left, Node-RED gives a close 15 s: 10 s is far from both, and from a loaded machine.
    assert.ok(Date.now() - t0 < 10_000, `close took ${Date.now() - t0} ms`);
    await until(() => errors.length >= 2, 'both waits to end');
    assert.deepEqual(errors.map((e) => e.code), ['cancelled', 'cancelled']);
    const gets = (await ctx.sim.control.counters()).gets;
    await new Promise((r) => setTimeout(r, 1600));
    assert.equal((await ctx.sim.control.counters()).gets, gets, 'no poll after close');
  });
});
