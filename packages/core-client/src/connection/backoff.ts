/**
 * Reconnect delays: full-jitter exponential backoff
 * (`delay = random() × min(maxMs, baseMs × 2^attempt)`), which spreads a crowd of clients that
 * lost the same server over the whole window instead of stampeding it in waves.
 *
 * @module
 */

import { defaultRandom, type Random } from '../env/random';

/**
 * Backoff settings. `attempt` counts from 0 (the first retry).
 *
 * @example
 * ```ts
 * const opts: BackoffOptions = { baseMs: 500, maxMs: 20_000, maxAttempts: 10 };
 * ```
 */
export interface BackoffOptions {
  /** Cap of the first retry's window; default 500 ms. */
  baseMs: number;
  /** Largest window; default 20 000 ms. */
  maxMs: number;
  /** Attempts allowed before giving up; unlimited when absent. */
  maxAttempts?: number;
}

/**
 * The defaults: 500 ms base, 20 s cap, unlimited attempts.
 *
 * @example
 * ```ts
 * backoffDelay(3, DEFAULT_BACKOFF, () => 0.5); // 0.5 × min(20 000, 500 × 8) = 2000
 * ```
 */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ baseMs: 500, maxMs: 20_000 });

/**
 * The window for `attempt` before jitter: `min(maxMs, baseMs × 2^attempt)`. Negative or
 * NaN attempts count as 0.
 *
 * @example
 * ```ts
 * backoffCeiling(0, { baseMs: 500, maxMs: 20_000 }); // 500
 * backoffCeiling(10, { baseMs: 500, maxMs: 20_000 }); // 20 000
 * ```
 */
export function backoffCeiling(attempt: number, options: Partial<BackoffOptions> = {}): number {
  const { baseMs, maxMs } = { ...DEFAULT_BACKOFF, ...options };
  const n = attempt > 0 ? Math.floor(attempt) : 0; // NaN and negatives count as 0
  // 2 ** n overflows to Infinity for large n, and min() then picks maxMs: no special case needed.
  return Math.max(0, Math.min(maxMs, baseMs * 2 ** n));
}

/**
 * Full-jitter delay for `attempt` (0-based): `random() × backoffCeiling(attempt)`, in
 * `[0, ceiling)`. Out-of-range random values are clamped to [0, 1].
 *
 * @example
 * ```ts
 * backoffDelay(0, { baseMs: 500, maxMs: 20_000 }, () => 0.5); // 250
 * backoffDelay(2, { baseMs: 500, maxMs: 20_000 }, Math.random); // somewhere in [0, 2000)
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: Partial<BackoffOptions> = DEFAULT_BACKOFF,
  random: Random = defaultRandom,
): number {
  const r = Math.min(1, Math.max(0, random() || 0));
  return r * backoffCeiling(attempt, options);
}

/**
 * Whether another attempt is allowed after `attempt` attempts were made.
 *
 * @example
 * ```ts
 * canRetry(2, { baseMs: 500, maxMs: 20_000, maxAttempts: 3 }); // true
 * canRetry(3, { baseMs: 500, maxMs: 20_000, maxAttempts: 3 }); // false
 * ```
 */
export function canRetry(attemptsMade: number, options: Partial<BackoffOptions> = {}): boolean {
  return options.maxAttempts === undefined || attemptsMade < options.maxAttempts;
}

/**
 * A stateful counter over {@link backoffDelay}: `next()` gives the next delay (or `undefined`
 * once `maxAttempts` are used up), `reset()` after a connection that held.
 *
 * @example
 * ```ts
 * const backoff = new Backoff({ maxAttempts: 2 }, () => 1);
 * backoff.next(); // 500
 * backoff.next(); // 1000
 * backoff.next(); // undefined: give up
 * backoff.reset();
 * ```
 */
export class Backoff {
  readonly #options: BackoffOptions;
  #made = 0;

  readonly #random: Random;
  constructor(options: Partial<BackoffOptions> = {}, random: Random = defaultRandom) {
    this.#random = random;
    this.#options = { ...DEFAULT_BACKOFF, ...options };
  }

  /** Attempts handed out since the last reset. */
  get attempt(): number {
    return this.#made;
  }

  /** The delay before the next attempt, or `undefined` when no attempt is left. */
  next(): number | undefined {
    if (!canRetry(this.#made, this.#options)) return undefined;
    const delay = backoffDelay(this.#made, this.#options, this.#random);
    this.#made += 1;
    return delay;
  }

  /** Starts over from attempt 0. */
  reset(): void {
    this.#made = 0;
  }
}
