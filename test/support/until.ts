// Waits for a condition instead of for a guessed number of milliseconds: a test that must see "the request has
// reached the server" or "the 429 has been processed" waits for exactly that, however loaded the machine is.
// The timeout only turns a condition that never comes into a failure that names it.
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Which of these promises have settled before the event loop's next turn ("at once", whatever the load). */
export async function settledNow(promises: Promise<unknown>[]): Promise<boolean[]> {
  const state = promises.map(() => false);
  promises.forEach((p, i) =>
    p.then(
      () => (state[i] = true),
      () => (state[i] = true),
    ),
  );
  await new Promise((res) => setImmediate(res));
  return state;
}

/**
 * How many entries `list` gains in each turn of the event loop, sampled from the next turn on until it holds
 * `total` (or for 1,000 turns). Call it just before what fills the list: the first sample is queued first.
 */
export function countPerTurn(list: readonly unknown[], total: number): number[] {
  const perTurn: number[] = [];
  let last = 0;
  const sample = () => {
    perTurn.push(list.length - last);
    last = list.length;
    if (list.length < total && perTurn.length < 1_000) setImmediate(sample);
  };
  setImmediate(sample);
  return perTurn;
}
