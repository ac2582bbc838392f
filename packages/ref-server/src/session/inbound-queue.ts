import { type Clock, serverClock } from '../server-clock';

/**
 * Bounded FIFO behind `server.events()` and `server.drainInbound()`. When full, new items are
 * dropped and counted (never unbounded growth); a waiting consumer is woken as soon as an item lands.
 *
 * @example
 * const q = new InboundQueue<string>(2);
 * q.push('a'); q.push('b'); q.push('c'); // 'c' dropped, q.dropped === 1
 * await q.take(10, 0); // ['a', 'b']
 */
export class InboundQueue<T> {
  private items: T[] = [];
  private head = 0;
  private waiters: Array<() => void> = [];
  private closed = false;
  /** Items refused because the queue was full. */
  dropped = 0;

  constructor(
    private readonly capacity: number,
    private readonly clock: Clock = serverClock,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  /** Adds an item; false (and counted in `dropped`) when full or closed. */
  push(item: T): boolean {
    if (this.closed || this.size >= this.capacity) {
      this.dropped++;
      return false;
    }
    this.items.push(item);
    this.wake();
    return true;
  }

  /** Removes up to `max` items, waiting at most `timeoutMs` for the first one. */
  async take(max: number, timeoutMs: number): Promise<T[]> {
    if (this.size === 0 && !this.closed && timeoutMs > 0) await this.waitForItem(timeoutMs);
    return this.shift(max);
  }

  /** Async iteration that ends when the queue is closed and empty. */
  async *iterate(): AsyncGenerator<T, void, undefined> {
    for (;;) {
      if (this.size === 0) {
        if (this.closed) return;
        await this.waitForItem(Infinity);
        continue;
      }
      yield this.shift(1)[0] as T;
    }
  }

  /** Ends iterators once they have read what is left; further pushes are dropped. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Makes a closed queue usable again (server restarted). */
  reopen(): void {
    this.closed = false;
  }

  private shift(max: number): T[] {
    const n = Math.min(max, this.size);
    const out = this.items.slice(this.head, this.head + n);
    this.head += n;
    // Compact now and then so the array does not grow with everything ever pushed.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  private waitForItem(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: unknown;
      const done = () => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      if (Number.isFinite(timeoutMs)) timer = this.clock.setTimeout(done, timeoutMs);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
