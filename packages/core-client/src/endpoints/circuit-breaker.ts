/**
 * Circuit breaker for one endpoint: stop hammering a server that keeps failing, then probe it
 * once in a while. Pure: it reads the injected clock and owns no timers; the `open → half-open`
 * transition is computed when asked.
 *
 * @module
 */

import { type NowClock, systemClock } from '../env/clock';

/**
 * `closed`: attempts allowed. `open`: refused until the reset timeout passes. `half-open`: one
 * probe allowed; its result closes or re-opens the circuit.
 *
 * @example
 * ```ts
 * const s: CircuitState = breaker.state;
 * ```
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Breaker settings.
 *
 * @example
 * ```ts
 * const opts: CircuitBreakerOptions = { failureThreshold: 5, resetTimeoutMs: 30_000 };
 * ```
 */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit; default 5. */
  failureThreshold: number;
  /** Time the circuit stays open before a probe is allowed; default 30 000 ms. Also the probe's lease. */
  resetTimeoutMs: number;
}

/**
 * The defaults: open after 5 consecutive failures, probe after 30 s.
 *
 * @example
 * ```ts
 * new CircuitBreaker(DEFAULT_CIRCUIT_BREAKER);
 * ```
 */
export const DEFAULT_CIRCUIT_BREAKER: Readonly<CircuitBreakerOptions> = Object.freeze({
  failureThreshold: 5,
  resetTimeoutMs: 30_000,
});

/**
 * closed → open after `failureThreshold` consecutive failures; open → half-open once
 * `resetTimeoutMs` has passed; in half-open exactly one caller of {@link CircuitBreaker.canAttempt}
 * gets `true` (the probe); its success closes the circuit, its failure re-opens it for another
 * `resetTimeoutMs`.
 *
 * Decisions: a probe that never reports back (its attempt was abandoned) holds the slot for at
 * most `resetTimeoutMs`, then another probe is allowed — so a lost report cannot wedge the
 * breaker. A success reported while open (a slow attempt that started earlier) closes the
 * circuit: the endpoint demonstrably works. A failure reported while open does not extend the
 * open period.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ failureThreshold: 2, resetTimeoutMs: 1000 }, clock);
 * breaker.recordFailure();
 * breaker.recordFailure();
 * breaker.state;        // 'open'
 * breaker.canAttempt(); // false
 * // … 1000 ms later
 * breaker.canAttempt(); // true (the probe)
 * breaker.canAttempt(); // false (probe in flight)
 * breaker.recordSuccess();
 * breaker.state;        // 'closed'
 * ```
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  #consecutive = 0;
  #openedAt: number | undefined;
  #probeAt: number | undefined;

  readonly #clock: NowClock;
  constructor(options: Partial<CircuitBreakerOptions> = {}, clock: NowClock = systemClock) {
    this.#clock = clock;
    this.#options = { ...DEFAULT_CIRCUIT_BREAKER, ...options };
    if (!(this.#options.failureThreshold >= 1)) {
      throw new RangeError(`failureThreshold must be >= 1, got ${this.#options.failureThreshold}`);
    }
  }

  /** The state now (time-based: an open circuit reads `half-open` once its timeout passed). */
  get state(): CircuitState {
    if (this.#openedAt === undefined) return 'closed';
    return this.#clock.now() >= this.#openedAt + this.#options.resetTimeoutMs ? 'half-open' : 'open';
  }

  /** Consecutive failures since the last success. */
  get failures(): number {
    return this.#consecutive;
  }

  /** When an open circuit turns half-open (absolute clock time), or `undefined` if not open. */
  get halfOpensAt(): number | undefined {
    return this.#openedAt === undefined ? undefined : this.#openedAt + this.#options.resetTimeoutMs;
  }

  /**
   * The earliest clock time at which {@link CircuitBreaker.isAvailable} turns true: now when it
   * already is, the half-open time when open, or the end of the probe's lease when a probe is
   * in flight.
   */
  availableAt(): number {
    const now = this.#clock.now();
    if (this.isAvailable()) return now;
    const halfOpen = this.halfOpensAt ?? now;
    if (now < halfOpen) return halfOpen;
    return (this.#probeAt ?? now) + this.#options.resetTimeoutMs;
  }

  /**
   * Whether an attempt would be allowed now, without claiming the half-open probe slot. Use
   * it to rank candidates; call {@link CircuitBreaker.canAttempt} for the one you try.
   */
  isAvailable(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return this.#probeAt === undefined || this.#clock.now() >= this.#probeAt + this.#options.resetTimeoutMs;
  }

  /**
   * Whether to attempt now. In half-open this claims the single probe slot: call it only when
   * you are about to try.
   */
  canAttempt(): boolean {
    if (!this.isAvailable()) return false;
    if (this.state === 'half-open') this.#probeAt = this.#clock.now();
    return true;
  }

  /** An attempt succeeded: close the circuit and clear the failure count. */
  recordSuccess(): void {
    this.#consecutive = 0;
    this.#openedAt = undefined;
    this.#probeAt = undefined;
  }

  /** An attempt failed: count it; open (or re-open after a failed probe) when due. */
  recordFailure(): void {
    this.#consecutive += 1;
    const state = this.state;
    if (state === 'half-open') {
      this.#open();
    } else if (state === 'closed' && this.#consecutive >= this.#options.failureThreshold) {
      this.#open();
    }
  }

  /** Back to closed with no history. */
  reset(): void {
    this.recordSuccess();
  }

  #open(): void {
    this.#openedAt = this.#clock.now();
    this.#probeAt = undefined;
  }
}
