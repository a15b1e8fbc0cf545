// A line of waiters (the rate limiter's queues, a group of waits to cancel): removing one from the middle is
// O(1), however many wait (50,000 on a redeploy), and the entries carry the links (no wrapper per entry).

export interface Linked<W> {
  prev: W | undefined;
  next: W | undefined;
}

/** A FIFO as a doubly linked list through its entries' own prev/next: push, remove (of any entry) and first are all O(1). */
export class Line<W extends Linked<W>> {
  private head: W | undefined;
  private tail: W | undefined;
  size = 0;

  get first(): W | undefined {
    return this.head;
  }

  push(w: W): void {
    w.prev = this.tail;
    w.next = undefined;
    if (this.tail) this.tail.next = w;
    else this.head = w;
    this.tail = w;
    this.size++;
  }

  remove(w: W): void {
    if (w.prev) w.prev.next = w.next;
    else if (this.head === w) this.head = w.next;
    else return; // not in this line (already served or removed)
    if (w.next) w.next.prev = w.prev;
    else this.tail = w.prev;
    w.prev = w.next = undefined;
    this.size--;
  }

  /** Empties the line, returning its waiters in order. */
  drain(): W[] {
    const out: W[] = [];
    for (let w = this.head; w; w = w.next) out.push(w);
    this.head = this.tail = undefined;
    this.size = 0;
    return out;
  }
}
