/**
 * The endpoint pool's state as plain data, shared by the pool (bookkeeping, in the initial load)
 * and its strategies (scoring and choice, a lazy chunk: see `endpoint-strategies.ts`).
 *
 * @module
 */

import type { NowClock } from '../env/clock';
import type { Random } from '../env/random';
import type { CircuitBreaker, CircuitState } from './circuit-breaker';

/**
 * How {@link EndpointPool.next} chooses among healthy endpoints:
 * - `priority` (default): the first healthy one in list order;
 * - `round-robin`: the next healthy one after the previous pick;
 * - `weighted-random`: random, weighted by score;
 * - `least-latency`: the lowest latency EWMA (unmeasured endpoints last, then list order).
 *
 * When no endpoint is healthy but some breakers still allow attempts, `priority` picks the best
 * score and the others choose among those endpoints as above.
 *
 * @example
 * ```ts
 * const strategy: EndpointStrategy = 'least-latency';
 * ```
 */
export type EndpointStrategy = 'priority' | 'round-robin' | 'weighted-random' | 'least-latency';

/**
 * One endpoint's state for snapshots and debugging. Counts are decayed weights (not integers).
 *
 * @example
 * ```ts
 * for (const h of endpointSnapshot(pool.state)) console.log(h.url, h.circuit, h.score.toFixed(2));
 * ```
 */
export interface EndpointHealth {
  url: string;
  score: number;
  healthy: boolean;
  circuit: CircuitState;
  successes: number;
  failures: number;
  consecutiveFailures: number;
  latencyMs: number | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  /** When an open breaker lets a probe through; `null` when closed. */
  halfOpensAt: number | null;
}

/** @internal The options the strategies read (the pool's own, see `EndpointPoolOptions`). */
export interface ScoreOptions {
  strategy?: EndpointStrategy;
  decayMs?: number;
  latencyAlpha?: number;
  latencyRefMs?: number;
  healthyScore?: number;
}

/** @internal One endpoint's score history; kept by the strategies chunk (see `endpoint-strategies.ts`). */
export interface EndpointScore {
  successes: number;
  failures: number;
  /** Raw count of failures since the last success. */
  consecutive: number;
  /** The same count as a decaying weight, used in the score. */
  consecutiveWeight: number;
  decayedAt: number;
  latency: number | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
}

/** @internal One endpoint: its breaker (always) and its score history (once the strategies are loaded). */
export interface EndpointEntry {
  readonly url: string;
  readonly breaker: CircuitBreaker;
  score?: EndpointScore;
}

/** @internal Everything a strategy reads; the pool owns it. */
export interface PoolState {
  readonly entries: readonly EndpointEntry[];
  readonly options: ScoreOptions;
  readonly clock: NowClock;
  readonly random: Random;
  /** Index of the previous pick (round-robin continues after it); -1 before the first. */
  cursor: number;
}
