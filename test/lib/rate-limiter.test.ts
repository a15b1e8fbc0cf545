// The limiter on fake timers (@sinonjs/fake-timers: setTimeout, clearTimeout and Date): every start time is
// exact, whatever the load on the machine, and a full 60 s window costs no real time.
import * as assert from 'node:assert/strict';
import * as FakeTimers from '@sinonjs/fake-timers';
import { GenesysError } from '../../lib/platform/errors';
import { LimiterWait, RateLimiter } from '../../lib/platform/rate-limiter';

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
  let clock: FakeTimers.Clock;
  beforeEach(() => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 1_000_000 });
  });
  afterEach(() => clock.uninstall());

  it('counts the window exactly with tens of thousands of starts in it (its start log drops from the front in O(1))', async () => {
    // A raised budget: 50,000 starts 10 ms apart in a 600 s window; then the window moves on step by step and
    // the count follows exactly, through the compactions of the start log.
    // High priority: it may fill the whole window (normal work leaves 5% of it).
    const limiter = new RateLimiter({ requestsPerMinute: 50_000, windowMs: 600_000 });
    const t0 = Date.now();
    for (let i = 0; i < 50_000; i++) {
      assert.equal(limiter.tryAcquire('high'), true);
      clock.tick(10);
    }
    assert.equal(limiter.inWindow, 50_000);
    assert.equal(limiter.tryAcquire('high'), false, 'the window is full');
    // At t0 + 610 s the starts at or before t0 + 10 s (1,001 of them) have left: 1,001 new ones fit.
    clock.tick(110_000);
    assert.equal(Date.now() - t0, 610_000);
    assert.equal(limiter.inWindow, 48_999);
    for (let i = 0; i < 1_001; i++) assert.equal(limiter.tryAcquire('high'), true);
    assert.equal(limiter.tryAcquire('high'), false);
    clock.tick(100_000); // left: up to t0 + 110 s
    assert.equal(limiter.inWindow, 38_999 + 1_001);
    clock.tick(200_000); // left: up to t0 + 310 s
    assert.equal(limiter.inWindow, 18_999 + 1_001);
    clock.tick(300_000); // left: up to t0 + 610 s, the new ones too
    assert.equal(limiter.inWindow, 0);
    limiter.close();
  });

  it('never lets more than requestsPerMinute start in any window, serving waiters in FIFO order', async () => {
    const windowMs = 60_000;
    const limiter = new RateLimiter({ requestsPerMinute: 5 });
    const t0 = Date.now();
    const order: number[] = [];
    const times: number[] = [];
    const waits: LimiterWait[] = [];
    const all = Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        limiter
          .acquire(undefined, (w) => waits.push(w))
          .then(() => {
            order.push(i);
            times.push(Date.now() - t0);
          }),
      ),
    );
    await clock.runAllAsync();
    await all;
    assert.deepEqual(
      order,
      Array.from({ length: 14 }, (_, i) => i),
      'FIFO',
    );
    // A sliding window: 5 at once, 5 when those leave the window, the last 4 a window later. (A token bucket
    // refilling 5 per minute would start the 6th after 12 s.)
    assert.deepEqual(times, [
      0,
      0,
      0,
      0,
      0,
      windowMs,
      windowMs,
      windowMs,
      windowMs,
      windowMs,
      2 * windowMs,
      2 * windowMs,
      2 * windowMs,
      2 * windowMs,
    ]);
    assert.equal(maxInAnyWindow(times, windowMs), 5);
    assert.equal(limiter.waits, 9);
    assert.equal(waits.length, 9);
    assert.ok(
      waits.every((w) => w.reason === 'rate-limit' && w.ms > 0 && w.ms <= 3 * windowMs),
      JSON.stringify(waits),
    );
    limiter.close();
  });

  it('is a sliding window, not a token bucket: a full budget used now blocks until those starts leave the window', async () => {
    const windowMs = 400;
    const limiter = new RateLimiter({ requestsPerMinute: 3, windowMs });
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await limiter.acquire();
    await clock.tickAsync(200);
    let startedAt: number | undefined;
    const fourth = limiter.acquire().then(() => {
      startedAt = Date.now() - t0;
    });
    await clock.tickAsync(199); // a bucket refilling 3 per window would have let it start at ~133 ms
    assert.equal(startedAt, undefined, 'still waiting 1 ms before the first starts leave the window');
    await clock.tickAsync(1);
    await fourth;
    assert.equal(startedAt, windowMs);
    limiter.close();
  });

  it('ends an aborted wait at once and lets the ones behind move up', async () => {
    const limiter = new RateLimiter({ requestsPerMinute: 1, windowMs: 500 });
    await limiter.acquire();
    const t0 = Date.now();
    const ac = new AbortController();
    let firstEnded: number | undefined;
    let secondStarted: number | undefined;
    const first = limiter.acquire(ac.signal).catch((err: GenesysError) => {
      firstEnded = Date.now() - t0;
      throw err;
    });
    const second = limiter.acquire().then(() => {
      secondStarted = Date.now() - t0;
    });
    await clock.tickAsync(20);
    ac.abort();
    await assert.rejects(first, (err: GenesysError) => err.code === 'cancelled');
    assert.equal(firstEnded, 20, 'the abort ended the wait at once');
    assert.equal(limiter.queued, 1);
    await clock.tickAsync(479);
    assert.equal(secondStarted, undefined, 'the one behind still waits for the window');
    await clock.tickAsync(1);
    await second;
    assert.equal(secondStarted, 500);
    assert.equal(limiter.queued, 0);
    limiter.close();
  });

  it('pauseUntil holds every request back, reported as a retry-after wait', async () => {
    const limiter = new RateLimiter({ requestsPerMinute: 100, windowMs: 1000 });
    const t0 = Date.now();
    limiter.pauseUntil(t0 + 250);
    const waits: LimiterWait[] = [];
    const started: number[] = [];
    const both = Promise.all([0, 1].map(() => limiter.acquire(undefined, (w) => waits.push(w)).then(() => started.push(Date.now() - t0))));
    await clock.tickAsync(249);
    assert.deepEqual(started, []);
    await clock.tickAsync(1);
    await both;
    assert.deepEqual(started, [250, 250]);
    assert.deepEqual(waits, [
      { reason: 'retry-after', ms: 250 },
      { reason: 'retry-after', ms: 250 },
    ]);
    limiter.close();
  });

  it('close() rejects the waiters and clears its timer (the process may exit)', async () => {
    const limiter = new RateLimiter({ requestsPerMinute: 1, windowMs: 60_000 });
    await limiter.acquire();
    const waiting = limiter.acquire();
    assert.equal(clock.countTimers(), 1, 'the waiter armed one timer');
    limiter.close();
    assert.equal(clock.countTimers(), 0, 'close() cleared it');
    await assert.rejects(waiting, (err: GenesysError) => err.code === 'cancelled');
    await assert.rejects(limiter.acquire(), (err: GenesysError) => err.code === 'cancelled');
  });

  it('refuses a nonsensical budget', () => {
    assert.throws(() => new RateLimiter({ requestsPerMinute: 0 }), RangeError);
    assert.throws(() => new RateLimiter({ requestsPerMinute: 2.5 }), RangeError);
  });
});
