import * as assert from 'node:assert/strict';
import * as FakeTimers from '@sinonjs/fake-timers';
import { GenesysError } from '../../lib/platform/errors';
import { DEFAULT_RETRY_POLICY, RetryPolicy, backoffDelay, classify, parseRetryAfter, withRetry } from '../../lib/platform/retry';
import { sleep } from '../../lib/platform/abort';

const fast: RetryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 5, maxDelayMs: 20 };

function failing(status: number, extra: { retryAfter?: number } = {}): GenesysError {
  return new GenesysError(status === 429 ? 'rate-limited' : 'genesys-error', `status ${status}`, { status, correlationId: `c-${status}`, ...extra });
}

describe('lib/retry', () => {
  it('classifies: 429 waits Retry-After, 502/503/504 back off, 500/4xx/timeouts are final', () => {
    assert.deepEqual(classify(failing(429, { retryAfter: 3 })), { retry: true, kind: 'retry-after', seconds: 3 });
    for (const s of [502, 503, 504]) assert.deepEqual(classify(failing(s)), { retry: true, kind: 'backoff' });
    for (const s of [400, 401, 403, 404, 409, 500, 501]) assert.deepEqual(classify(failing(s)), { retry: false });
    // The transport says, where it makes the error, whether a socket error may pass (lib/platform/http.ts).
    const reset = new GenesysError('network-error', 'reset', {
      retryable: true,
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    assert.deepEqual(classify(reset), { retry: true, kind: 'backoff' });
    const timedOut = new GenesysError('network-error', 'timed out', {
      retryable: false,
      cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }),
    });
    assert.deepEqual(classify(timedOut), { retry: false });
    assert.deepEqual(classify(new GenesysError('network-error', 'no code')), { retry: false });
    // An error that already went through the policy is final, whatever its status.
    assert.deepEqual(classify(failing(503).final()), { retry: false });
    assert.deepEqual(classify(new GenesysError('cancelled', 'x')), { retry: false });
  });

  it('backs off exponentially with full jitter, capped', () => {
    const p = { baseDelayMs: 250, maxDelayMs: 8000 };
    assert.equal(
      backoffDelay(1, p, () => 0.999),
      249,
    );
    assert.equal(
      backoffDelay(3, p, () => 0.5),
      500,
    );
    assert.equal(
      backoffDelay(10, p, () => 0.999),
      7992,
    );
    assert.equal(
      backoffDelay(4, p, () => 0),
      0,
    );
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('7'), 7);
    assert.equal(parseRetryAfter(['2']), 2);
    // A fixed "now" on a whole second: with the real clock, an HTTP date (whole seconds) made at x.999 s and
    // parsed 1 ms later reads 4.
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    assert.equal(parseRetryAfter(new Date(now + 5000).toUTCString(), now), 5);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });

  it('retries 503 until success and reports the waits', async () => {
    let calls = 0;
    const waits: string[] = [];
    const { value, attempts } = await withRetry(
      async () => {
        if (++calls < 3) throw failing(503);
        return 'ok';
      },
      { policy: fast, signals: [], what: 'x', onWait: (w) => waits.push(w.reason) },
    );
    assert.equal(value, 'ok');
    assert.equal(attempts, 3);
    assert.deepEqual(waits, ['backoff', 'backoff']);
  });

  it('gives up after maxAttempts, keeping status and correlation id', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw failing(502);
        },
        { policy: { ...fast, maxAttempts: 3 }, signals: [], what: 'x' },
      ),
      (err: GenesysError) =>
        err.code === 'genesys-error' && err.status === 502 && err.correlationId === 'c-502' && /gave up after 3 attempts/.test(err.message),
    );
    assert.equal(calls, 3);
  });

  it('counts 429s and transient failures apart: 2 x 503 and 2 x 429 within maxAttempts 3 still succeed', async () => {
    const script = [failing(503), failing(429, { retryAfter: 0 }), failing(503), failing(429, { retryAfter: 0 })];
    const { value, attempts } = await withRetry(
      async () => {
        const next = script.shift();
        if (next) throw next;
        return 'ok';
      },
      { policy: { ...fast, maxAttempts: 3 }, signals: [], what: 'x' },
    );
    assert.equal(value, 'ok');
    assert.equal(attempts, 5);
  });

  describe('on fake timers (exact waits)', () => {
    let clock: FakeTimers.Clock;
    beforeEach(() => {
      clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 1_000_000 });
    });
    afterEach(() => clock.uninstall());

    /** Settles `p` (running its timers) and returns how much fake time that took. */
    async function timed(p: Promise<unknown>): Promise<number> {
      const t0 = Date.now();
      p.catch(() => undefined);
      await clock.runAllAsync();
      return Date.now() - t0;
    }

    it('gives up when the next backoff would pass maxTotalMs', async () => {
      let calls = 0;
      // Each backoff is floor(0.99 * 20) = 19 ms: attempts at 0, 19, 38; a third wait would end at 57 > 50.
      const p = withRetry(
        async () => {
          calls++;
          throw failing(504);
        },
        { policy: { ...fast, maxAttempts: 100, maxTotalMs: 50, baseDelayMs: 20, maxDelayMs: 20 }, signals: [], what: 'x', random: () => 0.99 },
      );
      assert.equal(await timed(p), 38);
      await assert.rejects(p, (err: GenesysError) => err.status === 504 && /gave up after 3 attempts in 38 ms/.test(err.message));
      assert.equal(calls, 3);
    });

    it('waits Retry-After plus at most 250 ms of jitter, and pauses the client until then', async () => {
      let calls = 0;
      const pausedUntil: number[] = [];
      const t0 = Date.now();
      const p = withRetry(
        async () => {
          if (++calls === 1) throw failing(429, { retryAfter: 2 });
          return 'ok';
        },
        { policy: fast, signals: [], what: 'x', random: () => 0.5, onRetryAfter: (t) => pausedUntil.push(t - t0) },
      );
      assert.equal(await timed(p), 2000 + 125);
      assert.equal((await p).value, 'ok');
      assert.deepEqual(pausedUntil, [2000]);
    });

    it('fails rate-limited at once when Retry-After is over the cap, and never retries a 404', async () => {
      let calls = 0;
      const p = withRetry(
        async () => {
          calls++;
          throw failing(429, { retryAfter: 600 });
        },
        { policy: fast, signals: [], what: 'x' },
      );
      assert.equal(await timed(p), 0, 'no wait at all');
      await assert.rejects(
        p,
        (err: GenesysError) => err.code === 'rate-limited' && err.retryAfter === 600 && /600 s/.test(err.message) && /180 s/.test(err.message),
      );
      assert.equal(calls, 1);
      calls = 0;
      await assert.rejects(
        withRetry(
          async () => {
            calls++;
            throw failing(404);
          },
          { policy: fast, signals: [], what: 'x' },
        ),
        (err: GenesysError) => err.status === 404,
      );
      assert.equal(calls, 1);
    });

    it('stops at once when the signal aborts during a wait, and does not retry after', async () => {
      const ac = new AbortController();
      let calls = 0;
      const t0 = Date.now();
      let endedAt: number | undefined;
      const p = withRetry(
        async () => {
          calls++;
          throw failing(429, { retryAfter: 5 });
        },
        { policy: fast, signals: [ac.signal], what: 'x' },
      );
      p.catch(() => {
        endedAt = Date.now() - t0;
      });
      await clock.tickAsync(30);
      assert.equal(endedAt, undefined, 'still waiting out the Retry-After');
      ac.abort();
      await assert.rejects(p, (err: GenesysError) => err.code === 'cancelled');
      assert.equal(endedAt, 30, 'ended at the abort, not after the 5 s');
      assert.equal(clock.countTimers(), 0, 'its timer was cleared');
      await clock.runAllAsync();
      assert.equal(calls, 1);
      await assert.rejects(sleep(10, [ac.signal]), (err: GenesysError) => err.code === 'cancelled');
    });
  });
});
