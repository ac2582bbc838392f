/**
 * Runs inbound items one at a time, in order. A handler that returns a promise (decrypt, token
 * check, async subscribe hook) makes the inbox busy; items arriving meanwhile are copied and queued
 * (bounded) and run once it settles. Plain synchronous items never pay for a promise.
 *
 * @example
 * const inbox = new SerialInbox<Uint8Array>(handle, 1024, () => socket.end(4429));
 * inbox.push(frame, (f) => f.slice());
 */
export class SerialInbox<T> {
  private pending: T[] = [];
  private busy = false;

  constructor(
    private readonly run: (item: T) => void | Promise<void>,
    private readonly limit: number,
    private readonly onOverflow: () => void,
  ) {}

  get queued(): number {
    return this.pending.length;
  }

  /** `copy` is applied only when the item has to wait (uWS message buffers die after the callback). */
  push(item: T, copy: (item: T) => T): void {
    if (!this.busy) {
      this.exec(item);
      return;
    }
    if (this.pending.length >= this.limit) {
      this.onOverflow();
      return;
    }
    this.pending.push(copy(item));
  }

  /** Forgets queued items (connection closed). */
  clear(): void {
    this.pending = [];
  }

  private exec(item: T): void {
    let result: void | Promise<void>;
    try {
      result = this.run(item);
    } catch {
      // `run` reports its own errors; an escape here must not wedge the inbox.
      return;
    }
    if (result instanceof Promise) {
      this.busy = true;
      result.then(
        () => this.next(),
        () => this.next(),
      );
    }
  }

  private next(): void {
    this.busy = false;
    while (!this.busy && this.pending.length > 0) this.exec(this.pending.shift() as T);
  }
}
