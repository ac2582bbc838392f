/**
 * What a `SerialInbox` calls: one object shared by every inbox of a server, so an inbox holds no
 * closures of its own (an idle connection costs a few fields, not three closures and a context).
 */
export interface InboxHandler<O, T> {
  /** Handles one item; a returned promise holds later items until it settles. */
  run(owner: O, item: T): void | Promise<void>;
  /** More than `limit` items queued behind an async step. */
  overflow(owner: O): void;
}

/**
 * Runs items one at a time in arrival order: synchronous runs happen at once, and while an async
 * run is in flight later items wait (copied with `copy`, since uWS buffers die after the callback).
 *
 * @example
 * const handler = { run: (conn, frame) => router.handleFrame(conn, frame), overflow: (conn) => conn.close(4429) };
 * conn.inbox = new SerialInbox(conn, handler, 4096);
 * conn.inbox.push(frame, (f) => f.slice(0));
 */
export class SerialInbox<T, O = undefined> {
  /** Allocated on the first item that has to wait. */
  private pending: T[] | null = null;
  private busy = false;

  constructor(
    private readonly owner: O,
    private readonly handler: InboxHandler<O, T>,
    private readonly limit: number,
  ) {}

  get queued(): number {
    return this.pending?.length ?? 0;
  }

  push(item: T, copy: (item: T) => T): void {
    if (!this.busy) {
      this.exec(item);
      return;
    }
    if (this.pending === null) this.pending = [];
    const pending = this.pending;
    if (pending.length >= this.limit) {
      this.handler.overflow(this.owner);
      return;
    }
    pending.push(copy(item));
  }

  clear(): void {
    this.pending = null;
  }

  private exec(item: T): void {
    let result: void | Promise<void>;
    try {
      result = this.handler.run(this.owner, item);
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
    while (!this.busy && this.pending !== null && this.pending.length > 0)
      this.exec(this.pending.shift() as T);
  }
}
