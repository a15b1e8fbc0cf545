import * as assert from 'node:assert/strict';
import * as dns from 'node:dns';
import { CONFIG_ID, helper, load, run, useNodeTestServer } from '../../testkit/harness';
import { seedConversation } from '../../testkit/fixtures';

describe('genesys-cloud-config node', () => {
  const ctx = useNodeTestServer({
    beforeTeardown: () => {
      delete process.env.GENESYS_TEST_CLIENT_SECRET;
    },
  });
  let cid: string;
  beforeEach(async () => {
    ({ cid } = await seedConversation(ctx.sim, [{ purpose: 'customer' }, { purpose: 'agent' }]));
  });

  const list = { id: 'n', type: 'genesys-list-participants', wires: [['out1']] };

  it('loads with its credentials and gives the flow nodes one shared client', async () => {
    await load(ctx.sim.url, [list, { ...list, id: 'n2' }]);
    const cfg = helper.getNode(CONFIG_ID);
    assert.equal(cfg.credentials.clientId, 'sim-client-id');
    assert.ok(cfg.connection.client && cfg.connection.reader && !cfg.connection.error);
    const [a, b] = await Promise.all([run('n', { conversationId: cid }), run('n2', { conversationId: cid })]);
    assert.equal(a.port, 'out1');
    assert.equal(b.port, 'out1');
    assert.equal((await ctx.sim.control.counters()).tokenGrants, 1, 'one token for both nodes');
  });

  it('takes a credential from ${ENV_VAR}', async () => {
    process.env.GENESYS_TEST_CLIENT_SECRET = 'sim-client-secret';
    await load(ctx.sim.url, [list], { credentials: { clientId: 'sim-client-id', clientSecret: '${GENESYS_TEST_CLIENT_SECRET}' } });
    const o = await run('n', { conversationId: cid });
    assert.equal(o.port, 'out1', JSON.stringify(o.msg.error));
  });

  it('serves the 18 regions for the editor', async () => {
    await load(ctx.sim.url, []);
    const res = await helper.request().get('/genesys-cloud-config/regions').expect(200);
    assert.equal(res.body.regions.length, 18);
    assert.ok(res.body.regions.some((r: any) => r.domain === 'mypurecloud.ie' && r.awsName === 'eu-west-1'));
    assert.equal(res.body.custom, 'custom');
  });

  describe('POST /genesys-cloud-config/test', () => {
    it('answers ok with the organisation name', async () => {
      await load(ctx.sim.url, []);
      const res = await helper
        .request()
        .post('/genesys-cloud-config/test')
        .send({ region: 'custom', apiBaseUrl: ctx.sim.url, authBaseUrl: ctx.sim.url, clientId: 'sim-client-id', clientSecret: 'sim-client-secret' })
        .expect(200);
      assert.equal(res.body.ok, true, JSON.stringify(res.body));
      assert.equal(typeof res.body.organization.name, 'string');
    });

    it('takes an unchanged secret (__PWRD__) from the stored credentials of that config node', async () => {
      await load(ctx.sim.url, []);
      const res = await helper
        .request()
        .post('/genesys-cloud-config/test')
        .send({
          id: CONFIG_ID,
          region: 'custom',
          apiBaseUrl: ctx.sim.url,
          authBaseUrl: ctx.sim.url,
          clientId: 'sim-client-id',
          clientSecret: '__PWRD__',
        })
        .expect(200);
      assert.equal(res.body.ok, true, JSON.stringify(res.body));
    });

    it('reports a wrong secret as auth-failed, never echoing the secret or a token', async () => {
      await load(ctx.sim.url, []);
      const res = await helper
        .request()
        .post('/genesys-cloud-config/test')
        .send({ region: 'custom', apiBaseUrl: ctx.sim.url, authBaseUrl: ctx.sim.url, clientId: 'sim-client-id', clientSecret: 'wrong-secret-123' })
        .expect(200);
      assert.equal(res.body.ok, false);
      assert.equal(res.body.error.code, 'auth-failed');
      // One clear sentence (the editor adds the capital and full stop); the correlation id is a field of its own.
      assert.equal(res.body.error.message, 'the client id or secret was refused by Genesys (invalid_client)');
      assert.ok(res.body.error.correlationId);
      assert.ok(!JSON.stringify(res.body).includes('wrong-secret-123'));
      assert.ok(!/access_token|bearer/i.test(JSON.stringify(res.body)));
    });

    it('a region whose login host does not resolve: one sentence, host not found, check the region', async function () {
      const host = 'login.genesys-test.invalid'; // .invalid never resolves (RFC 6761)
      const code = await new Promise<string | undefined>((resolve) => dns.lookup(host, (err) => resolve(err?.code)));
      if (code !== 'ENOTFOUND') this.skip(); // a machine without any resolver answers EAI_AGAIN instead
      await load(ctx.sim.url, []);
      const res = await helper
        .request()
        .post('/genesys-cloud-config/test')
        .send({
          region: 'custom',
          apiBaseUrl: 'https://api.genesys-test.invalid',
          authBaseUrl: `https://${host}`,
          clientId: 'an-id',
          clientSecret: 'a-secret',
        })
        .expect(200);
      assert.equal(res.body.error.code, 'network-error');
      assert.equal(
        res.body.error.message,
        `the login host ${host} was not found: check the region (or the login origin) of the genesys-cloud-config node (ENOTFOUND)`,
      );
    });

    it('refuses bad dialog values as invalid-input naming the field, without a request', async () => {
      await load(ctx.sim.url, []);
      const res = await helper
        .request()
        .post('/genesys-cloud-config/test')
        .send({ region: 'custom', apiBaseUrl: 'http://example.com', authBaseUrl: ctx.sim.url, clientId: 'a', clientSecret: 'b' })
        .expect(200);
      assert.equal(res.body.ok, false);
      assert.equal(res.body.error.code, 'invalid-input');
      assert.equal(res.body.error.field, 'apiBaseUrl');
      const r2 = await helper
        .request()
        .post('/genesys-cloud-config/test')
        .send({ region: 'mypurecloud.ie', clientId: '', clientSecret: 'b' })
        .expect(200);
      assert.equal(r2.body.error.field, 'clientId');
      assert.deepEqual(await ctx.sim.control.requests(), []);
    });
  });
});
