/**
 * Result of {@link RingBuffer.read}: either every item of the requested range, or why not.
 *
 * - `evicted`: part of the range is older than the oldest retained item (overwritten or dropped).
 * - `ahead`: part of the range has not been written yet.
 *
 * There is no partial result on purpose: recovery must never replay a range with holes.
 *
 * @example
 * ```ts
 * const r = ring.read(10, 20);
 * if (r.ok) send(r.items); else console.log(r.reason); // 'evicted' | 'ahead'
 * ```
 */
export type RingRead<T> = { ok: true; items: T[] } | { ok: false; reason: 'evicted' | 'ahead' };

/**
 * A fixed-capacity ring of items numbered by consecutive offsets.
 *
 * Invariants: retained offsets are exactly `[firstOffset, nextOffset)`, `size = nextOffset - firstOffset
 * ≤ capacity`. Appending to a full ring overwrites (evicts) the oldest item. Offsets are plain numbers,
 * so they are exact up to `Number.MAX_SAFE_INTEGER`; slot arithmetic only ever uses `offset -
 * firstOffset` (< capacity), so large offsets never overflow the 32-bit mask.
 *
 * Slots are allocated lazily (the backing array grows to `capacity` with the first writes), so an
 * empty ring costs a few words.
 *
 * @example
 * ```ts
 * const ring = new RingBuffer<string>(4);   // offsets start at 0
 * for (const s of ['a', 'b', 'c', 'd', 'e']) ring.append(s); // 'a' is evicted by 'e'
 * ring.firstOffset;                          // 1
 * ring.read(1, 4);                           // { ok: true, items: ['b', 'c', 'd', 'e'] }
 * ring.read(0, 4);                           // { ok: false, reason: 'evicted' }
 * ```
 */
export class RingBuffer<T> {
  /** Number of slots; a power of two. */
  readonly capacity: number;
  private readonly mask: number;
  private readonly slots: Array<T | undefined> = [];
  /** Slot index holding `first`. */
  private head = 0;
  private first: number;
  private next: number;

  /**
   * @param capacity a power of two ≥ 1
   * @param startOffset offset of the first item appended (default 0); a non-negative safe integer
   * @throws RangeError when either argument is invalid
   */
  constructor(capacity: number, startOffset = 0) {
    if (!Number.isSafeInteger(capacity) || capacity < 1 || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError(`RingBuffer capacity must be a power of two ≥ 1, got ${capacity}`);
    }
    assertOffset(startOffset, 'startOffset');
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.first = startOffset;
    this.next = startOffset;
  }

  /** Offset of the oldest retained item; equals {@link nextOffset} when the ring is empty. */
  get firstOffset(): number {
    return this.first;
  }

  /** Offset the next {@link append} will get. */
  get nextOffset(): number {
    return this.next;
  }

  /** Offset of the newest item ever appended (`nextOffset - 1`; `startOffset - 1` before any append). */
  get lastOffset(): number {
    return this.next - 1;
  }

  /** Number of retained items. */
  get size(): number {
    return this.next - this.first;
  }

  /**
   * Appends `item` at offset {@link nextOffset}, in O(1).
   *
   * @returns the evicted oldest item when the ring was full, else `undefined`
   */
  append(item: T): T | undefined {
    let evicted: T | undefined;
    if (this.next - this.first === this.capacity) evicted = this.shift();
    const index = (this.head + (this.next - this.first)) & this.mask;
    if (index === this.slots.length) this.slots.push(item);
    else this.slots[index] = item;
    this.next += 1;
    return evicted;
  }

  /**
   * Drops the oldest retained item (offsets are not reused: {@link firstOffset} advances).
   *
   * @returns the dropped item, or `undefined` when empty
   */
  shift(): T | undefined {
    if (this.next === this.first) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined; // release the reference for GC
    this.head = (this.head + 1) & this.mask;
    this.first += 1;
    return item;
  }

  /** The item at `offset`, or `undefined` when it is not retained. */
  at(offset: number): T | undefined {
    if (!Number.isInteger(offset) || offset < this.first || offset >= this.next) return undefined;
    return this.slots[(this.head + (offset - this.first)) & this.mask];
  }

  /**
   * Reads the inclusive range `[from, to]` in offset order, all or nothing. `from > to` is an empty
   * range and always succeeds.
   *
   * @throws RangeError when `from` or `to` is not an integer
   */
  read(from: number, to: number): RingRead<T> {
    if (!Number.isInteger(from) || !Number.isInteger(to)) {
      throw new RangeError(`RingBuffer.read range must be integers, got [${from}, ${to}]`);
    }
    if (from > to) return { ok: true, items: [] };
    if (from < this.first) return { ok: false, reason: 'evicted' };
    if (to >= this.next) return { ok: false, reason: 'ahead' };
    const items = new Array<T>(to - from + 1);
    let index = (this.head + (from - this.first)) & this.mask;
    for (let i = 0; i < items.length; i++) {
      items[i] = this.slots[index] as T;
      index = (index + 1) & this.mask;
    }
    return { ok: true, items };
  }

  /** Iterates retained items oldest first. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let offset = this.first; offset < this.next; offset++) {
      yield this.slots[(this.head + (offset - this.first)) & this.mask] as T;
    }
  }

  /**
   * Drops every item and restarts numbering at `nextOffset` (all earlier offsets count as evicted).
   * Used when a stream observed from elsewhere skips ahead.
   */
  reset(nextOffset: number): void {
    assertOffset(nextOffset, 'nextOffset');
    this.slots.length = 0;
    this.head = 0;
    this.first = nextOffset;
    this.next = nextOffset;
  }
}

function assertOffset(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`RingBuffer ${name} must be a non-negative safe integer, got ${value}`);
  }
}
