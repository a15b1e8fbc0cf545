import * as assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { GenesysClient, GenesysClientOptions, WaitInfo } from '../../lib/platform/client';
import { GenesysError } from '../../lib/platform/errors';
import { RecordedRequest, TestServer, closeInOrder, sendJson, startTestServer } from '../support/test-server';
import { until } from '../support/until';

const SECRET = 'very-secret-client-secret';
const CID = 'c0ffee00-0000-4000-8000-000000000001';
const PATH = `/api/v2/conversations/${CID}`;
const fastRetry = { baseDelayMs: 10, maxDelayMs: 40 };

/** A handler that never answers (until the connection closes): only an abort, a timeout or close() ends the
 * call, so a test of those needs no guess of how long "at once" is. */
const neverAnswer = (_req: RecordedRequest, res: ServerResponse) =>
  new Promise<void>((resolve) => {
    res.on('close', () => resolve());
  });

type ApiHandler = (req: RecordedRequest, res: ServerResponse, n: number) => void | Promise<void>;

/** Token grants answer token-1, token-2...; API calls go to `api` with their 1-based index. */
async function genesys(api: ApiHandler): Promise<TestServer & { grants: () => number; api: () => RecordedRequest[] }> {
  let grants = 0;
  let calls = 0;
  const server = await startTestServer((req, res) => {
    if (req.path === '/oauth/token') {
      grants++;
      return sendJson(res, 200, { access_token: `token-${grants}`, token_type: 'bearer', expires_in: 86_400 });
    }
    return api(req, res, ++calls);
  });
  return Object.assign(server, { grants: () => grants, api: () => server.requestsTo('/api/') });
}

function errorBody(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  return { message, code, status, contextId: 'ctx', details: [], errors: [], ...extra };
}

