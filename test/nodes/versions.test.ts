// Versioned node configs (nodes/<node>/migrations.ts) and the config node's users: a flow file without
// `version` (version 0, every example and test flow so far) reads as before; one at the current version the
// same; a version from the future is refused naming the field, before any request. A broken config node shows
// its problem on every flow node that uses it as soon as they are built, without a msg.
import * as assert from 'node:assert/strict';
import { expectError, helper, load, run, useNodeTestServer } from '../../testkit/harness';
import { CONFERENCE } from '../../testkit/fixtures';

describe("node config versions and the config node's users", () => {
  const ctx = useNodeTestServer({ seed: CONFERENCE });

  const list = (extra: Record<string, unknown> = {}) => ({ id: 'n1', type: 'genesys-list-participants', wires: [['out1']], ...extra });

  it('a list node without version or TypedInput types (version 0) and one at version 1 list the same', async () => {
    const outs: unknown[] = [];
    for (const extra of [{}, { version: 1, conversationId: 'conversationId', conversationIdType: 'msg', target: 'target', targetType: 'msg' }]) {
      await load(ctx.sim.url, [list(extra)]);
      const o = await run('n1', { conversationId: ctx.cid });
      assert.equal(o.port, 'out1');
      outs.push(o.msg.payload.map((p: { id: string }) => p.id));
      await helper.unload();
    }
    assert.deepEqual(outs[0], outs[1]);
    assert.equal((outs[0] as string[]).length, ctx.ids.length);
  });

  it('a version from the future (or not a number) is refused naming version; nothing is sent', async () => {
    for (const version of [2, -1, 'one', 1.5, true]) {
      for (const node of [list({ version }), { id: 'n1', type: 'genesys-await-terminal', version, wires: [['out1'], ['out2']] }]) {
        await load(ctx.sim.url, [node]);
        const before = (await ctx.sim.control.requests()).length;
        const msg = await expectError('n1', { conversationId: ctx.cid, participantId: ctx.ids[1] }, 'invalid-input');
        assert.equal(msg._error.field, 'version', `${node.type} version ${JSON.stringify(version)}`);
        assert.equal((await ctx.sim.control.requests()).length, before, 'nothing sent');
        await helper.unload();
      }
    }
  });

  it('a config node from the future is unusable for its users, naming version', async () => {
    await load(ctx.sim.url, [list()], { config: { version: 7 } });
    assert.equal(helper.getNode('cfg').connection.state, 'broken');
    const msg = await expectError('n1', { conversationId: ctx.cid }, 'invalid-input');
    assert.equal(msg._error.field, 'version');
  });

  it('a broken config node shows its problem on each of its users when they are built', async () => {
    await load(ctx.sim.url, [list(), { id: 'w', type: 'genesys-await-terminal', wires: [['out1'], ['out2']] }], {
      credentials: { clientId: 'x', clientSecret: '' },
    });
    for (const id of ['n1', 'w']) {
      const node = helper.getNode(id);
      // The helper's spy is shared by every node: this node's calls only.
      const statuses = node.status
        .getCalls()
        .filter((c: { thisValue: unknown }) => c.thisValue === node)
        .map((c: { args: unknown[] }) => c.args[0]);
      assert.deepEqual(statuses[0], { fill: 'red', shape: 'ring', text: `${node.type}.status.error: invalid-input` }, id);
    }
  });
});
