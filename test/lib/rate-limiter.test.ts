import * as assert from 'node:assert/strict';
import { GenesysError } from '../../lib/errors';
import { LimiterWait, RateLimiter } from '../../lib/rate-limiter';

/** At most `max` of the sorted times in any window of `windowMs`: times[i + max] - times[i] >= windowMs. */
function maxInAnyWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    let j = i;
    while (j < times.length && times[j] - times[i] < windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

describe('lib/rate-limiter', () => {
  it('never lets more than requestsPerMinute start in any window, serving waiters in FIFO order', async () => {
    const windowMs = 300;
    const limiter = new RateLimiter({ requestsPerMinute: 5, windowMs });
    const t0 = Date.now();
    const order: number[] = [];
    const times: number[] = [];
    const waits: LimiterWait[] = [];
    await Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        limiter.acquire(undefined, (w) => waits.push(w)).then(() => {
          order.push(i);
          times.push(Date.now());
        }),
      ),
    );
    const elapsed = Date.now() - t0;
    assert.deepEqual(order, Array.from({ length: 14 }, (_, i) => i), 'FIFO');
    // We see a start when its promise settles, a little after the limiter recorded it (the first five only
    // once all 14 acquire() calls are made: ~2 ms late here, more on a loaded machine). 25 ms of slack still
    // tells a sliding window (6th start at ~300 ms) from a token bucket (6th start at ~60 ms).
    assert.ok(maxInAnyWindow(times, windowMs - 25) <= 5, `more than 5 in a window: ${times.map((t) => t - t0)}`);
    assert.equal(times.slice(0, 5).every((t) => t - t0 < 50), true, 'the first 5 start at once');
    assert.ok(elapsed >= 2 * windowMs, `14 starts at 5 per window need 2 full windows (took ${elapsed} ms)`);
    assert.equal(limiter.waits, 9);
    assert.equal(waits.length, 9);
    assert.ok(waits.every((w) => w.reason === 'rate-limit' && w.ms > 0 && w.ms <= 3 * windowMs));
    limiter.close();
  });

  it('is a sliding window, not a token bucket: a full budget used now blocks until those starts leave the window', async () => {
    const windowMs = 400;
    const limiter = new RateLimiter({ requestsPerMinute: 3, windowMs });
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await limiter.acquire();
    await new Promise((r) => setTimeout(r, 200));
    await limiter.acquire(); // a bucket refilling 3 per window would allow this at ~133 ms
    assert.ok(Date.now() - t0 >= windowMs - 1, `4th start after ${Date.now() - t0} ms`);
    limiter.close();
  });

  it('ends an aborted wait at once and lets the ones behind move up', async () => {
    const limiter = new RateLimiter({ requestsPerMinute: 1, windowMs: 500 });
    await limiter.acquire();
    const ac = new AbortController();
    const t0 = Date.now();
    const first = limiter.acquire(ac.signal);
    const second = limiter.acquire();
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(first, (err: GenesysError) => err.code === 'cancelled');
    assert.ok(Date.now() - t0 < 100, 'abort ended the wait at once');
    await second;
    assert.ok(Date.now() - t0 >= 480, 'the second one still waited for the window');
    assert.equal(limiter.queued, 0);
    limiter.close();
  });

  it('pauseUntil holds every request back, reported as a retry-after wait', async () => {
    const limiter = new RateLimiter({ requestsPerMinute: 100, windowMs: 1000 });
    const t0 = Date.now();
    limiter.pauseUntil(t0 + 250);
    const waits: LimiterWait[] = [];
    await Promise.all([limiter.acquire(undefined, (w) => waits.push(w)), limiter.acquire(undefined, (w) => waits.push(w))]);
    assert.ok(Date.now() - t0 >= 249);
    assert.equal(waits[0].reason, 'retry-after');
    assert.ok(waits[0].ms > 150 && waits[0].ms <= 250);
    limiter.close();
  });

  it('close() rejects the waiters and clears its timer (the process may exit)', async () => {
    const limiter = new RateLimiter({ requestsPerMinute: 1, windowMs: 60_000 });
    await limiter.acquire();
    const waiting = limiter.acquire();
    limiter.close();
    await assert.rejects(waiting, (err: GenesysError) => err.code === 'cancelled');
    await assert.rejects(limiter.acquire(), (err: GenesysError) => err.code === 'cancelled');
    // if a 60 s timer were still armed, mocha (run without --exit) would hang here
  });

  it('refuses a nonsensical budget', () => {
    assert.throws(() => new RateLimiter({ requestsPerMinute: 0 }), RangeError);
    assert.throws(() => new RateLimiter({ requestsPerMinute: 2.5 }), RangeError);
  });
});
