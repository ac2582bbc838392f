/**
 * Endpoint pool: which server URL to try next. Every endpoint has a circuit breaker and a health
 * score; a strategy picks among the healthy ones. Pure: injected clock and random, no timers.
 *
 * Health score, in (0, 1]:
 * `score = successRate × 1 / (1 + consecutiveFailures) × latencyRefMs / (latencyRefMs + latencyEwma)`
 * where `successRate = (s + 1) / (s + f + 1)` (an untried endpoint scores 1) and `s`, `f` and
 * the consecutive-failure count are weights that halve every `decayMs` — so an endpoint that
 * failed comes back on its own once enough quiet time passed (one failure on an endpoint with no
 * history: unhealthy at once, healthy again after ≈ 1.3 × `decayMs`; sooner with a success history). Latency is an EWMA of the reported samples; unmeasured
 * endpoints get factor 1. An endpoint is *healthy* when its breaker allows an attempt and its
 * score is at least `healthyScore`.
 *
 * @module
 */

import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from '../connection/circuit-breaker';
import { type NowClock, systemClock } from '../env/clock';
import { defaultRandom, type Random } from '../env/random';

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
 * Pool settings; every field has a default.
 *
 * @example
 * ```ts
 * const opts: EndpointPoolOptions = { strategy: 'round-robin', breaker: { failureThreshold: 3 } };
 * ```
 */
export interface EndpointPoolOptions {
  /** Default `'priority'`. */
  strategy?: EndpointStrategy;
  /** Per-endpoint breaker settings (defaults: 5 failures, 30 s). */
  breaker?: Partial<CircuitBreakerOptions>;
  /** Half-life of the success/failure history; default 30 000 ms. */
  decayMs?: number;
  /** Weight of a new latency sample in the EWMA; default 0.3. */
  latencyAlpha?: number;
  /** Latency at which the latency factor is 0.5; default 1000 ms. */
  latencyRefMs?: number;
  /** Minimum score of a healthy endpoint; default 0.5. */
  healthyScore?: number;
}

/**
 * One endpoint's state for snapshots and debugging. Counts are decayed weights (not integers).
 *
 * @example
 * ```ts
 * for (const h of pool.snapshot()) console.log(h.url, h.circuit, h.score.toFixed(2));
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

interface Entry {
  readonly url: string;
  readonly breaker: CircuitBreaker;
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

/**
 * A set of endpoints with health scores, breakers and a selection strategy.
 *
 * `next()` means "I am about to connect to it": for an endpoint whose breaker is half-open it
 * claims the single probe. When every breaker is open, `next()` returns `undefined` (rather
 * than an endpoint the breaker refuses); {@link EndpointPool.nextAvailableAt} tells when to ask
 * again. Unknown URLs passed to the report methods are ignored.
 *
 * @example
 * ```ts
 * const pool = new EndpointPool(['wss://a/wse', 'wss://b/wse'], { strategy: 'priority' }, clock, random);
 * const url = pool.next();           // 'wss://a/wse'
 * pool.reportFailure('wss://a/wse');
 * pool.next();                       // 'wss://b/wse' (a is unhealthy for a while)
 * pool.reportSuccess('wss://b/wse', 80);
 * ```
 */
export class EndpointPool {
  readonly #entries: Entry[];
  readonly #strategy: EndpointStrategy;
  readonly #decayMs: number;
  readonly #alpha: number;
  readonly #latencyRefMs: number;
  readonly #healthyScore: number;
  #cursor = -1;

