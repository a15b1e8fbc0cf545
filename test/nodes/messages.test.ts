// What a flow builder reads when something is wrong (issue 15): msg.error.message is the message alone (no
// "GenesysError: " in front, which Node-RED would take from Error's toString), and two common mistakes get a
// hint of what to do instead: a user id given as participantId, and the conversation id left in msg.payload
// (the inject node's default) while msg.conversationId is not set.
import * as assert from 'node:assert/strict';
import { expectError, load, useNodeTestServer } from '../../testkit/harness';
import { THREE_PARTY, USER_A, seedConversation } from '../../testkit/fixtures';

describe('error messages: no class-name prefix, hints for common mistakes', () => {
  const ctx = useNodeTestServer();
  const LIST = { id: 'l', type: 'genesys-list-participants', wires: [['out1']] };
  const KICK = { id: 'k', type: 'genesys-disconnect-participant', wires: [['out1']] };
  const AWAIT = { id: 'a', type: 'genesys-await-terminal', timeout: 5, wires: [['out1'], ['out2']] };
  const apiRequests = async () => (await ctx.sim.control.requests()).filter((r: any) => r.path.startsWith('/api/'));

  const three = () => seedConversation(ctx.sim, THREE_PARTY);

  it("the Catch node's msg.error.message is the message alone, also on msg._error", async () => {
    const { cid } = await three();
    await load(ctx.sim.url, [LIST, KICK, AWAIT]);
    const unknown = '0f0f0f0f-0000-4000-8000-000000000000';
    const caught = [
      await expectError('l', { conversationId: 'not-an-id' }, 'invalid-input'),
      await expectError('k', { conversationId: cid, participantId: unknown }, 'target-not-found'),
      await expectError('a', { conversationId: cid, participantId: unknown }, 'target-not-found'),
    ];
    for (const m of caught) {
      assert.doesNotMatch(m.error.message, /^\w*Error: /, m.error.message);
      assert.equal(m.error.message, m._error.message);
    }
    assert.equal(caught[0].error.message, 'conversationId: must be a Genesys id (a UUID), got "not-an-id"');
  });

  for (const n of [KICK, AWAIT]) {
    it(`${n.type}: a user id given as participantId names the participant to use instead`, async () => {
      const { cid, ids } = await three();
      await load(ctx.sim.url, [n]);
      const m = await expectError(n.id, { conversationId: cid, participantId: USER_A }, 'target-not-found');
      assert.equal(
        m.error.message,
        `participant ${USER_A} is not in conversation ${cid}; ${USER_A} is the user id of participant ${ids[1]}: use participantId ${ids[1]} or target.userId`,
      );
      assert.equal((await apiRequests()).filter((r: any) => r.method === 'PATCH').length, 0, 'nothing kicked');
    });
  }

  for (const n of [LIST, KICK, AWAIT]) {
    it(`${n.type}: the conversation id left in msg.payload (inject's default) says to set msg.conversationId; nothing sent`, async () => {
      const { cid, ids } = await three();
      await load(ctx.sim.url, [n]);
      const m = await expectError(n.id, { payload: ` ${cid} `, participantId: ids[1] }, 'invalid-input');
      assert.equal(m._error.field, 'conversationId');
      assert.equal(
        m.error.message,
        `conversationId: msg.conversationId is not set, but msg.payload holds the id ${cid}: set msg.conversationId (for example in the inject node) instead of msg.payload`,
      );
      assert.equal((await apiRequests()).length, 0);
    });
  }

  it('no hint when the node reads the conversation id from elsewhere, or msg.payload is not an id', async () => {
    const { cid } = await three();
    await load(ctx.sim.url, [{ ...LIST, conversationId: 'conv', conversationIdType: 'msg' }]);
    const m = await expectError('l', { payload: cid }, 'invalid-input');
    assert.equal(m.error.message, 'conversationId: must be a Genesys id (a UUID), got nothing');
    const plain = await expectError('l', { payload: 'hello' }, 'invalid-input');
    assert.doesNotMatch(plain.error.message, /msg\.payload/);
  });
});
