import type { Clock } from './clock';

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A simulated {@link Clock} for tests: time moves only when you call {@link ManualClock.advance}.
 * Due timers run in order of due time, then of scheduling; while a timer runs, `now()` reads its
 * due time, and timers it schedules inside the advanced window run in the same call.
 *
 * A timer callback that throws stops the advance at that timer's time; the error propagates.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(1_000);
 * const seen: number[] = [];
 * clock.setTimeout(() => seen.push(clock.now()), 500);
 * clock.advance(499); // seen = []
 * clock.advance(1);   // seen = [1500]
 * ```
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: ManualTimer[] = [];
  private nextId = 1;
  private nextSeq = 0;

  /** @param start initial `now()`; default 0. */
  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): number {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const id = this.nextId++;
    this.timers.push({ id, at: this.current + delay, seq: this.nextSeq++, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Number of timers not yet run or cleared. */
  get pending(): number {
    return this.timers.length;
  }

  /** Due time of the next timer, or `undefined` when none is pending. */
  nextTimerAt(): number | undefined {
    return this.earliest()?.at;
  }

  /**
   * Moves time forward by `ms`, running every timer that falls due on the way.
   * @returns the number of timers run.
   */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance needs ms >= 0, got ${ms}`);
    return this.advanceTo(this.current + ms);
  }

  /** Moves time forward to the absolute time `t` (never backwards). @returns timers run. */
  advanceTo(t: number): number {
    if (t < this.current) throw new RangeError(`ManualClock cannot go back from ${this.current} to ${t}`);
    let ran = 0;
    for (let next = this.earliest(); next && next.at <= t; next = this.earliest()) {
      this.run(next);
      ran += 1;
    }
    this.current = t;
    return ran;
  }

  /**
   * Runs pending timers (jumping time to each) until none is left.
   * @param limit guard against timers that reschedule themselves forever.
   * @returns the number of timers run.
   */
  runAll(limit = 10_000): number {
    let ran = 0;
    for (let next = this.earliest(); next; next = this.earliest()) {
      if (ran >= limit) throw new Error(`ManualClock.runAll: more than ${limit} timers; a timer loop?`);
      this.run(next);
      ran += 1;
    }
    return ran;
  }

  private run(timer: ManualTimer): void {
    this.timers = this.timers.filter((t) => t !== timer);
    this.current = Math.max(this.current, timer.at);
    timer.fn();
  }

  private earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
