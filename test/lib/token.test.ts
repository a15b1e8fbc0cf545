import * as assert from 'node:assert/strict';
import * as dns from 'node:dns';
import { GenesysClient, GenesysClientOptions } from '../../lib/platform/client';
import { GenesysError } from '../../lib/platform/errors';
import { HttpTransport } from '../../lib/platform/http';
import { DEFAULT_RETRY_POLICY } from '../../lib/platform/retry';
import { TokenManager, renewMarginMs } from '../../lib/platform/token';
import { TestServer, closeInOrder, closedPort, sendJson, startTestServer } from '../support/test-server';
import { until } from '../support/until';

const CLIENT_ID = 'my-client-id';
const SECRET = 's3cr3t-value-never-shown';
const fastRetry = { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 };

function options(server: TestServer, extra: Partial<GenesysClientOptions> = {}): GenesysClientOptions {
  return {
    region: 'custom',
    apiBaseUrl: server.origin,
    authBaseUrl: server.origin,
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    retry: fastRetry,
    ...extra,
  };
}

/** Grants token-1, token-2, ... (after `grantDelayMs`, or once `grantGate` resolves); GET /api/v2/organizations/me answers 200. */
function genesysLike(state: {
  grants: number;
  grantDelayMs?: number;
  grantGate?: Promise<void>;
  tokenAnswer?: (n: number) => { status: number; text: string };
}) {
  return async (req: { path: string; headers: Record<string, unknown> }, res: import('node:http').ServerResponse) => {
    if (req.path === '/oauth/token') {
      state.grants++;
      const n = state.grants;
      if (state.grantDelayMs) await new Promise((r) => setTimeout(r, state.grantDelayMs));
      if (state.grantGate) await state.grantGate;
      if (state.tokenAnswer) {
        const a = state.tokenAnswer(n);
        res.writeHead(a.status, { 'content-type': 'application/json' });
        return void res.end(a.text);
      }
      return sendJson(res, 200, { access_token: `token-${n}`, token_type: 'bearer', expires_in: 86_400 });
    }
    return sendJson(res, 200, { id: 'org-1', name: 'Org', seenAuth: req.headers.authorization });
  };
}

