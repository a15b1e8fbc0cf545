import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { start, SimHandle } from '../../sim';
import { api, assertError, basic, conference, conferenceEachTest, CONV, P, request, token, UUID } from './helpers';

describe('sim: fault injection', () => {
  let sim: SimHandle;
  let tok: string;
  conferenceEachTest({ disconnectDelayMs: 20 }, (s, t) => ((sim = s), (tok = t)));

  const get = () => api(sim, tok, 'GET', `/api/v2/conversations/${CONV}`);
  const statuses = async (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      try {
        out.push((await get()).status);
      } catch (err) {
        out.push(0); // socket destroyed
        assert.equal((err as NodeJS.ErrnoException).code, 'ECONNRESET');
      }
    }
    return out;
  };

  it('rate429 answers 429 too.many.requests.retry.after with Retry-After, and the same seed repeats the same run', async () => {
    await sim.control.faults({ rate429: 0.5, retryAfterSeconds: 3, seed: 42 });
    const first = await statuses(40);
    assert.ok(first.includes(429) && first.includes(200), first.join(','));
    await sim.control.faults({ rate429: 0.5, retryAfterSeconds: 3, seed: 42 });
    assert.deepEqual(await statuses(40), first, 'same seed, same sequence');
    await sim.control.faults({ rate429: 1, retryAfterSeconds: [2, 4], seed: 1 });
    const r = await get();
    assertError(r, 429, 'too.many.requests.retry.after');
    const ra = Number(r.headers['retry-after']);
    assert.ok(ra >= 2 && ra <= 4, String(ra));
    assert.ok(r.headers['inin-ratelimit-allowed']);
    assert.ok((await sim.control.counters()).rateLimited >= 1);
  });

  it('rate5xx answers 500/502/503/504 with ErrorBody codes', async () => {
    const codes: Record<number, string> = { 500: 'internal.server.error', 502: 'bad.gateway', 503: 'service.unavailable', 504: 'request.timeout' };
    for (const s of [500, 502, 503, 504] as const) {
      await sim.control.faults({ rate5xx: { [s]: 1 } });
      assertError(await get(), s, codes[s]);
    }
    await sim.control.faults({});
    assert.equal((await get()).status, 200, 'faults({}) switches them off');
  });

  it('resetRate destroys the socket without an answer; the simulator lives on', async () => {
    await sim.control.faults({ resetRate: 1 });
    await assert.rejects(
      get(),
      (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET' || err.code === 'EPIPE' || /socket hang up/.test(err.message),
    );
    await sim.control.faults({});
    assert.equal((await get()).status, 200);
    const log = await sim.control.requests();
    assert.ok(
      log.some((e) => e.status === 0),
      'the reset is logged with status 0',
    );
  });

  it('latencyMs delays answers', async () => {
    await sim.control.faults({ latencyMs: 150 });
    const t0 = Date.now();
    assert.equal((await get()).status, 200);
    assert.ok(Date.now() - t0 >= 140);
  });

  it('faults apply to /api/v2 only by default, to /oauth/token too with appliesTo all', async () => {
    await sim.control.faults({ rate5xx: { 503: 1 } });
    assert.ok(await token(sim));
    await sim.control.faults({ rate5xx: { 503: 1 }, appliesTo: 'all' });
    const r = await request(`${sim.url}/oauth/token`, {
      method: 'POST',
      headers: { Authorization: basic('sim-client-id', 'sim-client-secret'), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.equal(r.status, 503);
  });

  it('conflictOnTransitional: PATCH on a ringing leg answers 409 only when switched on', async () => {
    const [c] = await sim.control.seed({
      conversations: [
        { participants: [{ purpose: 'customer' }, { purpose: 'agent', state: 'alerting' }, { purpose: 'agent', state: 'contacting' }] },
      ],
    });
    const ringing = c.participants[1].id;
    const path = `/api/v2/conversations/${c.id}/participants/${ringing}`;
    await sim.control.faults({ conflictOnTransitional: true });
    assertError(await api(sim, tok, 'PATCH', path, { state: 'disconnected' }), 409, 'conflict');
    assert.equal((await sim.control.getState(c.id)).participants[1].disconnectPending, false);
    assert.equal(
      (await api(sim, tok, 'PATCH', `/api/v2/conversations/${c.id}/participants/${c.participants[0].id}`, { muted: true })).status,
      202,
      'a connected leg is not affected',
    );
    await sim.control.faults({});
    assert.equal((await api(sim, tok, 'PATCH', path, { state: 'disconnected' })).status, 202, 'off: the real API does not document a 409');
  });

  it('notAUserOnCallsPatch: the calls PATCH answers 400 not.a.user, the generic PATCH still works', async () => {
    await sim.control.faults({ notAUserOnCallsPatch: true });
    assertError(
      await api(sim, tok, 'PATCH', `/api/v2/conversations/calls/${CONV}/participants/${P.agent1}`, { state: 'disconnected' }),
      400,
      'not.a.user',
    );
    assert.equal((await api(sim, tok, 'PATCH', `/api/v2/conversations/${CONV}/participants/${P.agent1}`, { state: 'disconnected' })).status, 202);
  });

  it('failNext: deterministic one-shot faults by method and path regex, with count, code, Retry-After and reset', async () => {
    await sim.control.failNext([
      { method: 'PATCH', path: '/participants/', status: 503, count: 2 },
      { method: 'GET', path: '^/api/v2/conversations/', status: 429, retryAfter: 7 },
      { path: 'organizations', status: 403, code: 'missing.permissions' },
    ]);
    const patch = () => api(sim, tok, 'PATCH', `/api/v2/conversations/${CONV}/participants/${P.agent1}`, { muted: true });
    assertError(await patch(), 503, 'service.unavailable');
    assertError(await patch(), 503, 'service.unavailable');
    assert.equal((await patch()).status, 202, 'count exhausted');
    const r = await get();
    assertError(r, 429, 'too.many.requests.retry.after');
    assert.equal(r.headers['retry-after'], '7');
    assert.equal((await get()).status, 200);
    assertError(await api(sim, tok, 'GET', '/api/v2/organizations/me'), 403, 'missing.permissions');
    await sim.control.failNext([]); // an empty list is fine
    await sim.control.failNext([{ reset: true, status: 500 }]);
    await assert.rejects(get());
    assert.equal((await get()).status, 200);
    await assert.rejects(sim.control.failNext([{ status: 42 }]), /400/);
    await assert.rejects(sim.control.failNext([{ status: 500, path: '(' }]), /regular expression/);
  });

  it('survives garbage: a broken request line, a non-JSON control body, a body cut off mid-way', async () => {
    const raw = (text: string, end = true) =>
      new Promise<string>((resolve) => {
        const u = new URL(sim.url);
        const sock = net.connect(Number(u.port), u.hostname, () => (end ? sock.end(text) : sock.write(text, () => sock.destroy())));
        let got = '';
        sock.on('data', (d) => (got += d));
        sock.on('close', () => resolve(got));
        sock.on('error', () => resolve(got));
      });
    assert.match(await raw('THIS IS NOT HTTP\r\n\r\n'), /^HTTP\/1\.1 400/);
    await raw(
      `PATCH /api/v2/conversations/${CONV}/participants/${P.agent1} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sta`,
      false,
    );
    const bad = await request(`${sim.url}/__sim/faults`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{nope' });
    assert.equal(bad.status, 400);
    assert.equal((await get()).status, 200, 'still serving');
  });

  it('bad fault configs are refused by the control API', async () => {
    await assert.rejects(sim.control.faults({ rate429: 2 }), /rate429/);
    await assert.rejects(sim.control.faults({ latencyMs: [5, 1] }), /latencyMs/);
    await assert.rejects(sim.control.faults({ rate5xx: { 501: 1 } as any }), /501/);
  });

  it('reset() drops conversations, faults, log, counters and tokens', async () => {
    await sim.control.faults({ rate5xx: { 500: 1 } });
    await get();
    await sim.control.reset();
    assert.deepEqual(await sim.control.requests(), []);
    assert.deepEqual(await sim.control.counters(), {
      tokenGrants: 0,
      apiRequests: 0,
      patches: 0,
      gets: 0,
      rateLimited: 0,
      teardown: { postDisconnect: 0, deleteConversation: 0, patchCallConversation: 0 },
    });
    assertError(await get(), 401, 'bad.credentials');
    const t = await token(sim);
    assertError(await api(sim, t, 'GET', `/api/v2/conversations/${CONV}`), 404, 'not.found');
    await assert.rejects(sim.control.getState(CONV), /404/);
  });

  it('counts api requests, gets, patches and token grants', async () => {
    await get();
    await api(sim, tok, 'PATCH', `/api/v2/conversations/${CONV}/participants/${P.agent1}`, { muted: true });
    await api(sim, tok, 'POST', '/api/v2/analytics/conversations/details/query', { interval: '2000-01-01T00:00:00Z/2100-01-01T00:00:00Z' });
    const c = await sim.control.counters();
    assert.deepEqual([c.tokenGrants, c.apiRequests, c.gets, c.patches], [1, 3, 1, 1]);
  });
});

describe('sim: per-token rate limit (sliding 60 s window)', () => {
  let sim: SimHandle;
  before(async () => {
    sim = await start({ rateLimitPerMinute: 5, scenario: { conversations: [conference()] } });
  });
  after(() => sim.close());

  it('answers 429 with the real ErrorBody, Retry-After and inin-ratelimit-* once a token used its budget; other tokens are not affected', async () => {
    const tok = await token(sim);
    for (let i = 1; i <= 5; i++) {
      const r = await api(sim, tok, 'GET', '/api/v2/organizations/me');
      assert.equal(r.status, 200);
      assert.equal(r.headers['inin-ratelimit-count'], String(i));
      assert.equal(r.headers['inin-ratelimit-allowed'], '5');
    }
    const r = await api(sim, tok, 'GET', '/api/v2/organizations/me');
    assertError(r, 429, 'too.many.requests.retry.after');
    const ra = Number(r.headers['retry-after']);
    assert.ok(ra >= 1 && ra <= 60, String(ra));
    assert.equal(r.json.messageParams.retryAfter, String(ra));
    assert.match(String(r.headers['inin-correlation-id']), UUID);
    const other = await token(sim);
    assert.equal((await api(sim, other, 'GET', '/api/v2/organizations/me')).status, 200);
    await sim.control.setOptions({ rateLimitPerMinute: 100 });
    assert.equal((await api(sim, tok, 'GET', '/api/v2/organizations/me')).status, 200, 'setOptions raises the limit');
  });
});

describe('sim: the rate window scaled down for tests (rateLimitWindowMs)', () => {
  let sim: SimHandle;
  before(async () => {
    sim = await start({ rateLimitPerMinute: 3, rateLimitWindowMs: 600 });
  });
  after(() => sim.close());

  it('enforces rateLimitPerMinute per scaled window and answers it as inin-ratelimit-allowed', async () => {
    const tok = await token(sim);
    for (let i = 1; i <= 3; i++) {
      const r = await api(sim, tok, 'GET', '/api/v2/organizations/me');
      assert.equal(r.status, 200);
      assert.equal(r.headers['inin-ratelimit-allowed'], '3');
    }
    assertError(await api(sim, tok, 'GET', '/api/v2/organizations/me'), 429, 'too.many.requests.retry.after');
    // A lower bound only: once a whole window has passed, the token has its budget again.
    await new Promise((r) => setTimeout(r, 650));
    assert.equal((await api(sim, tok, 'GET', '/api/v2/organizations/me')).status, 200);
  });
});

describe('sim: load', () => {
  let sim: SimHandle;
  before(async () => {
    sim = await start({ scenario: { conversations: [conference()] } });
  });
  after(() => sim.close());

  it('a 1,000-request burst: no crash, exactly 300 answered 200 and 700 answered 429 with Retry-After', async () => {
    const tok = await token(sim);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 1000 }, () => api(sim, tok, 'GET', `/api/v2/conversations/${CONV}`, undefined, { agent })),
      );
      const ok = answers.filter((a) => a.status === 200).length;
      const limited = answers.filter((a) => a.status === 429);
      assert.equal(ok, 300);
      assert.equal(limited.length, 700);
      for (const a of limited) {
        assert.equal(a.json.code, 'too.many.requests.retry.after');
        const ra = Number(a.headers['retry-after']);
        assert.ok(ra >= 1 && ra <= 60, String(ra));
      }
      assert.equal((await sim.control.counters()).rateLimited, 700);
      // Still serving: a fresh token works.
      assert.equal((await api(sim, await token(sim), 'GET', '/api/v2/organizations/me')).status, 200);
    } finally {
      agent.destroy();
    }
  });

  it('memory stays flat over 10,000 requests and the request log is bounded at 10,000 entries', async function () {
    this.timeout(120_000);
    await sim.control.reset();
    await sim.control.seed({ conversations: [conference()] });
    await sim.control.setOptions({ rateLimitPerMinute: 1_000_000 });
    const tok = await token(sim);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const gc = (globalThis as { gc?: () => void }).gc;
    const heap = () => {
      gc?.();
      return process.memoryUsage().heapUsed;
    };
    const run = async (n: number) => {
      let next = 0;
      const worker = async () => {
        while (next < n) {
          next++;
          const r = await api(
            sim,
            tok,
            next % 2 ? 'GET' : 'PATCH',
            next % 2 ? `/api/v2/conversations/${CONV}` : `/api/v2/conversations/${CONV}/participants/${P.agent1}`,
            next % 2 ? undefined : { muted: true },
            { agent },
          );
          assert.ok(r.status === 200 || r.status === 202, r.text);
        }
      };
      await Promise.all(Array.from({ length: 32 }, worker));
    };
    try {
      await run(10_000); // warm up: fills the request log ring buffer
      const before = heap();
      const t0 = Date.now();
      await run(10_000);
      const ms = Date.now() - t0;
      const after = heap();
      const growthMb = (after - before) / 1024 / 1024;

      console.log(
        `      10,000 requests in ${ms} ms (${Math.round(10_000 / (ms / 1000))} req/s), heap ${(before / 1048576).toFixed(1)} -> ${(after / 1048576).toFixed(1)} MB (gc ${gc ? 'on' : 'off'})`,
      );
      assert.ok(growthMb < (gc ? 5 : 40), `heap grew by ${growthMb.toFixed(1)} MB`);
      const log = await sim.control.requests();
      assert.equal(log.length, 10_000);
      assert.ok(Date.parse(log[0].time) <= Date.parse(log[log.length - 1].time), 'oldest first');
      assert.equal((await sim.control.counters()).apiRequests, 20_000);
    } finally {
      agent.destroy();
    }
  });
});
