// The overhead benchmark runs its series in balanced orders (bench/stats.ts balancedOrders): check the balance
// itself, since the ratios it reports rest on it.
import * as assert from 'node:assert/strict';
import { balancedOrders } from '../../bench/stats';

describe('bench: balanced orders of the series', () => {
  for (let k = 2; k <= 9; k++) {
    it(`${k} series: each row runs every series once, and every series follows every other equally often`, () => {
      const rows = balancedOrders(k);
      assert.equal(rows.length, k % 2 === 0 ? k : 2 * k);
      const follows = new Map<string, number>();
      for (const row of rows) {
        assert.deepEqual(
          [...row].sort((a, b) => a - b),
          Array.from({ length: k }, (_, i) => i),
          `row ${row.join(',')}`,
        );
        for (let i = 1; i < row.length; i++) follows.set(`${row[i - 1]}>${row[i]}`, (follows.get(`${row[i - 1]}>${row[i]}`) ?? 0) + 1);
      }
      // Every ordered pair of two different series, and no other.
      assert.equal(follows.size, k * (k - 1));
      assert.deepEqual(new Set(follows.values()), new Set([k % 2 === 0 ? 1 : 2]));
    });
  }
});
