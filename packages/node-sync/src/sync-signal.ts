/**
 * The shared-memory doorbell between the worker and the blocked caller. One Int32 counter in a
 * SharedArrayBuffer: the worker bumps it after every `postMessage` and notifies; the caller
 * reads it *before* draining the port and sleeps only while it is unchanged.
 *
 * Why no lost wake-ups: if the worker posts after the caller's `snapshot()`, the counter differs
 * from the snapshot and `Atomics.wait` returns `'not-equal'` at once; if it posted before, the
 * caller's drain of the port already saw the message.
 *
 * @module
 */

const SLOT = 0;

/**
 * A counter-based wait/notify over a SharedArrayBuffer, usable from both threads.
 *
 * @example
 * ```ts
 * const signal = new SyncSignal();               // caller side
 * const seen = signal.snapshot();
 * // ... drain the port; nothing there ...
 * signal.wait(seen, 1000);                       // 'ok' | 'not-equal' | 'timed-out'
 * new SyncSignal(signal.buffer).notify();        // worker side, after postMessage
 * ```
 */
export class SyncSignal {
  readonly buffer: SharedArrayBuffer;
  private readonly cell: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.buffer = buffer;
    this.cell = new Int32Array(buffer, 0, 1);
  }

  /** The counter now; pass it to {@link SyncSignal.wait}. */
  snapshot(): number {
    return Atomics.load(this.cell, SLOT);
  }

  /**
   * Blocks the calling thread while the counter still equals `seen`, at most `timeoutMs`
   * (`Infinity` = no limit). Must not be called on a thread that may not block (browser main).
   */
  wait(seen: number, timeoutMs: number): 'ok' | 'not-equal' | 'timed-out' {
    const ms = timeoutMs === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : Math.max(0, timeoutMs);
    return Atomics.wait(this.cell, SLOT, seen, ms);
  }

  /** Bumps the counter (wrapping at 2³¹) and wakes every waiter. */
  notify(): void {
    Atomics.add(this.cell, SLOT, 1);
    Atomics.notify(this.cell, SLOT);
  }
}
