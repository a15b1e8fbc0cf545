import * as assert from 'node:assert/strict';
import { expectError, load, useNodeTestServer } from '../../testkit/harness';

const CID = '11111111-2222-4333-8444-555555555555';
const PID = '66666666-7777-4888-8999-aaaaaaaaaaaa';

describe('bad input on the flow nodes: invalid-input naming the field, no request sent', () => {
  const ctx = useNodeTestServer({
    beforeTeardown: async (sim) => {
      // Not one request reached the simulator, not even a token grant.
      assert.deepEqual(await sim.control.requests(), []);
      assert.equal((await sim.control.counters()).tokenGrants, 0);
    },
  });

  const kick = (extra: Record<string, unknown> = {}) => ({ id: 'n', type: 'genesys-disconnect-participant', wires: [['out1']], ...extra });
  const list = (extra: Record<string, unknown> = {}) => ({ id: 'n', type: 'genesys-list-participants', wires: [['out1']], ...extra });
  const wait = (extra: Record<string, unknown> = {}) => ({ id: 'n', type: 'genesys-await-terminal', wires: [['out1'], ['out2']], ...extra });

  async function expectField(node: Record<string, unknown>, msg: Record<string, unknown>, field: string, opts = {}) {
    await load(ctx.sim.url, [node], opts);
    const m = await expectError('n', msg, 'invalid-input');
    assert.equal(m._error.field, field, m._error.message);
    assert.ok(m._error.message.startsWith(field), m._error.message);
  }

  it('a conversation id that is not a UUID', () => expectField(kick(), { conversationId: 'abc', participantId: PID }, 'conversationId'));
  it('a missing conversation id', () => expectField(list(), {}, 'conversationId'));
  it('a participant id that is a path', () => expectField(kick(), { conversationId: CID, participantId: '../../users' }, 'participantId'));
  it('a participant id that is not a string', () => expectField(wait(), { conversationId: CID, participantId: 42 }, 'participantId'));
  it('neither participantId nor target', () => expectField(kick(), { conversationId: CID }, 'participantId'));
  it('a selector with no fields', () => expectField(kick(), { conversationId: CID, target: {} }, 'target'));
  it('a selector with an unknown purpose', () => expectField(kick(), { conversationId: CID, target: { purpose: 'boss' } }, 'target.purpose'));
  it('a selector with an unknown key', () => expectField(list(), { conversationId: CID, target: { role: 'x' } }, 'target'));
  it('msg.target that is not an object', () => expectField(kick(), { conversationId: CID, target: 'agent' }, 'target'));
  it('a timeout of 0', () => expectField(wait({ timeout: 0 }), { conversationId: CID, participantId: PID }, 'timeout'));
  it('a negative msg.timeout', () => expectField(wait({ timeout: '' }), { conversationId: CID, participantId: PID, timeout: -5 }, 'timeout'));
  it('await end without a participant id (waitFor participant, the default) never waits for the whole call', () =>
    expectField(wait(), { conversationId: CID }, 'participantId'));
  it('await end with a waitFor that is neither participant nor conversation', () =>
    expectField(wait({ waitFor: 'call' }), { conversationId: CID, participantId: PID }, 'waitFor'));
  // Flow files written by tools or the Admin API: a safety option that is not a boolean or "true"/"false" stops
  // the node (fail closed), naming the option; nothing is sent.
  for (const [option, value] of [
    ['dryRun', 'yes'],
    ['dryRun', '1'],
    ['dryRun', 1],
    ['refuseCustomer', 'no'],
    ['keepCallAlive', 'off'],
    ['keepCallAlive', null],
    ['confirm', 'True!'],
  ] as const) {
    it(`disconnect with ${option}: ${JSON.stringify(value)} in the flow file`, () =>
      expectField(kick({ [option]: value }), { conversationId: CID, participantId: PID }, option));
  }
  it('list with split: "maybe" in the flow file', () => expectField(list({ split: 'maybe' }), { conversationId: CID }, 'split'));
  it('a wrap-up code that is not an id', () =>
    expectField(kick({ wrapupCode: 'DONE', wrapupCodeType: 'str' }), { conversationId: CID, participantId: PID }, 'wrapupCode'));
  it('empty credentials: every msg fails naming clientId', () =>
    expectField(kick(), { conversationId: CID, participantId: PID }, 'clientId', { credentials: { clientId: '', clientSecret: 'x' } }));
  it('a credential from an unset env var names the field and the variable', async () => {
    delete process.env.GENESYS_TEST_UNSET_SECRET;
    await load(ctx.sim.url, [list()], { credentials: { clientId: 'sim-client-id', clientSecret: '${GENESYS_TEST_UNSET_SECRET}' } });
    const m = await expectError('n', { conversationId: CID }, 'invalid-input');
    assert.equal(m._error.field, 'clientSecret');
    assert.match(m._error.message, /GENESYS_TEST_UNSET_SECRET is not set/);
  });
});
