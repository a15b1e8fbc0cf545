// The official Genesys Cloud JavaScript SDK, pointed at the simulator, logs in, reads and kicks: proof that
// the simulator speaks the real wire format (URLs, Basic auth, form body, JSON shapes, 202 with no body).
import * as assert from 'node:assert/strict';
import { start, SimHandle } from '../../sim';
import { conference, CONV, eventually, P, USER } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const platformClient = require('purecloud-platform-client-v2');

describe('sim: the official Genesys JavaScript SDK against the simulator', () => {
  let sim: SimHandle;
  const client = platformClient.ApiClient.instance;
  before(async () => {
    sim = await start({ disconnectDelayMs: 20, scenario: { conversations: [conference()] } });
    // setEnvironment() only builds https://api.D and https://login.D; the SDK's gateway setting is its way
    // to send both the login and the API to one custom origin.
    const u = new URL(sim.url);
    client.setGateway({ host: u.hostname, protocol: 'http', port: Number(u.port) });
  });
  after(async () => {
    client.setGateway(undefined);
    await sim.close();
  });

  it('loginClientCredentialsGrant, ConversationsApi.getConversation, patchConversationParticipant', async () => {
    const auth = await client.loginClientCredentialsGrant('sim-client-id', 'sim-client-secret');
    assert.ok(auth.accessToken);
    assert.ok(auth.tokenExpiryTime > Date.now() + 86_000_000, '24 h token');
    const conversations = new platformClient.ConversationsApi();
    const c = await conversations.getConversation(CONV);
    assert.equal(c.id, CONV);
    assert.equal(c.participants.length, 4);
    assert.equal(c.participants.find((p: any) => p.id === P.agent1).userId, USER.agent1);
    assert.equal(c.participants.find((p: any) => p.id === P.agent1).calls[0].state, 'connected');
    await conversations.patchConversationParticipant(CONV, P.agent2, { state: 'disconnected' });
    await eventually(async () => (await conversations.getConversation(CONV)).participants.find((p: any) => p.id === P.agent2).calls[0].state !== 'connected');
    const log = await sim.control.requests();
    const grant = log.find((e) => e.path === '/oauth/token')!;
    assert.equal(grant.status, 200);
    assert.equal(grant.clientId, 'sim-client-id');
    assert.ok(log.some((e) => e.method === 'PATCH' && e.status === 202 && e.path === `/api/v2/conversations/${CONV}/participants/${P.agent2}`));
  });

  it('the SDK sees Genesys errors as the real API gives them (status, code, correlation id)', async () => {
    const conversations = new platformClient.ConversationsApi();
    await assert.rejects(conversations.patchConversationParticipant(CONV, P.agent2, { state: 'disconnected' }), (err: any) => {
      // The SDK rejects with the parsed ErrorBody.
      assert.equal(err.status, 400);
      assert.equal(err.code, 'conversation.error.participant.no.active.conversations');
      assert.equal(err.message, 'Participant has no active conversations');
      assert.match(err.contextId, /^[0-9a-f-]{36}$/);
      return true;
    });
    await assert.rejects(client.loginClientCredentialsGrant('sim-client-id', 'wrong'), (err: any) => {
      // The login rejects with the HTTP client's error.
      assert.equal(err.response.status, 401);
      assert.equal(err.response.data.error, 'invalid_client');
      return true;
    });
  });
});
