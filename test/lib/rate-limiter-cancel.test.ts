// Cancelling waits at scale (a redeploy with tens of thousands of pending awaits): each cancelled wait must
// cost O(1) (the old indexOf + splice made it quadratic: seconds of frozen event loop). Checked by structure and
// order, not by time: the cost of cancelling at scale belongs to bench/, measured against a baseline.
import * as assert from 'node:assert/strict';
import { GenesysError } from '../../lib/platform/errors';
import { RateLimiter } from '../../lib/platform/rate-limiter';
import { Line } from '../../lib/platform/line';
import { CANCEL_BATCH } from '../../lib/platform/abort';
import { countPerTurn } from '../support/until';

describe('lib/rate-limiter: cancelling a wait is O(1)', () => {
  it('structurally: removing any entry of a line of 50,000 touches a constant number of entries', () => {
    // Entries are proxies that count every read and write of their fields: a search or a shift of the line
    // would touch O(n) of them per removal.
    type E = { id: number; prev: E | undefined; next: E | undefined };
    let touches = 0;
    const entry = (id: number): E =>
      new Proxy({ id, prev: undefined, next: undefined } as E, {
        get: (t, k) => {
          touches++;
          return t[k as keyof E];
        },
        set: (t, k, v) => {
          touches++;
          (t as Record<string, unknown>)[k as string] = v;
          return true;
        },
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
    const waits = controllers.map((c, i) =>
      limiter.acquire(c.signal).then(
        () => order.push(i),
        (e: GenesysError) => e.code,
      ),
    );
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

  it('close() rejects 5,000 waiters with one shared error, CANCEL_BATCH per turn', async () => {
    const limiter = new RateLimiter({ requestsPerMinute: 1, windowMs: 60_000, now: () => 1_000_000 });
    await limiter.acquire(); // the window is full: every later acquire waits
    const errors: unknown[] = [];
    const waits = Array.from({ length: 5_000 }, () =>
      limiter.acquire().catch((e) => {
        errors.push(e);
      }),
    );
    const perTurn = countPerTurn(errors, 5_000); // queued before close's own batches: each sample sees one turn's batch
    limiter.close();
    await Promise.all(waits);
    assert.equal(errors.length, 5_000);
    assert.equal(new Set(errors).size, 1, 'one shared error');
    assert.ok(errors[0] instanceof GenesysError && errors[0].code === 'cancelled');
    assert.ok(Math.max(...perTurn) <= CANCEL_BATCH, `at most ${CANCEL_BATCH} per turn: ${perTurn.join(',')}`);
    assert.ok(perTurn.filter((n) => n > 0).length >= 5_000 / CANCEL_BATCH - 1, `${perTurn.join(',')}`);
    await assert.rejects(limiter.acquire(), (e: GenesysError) => e.code === 'cancelled', 'closed: a new acquire fails at once');
  });
});