describe('lib/token (over a real socket)', () => {
  let server: TestServer;
  let client: GenesysClient | undefined;
  afterEach(async () => {
    await closeInOrder(client, server);
    client = undefined;
  });

  it('sends exactly the grant of docs/platform.md section 2, then uses the token as Bearer', async () => {
    const state = { grants: 0 };
    server = await startTestServer(genesysLike(state));
    client = new GenesysClient(options(server));
    const res = await client.request<{ seenAuth: string }>({ method: 'GET', path: '/api/v2/organizations/me' });
    const grant = server.requestsTo('/oauth/token');
    assert.equal(grant.length, 1);
    assert.equal(grant[0].method, 'POST');
    assert.equal(grant[0].path, '/oauth/token');
    assert.equal(grant[0].headers.host, `127.0.0.1:${server.port}`);
    assert.equal(grant[0].headers.authorization, 'Basic ' + Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64'));
    assert.equal(grant[0].headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(grant[0].body, 'grant_type=client_credentials');
    assert.equal(res.body.seenAuth, 'Bearer token-1');
    assert.equal(server.requests.length, 2, 'the grant and the API call, nothing else');
  });

  it('20 concurrent requests from cold cause exactly one grant; the token is then cached', async () => {
    const state = { grants: 0, grantDelayMs: 100 };
    server = await startTestServer(genesysLike(state));
    client = new GenesysClient(options(server));
    const results = await Promise.all(Array.from({ length: 20 }, () => client!.request({ method: 'GET', path: '/api/v2/organizations/me' })));
    assert.equal(results.length, 20);
    assert.equal(state.grants, 1);
    await client.request({ method: 'GET', path: '/api/v2/organizations/me' });
    assert.equal(state.grants, 1);
    // 19 waits: after the grant, one request goes alone until its answer (firstAnswerFirst), the 19 others then.
    assert.deepEqual(client.stats(), { tokenGrants: 1, requests: 21, retries: 0, rateLimitWaits: 19 });
  });

  it('renews shortly before expires_in (60 s or 10 % before, whichever is smaller)', async () => {
    let now = 1_000_000;
    let lifetime = 3600;
    const state = { grants: 0, tokenAnswer: (n: number) => ({ status: 200, text: JSON.stringify({ access_token: `t${n}`, expires_in: lifetime }) }) };
    server = await startTestServer(genesysLike(state));
    const http = new HttpTransport({ connectTimeoutMs: 1000, requestTimeoutMs: 5000 });
    try {
      const tm = new TokenManager({
        authBaseUrl: server.origin,
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        http,
        policy: DEFAULT_RETRY_POLICY,
        now: () => now,
      });
      assert.equal(await tm.getToken(), 't1');
      now += 3539_000; // 61 s before expiry
      assert.equal(await tm.getToken(), 't1');
      now += 2_000; // 59 s before expiry
      assert.equal(await tm.getToken(), 't2');
      lifetime = 300; // margin is 30 s (10 %)
      tm.invalidate('t2');
      assert.equal(await tm.getToken(), 't3');
      now += 269_000;
      assert.equal(await tm.getToken(), 't3');
      now += 2_000;
      assert.equal(await tm.getToken(), 't4');
      tm.invalidate('t3'); // a stale 401 does not drop the newer token
      assert.equal(await tm.getToken(), 't4');
      assert.equal(tm.grantRequests, 4);
      assert.equal(renewMarginMs(86_400), 60_000);
    } finally {
      await http.close();
    }
  });

  const refusals: { name: string; answer: { status: number; text: string }; code: string; message: RegExp }[] = [
    {
      name: '401 invalid_client',
      answer: { status: 401, text: JSON.stringify({ error: 'invalid_client', description: 'bad', error_description: 'bad' }) },
      code: 'auth-failed',
      message: /^the client id or secret was refused by Genesys \(invalid_client\)$/,
    },
    {
      name: '400 invalid_client',
      answer: { status: 400, text: JSON.stringify({ error: 'invalid_client' }) },
      code: 'auth-failed',
      message: /client id or secret was refused by Genesys/,
    },
    {
      name: 'a token answer that is not JSON',
      answer: { status: 200, text: '<html>login page</html>' },
      code: 'auth-failed',
      message: /token answer from 127\.0\.0\.1:\d+ is not JSON/,
    },
    {
      name: 'a token answer without access_token',
      answer: { status: 200, text: JSON.stringify({ token_type: 'bearer', expires_in: 86400 }) },
      code: 'auth-failed',
      message: /has no access_token/,
    },
    {
      name: 'another refusal (echoing the secret)',
      answer: { status: 400, text: JSON.stringify({ error: 'unsupported_grant_type', error_description: `nope ${SECRET}` }) },
      code: 'auth-failed',
      message: /refused by 127\.0\.0\.1:\d+ with status 400 \(unsupported_grant_type\): nope \*\*\*/,
    },
  ];
  for (const r of refusals) {
    it(`fails clearly on ${r.name}, sends no API request, never shows the secret`, async () => {
      const state = { grants: 0, tokenAnswer: () => r.answer };
      server = await startTestServer(genesysLike(state));
      client = new GenesysClient(options(server));
      await assert.rejects(client.request({ method: 'GET', path: '/api/v2/organizations/me' }), (err: GenesysError) => {
        assert.equal(err.code, r.code);
        assert.match(err.message, r.message);
        assert.ok(!err.message.includes(SECRET) && !JSON.stringify(err.toMsgError()).includes(SECRET));
        return true;
      });
      assert.equal(server.requestsTo('/api/').length, 0);
      assert.equal(state.grants, 1, 'a refused grant is not retried');
      assert.ok(!JSON.stringify(client.stats()).includes(SECRET));
    });
  }

  it('a login host that does not resolve (a wrong region) says so in one sentence: not found, check the region', async function () {
    const host = 'login.genesys-test.invalid'; // .invalid never resolves (RFC 6761)
    const code = await new Promise<string | undefined>((resolve) => dns.lookup(host, (err) => resolve(err?.code)));
    if (code !== 'ENOTFOUND') this.skip(); // a resolver that answers EAI_AGAIN (no DNS at all) is another case
    server = await startTestServer(genesysLike({ grants: 0 }));
    client = new GenesysClient(options(server, { authBaseUrl: `https://${host}` }));
    await assert.rejects(client.testConnection(), (err: GenesysError) => {
      assert.equal(err.code, 'network-error');
      assert.equal(
        err.message,
        `the login host ${host} was not found: check the region (or the login origin) of the genesys-cloud-config node (ENOTFOUND)`,
      );
      return true;
    });
    assert.equal(server.requests.length, 0);
  });

  it('names the login host when it cannot be reached', async () => {
    server = await startTestServer(genesysLike({ grants: 0 }));
    const port = await closedPort();
    client = new GenesysClient(options(server, { authBaseUrl: `http://127.0.0.1:${port}` }));
    await assert.rejects(client.testConnection(), (err: GenesysError) => {
      assert.equal(err.code, 'network-error');
      assert.match(err.message, new RegExp(`login host 127\\.0\\.0\\.1:${port} is unreachable.*connection refused`));
      assert.ok(!err.message.includes(SECRET));
      return true;
    });
    assert.equal(server.requests.length, 0);
    assert.equal(client.stats().tokenGrants, 3, 'connection refused is retried (maxAttempts 3)');
  });

  it('an abort during the grant ends the call at once; the grant still serves the others', async () => {
    // The grant answers only when the test says so: "at once" means before the grant answered.
    let answerGrant!: () => void;
    const state = {
      grants: 0,
      grantGate: new Promise<void>((r) => {
        answerGrant = r;
      }),
    };
    server = await startTestServer(genesysLike(state));
    client = new GenesysClient(options(server));
    const ac = new AbortController();
    const aborted = client.request({ method: 'GET', path: '/api/v2/organizations/me', signal: ac.signal });
    const other = client.request({ method: 'GET', path: '/api/v2/organizations/me' });
    await until(() => state.grants === 1, 'the grant to reach the server');
    ac.abort();
    await assert.rejects(aborted, (err: GenesysError) => err.code === 'cancelled');
    answerGrant();
    assert.equal((await other).status, 200);
    assert.equal(state.grants, 1);
    assert.equal(server.requestsTo('/api/').length, 1, 'the aborted call sent nothing');
  });
});
