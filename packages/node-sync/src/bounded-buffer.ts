/**
 * A bounded FIFO with a drop-oldest policy: when full, `push` evicts the oldest item and counts
 * it. Pure (no I/O, no timers); the worker keeps undelivered events in one.
 *
 * Invariants: `0 ≤ size ≤ capacity`; `dropped` only grows; items leave in push order.
 *
 * @module
 */

/**
 * Ring buffer of at most `capacity` items; overflow drops the oldest.
 *
 * @example
 * ```ts
 * const buf = new BoundedBuffer<number>(2);
 * buf.push(1); buf.push(2); buf.push(3); // 1 is dropped
 * buf.shift();   // 2
 * buf.dropped;   // 1
 * ```
 */
export class BoundedBuffer<T> {
  private readonly items: Array<T | undefined>;
  private head = 0;
  private count = 0;
  private droppedCount = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`BoundedBuffer: capacity must be a positive integer, got ${capacity}`);
    }
    this.items = new Array<T | undefined>(capacity);
  }

  /** Items currently held. */
  get size(): number {
    return this.count;
  }

  /** Items evicted by overflow since creation. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Appends; returns `true` when the oldest item had to be dropped to make room. */
  push(item: T): boolean {
    const tail = (this.head + this.count) % this.capacity;
    if (this.count === this.capacity) {
      // Full: the tail slot is the head slot; overwrite the oldest and advance the head.
      this.items[tail] = item;
      this.head = (this.head + 1) % this.capacity;
      this.droppedCount += 1;
      return true;
    }
    this.items[tail] = item;
    this.count += 1;
    return false;
  }

  /** Removes and returns the oldest item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count -= 1;
    return item;
  }

  /** Removes and returns up to `max` oldest items, oldest first. */
  drain(max = Number.POSITIVE_INFINITY): T[] {
    const n = Math.min(max, this.count);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.shift() as T;
    return out;
  }

  /** Drops every item without counting them as overflow. */
  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
