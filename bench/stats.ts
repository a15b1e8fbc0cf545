// Small statistics for the benchmarks: percentiles of a sample (nearest rank), and fixed formatting so the
// figures in results.md read the same way everywhere.

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (p in 0..100) of an already sorted sample. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(sample: readonly number[]): Summary {
  const sorted = [...sample].sort((a, b) => a - b);
  const sum = sorted.reduce((s, x) => s + x, 0);
  return {
    n: sorted.length,
    min: sorted[0] ?? NaN,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

/** Milliseconds with a precision that suits the magnitude. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v < 10) return `${v.toFixed(2)} ms`;
  if (v < 1000) return `${v.toFixed(1)} ms`;
  return `${(v / 1000).toFixed(2)} s`;
}

export function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a';
}

export function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A high-resolution clock in ms. */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Orders in which to run k series round by round, balanced for carry-over (a Williams design): over one cycle
 * of the rows, every series runs right after every other series equally often (once each for an even k, twice
 * for an odd k, whose cycle is twice as long). A rotation by one keeps every series behind the same predecessor
 * in every round, and what ran just before moves a series' time: here a kick of the node ran about 8% faster
 * right behind the same node's other series than behind the official SDK (its code still in the caches).
 */
export function balancedOrders(k: number): number[][] {
  // A sequencing of 0..k-1 (0, k-1, 1, k-2, 2, ...): the steps between neighbours are all different mod k, so
  // the k shifted rows put every ordered pair next to each other exactly once.
  const base: number[] = [];
  for (let lo = 0, hi = k - 1; base.length < k;) {
    base.push(lo++);
    if (base.length < k) base.push(hi--);
  }
  const rows = base.map((_, shift) => base.map((x) => (x + shift) % k));
  // For an odd k the shifted rows alone are not balanced; with their mirror images they are.
  return k % 2 === 0 ? rows : [...rows, ...rows.map((r) => [...r].reverse())];
}
