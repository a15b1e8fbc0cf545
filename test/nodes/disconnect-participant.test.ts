import * as assert from 'node:assert/strict';
import type { SeedParticipant } from '../../sim';
import { expectError, helper, load, run, useNodeTestServer } from '../../testkit/harness';
import { THREE_PARTY, USER_A, seedConversation } from '../../testkit/fixtures';
import { until } from '../support/until';

const WRAPUP = '7e7e7e7e-4444-4444-8444-777777777777';

describe('genesys-disconnect-participant node', () => {
  const ctx = useNodeTestServer({ simOptions: { disconnectDelayMs: 300 } });

  const node = (extra: Record<string, unknown> = {}) => ({ id: 'k', type: 'genesys-disconnect-participant', wires: [['out1']], ...extra });

  const seed = (participants: SeedParticipant[]) => seedConversation(ctx.sim, participants);
  // As on the real platform, agent legs have no name (docs/platform.md section 3): agents are found by userId.
  const three = () => seed(THREE_PARTY);
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
      if (i === target) assert.match(states.get(id) ?? '', /^(disconnected|terminated)$/, `participant ${i}`);
      else assert.equal(states.get(id), 'connected', `participant ${i}`);
    }
    // The output names the leg acted on, so that await end (or a second kick) needs no change node.
    assert.equal(o.msg.conversationId, cid);
    assert.equal(o.msg.participantId, ids[target]);
  }

  it('by participantId: one PATCH on exactly that leg, the others stay connected', async () => {
    const { cid, ids } = await three();
    await expectKicked(cid, ids, 1, { participantId: ids[1] });
  });

  it('by userId selector', async () => {
    const { cid, ids } = await three();
    await expectKicked(cid, ids, 1, { target: { userId: USER_A } });
  });

  it('by purpose selector in another case ({purpose: "Agent"})', async () => {
    const { cid, ids } = await three();
    await expectKicked(cid, ids, 1, { target: { purpose: 'Agent' } });
  });

  it('by a participant id set in the node (str), ignoring msg', async () => {
    const { cid, ids } = await three();
    await expectKicked(cid, ids, 2, { participantId: ids[1] }, { participantId: ids[2], participantIdType: 'str' });
  });

  // Flow/global context and JSONata are read through Node-RED's callback (nodes/shared/flow-node.ts TypedInputs);
  // every other type at once, without a promise.
  it('ids from flow context and JSONata: the same kick as from msg', async () => {
    const { cid, ids } = await three();
    await load(ctx.sim.url, [
      node({ conversationId: 'kickCid', conversationIdType: 'flow', participantId: 'payload.leg', participantIdType: 'jsonata' }),
    ]);
    helper.getNode('k').context().flow.set('kickCid', cid);
    const o = await run('k', { payload: { leg: ids[1] } });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.error));
    assert.equal(o.msg.payload.participantId, ids[1]);
    assert.equal((await patches())[0].path, `/api/v2/conversations/${cid}/participants/${ids[1]}`);
  });

  it('a JSONata target that fails is not read when a participant id is given; without one, the msg fails naming target', async () => {
    const { cid, ids } = await three();
    await load(ctx.sim.url, [node({ target: '$error("no target here")', targetType: 'jsonata' })]);
    const o = await run('k', { conversationId: cid, participantId: ids[1] });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.error));
    const failed = await expectError('k', { conversationId: cid }, 'invalid-input');
    assert.equal(failed._error.field, 'target');
    assert.match(failed._error.message, /no target here/);
    assert.equal((await patches()).length, 1, 'only the first msg sent a PATCH');
  });

  it('an ambiguous selector is ambiguous-target listing both, nothing sent', async () => {
    const { cid, ids } = await seed([{ purpose: 'customer' }, { purpose: 'agent' }, { purpose: 'agent' }]);
    await load(ctx.sim.url, [node()]);
    const m = await expectError('k', { conversationId: cid, target: { purpose: 'agent' } }, 'ambiguous-target');
    const listed = JSON.stringify(m._error.candidates);
    assert.ok(listed.includes(ids[1]) && listed.includes(ids[2]), listed);
    assert.equal((await patches()).length, 0);
  });

  /** The guard refuses the kick of leg `target` with `code`, nothing sent; with `guardOff` the kick goes through. */
  async function expectGuarded(cid: string, ids: string[], target: number, code: string, guardOff: Record<string, unknown>) {
    await load(ctx.sim.url, [node()]);
    await expectError('k', { conversationId: cid, participantId: ids[target] }, code);
    assert.equal((await patches()).length, 0);
    await helper.unload();
    await expectKicked(cid, ids, target, { participantId: ids[target] }, guardOff);
  }

  it('refuse-customer refuses the customer; with the guard off the kick goes through', async () => {
    const { cid, ids } = await three();
    await expectGuarded(cid, ids, 0, 'refuse-customer', { refuseCustomer: false });
  });

  it('keep-call-alive refuses to leave a single party; with the guard off the kick goes through', async () => {
    const { cid, ids } = await seed([{ purpose: 'customer' }, { purpose: 'agent' }]);
    await expectGuarded(cid, ids, 1, 'keep-call-alive', { keepCallAlive: false });
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
    assert.match(states.get(ids[1]) ?? '', /^(disconnected|terminated)$/);
    assert.ok(['disconnected', 'terminated'].includes(o.msg.payload.confirmed?.state), JSON.stringify(o.msg.payload));
    assert.equal((await patches()).length, 1);
  });

  it('an already ended leg is already-disconnected, nothing sent', async () => {
    const { cid, ids } = await seed([
      { purpose: 'customer' },
      { purpose: 'agent' },
      { purpose: 'agent' },
      { purpose: 'agent', state: 'disconnected' },
    ]);
    await load(ctx.sim.url, [node()]);
    const o = await run('k', { conversationId: cid, participantId: ids[3] });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.error));
    assert.equal(o.msg.payload.outcome, 'already-disconnected');
    assert.equal((await patches()).length, 0);
  });

  /** Sends every msg to node `id` and collects what each one ends with (output or caught error). */
  async function runAll(msgs: Record<string, unknown>[], oneAfterTheOther: boolean): Promise<string[]> {
    const results: string[] = [];
    if (oneAfterTheOther) {
      for (const m of msgs) results.push(describeOutcome(await run('k', m)));
      return results;
    }
    const seen: string[] = [];
    const all = new Promise<void>((resolve) => {
      const record = (m: any, port: string) => {
        seen.push(port === 'error' ? m.error.code : m.payload.outcome);
        if (seen.length === msgs.length) resolve();
      };
      helper.getNode('out1').on('input', (m: any) => record(m, 'out1'));
      helper.getNode('caughtOut').on('input', (m: any) => record(m, 'error'));
    });
    for (const m of msgs) helper.getNode('k').receive(m);
    await all;
    return seen;
  }
  const describeOutcome = (o: { port: string; msg: any }) => (o.port === 'error' ? o.msg.error.code : o.msg.payload.outcome);

  for (const [label, oneAfterTheOther] of [
    ['at once', false],
    ['back to back', true],
  ] as const) {
    it(`kicks of every agent of a customer + 3 agents call sent ${label}, guards on: 2 leave, 1 keep-call-alive, the call goes on`, async () => {
      await ctx.sim.control.setOptions({ lastPartyPolicy: 'end-conversation' });
      const { cid, ids } = await seed([{ purpose: 'customer' }, { purpose: 'agent' }, { purpose: 'agent' }, { purpose: 'agent' }]);
      await load(ctx.sim.url, [node()]);
      const results = await runAll(
        ids.slice(1).map((participantId) => ({ conversationId: cid, participantId })),
        oneAfterTheOther,
      );
      assert.deepEqual([...results].sort(), ['disconnected', 'disconnected', 'keep-call-alive']);
      assert.equal((await patches()).length, 2);
      // Let the two accepted legs end (disconnectDelayMs 300): wait for that, not for a guessed time.
      await until(async () => [...(await stateOf(cid)).values()].filter((x) => x !== 'connected').length >= 2, 'the two kicked legs to end');
      const states = [...(await stateOf(cid)).values()];
      assert.equal(states.filter((x) => x === 'connected').length, 2, JSON.stringify(states));
      assert.equal(((await ctx.sim.control.getState(cid)) as any).endTime, undefined);
    });
  }

  it('dryRun "TRUE" (a flow file from a tool) is a dry run: nothing sent', async () => {
    const { cid, ids } = await three();
    await load(ctx.sim.url, [node({ dryRun: ' TRUE ', refuseCustomer: 'false', keepCallAlive: 'False' })]);
    const o = await run('k', { conversationId: cid, participantId: ids[0] });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.error));
    assert.equal(o.msg.payload.outcome, 'dry-run');
    assert.equal((await patches()).length, 0);
  });

  it('a node with a bad option fails every msg naming it, and sends nothing', async () => {
    await load(ctx.sim.url, [node({ keepCallAlive: 'yes' })]);
    const { cid, ids } = await three();
    const m = await expectError('k', { conversationId: cid, participantId: ids[1] }, 'invalid-input');
    assert.equal(m._error.field, 'keepCallAlive');
    assert.match(m._error.message, /keepCallAlive: must be true or false, got "yes"/);
    assert.equal((await ctx.sim.control.counters()).apiRequests, 0);
  });

  it('disconnect -> await end (both with their defaults): output 1 of await end with the kicked leg', async () => {
    const { cid, ids } = await three();
    await load(ctx.sim.url, [node({ wires: [['w']] }), { id: 'w', type: 'genesys-await-terminal', wires: [['out1'], ['out2']] }]);
    const o = await run('k', { conversationId: cid, target: { userId: USER_A } });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.error ?? o.msg.payload));
    assert.equal(o.msg.payload.participantId, ids[1]);
    assert.equal(o.msg.payload.conversationId, cid);
    assert.match(o.msg.payload.state, /^(disconnected|terminated)$/);
  });
});
