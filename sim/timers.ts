// Every timer of the simulator: unref'd (a test process can exit) and cleared on reset and close.

export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private stopped = false;

  /** True once the server is closing: nothing new is scheduled, sleeps end at once. */
  get closed(): boolean {
    return this.stopped;
  }

  /** Runs fn after ms; a throwing state change must never take the server down. */
  schedule(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(
      () => {
        this.pending.delete(t);
        try {
          fn();
        } catch {
          /* a state change must never take the server down */
        }
      },
      Math.max(0, ms),
    );
    t.unref();
    this.pending.add(t);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const t = setTimeout(() => {
        this.pending.delete(t);
        resolve();
      }, ms);
      t.unref();
      this.pending.add(t);
    });
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }

  /** Clears every timer and schedules no more. */
  close(): void {
    this.stopped = true;
    this.clear();
  }
}
