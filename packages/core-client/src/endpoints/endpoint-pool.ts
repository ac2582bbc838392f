/**
 * Endpoint pool: which server URL to try next. Every endpoint has a circuit breaker and a health
 * score; a strategy picks among the healthy ones. Pure: injected clock and random, no timers.
 *
 * The scoring and the strategies live in a lazy chunk (`endpoint-strategies.ts`, ≈ 0.3 KB gzipped
 * off the initial load): with one endpoint they are never needed; with several the client fetches
 * them at creation and the driver waits for them ({@link EndpointPool.ready}, {@link EndpointPool.load})
 * before its first attempt. If the chunk cannot be fetched, `next()` falls back to list order among
 * the endpoints whose breaker allows an attempt, and the next attempt fetches it again.
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

import { type NowClock, systemClock } from '../env/clock';
import { defaultRandom, type Random } from '../env/random';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker';
import type { EndpointEntry, EndpointStrategy, PoolState } from './endpoint-state';

export type { EndpointHealth, EndpointStrategy } from './endpoint-state';

type Strategies = typeof import('./endpoint-strategies');

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
 * await pool.load();                 // the strategies (a lazy chunk; not needed for one endpoint)
 * const url = pool.next();           // 'wss://a/wse'
 * pool.reportFailure('wss://a/wse');
 * pool.next();                       // 'wss://b/wse' (a is unhealthy for a while)
 * pool.reportSuccess('wss://b/wse', 80);
 * ```
 */
export class EndpointPool {
  /** @internal What the strategies read (see `endpoint-strategies.ts`). */
  readonly state: PoolState;
  #strategies: Strategies | undefined;
  #loading: Promise<void> | undefined;

  constructor(
    urls: readonly string[],
    options: EndpointPoolOptions = {},
    clock: NowClock = systemClock,
    random: Random = defaultRandom,
  ) {
    this.state = {
      options,
      clock,
      random,
      cursor: -1,
      entries: [...new Set(urls)].map((url) => ({
        url,
        breaker: new CircuitBreaker(options.breaker, clock),
      })),
    };
  }

  /** True when `next()` applies the strategy: the strategies are loaded, or there is ≤ 1 endpoint. */
  get ready(): boolean {
    return this.#strategies !== undefined || this.state.entries.length < 2;
  }

  /** Fetches the strategies (once; again after a failed fetch). Never rejects: on failure `next()` keeps list order. */
  load(): Promise<void> {
    this.#loading ??= import('./endpoint-strategies').then(
      (m) => {
        this.#strategies = m;
      },
      () => {
        this.#loading = undefined;
      },
    );
    return this.#loading;
  }

  /** The endpoint to try now, or `undefined` when every breaker is open (or the pool is empty). */
  next(): string | undefined {
    const s = this.state;
    const available = s.entries.filter((e) => e.breaker.isAvailable());
    if (available.length === 0) return undefined;
    const chosen = this.#strategies?.chooseEndpoint(s, available) ?? (available[0] as EndpointEntry);
    chosen.breaker.canAttempt(); // claims the probe when half-open
    s.cursor = s.entries.indexOf(chosen);
    return chosen.url;
  }

  /** When `next()` will return an endpoint again (now if it already would); `undefined` if empty. */
  nextAvailableAt(): number | undefined {
    let soonest: number | undefined;
    for (const e of this.state.entries) {
      const at = e.breaker.availableAt();
      if (soonest === undefined || at < soonest) soonest = at;
    }
    return soonest;
  }

  /** A connection to `url` succeeded (optionally with its latency, e.g. time to `server_hello`). */
  reportSuccess(url: string, latencyMs?: number): void {
    const e = this.#find(url);
    if (e) this.#strategies?.recordSuccess(this.state, e, latencyMs);
    e?.breaker.recordSuccess();
  }

  /** A connection to `url` failed (refused, timed out, closed before `server_hello`, …). */
  reportFailure(url: string): void {
    const e = this.#find(url);
    if (e) this.#strategies?.recordFailure(this.state, e);
    e?.breaker.recordFailure();
  }

  /** The circuit state of `url`, or `undefined` for an unknown URL. */
  circuit(url: string): CircuitState | undefined {
    return this.#find(url)?.breaker.state;
  }

  #find(url: string): EndpointEntry | undefined {
    return this.state.entries.find((e) => e.url === url);
  }
}
