/**
 * Chance, injected. Pure modules take `random: () => number` (uniform in [0, 1)) so tests can
 * make jitter and weighted choices exact.
 *
 * @module
 */

/**
 * A uniform random source in [0, 1), the shape of `Math.random`.
 *
 * @example
 * ```ts
 * const always: Random = () => 0.5;
 * ```
 */
export type Random = () => number;

/**
 * The default source: `Math.random` (looked up at call time).
 *
 * @example
 * ```ts
 * const jitter = defaultRandom() * 100;
 * ```
 */
export const defaultRandom: Random = () => Math.random();

/**
 * A small deterministic generator (mulberry32) for simulations and property tests. Not for
 * anything security-related.
 *
 * @example
 * ```ts
 * const a = seededRandom(42);
 * const b = seededRandom(42);
 * a() === b(); // true
 * ```
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A source that returns the given values in turn (cycling), for tests that need exact draws.
 *
 * @example
 * ```ts
 * const r = sequenceRandom([0, 0.5, 0.99]);
 * r(); // 0
 * r(); // 0.5
 * ```
 */
export function sequenceRandom(values: readonly number[]): Random {
  if (values.length === 0) throw new RangeError('sequenceRandom needs at least one value');
  let i = 0;
  return () => {
    const v = values[i % values.length] as number;
    i += 1;
    return v;
  };
}
