import * as assert from 'node:assert/strict';
import { start, SimHandle } from '../../sim';
import { api, assertError, basic, request, sleep, token, UUID } from './helpers';

const FORM = 'application/x-www-form-urlencoded';

describe('sim: POST /oauth/token (client credentials)', () => {
  let sim: SimHandle;
  before(async () => {
    sim = await start({
      clients: [
        { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' },
        { clientId: 'short', clientSecret: 's3cret', tokenLifetimeSeconds: 1 },
      ],
    });
  });
  after(() => sim.close());
  beforeEach(() => sim.control.reset());

  const grant = (headers: Record<string, string>, body = 'grant_type=client_credentials') =>
    request(`${sim.url}/oauth/token`, { method: 'POST', headers: { 'Content-Type': FORM, ...headers }, body });

  it('grants an opaque bearer token with the default 24 h lifetime on the same origin as the API', async () => {
    const r = await grant({ Authorization: basic('sim-client-id', 'sim-client-secret') });
    assert.equal(r.status, 200);
    assert.equal(r.json.token_type, 'bearer');
    assert.equal(r.json.expires_in, 86400);
    assert.ok(r.json.access_token.length >= 32);
    assert.equal(r.json.refresh_token, undefined);
    assert.match(String(r.headers['inin-correlation-id']), UUID);
    const second = await grant({ Authorization: basic('sim-client-id', 'sim-client-secret') });
    assert.notEqual(second.json.access_token, r.json.access_token, 'each grant is a new random token');
    const me = await api(sim, r.json.access_token, 'GET', '/api/v2/organizations/me');
    assert.equal(me.status, 200);
    assert.equal(typeof me.json.id, 'string');
    assert.equal(typeof me.json.name, 'string');
    assert.equal((await sim.control.counters()).tokenGrants, 2);
  });

  it('refuses a wrong secret, an unknown client and a missing Basic header with invalid_client', async () => {
    const cases: Record<string, string>[] = [
      { Authorization: basic('sim-client-id', 'wrong') },
      { Authorization: basic('nobody', 'sim-client-secret') },
      {},
    ];
    for (const headers of cases) {
      const r = await grant(headers);
      assert.equal(r.status, 401, r.text);
      assert.equal(r.json.error, 'invalid_client');
      assert.equal(typeof r.json.description, 'string');
      assert.equal(typeof r.json.error_description, 'string');
      assert.ok(!r.text.includes('sim-client-secret'), 'the answer never echoes the secret');
      assert.match(String(r.headers['inin-correlation-id']), UUID);
    }
    assert.equal((await sim.control.counters()).tokenGrants, 0);
  });

  it('answers 400 unsupported_grant_type for another grant, invalid_request without one', async () => {
    const auth = { Authorization: basic('sim-client-id', 'sim-client-secret') };
    const r = await grant(auth, 'grant_type=password&username=a&password=b');
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'unsupported_grant_type');
    const none = await grant(auth, '');
    assert.equal(none.status, 400);
    assert.equal(none.json.error, 'invalid_request');
  });

  it('wants a form body: JSON is 415', async () => {
    const r = await request(`${sim.url}/oauth/token`, {
      method: 'POST',
      headers: { Authorization: basic('sim-client-id', 'sim-client-secret'), 'Content-Type': 'application/json' },
      body: '{"grant_type":"client_credentials"}',
    });
    assert.equal(r.status, 415);
    assert.equal(r.json.error, 'invalid_request');
  });

  it('enforces token expiry (per-client lifetime)', async () => {
    const r = await grant({ Authorization: basic('short', 's3cret') });
    assert.equal(r.json.expires_in, 1);
    assert.equal((await api(sim, r.json.access_token, 'GET', '/api/v2/organizations/me')).status, 200);
    await sleep(1100);
    assertError(await api(sim, r.json.access_token, 'GET', '/api/v2/organizations/me'), 401, 'credentials.expired');
  });

  it('expireTokens() revokes every issued token; a new grant works again', async () => {
    const t = await token(sim);
    await sim.control.expireTokens();
    assertError(await api(sim, t, 'GET', '/api/v2/organizations/me'), 401, 'credentials.expired');
    const fresh = await token(sim);
    assert.equal((await api(sim, fresh, 'GET', '/api/v2/organizations/me')).status, 200);
  });

  it('checks the bearer on every /api/v2 call: missing -> authentication.required, unknown -> bad.credentials', async () => {
    const none = await request(`${sim.url}/api/v2/organizations/me`);
    assertError(none, 401, 'authentication.required');
    assert.equal(none.headers['inin-ratelimit-allowed'], '300');
    assertError(await api(sim, 'not-a-token', 'GET', '/api/v2/organizations/me'), 401, 'bad.credentials');
    const basicOnApi = await request(`${sim.url}/api/v2/organizations/me`, {
      headers: { Authorization: basic('sim-client-id', 'sim-client-secret') },
    });
    assertError(basicOnApi, 401, 'authentication.required');
  });

  it('takes extra clients from a seeded scenario', async () => {
    await sim.control.seed({ conversations: [], clients: [{ clientId: 'added', clientSecret: 'added-secret', tokenLifetimeSeconds: 600 }] });
    const r = await grant({ Authorization: basic('added', 'added-secret') });
    assert.equal(r.status, 200);
    assert.equal(r.json.expires_in, 600);
  });

  it('never logs tokens or secrets in the request log', async () => {
    const t = await token(sim);
    await api(sim, t, 'GET', '/api/v2/organizations/me');
    const log = await sim.control.requests();
    assert.deepEqual(
      log.map((e) => [e.method, e.path, e.status, e.clientId]),
      [
        ['POST', '/oauth/token', 200, 'sim-client-id'],
        ['GET', '/api/v2/organizations/me', 200, 'sim-client-id'],
      ],
    );
    const text = JSON.stringify(log);
    assert.ok(!text.includes(t));
    assert.ok(!text.includes('sim-client-secret'));
    assert.ok(!/authorization/i.test(text));
  });
});
