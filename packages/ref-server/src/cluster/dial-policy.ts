/**
 * When to dial a peer again: pure functions over an injected clock and random source.
 *
 * Backoff (docs-site/protocol §9): 1 s × 1.5^attempt up to 60 s, with ±20 % jitter so nodes that lost the same
 * peer do not all redial in the same instant. Circuit breaker (per peer address): after
 * `failureThreshold` consecutive failures (a dial that failed, or a link that died within
 * `flapWindowMs` of coming up — a flapping peer) the address is not dialled for `openMs`; then one
 * probe is allowed, whose success closes the breaker and whose failure re-opens it.
 *
 * @module
 */

/** §9 backoff and breaker settings. */
export interface DialPolicy {
  baseMs: number;
  factor: number;
  maxMs: number;
  jitter: number;
  failureThreshold: number;
  openMs: number;
  flapWindowMs: number;
}

/** The defaults. */
export const DEFAULT_DIAL_POLICY: Readonly<DialPolicy> = Object.freeze({
  baseMs: 1_000,
  factor: 1.5,
  maxMs: 60_000,
  jitter: 0.2,
  failureThreshold: 5,
  openMs: 60_000,
  flapWindowMs: 10_000,
});

/**
 * The delay before retry number `attempt` (0 = first retry).
 *
 * @example
 * ```ts
 * redialDelay(0, DEFAULT_DIAL_POLICY, () => 0.5); // 1000
 * redialDelay(20, DEFAULT_DIAL_POLICY, () => 0.5); // 60 000
 * ```
 */
export function redialDelay(attempt: number, p: DialPolicy, random: () => number): number {
  const ceiling = Math.min(p.maxMs, p.baseMs * p.factor ** Math.max(0, attempt));
  return Math.round(ceiling * (1 - p.jitter + 2 * p.jitter * random()));
}

/** One address's dial bookkeeping. */
export interface DialState {
  /** Consecutive failures. */
  failures: number;
  /** No dial before this time. */
  nextAt: number;
  /** Breaker open until this time (0: closed). */
  openUntil: number;
}

/** A fresh address: dial now. */
export function freshDial(now: number): DialState {
  return { failures: 0, nextAt: now, openUntil: 0 };
}

/** A dial failed (or the link flapped): schedule the retry, maybe open the breaker. */
export function dialFailed(s: DialState, now: number, p: DialPolicy, random: () => number): DialState {
  const failures = s.failures + 1;
  const nextAt = now + redialDelay(failures - 1, p, random);
  if (failures >= p.failureThreshold) {
    const openUntil = now + p.openMs;
    return { failures, nextAt: Math.max(nextAt, openUntil), openUntil };
  }
  return { failures, nextAt, openUntil: 0 };
}

/** A link stayed up: the address is healthy again. */
export function dialSucceeded(now: number): DialState {
  return freshDial(now);
}

/** `closed`, `open` or `half-open` (the next dial is the probe). */
export function breakerState(s: DialState, now: number): 'closed' | 'open' | 'half-open' {
  if (s.openUntil === 0) return 'closed';
  return now < s.openUntil ? 'open' : 'half-open';
}