  readonly #clock: NowClock;
  readonly #random: Random;
  constructor(
    urls: readonly string[],
    options: EndpointPoolOptions = {},
    clock: NowClock = systemClock,
    random: Random = defaultRandom,
  ) {
    this.#clock = clock;
    this.#random = random;
    this.#strategy = options.strategy ?? 'priority';
    this.#decayMs = options.decayMs ?? 30_000;
    this.#alpha = options.latencyAlpha ?? 0.3;
    this.#latencyRefMs = options.latencyRefMs ?? 1_000;
    this.#healthyScore = options.healthyScore ?? 0.5;
    const now = clock.now();
    this.#entries = [...new Set(urls)].map((url) => ({
      url,
      breaker: new CircuitBreaker(options.breaker, clock),
      successes: 0,
      failures: 0,
      consecutive: 0,
      consecutiveWeight: 0,
      decayedAt: now,
      latency: null,
      lastSuccessAt: null,
      lastFailureAt: null,
    }));
  }

  /** The endpoints, in priority order (duplicates removed). */
  get urls(): string[] {
    return this.#entries.map((e) => e.url);
  }

  /** The endpoint to try now, or `undefined` when every breaker is open (or the pool is empty). */
  next(): string | undefined {
    const available = this.#entries.filter((e) => e.breaker.isAvailable());
    if (available.length === 0) return undefined;
    const healthy = available.filter((e) => this.#scoreOf(e) >= this.#healthyScore);
    const chosen = this.#pick(healthy.length > 0 ? healthy : available, healthy.length > 0);
    chosen.breaker.canAttempt(); // claims the probe when half-open
    this.#cursor = this.#entries.indexOf(chosen);
    return chosen.url;
  }

  /** When `next()` will return an endpoint again (now if it already would); `undefined` if empty. */
  nextAvailableAt(): number | undefined {
    let soonest: number | undefined;
    for (const e of this.#entries) {
      const at = e.breaker.availableAt();
      if (soonest === undefined || at < soonest) soonest = at;
    }
    return soonest;
  }

  /** A connection to `url` succeeded (optionally with its latency, e.g. time to `server_hello`). */
  reportSuccess(url: string, latencyMs?: number): void {
    const e = this.#find(url);
    if (!e) return;
    this.#decay(e);
    e.successes += 1;
    e.consecutive = 0;
    e.consecutiveWeight = 0;
    e.lastSuccessAt = this.#clock.now();
    if (latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0) {
      e.latency = e.latency === null ? latencyMs : this.#alpha * latencyMs + (1 - this.#alpha) * e.latency;
    }
    e.breaker.recordSuccess();
  }

  /** A connection to `url` failed (refused, timed out, closed before `server_hello`, …). */
  reportFailure(url: string): void {
    const e = this.#find(url);
    if (!e) return;
    this.#decay(e);
    e.failures += 1;
    e.consecutive += 1;
    e.consecutiveWeight += 1;
    e.lastFailureAt = this.#clock.now();
    e.breaker.recordFailure();
  }

  /** The health score of `url` now, in (0, 1]; 0 for an unknown URL. */
  score(url: string): number {
    const e = this.#find(url);
    return e ? this.#scoreOf(e) : 0;
  }

  /** The circuit state of `url`, or `undefined` for an unknown URL. */
  circuit(url: string): CircuitState | undefined {
    return this.#find(url)?.breaker.state;
  }

  /** A fresh array of plain objects describing every endpoint, in list order. */
  snapshot(): EndpointHealth[] {
    return this.#entries.map((e) => {
      const d = this.#decayed(e);
      const score = this.#scoreOf(e);
      return {
        url: e.url,
        score,
        healthy: e.breaker.isAvailable() && score >= this.#healthyScore,
        circuit: e.breaker.state,
        successes: d.successes,
        failures: d.failures,
        consecutiveFailures: e.consecutive,
        latencyMs: e.latency,
        lastSuccessAt: e.lastSuccessAt,
        lastFailureAt: e.lastFailureAt,
        halfOpensAt: e.breaker.halfOpensAt ?? null,
      };
    });
  }

  #pick(candidates: Entry[], allHealthy: boolean): Entry {
    const first = candidates[0] as Entry;
    switch (this.#strategy) {
      case 'round-robin': {
        const after = candidates.find((e) => this.#entries.indexOf(e) > this.#cursor);
        return after ?? first;
      }
      case 'weighted-random':
        return this.#weighted(candidates);
      case 'least-latency':
        return this.#best(candidates, (e) => -(e.latency ?? Number.POSITIVE_INFINITY));
      default:
        return allHealthy ? first : this.#best(candidates, (e) => this.#scoreOf(e));
    }
  }

  /** The candidate with the highest key; ties go to the earlier one in list order. */
  #best(candidates: Entry[], key: (e: Entry) => number): Entry {
    let best = candidates[0] as Entry;
    let bestKey = key(best);
    for (const e of candidates.slice(1)) {
      const k = key(e);
      if (k > bestKey) {
        best = e;
        bestKey = k;
      }
    }
    return best;
  }

  #weighted(candidates: Entry[]): Entry {
    const weights = candidates.map((e) => Math.max(this.#scoreOf(e), 1e-6));
    const total = weights.reduce((a, b) => a + b, 0);
    let r = Math.min(Math.max(this.#random(), 0), 1 - Number.EPSILON) * total;
    for (let i = 0; i < candidates.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return candidates[i] as Entry;
    }
    return candidates[candidates.length - 1] as Entry;
  }

  #scoreOf(e: Entry): number {
    const d = this.#decayed(e);
    const rate = (d.successes + 1) / (d.successes + d.failures + 1);
    const penalty = 1 / (1 + d.consecutive);
    const latency = e.latency === null ? 1 : this.#latencyRefMs / (this.#latencyRefMs + e.latency);
    return rate * penalty * latency;
  }

  #decayed(e: Entry): { successes: number; failures: number; consecutive: number } {
    const elapsed = Math.max(0, this.#clock.now() - e.decayedAt);
    const k = this.#decayMs > 0 ? 0.5 ** (elapsed / this.#decayMs) : 1;
    return { successes: e.successes * k, failures: e.failures * k, consecutive: e.consecutiveWeight * k };
  }

  /** Folds the decay so far into the stored weights (the raw consecutive count is kept). */
  #decay(e: Entry): void {
    const d = this.#decayed(e);
    e.successes = d.successes;
    e.failures = d.failures;
    e.consecutiveWeight = d.consecutive;
    e.decayedAt = this.#clock.now();
  }

  #find(url: string): Entry | undefined {
    return this.#entries.find((e) => e.url === url);
  }
}
