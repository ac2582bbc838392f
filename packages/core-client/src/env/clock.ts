/**
 * Time, injected. Pure modules take a {@link Clock} (or just `{ now }`) instead of reading
 * `Date.now()` or calling `setTimeout` themselves, so tests drive time with a `ManualClock`.
 *
 * @module
 */

/**
 * A source of time and one-shot timers. Handles are opaque: pass back exactly what
 * `setTimeout` returned.
 *
 * @example
 * ```ts
 * import { systemClock, type Clock } from './clock';
 * function later(clock: Clock = systemClock) {
 *   const handle = clock.setTimeout(() => console.log('fired at', clock.now()), 1000);
 *   return () => clock.clearTimeout(handle);
 * }
 * ```
 */
export interface Clock {
  /** Milliseconds since an arbitrary but fixed origin (wall clock for {@link systemClock}). */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending timer; unknown or already-fired handles are ignored. */
  clearTimeout(handle: unknown): void;
}

/**
 * The part of a {@link Clock} that pure modules need: only reading the time.
 *
 * @example
 * ```ts
 * const fixed: NowClock = { now: () => 1_000 };
 * ```
 */
export type NowClock = Pick<Clock, 'now'>;

type TimerHandle = ReturnType<typeof globalThis.setTimeout>;

/**
 * The real clock: `Date.now()` and the global timers, looked up at call time (so fake timers
 * installed after import still apply).
 *
 * @example
 * ```ts
 * const started = systemClock.now();
 * const handle = systemClock.setTimeout(() => console.log(systemClock.now() - started), 50);
 * systemClock.clearTimeout(handle);
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  // Beyond 2^31-1 ms timers fire at once (Node: after 1 ms), so a long token lifetime or a
  // hostile ping_interval would loop: clamp to ~24.8 days.
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, Math.min(ms, 2 ** 31 - 1)),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as TimerHandle),
};
