// Booking in the rate limiter: a job of several requests (a kick) books them together, so once it starts it
// can finish; normal work leaves a share of the window to high priority. A frozen clock: nothing here depends
// on how fast the machine is (what is granted is checked before the event loop's next turn).
import * as assert from 'node:assert/strict';
import { RateLimiter } from '../../lib/platform/rate-limiter';
import { settledNow } from '../support/until';

describe('lib/rate-limiter: booking and high-priority share', () => {
  let limiter: RateLimiter;
  const frozen = () => 1_000_000;
  afterEach(() => limiter.close());

  it('booked slots count against the window until used or given back', async () => {
    limiter = new RateLimiter({ requestsPerMinute: 10, windowMs: 60_000, now: frozen });
    const books = [limiter.book(3), limiter.book(3), limiter.book(3), limiter.book(3)];
    assert.deepEqual(await settledNow(books), [true, true, true, false], '9 of 10 slots booked: a 4th booking of 3 waits');
    // FIFO: normal work queues behind the waiting booking; high priority takes the 10th slot.
    assert.deepEqual(await settledNow([limiter.acquire()]), [false], 'normal work waits behind the booking');
    const one = limiter.acquire(undefined, undefined, 'high');
    assert.deepEqual(await settledNow([one]), [true], 'the 10th slot is free for one high-priority request');
    const extra = limiter.acquire(undefined, undefined, 'high');
    assert.deepEqual(await settledNow([extra]), [false], 'the window is full (9 booked + 1 started)');
    // The first job uses one slot and gives two back: the high-priority request goes first.
    const first = await books[0];
    await limiter.acquire(undefined, undefined, 'normal', first);
    first.release();
    assert.deepEqual(await settledNow([extra, books[3]]), [true, false]);
    assert.equal(limiter.inWindow, 3);
  });

  it("a booking's requests start at once, ahead of new work queued behind the window", async () => {
    limiter = new RateLimiter({ requestsPerMinute: 20, windowMs: 60_000, now: frozen });
    const job = await limiter.book(3);
    const newWork = Array.from({ length: 30 }, () => limiter.acquire());
    const started = await settledNow(newWork);
    assert.equal(started.filter(Boolean).length, 16, 'normal work fills 19 slots, 3 of them booked');
    const jobRequests = [
      limiter.acquire(undefined, undefined, 'normal', job),
      limiter.acquire(undefined, undefined, 'high', job),
      limiter.acquire(undefined, undefined, 'high', job),
    ];
    assert.deepEqual(await settledNow(jobRequests), [true, true, true]);
    assert.equal(job.remaining, 0);
    // A fourth request of the job has no booked slot left: it waits like any high-priority request (and gets
    // the one slot normal work leaves free).
    assert.deepEqual(await settledNow([limiter.acquire(undefined, undefined, 'high', job)]), [true]);
    assert.deepEqual(await settledNow([limiter.acquire(undefined, undefined, 'high', job)]), [false]);
  });

  it('normal work leaves 5% of the window to high-priority requests', async () => {
    limiter = new RateLimiter({ requestsPerMinute: 40, windowMs: 60_000, now: frozen });
    const normal = await settledNow(Array.from({ length: 40 }, () => limiter.acquire()));
    assert.equal(normal.filter(Boolean).length, 38);
    const high = await settledNow([
      limiter.acquire(undefined, undefined, 'high'),
      limiter.acquire(undefined, undefined, 'high'),
      limiter.acquire(undefined, undefined, 'high'),
    ]);
    assert.deepEqual(high, [true, true, false]);
  });

  it('a booking never asks for more than normal work may hold (no job waits forever), and an abort leaves the line', async () => {
    limiter = new RateLimiter({ requestsPerMinute: 2, windowMs: 60_000, now: frozen });
    const big = await limiter.book(5);
    assert.equal(big.remaining, 2);
    big.release();
    const ac = new AbortController();
    const blocked = [limiter.acquire(), limiter.acquire(), limiter.book(2, ac.signal)];
    assert.deepEqual(await settledNow(blocked), [true, true, false]);
    ac.abort();
    await assert.rejects(blocked[2], (err: { code?: string }) => err.code === 'cancelled');
  });

  it('every slot booked, then a Retry-After pause: the booked requests start when it ends (no deadlock)', async () => {
    let t = 1_000_000;
    limiter = new RateLimiter({ requestsPerMinute: 4, windowMs: 60_000, now: () => t });
    const jobs = [await limiter.book(2), await limiter.book(2)]; // every slot of the window booked
    const held = jobs.reduce((n, j) => n + j.remaining, 0);
    limiter.pauseUntil(t + 1_000);
    const requests = jobs.flatMap((j) => Array.from({ length: j.remaining }, () => limiter.acquire(undefined, undefined, 'normal', j)));
    assert.equal(requests.length, held);
    assert.ok(
      (await settledNow(requests)).every((s) => !s),
      'the pause holds them back',
    );
    t += 1_000;
    limiter.pauseUntil(0); // pumps with the clock moved on (the timer's work)
    assert.ok((await settledNow(requests)).every(Boolean), `all ${held} booked requests start once the pause ends`);
    assert.equal(limiter.inWindow, held);
  });
});