describe('lib/client (GenesysClient over real sockets)', () => {
  let server: (TestServer & { grants: () => number; api: () => RecordedRequest[] }) | undefined;
  let client: GenesysClient | undefined;
  const make = (extra: Partial<GenesysClientOptions> = {}) => {
    client = new GenesysClient({
      region: 'custom',
      apiBaseUrl: server!.origin,
      authBaseUrl: server!.origin,
      clientId: 'id',
      clientSecret: SECRET,
      retry: fastRetry,
      ...extra,
    });
    return client;
  };
  afterEach(async () => {
    await closeInOrder(client, server);
    client = server = undefined;
  });

  it('sends JSON, validates the answer with the schema, returns status, body and correlation id', async () => {
    server = await genesys((req, res) => {
      if (req.method === 'PATCH') return sendJson(res, 202, undefined, { 'ININ-Correlation-Id': 'corr-patch' });
      return sendJson(res, 200, { id: CID, participants: [] }, { 'ININ-Correlation-Id': 'corr-get' });
    });
    const c = make();
    const got = await c.request({ method: 'GET', path: PATH, schema: z.object({ id: z.string(), participants: z.array(z.unknown()) }) });
    assert.deepEqual(got, { status: 200, body: { id: CID, participants: [] }, correlationId: 'corr-get', attempts: 1 });
    const patched = await c.request({ method: 'PATCH', path: `${PATH}/participants/p1`, body: { state: 'disconnected' } });
    assert.equal(patched.status, 202);
    assert.equal(patched.body, undefined);
    assert.equal(patched.correlationId, 'corr-patch');
    const sent = server.api()[1];
    assert.equal(sent.headers['content-type'], 'application/json');
    assert.equal(sent.body, '{"state":"disconnected"}');
    assert.equal(sent.headers.authorization, 'Bearer token-1');
  });

  it('a malformed 2xx answer is a genesys-error saying so', async () => {
    server = await genesys((_req, res) => sendJson(res, 200, { id: 42 }));
    await assert.rejects(
      make().request({ method: 'GET', path: PATH, schema: z.object({ id: z.string() }) }),
      (err: GenesysError) => err.code === 'genesys-error' && /was malformed \(id: /.test(err.message) && err.status === 200,
    );
  });

  it('401: one new grant and one repeat with the new token', async () => {
    server = await genesys((req, res, n) =>
      n === 1
        ? sendJson(res, 401, errorBody(401, 'credentials.expired', 'Credentials expired'))
        : sendJson(res, 200, { ok: req.headers.authorization }),
    );
    const c = make();
    const got = await c.request<{ ok: string }>({ method: 'GET', path: PATH });
    assert.equal(got.body.ok, 'Bearer token-2');
    assert.equal(got.attempts, 2);
    assert.equal(server.grants(), 2);
    assert.equal(server.api().length, 2);
    assert.deepEqual(c.stats(), { tokenGrants: 2, requests: 2, retries: 1, rateLimitWaits: 0 });
  });

  it('a second 401 fails auth-failed (no loop)', async () => {
    server = await genesys((_req, res) =>
      sendJson(res, 401, errorBody(401, 'bad.credentials', 'Invalid login credentials.'), { 'ININ-Correlation-Id': 'corr-401' }),
    );
    await assert.rejects(make().request({ method: 'GET', path: PATH }), (err: GenesysError) => {
      assert.equal(err.code, 'auth-failed');
      assert.equal(err.status, 401);
      assert.equal(err.genesysCode, 'bad.credentials');
      assert.equal(err.correlationId, 'corr-401');
      assert.match(err.message, /refused the access token again after a new token grant/);
      assert.ok(!err.message.includes('token-'), 'no token in the message');
      return true;
    });
    assert.equal(server.grants(), 2);
    assert.equal(server.api().length, 2);
  });

  it('429 with Retry-After: 1 waits at least 1 s, pausing every request of the client, then succeeds', async () => {
    let first429At = 0;
    server = await genesys((req, res, n) => {
      if (n === 1) {
        first429At = req.time;
        return sendJson(res, 429, errorBody(429, 'too.many.requests.retry.after', 'Rate limit exceeded'), { 'Retry-After': '1' });
      }
      return sendJson(res, 200, { n });
    });
    const c = make();
    const waits: WaitInfo[] = [];
    const t0 = Date.now();
    const first = c.request({ method: 'GET', path: PATH, onWait: (w) => waits.push(w) });
    await until(() => waits.some((w) => w.reason === 'retry-after'), 'the client to have the 429 (and be paused)');
    const secondWaits: WaitInfo[] = [];
    const second = c.request({ method: 'GET', path: `${PATH}?second`, onWait: (w) => secondWaits.push(w) });
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.status, 200);
    assert.equal(a.attempts, 2);
    assert.ok(Date.now() - t0 >= 1000);
    const later = server.api().slice(1);
    assert.ok(
      later.every((r) => r.time - first429At >= 995),
      `a request went out during the pause: ${later.map((r) => r.time - first429At)}`,
    );
    assert.equal(b.status, 200);
    assert.ok(waits.some((w) => w.reason === 'retry-after' && w.ms >= 1000 && w.ms < 1300));
    assert.ok(
      secondWaits.some((w) => w.reason === 'retry-after' && w.ms > 0),
      'the other request was told it waits for Retry-After',
    );
    assert.equal(c.stats().retries, 1);
  });

  it('429 with Retry-After over maxRetryAfterSeconds fails rate-limited at once', async () => {
    server = await genesys((_req, res) =>
      sendJson(res, 429, errorBody(429, 'too.many.requests', 'slow down'), { 'Retry-After': '300', 'ININ-Correlation-Id': 'corr-429' }),
    );
    const t0 = Date.now();
    await assert.rejects(make({ maxRetryAfterSeconds: 60 }).request({ method: 'GET', path: PATH }), (err: GenesysError) => {
      assert.equal(err.code, 'rate-limited');
      assert.equal(err.retryAfter, 300);
      assert.equal(err.status, 429);
      assert.equal(err.correlationId, 'corr-429');
      assert.match(err.message, /300 s.*60 s/);
      return true;
    });
    assert.ok(Date.now() - t0 < 10_000, 'did not wait (the Retry-After is 300 s)');
    assert.equal(server.api().length, 1);
  });

  it('503 twice then 200 succeeds after backoff', async () => {
    server = await genesys((_req, res, n) =>
      n <= 2 ? sendJson(res, 503, errorBody(503, 'service.unavailable', 'Service Unavailable')) : sendJson(res, 200, { ok: true }),
    );
    const c = make();
    const waits: WaitInfo[] = [];
    const got = await c.request({ method: 'GET', path: PATH, onWait: (w) => waits.push(w) });
    assert.equal(got.status, 200);
    assert.equal(got.attempts, 3);
    assert.deepEqual(
      waits.map((w) => w.reason).filter((r) => r !== 'token'),
      ['backoff', 'backoff'],
    );
    assert.equal(c.stats().retries, 2);
  });

  it('502/504 exhausted after maxAttempts: genesys-error with status', async () => {
    server = await genesys((_req, res) => sendJson(res, 504, errorBody(504, 'request.timeout', 'Gateway timeout')));
    await assert.rejects(
      make({ retry: { ...fastRetry, maxAttempts: 3 } }).request({ method: 'GET', path: PATH }),
      (err: GenesysError) =>
        err.code === 'genesys-error' && err.status === 504 && err.genesysCode === 'request.timeout' && /gave up after 3 attempts/.test(err.message),
    );
    assert.equal(server.api().length, 3);
  });

  it('a connection reset (the server destroys the socket) is retried', async () => {
    server = await genesys((req, res, n) => {
      if (n === 1) return void req; // answered below by destroying the socket
      return sendJson(res, 200, { ok: true });
    });
    // first API request: destroy the socket without answering
    const original = server.api;
    let destroyed = 0;
    server.setHandler((req, res) => {
      if (req.path === '/oauth/token') return sendJson(res, 200, { access_token: 'tok', expires_in: 86400 });
      if (destroyed++ === 0) return void res.socket?.destroy();
      return sendJson(res, 200, { ok: true });
    });
    const got = await make().request({ method: 'GET', path: PATH });
    assert.equal(got.status, 200);
    assert.equal(got.attempts, 2);
    assert.equal(original().length, 2);
  });

  it('a connection reset on every attempt ends as network-error', async () => {
    server = await genesys((_req, res) => void res.socket?.destroy());
    await assert.rejects(
      make({ retry: { ...fastRetry, maxAttempts: 2 } }).request({ method: 'GET', path: PATH }),
      (err: GenesysError) => err.code === 'network-error' && /closed by the other side/.test(err.message),
    );
    assert.equal(server.api().length, 2);
  });

  for (const [status, code] of [
    [404, 'not.found'],
    [400, 'conversation.error.call.disconnected'],
    [409, 'conflict'],
    [500, 'internal.server.error'],
  ] as const) {
    it(`${status} is not retried: genesys-error with status, genesysCode and correlation id`, async () => {
      server = await genesys((_req, res) =>
        sendJson(res, status, errorBody(status, code, `Genesys says ${code}`), { 'ININ-Correlation-Id': `corr-${code}` }),
      );
      await assert.rejects(make().request({ method: 'GET', path: PATH }), (err: GenesysError) => {
        assert.equal(err.code, 'genesys-error');
        assert.equal(err.status, status);
        assert.equal(err.genesysCode, code);
        assert.equal(err.correlationId, `corr-${code}`);
        assert.match(err.message, new RegExp(`${status} ${code.replace(/\./g, '\\.')}: Genesys says`));
        return true;
      });
      assert.equal(server.api().length, 1);
    });
  }

  it('403 names the missing permission', async () => {
    server = await genesys((_req, res) =>
      sendJson(
        res,
        403,
        errorBody(403, 'missing.permissions', 'You are missing the following permission(s): conversation:communication:disconnect', {
          messageWithParams: 'You are missing the following permission(s): {permissions}',
          messageParams: { permissions: 'conversation:communication:disconnect' },
        }),
      ),
    );
    await assert.rejects(
      make().request({ method: 'PATCH', path: `${PATH}/participants/p1`, body: { state: 'disconnected' } }),
      (err: GenesysError) => {
        assert.equal(err.code, 'permission-denied');
        assert.equal(err.missingPermission, 'conversation:communication:disconnect');
        assert.match(err.message, /lack the permission conversation:communication:disconnect/);
        assert.equal(err.toMsgError().missingPermission, 'conversation:communication:disconnect');
        return true;
      },
    );
    assert.equal(server.api().length, 1);
  });

  it('403 without a named permission still says what to check', async () => {
    server = await genesys((_req, res) => sendJson(res, 403, errorBody(403, 'not.authorized', 'Not authorized')));
    await assert.rejects(
      make().request({ method: 'GET', path: PATH }),
      (err: GenesysError) =>
        err.code === 'permission-denied' && err.missingPermission === undefined && /conversation:communication:view/.test(err.message),
    );
  });

  it('aborting a call ends it at once (the server never answers), and it is not retried', async () => {
    server = await genesys((req, res) => (req.path === PATH ? neverAnswer(req, res) : sendJson(res, 200, {})));
    const c = make();
    await c.request({ method: 'GET', path: '/api/v2/organizations/me' }); // token and connection ready
    const ac = new AbortController();
    const call = c.request({ method: 'GET', path: PATH, signal: ac.signal });
    await until(() => server!.api().some((r) => r.path === PATH), 'the call to reach the server');
    ac.abort();
    await assert.rejects(call, (err: GenesysError) => err.code === 'cancelled');
    assert.equal(server.api().filter((r) => r.path === PATH).length, 1);
  }).timeout(10_000);

  it('an already aborted signal sends nothing', async () => {
    server = await genesys((_req, res) => sendJson(res, 200, {}));
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(make().request({ method: 'GET', path: PATH, signal: ac.signal }), (err: GenesysError) => err.code === 'cancelled');
    assert.equal(server.requests.length, 0);
  });

  it('a request that takes too long fails network-error saying it timed out (not retried)', async () => {
    server = await genesys(neverAnswer);
    const t0 = Date.now();
    await assert.rejects(
      make({ requestTimeoutMs: 200 }).request({ method: 'GET', path: PATH }),
      (err: GenesysError) => err.code === 'network-error' && /timed out after 200 ms/.test(err.message),
    );
    assert.ok(Date.now() - t0 >= 195, 'not before the timeout');
    assert.equal(server.api().length, 1);
  });

  it('the client limiter lets at most requestsPerMinute start per window; the grant does not count', async () => {
    server = await genesys((_req, res) => sendJson(res, 200, {}));
    const windowMs = 400;
    const c = make({ requestsPerMinute: 5, rateLimitWindowMs: windowMs });
    const waits: WaitInfo[] = [];
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 12 }, () => c.request({ method: 'GET', path: PATH, onWait: (w) => waits.push(w) })));
    // Request n (from 0) cannot start before n/5 full windows have passed since t0, and it reaches the server
    // after it started: lower bounds only, which a loaded machine cannot break. (A token bucket would let the
    // 6th through at ~80 ms; lib/rate-limiter's own test checks the starts to the millisecond.)
    const times = server
      .api()
      .map((r) => r.time - t0)
      .sort((a, b) => a - b);
    assert.equal(times.length, 12);
    times.forEach((t, n) => assert.ok(t >= Math.floor(n / 5) * windowMs, `request ${n + 1} reached the server at ${t} ms: ${times}`));
    assert.equal(server.grants(), 1);
    // 11: the first request goes alone (until its answer, firstAnswerFirst), then 4 more fill the window and 7 wait for it.
    assert.equal(c.stats().rateLimitWaits, 11);
    assert.ok(waits.some((w) => w.reason === 'rate-limit' && w.ms > 0));
  });

  it('the default budget is 300 per minute and is shared by every request of the client', async () => {
    server = await genesys((_req, res) => sendJson(res, 200, {}));
    const c = make({ requestsPerMinute: 3, rateLimitWindowMs: 60_000 });
    await Promise.all([1, 2, 3].map(() => c.request({ method: 'GET', path: PATH })));
    const ac = new AbortController();
    const fourth = c.request({ method: 'GET', path: PATH, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.api().length, 3, 'the 4th waits for the window');
    ac.abort();
    await assert.rejects(fourth, (err: GenesysError) => err.code === 'cancelled');
  });

  it('bad input is refused in the constructor, naming the field, before any request', async () => {
    server = await genesys((_req, res) => sendJson(res, 200, {}));
    const base: GenesysClientOptions = {
      region: 'custom',
      apiBaseUrl: server.origin,
      authBaseUrl: server.origin,
      clientId: 'id',
      clientSecret: SECRET,
    };
    const cases: [Partial<GenesysClientOptions>, string, RegExp][] = [
      [{ region: 'eu.genesys.cloud' }, 'region', /unknown region/],
      [{ apiBaseUrl: 'http://api.example.com' }, 'apiBaseUrl', /loopback/],
      [{ authBaseUrl: 'http://192.168.1.5' }, 'authBaseUrl', /loopback/],
      [{ clientId: '' }, 'clientId', /empty/],
      [{ clientId: '   ' }, 'clientId', /blank/],
      [{ clientSecret: ' \t ' }, 'clientSecret', /blank/],
      [{ requestsPerMinute: 0 }, 'requestsPerMinute', />= 1/],
      [{ maxRetryAfterSeconds: -1 }, 'maxRetryAfterSeconds', /from 1 to 3600/],
      [{ maxRetryAfterSeconds: 2 ** 31 }, 'maxRetryAfterSeconds', /from 1 to 3600/],
      [{ requestTimeoutMs: 2 ** 31 }, 'requestTimeoutMs', /from 1 to 3600000/],
      [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts', /from 1 to 100/],
    ];
    for (const [patch, field, re] of cases) {
      assert.throws(
        () => new GenesysClient({ ...base, ...patch }),
        (err: GenesysError) => {
          assert.equal(err.code, 'invalid-input', field);
          assert.equal(err.field, field);
          assert.match(err.message, re);
          assert.ok(!err.message.includes(SECRET));
          return true;
        },
      );
    }
    const c = make();
    await assert.rejects(c.request({ method: 'GET', path: '/api/v2/conversations/../users' }), (err: GenesysError) => err.field === 'path');
    await assert.rejects(c.request({ method: 'DELETE' as 'GET', path: PATH }), (err: GenesysError) => err.field === 'method');
    assert.equal(server.requests.length, 0);
  });

  it('testConnection gets a token and reads the organization', async () => {
    server = await genesys((req, res) => {
      assert.equal(req.path, '/api/v2/organizations/me');
      sendJson(res, 200, { id: 'org-1', name: 'Acme', domain: 'acme' }, { 'ININ-Correlation-Id': 'corr-org' });
    });
    const got = await make().testConnection();
    assert.deepEqual(got, { organization: { id: 'org-1', name: 'Acme' }, correlationId: 'corr-org' });
    assert.equal(server.grants(), 1);
  });

  it('close() cancels requests in flight (the server never answers) and later ones fail cancelled', async () => {
    server = await genesys(neverAnswer);
    const c = make();
    const inFlight = c.request({ method: 'GET', path: PATH });
    await until(() => server!.api().length === 1, 'the request to reach the server');
    const cancelled = assert.rejects(inFlight, (err: GenesysError) => err.code === 'cancelled');
    await c.close();
    await cancelled;
    await assert.rejects(c.request({ method: 'GET', path: PATH }), (err: GenesysError) => err.code === 'cancelled');
  });
});
