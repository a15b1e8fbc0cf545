// Cancelling waits at scale (a redeploy with tens of thousands of pending awaits): each cancelled wait must
// cost O(1), so cancelling 50,000 costs about 10x cancelling 5,000, not 100x (the old indexOf + splice, or a
// removeEventListener on a signal shared by every wait, made it quadratic: seconds of frozen event loop).
// Measured as CPU time of this process (process.cpuUsage), both sizes in the same process, best of 3 runs:
// a ratio, not an absolute bound, so a loaded machine slows both sides alike.
import * as assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { awaitTerminal } from '../../lib/await-terminal';
import { GenesysClient } from '../../lib/client';
import { ConversationReader } from '../../lib/conversation-reader';
import { GenesysError } from '../../lib/errors';
import { Line, RateLimiter } from '../../lib/rate-limiter';
import { sendJson, startTestServer, type TestServer } from '../support/test-server';

const PID = 'c0ffee00-0000-4000-8000-00000000beef';

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Best of `runs`: the least disturbed run (a GC or another process only ever adds time). */
async function best(runs: number, fn: () => Promise<number>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < runs; i++) min = Math.min(min, await fn());
  return min;
}

type Setup = (n: number) => Promise<{ cancel: () => void; settled: Promise<unknown> }>;

/** CPU ms of cancelling n waits, from the first abort to the last rejection. */
async function cancelCost(setup: Setup, n: number): Promise<number> {
  const { cancel, settled } = await setup(n);
  const t0 = cpuMs();
  cancel();
  await settled;
  return cpuMs() - t0;
}

/** Cost of cancelling `large` waits over the cost of cancelling large / 10. */
async function ratio(setup: Setup, large = 50_000): Promise<{ small: number; large: number; ratio: number }> {
  await cancelCost(setup, large / 10); // warm up (JIT)
  const small = await best(3, () => cancelCost(setup, large / 10));
  const big = await best(3, () => cancelCost(setup, large));
  // Below a few ms the small figure is mostly timer granularity: floor it so the ratio stays meaningful.
  return { small, large: big, ratio: big / Math.max(small, 2) };
}

/** Linear is 10x; quadratic is 100x. 30x leaves room for GC at the larger size. */
const MAX_RATIO = 30;

/** A limiter with its window full, so every new acquire() waits. */
function fullLimiter(): RateLimiter {
  const limiter = new RateLimiter({ requestsPerMinute: 1, windowMs: 3_600_000 });
  void limiter.acquire();
  return limiter;
}

