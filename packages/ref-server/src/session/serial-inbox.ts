/**
 * What a `SerialInbox` calls: one object shared by every inbox of a server, so an inbox holds no
 * closures of its own (an idle connection costs a few fields, not three closures and a context).
 */
export interface InboxHandler<O, T> {
  /** Handles one item; a returned promise holds later items until it settles. */
  run(owner: O, item: T): void | Promise<void>;
  /** More than `limit` items (or `budget.maxQueued` units) queued. */
  overflow(owner: O): void;
  /** Work units of one item for the per-turn budget (1 when absent). */
  cost?(item: T): number;
}

/**
 * Bound on the work one inbox does per event-loop turn (so one flooding connection cannot starve
 * the others): past `perTurn` units, items wait for `defer`. Shared by every inbox of a server.
 */
export interface TurnBudget {
  /** Units one inbox may run per turn; the first item of a turn always runs. */
  perTurn: number;
  /** Units that may wait; past it `overflow` is called. */
  maxQueued: number;
  /** Identifies the current event-loop turn (changes between turns). */
  turn(): number;
  /** Runs `fn` on a later turn (after I/O of other connections had its chance). */
  defer(fn: () => void): void;
}

let epoch = 0;
let epochScheduled = false;

/**
 * The event-loop turn as a number: bumped by a `setImmediate` armed on first use in each turn.
 *
 * @example
 * const budget: TurnBudget = { perTurn: 64, maxQueued: 8192, turn: loopTurn, defer: setImmediate };
 */
export function loopTurn(): number {
  if (!epochScheduled) {
    epochScheduled = true;
    setImmediate(() => {
      epoch++;
      epochScheduled = false;
    });
  }
  return epoch;
}

/**
 * Runs items one at a time in arrival order: synchronous runs happen at once, and while an async
 * run is in flight (or the turn's budget is spent) later items wait (copied with `copy`, since
 * uWS buffers die after the callback).
 *
 * @example
 * const handler = { run: (conn, frame) => router.handleFrame(conn, frame), overflow: (conn) => conn.close(4429) };
 * conn.inbox = new SerialInbox(conn, handler, 4096);
 * conn.inbox.push(frame, (f) => f.slice(0));
 */
export class SerialInbox<T, O = undefined> {
  /** Allocated on the first item that has to wait. */
  private pending: T[] | null = null;
  /** Index of the next waiting item in `pending` (no O(n) shift per item). */
  private head = 0;
  private busy = false;
  private turn = -1;
  private used = 0;
  private queuedCost = 0;

  constructor(
    private readonly owner: O,
    private readonly handler: InboxHandler<O, T>,
    private readonly limit: number,
    private readonly budget?: TurnBudget,
  ) {}

  get queued(): number {
    return this.pending === null ? 0 : this.pending.length - this.head;
  }

  /** True while nothing runs or waits (the next item pushed runs at once, budget permitting). */
  get idle(): boolean {
    return !this.busy && this.queued === 0;
  }

  push(item: T, copy: (item: T) => T): void {
    if (!this.busy && this.spend(item)) {
      this.exec(item);
      return;
    }
    if (this.pending === null) this.pending = [];
    const pending = this.pending;
    const cost = this.costOf(item);
    if (this.queued >= this.limit || (this.budget && this.queuedCost + cost > this.budget.maxQueued)) {
      this.handler.overflow(this.owner);
      return;
    }
    pending.push(copy(item));
    this.queuedCost += cost;
    if (!this.busy) this.deferRest();
  }

  /**
   * Charges extra work of the item being run (a reply it built) to this turn's budget, so the
   * next item waits for a later turn when the reply was expensive.
   */
  charge(units: number): void {
    const budget = this.budget;
    if (!budget) return;
    const turn = budget.turn();
    if (turn !== this.turn) {
      this.turn = turn;
      this.used = 0;
    }
    this.used += units;
  }

  clear(): void {
    this.pending = null;
    this.head = 0;
    this.queuedCost = 0;
  }

  private costOf(item: T): number {
    return this.handler.cost ? this.handler.cost(item) : 1;
  }

  /** Charges `item` to this turn's budget; false when the turn's budget is spent. */
  private spend(item: T): boolean {
    const budget = this.budget;
    if (!budget) return true;
    const turn = budget.turn();
    if (turn !== this.turn) {
      this.turn = turn;
      this.used = 0;
    }
    if (this.used >= budget.perTurn) return false;
    this.used += this.costOf(item);
    return true;
  }

  private deferRest(): void {
    this.busy = true;
    (this.budget as TurnBudget).defer(() => this.next());
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
    const pending = this.pending;
    while (!this.busy && pending !== null && this.pending === pending && this.head < pending.length) {
      const item = pending[this.head] as T;
      if (!this.spend(item)) {
        this.deferRest();
        return;
      }
      pending[this.head] = undefined as T; // let the frame go
      this.head++;
      this.queuedCost -= this.costOf(item);
      this.exec(item);
    }
    if (this.pending === pending && pending !== null && this.head >= pending.length) {
      this.pending = null;
      this.head = 0;
    }
  }
}
