// The guards hold for a conversation as a whole, not per msg (docs/architecture.md 2.4). One ledger per config node:
// - kicks on one conversation are decided one at a time (the next decision sees the previous kick);
// - a leg whose disconnect Genesys accepted (202) counts as gone for every later decision, because Genesys
//   still shows it connected for a moment (docs/platform.md section 4: "202 only means accepted: the leg ends
//   asynchronously"), until a read shows it ended or ACCEPTED_GONE_MS has passed.
// Kicks on different conversations never wait for each other.
import { cancelled } from '../platform/abort';

/** How long an accepted disconnect counts as gone without a read showing the leg ended. */
export const ACCEPTED_GONE_MS = 60_000;
/** Above this many conversations with accepted legs, expired entries are swept (memory stays bounded). */
const SWEEP_ABOVE = 1_000;

/** A leg whose disconnect Genesys accepted, and until when it counts as gone. */
interface AcceptedLeg {
  id: string;
  until: number;
}

export class KickLedger {
  /** Per conversation: settles when its last kick in line has finished (never rejects). */
  private readonly tails = new Map<string, Promise<void>>();
  /** conversation id -> its accepted legs (ids in lower case). A list, not a Map: a conversation has one or two. */
  private readonly accepted = new Map<string, AcceptedLeg[]>();
  /** The size at which the next sweep runs: twice what the last one left, so a sweep costs O(1) per kick
   * spread over the kicks (a bulk of 1,000 kicks within a minute expires nothing: sweeping at each would be O(n)). */
  private sweepAt = SWEEP_ABOVE;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Runs `decide` when every earlier call for the same conversation has finished. A caller whose signal aborts
   * while it waits leaves the line at once ('cancelled') without breaking the order of those behind it: they
   * still wait for the kick before it.
   */
  exclusive<T>(conversationId: string, signal: AbortSignal | undefined, decide: () => Promise<T>): Promise<T> {
    const key = conversationId.toLowerCase();
    const previous = this.tails.get(key);
    // The common case, no kick of this conversation in progress: decide at once, no wait.
    const mine = previous ? untilDoneOrAborted(previous, signal).then(decide) : decide();
    // The line moves on when this kick has finished, however it ended.
    const leave = () => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    const tail: Promise<void> = (previous ? previous.then(() => mine) : mine).then(leave, leave);
    this.tails.set(key, tail);
    return mine;
  }

  /** Genesys accepted the disconnect of this leg: it counts as gone from now on. */
  markAccepted(conversationId: string, participantId: string): void {
    const key = conversationId.toLowerCase();
    const id = participantId.toLowerCase();
    const until = this.now() + ACCEPTED_GONE_MS;
    const legs = this.accepted.get(key);
    if (!legs) {
      if (this.accepted.size >= this.sweepAt) this.sweep();
      this.accepted.set(key, [{ id, until }]);
      return;
    }
    const known = legs.find((leg) => leg.id === id);
    if (known) known.until = until;
    else legs.push({ id, until });
  }

  /**
   * The legs of this conversation that count as gone although `stillLive` (the read being decided on) shows
   * them live. Entries the read shows ended, and expired ones, are forgotten.
   */
  acceptedLegs(conversationId: string, stillLive: (participantId: string) => boolean): Set<string> {
    const key = conversationId.toLowerCase();
    const legs = this.accepted.get(key);
    const out = new Set<string>();
    if (!legs) return out;
    const now = this.now();
    const kept = legs.filter((leg) => leg.until > now && stillLive(leg.id));
    for (const leg of kept) out.add(leg.id);
    if (kept.length === 0) this.accepted.delete(key);
    else if (kept.length < legs.length) this.accepted.set(key, kept);
    return out;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, legs] of this.accepted) {
      let live = 0;
      for (const leg of legs) if (leg.until > now) live++;
      if (live === legs.length) continue; // the common case: nothing to drop, nothing allocated
      if (live === 0) this.accepted.delete(key);
      else
        this.accepted.set(
          key,
          legs.filter((leg) => leg.until > now),
        );
    }
    this.sweepAt = Math.max(SWEEP_ABOVE, 2 * this.accepted.size);
  }

  /** @internal For tests: conversations with accepted legs held. */
  get size(): number {
    return this.accepted.size;
  }
}

function untilDoneOrAborted(previous: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return previous;
  if (signal.aborted) return Promise.reject(cancelled(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(cancelled(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    void previous.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