describe('cancelling 50,000 waits costs O(1) each (CPU time vs 5,000, same process)', function () {
  this.timeout(120_000);

  it('limiter, one signal per wait, aborted newest first (the worst order for a search from the head)', async () => {
    const setup: Setup = async (n) => {
      const limiter = fullLimiter();
      const controllers = Array.from({ length: n }, () => new AbortController());
      const waits = controllers.map((c, i) => limiter.acquire(c.signal, undefined, i % 2 ? 'high' : 'normal').catch((e: GenesysError) => e.code));
      assert.equal(limiter.queued, n);
      return {
        cancel: () => { for (let i = n - 1; i >= 0; i--) controllers[i].abort(); },
        settled: Promise.all(waits).then((codes) => {
          assert.ok(codes.every((c) => c === 'cancelled'));
          assert.equal(limiter.queued, 0);
          limiter.close();
        }),
      };
    };
    const r = await ratio(setup);
    console.log(`      5,000: ${r.small.toFixed(1)} ms CPU, 50,000: ${r.large.toFixed(1)} ms CPU (x${r.ratio.toFixed(1)})`);
    assert.ok(r.ratio <= MAX_RATIO, `50,000 cost ${r.ratio.toFixed(1)}x 5,000 (linear is 10x)`);
  });

  // Node's EventTarget checks every listener for a duplicate on addEventListener: 50,000 on one signal take
  // seconds to set up whatever we do, so this case runs 1,000 against 10,000 (quadratic is still 100x).
  it('limiter, one signal shared by every wait (a redeploy), bookings and requests mixed (10,000 vs 1,000)', async () => {
    const setup: Setup = async (n) => {
      const limiter = fullLimiter();
      const ac = new AbortController();
      setMaxListeners(0, ac.signal);
      const waits = Array.from({ length: n }, (_, i) =>
        (i % 3 === 0 ? limiter.book(2, ac.signal) : limiter.acquire(ac.signal)).then(() => 'granted', (e: GenesysError) => e.code),
      );
      return {
        cancel: () => ac.abort(),
        settled: Promise.all(waits).then((codes) => {
          assert.ok(codes.every((c) => c === 'cancelled'));
          assert.equal(limiter.queued, 0);
          limiter.close();
        }),
      };
    };
    const r = await ratio(setup, 10_000);
    console.log(`      1,000: ${r.small.toFixed(1)} ms CPU, 10,000: ${r.large.toFixed(1)} ms CPU (x${r.ratio.toFixed(1)})`);
    assert.ok(r.ratio <= MAX_RATIO, `10,000 cost ${r.ratio.toFixed(1)}x 1,000 (linear is 10x)`);
  });

  it('structurally: removing any entry of a line of 50,000 touches a constant number of entries', () => {
    // Entries are proxies that count every read and write of their fields: a search or a shift of the line
    // would touch O(n) of them per removal.
    type E = { id: number; prev: E | undefined; next: E | undefined };
    let touches = 0;
    const entry = (id: number): E => new Proxy({ id, prev: undefined, next: undefined } as E, {
      get: (t, k) => { touches++; return t[k as keyof E]; },
      set: (t, k, v) => { touches++; (t as Record<string, unknown>)[k as string] = v; return true; },
    });
    const line = new Line<E>();
    const entries = Array.from({ length: 50_000 }, (_, i) => entry(i));
    for (const e of entries) line.push(e);
    let worst = 0;
    // Newest first, then from the middle out, then the oldest: every position of the line.
    const order = [...entries.slice(40_000).reverse(), ...entries.slice(10_000, 40_000), ...entries.slice(0, 10_000)];
    for (const e of order) {
      touches = 0;
      line.remove(e);
      worst = Math.max(worst, touches);
    }
    assert.equal(line.size, 0);
    assert.equal(line.first, undefined);
    assert.ok(worst <= 12, `one removal touched ${worst} entries' fields`);
    line.remove(entries[0]); // twice: no effect
    assert.equal(line.size, 0);
  });

  it('removal from the middle keeps FIFO order and queued exact', async () => {
    let t = 0; // an injected clock: each step below moves it one window on, then pumps
    const limiter = new RateLimiter({ requestsPerMinute: 1, windowMs: 1000, now: () => t });
    await limiter.acquire();
    const controllers = Array.from({ length: 6 }, () => new AbortController());
    const order: number[] = [];
    const waits = controllers.map((c, i) => limiter.acquire(c.signal).then(() => order.push(i), (e: GenesysError) => e.code));
    for (const i of [0, 2, 5]) controllers[i].abort();
    controllers[2].abort(); // twice: no effect
    assert.equal(limiter.queued, 3);
    for (let step = 1; step <= 3; step++) {
      t = step * 1000;
      limiter.pauseUntil(0); // pumps
      await Promise.resolve();
      assert.equal(limiter.queued, 3 - step);
    }
    limiter.close();
    assert.deepEqual(await Promise.all(waits), ['cancelled', 1, 'cancelled', 2, 3, 'cancelled']);
    assert.deepEqual(order, [1, 3, 4]);
  });

  describe('awaits on a conversation that never ends, through client, limiter and shared reads', () => {
    let server: TestServer;
    before(async () => {
      // Every read answers a live call; the limiter (1 request per hour) holds all but the first poll.
      server = await startTestServer((req, res) => {
        if (req.path === '/oauth/token') return sendJson(res, 200, { access_token: 't', token_type: 'bearer', expires_in: 86_400 });
        const id = req.path.split('/').pop();
        return sendJson(res, 200, { id, participants: [{ id: PID, purpose: 'agent', calls: [{ state: 'connected' }] }] });
      });
    });
    after(() => server.close());

    // Each await here is a GET in flight then a wait in the limiter: 10,000 against 1,000 keeps the suite short.
    it('one abort signal per wait, aborted newest first (10,000 vs 1,000)', async () => {
      const setup: Setup = async (n) => {
        const client = new GenesysClient({
          region: 'custom', apiBaseUrl: server.origin, authBaseUrl: server.origin, clientId: 'id', clientSecret: 'secret',
          requestsPerMinute: 1, rateLimitWindowMs: 3_600_000,
        });
        await client.request({ method: 'GET', path: '/api/v2/organizations/me' }); // the window is full now
        const reader = new ConversationReader(client);
        const controllers = Array.from({ length: n }, () => new AbortController());
        // Distinct conversations: no read is shared, so each wait has its own request in the limiter.
        const hex = (i: number) => i.toString(16).padStart(12, '0');
        const waits = controllers.map((c, i) =>
          awaitTerminal(reader, { conversationId: `c0ffee00-0000-4000-8000-${hex(i)}`, participantId: PID, timeoutMs: 3_000_000, signal: c.signal })
            .then(() => 'ended', (e: GenesysError) => e.code),
        );
        const waiting = client.stats().rateLimitWaits + n;
        while (client.stats().rateLimitWaits < waiting) await new Promise((r) => setImmediate(r)); // all in the limiter
        return {
          cancel: () => { for (let i = n - 1; i >= 0; i--) controllers[i].abort(); },
          settled: Promise.all(waits).then(async (codes) => {
            assert.ok(codes.every((c) => c === 'cancelled'), [...new Set(codes)].join());
            await client.close();
          }),
        };
      };
      const r = await ratio(setup, 10_000);
      console.log(`      1,000: ${r.small.toFixed(1)} ms CPU, 10,000: ${r.large.toFixed(1)} ms CPU (x${r.ratio.toFixed(1)})`);
      assert.ok(r.ratio <= MAX_RATIO, `10,000 cost ${r.ratio.toFixed(1)}x 1,000 (linear is 10x)`);
    });
  });
});
