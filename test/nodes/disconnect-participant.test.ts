import * as assert from 'node:assert/strict';
import type { SeedParticipant } from '../../sim';
import { expectError, helper, load, run, seedConversation, useNodeTestServer, USER_A } from './support';
import { until } from '../support/until';

const WRAPUP = '7e7e7e7e-4444-4444-8444-777777777777';

describe('genesys-disconnect-participant node', () => {
  const ctx = useNodeTestServer({ simOptions: { disconnectDelayMs: 300 } });

  const node = (extra: Record<string, unknown> = {}) => ({ id: 'k', type: 'genesys-disconnect-participant', wires: [['out1']], ...extra });

  const seed = (participants: SeedParticipant[]) => seedConversation(ctx.sim, participants);
  const three = () => seed([
    { purpose: 'customer', name: 'Caller' },
    { purpose: 'agent', name: 'Ana', userId: USER_A },
    { purpose: 'agent', name: 'Ben', userId: '0b0b0b0b-2222-4222-8222-bbbbbbbbbbbb' },
  ]);
  const patches = async () => (await ctx.sim.control.requests()).filter((r: any) => r.method === 'PATCH');
  const stateOf = async (cid: string) => {
    const s: any = await ctx.sim.control.getState(cid);
    return new Map<string, string>(s.participants.map((p: any) => [p.id, p.state]));
  };

  async function expectKicked(cid: string, ids: string[], target: number, msg: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    await load(ctx.sim.url, [node(extra)]);
    const keep = { res: 'the http response' };
    const o = await run('k', { conversationId: cid, keep, ...msg });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.error));
    assert.equal(o.msg.payload.outcome, 'disconnected');
    assert.equal(o.msg.payload.participantId, ids[target]);
    assert.equal(o.msg.payload.conversationId, cid);
    assert.ok(o.msg.payload.correlationId, 'the correlation id of the PATCH');
    assert.equal(o.msg.keep, keep);
    const p = await patches();
    assert.equal(p.length, 1);
    assert.equal(p[0].path, `/api/v2/conversations/${cid}/participants/${ids[target]}`);
    assert.deepEqual(p[0].body, { state: 'disconnected' });
    // The sim ends the leg disconnectDelayMs after the 202: wait for that, not for a guessed time.
    await until(async () => (await stateOf(cid)).get(ids[target]) !== 'connected', 'the kicked leg to end');
    const states = await stateOf(cid);
    for (const [i, id] of ids.entries()) {
      assert.equal(states.get(id), i === target ? 'disconnected' : 'connected', `participant ${i}`);
    }
  }

  it('by participantId: one PATCH on exactly that leg, the others stay connected', async () => {
    const { cid, ids } = await three();
    await expectKicked(cid, ids, 1, { participantId: ids[1] });
  });

  it('by userId selector', async () => {
    const { cid, ids } = await three();
    await expectKicked(cid, ids, 1, { target: { userId: USER_A } });
  });

  it('by purpose + name selector', async () => {
    const { cid, ids } = await three();
    await expectKicked(cid, ids, 2, { target: { purpose: 'agent', name: 'Ben' } });
  });

  it('by a participant id set in the node (str), ignoring msg', async () => {
    const { cid, ids } = await three();
    await expectKicked(cid, ids, 2, { participantId: ids[1] }, { participantId: ids[2], participantIdType: 'str' });
  });

  it('an ambiguous selector is ambiguous-target listing both, nothing sent', async () => {
    const { cid, ids } = await seed([
      { purpose: 'customer' }, { purpose: 'agent', name: 'Sam' }, { purpose: 'agent', name: 'Sam' },
    ]);
    await load(ctx.sim.url, [node()]);
    const m = await expectError('k', { conversationId: cid, target: { name: 'Sam' } }, 'ambiguous-target');
    const listed = JSON.stringify(m._error.candidates);
    assert.ok(listed.includes(ids[1]) && listed.includes(ids[2]), listed);
    assert.equal((await patches()).length, 0);
  });

  it('refuse-customer refuses the customer; with the guard off the kick goes through', async () => {
    const { cid, ids } = await three();
    await load(ctx.sim.url, [node()]);
    await expectError('k', { conversationId: cid, participantId: ids[0] }, 'refuse-customer');
    assert.equal((await patches()).length, 0);
    await helper.unload();
    await expectKicked(cid, ids, 0, { participantId: ids[0] }, { refuseCustomer: false });
  });

  it('keep-call-alive refuses to leave a single party; with the guard off the kick goes through', async () => {
    const { cid, ids } = await seed([{ purpose: 'customer' }, { purpose: 'agent', name: 'Ana' }]);
    await load(ctx.sim.url, [node()]);
    await expectError('k', { conversationId: cid, participantId: ids[1] }, 'keep-call-alive');
    assert.equal((await patches()).length, 0);
    await helper.unload();
    await expectKicked(cid, ids, 1, { participantId: ids[1] }, { keepCallAlive: false });
  });

  it('dry run resolves and guards but sends nothing', async () => {
    const { cid, ids } = await three();
    await load(ctx.sim.url, [node({ dryRun: true })]);
    const o = await run('k', { conversationId: cid, target: { userId: USER_A } });
    assert.equal(o.port, 'out1');
    assert.equal(o.msg.payload.outcome, 'dry-run');
    assert.equal(o.msg.payload.participantId, ids[1]);
    assert.deepEqual(o.msg.payload.request?.body, { state: 'disconnected' });
    assert.equal((await patches()).length, 0);
  });

  it('a wrap-up code goes in the same PATCH', async () => {
    const { cid, ids } = await three();
    await load(ctx.sim.url, [node({ wrapupCode: WRAPUP, wrapupCodeType: 'str', wrapupNotes: 'notes', wrapupNotesType: 'str' })]);
    const o = await run('k', { conversationId: cid, participantId: ids[1] });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.error));
    const p = await patches();
    assert.equal(p.length, 1);
    assert.deepEqual(p[0].body, { state: 'disconnected', wrapup: { code: WRAPUP, notes: 'notes' } });
  });

  it('confirm mode sends on only after the leg is terminal', async () => {
    const { cid, ids } = await three();
    await load(ctx.sim.url, [node({ confirm: true, confirmTimeout: 10 })]);
    const o = await run('k', { conversationId: cid, participantId: ids[1] });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.error));
    // Checked at once when the msg arrives: the leg has already ended.
    const states = await stateOf(cid);
    assert.equal(states.get(ids[1]), 'disconnected');
    assert.ok(['disconnected', 'terminated'].includes(o.msg.payload.confirmed?.state), JSON.stringify(o.msg.payload));
    assert.equal((await patches()).length, 1);
  });

  it('an already ended leg is already-disconnected, nothing sent', async () => {
    const { cid, ids } = await seed([
      { purpose: 'customer' }, { purpose: 'agent' }, { purpose: 'agent' }, { purpose: 'agent', state: 'disconnected' },
    ]);
    await load(ctx.sim.url, [node()]);
    const o = await run('k', { conversationId: cid, participantId: ids[3] });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.error));
    assert.equal(o.msg.payload.outcome, 'already-disconnected');
    assert.equal((await patches()).length, 0);
  });
});
