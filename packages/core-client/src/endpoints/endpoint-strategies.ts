/**
 * Scoring and the selection strategies of the endpoint pool. A lazy chunk: a client with one
 * endpoint never needs it (every strategy picks the only one, so only the breaker counts), and a
 * client with several fetches it while it is created; the driver waits for it before the first
 * connection attempt, so every report is scored.
 *
 * @module
 */

import type { EndpointEntry, EndpointHealth, EndpointScore, PoolState } from './endpoint-state';

/** The entry's score history, created on first use. */
function history(s: PoolState, e: EndpointEntry): EndpointScore {
  e.score ??= {
    successes: 0,
    failures: 0,
    consecutive: 0,
    consecutiveWeight: 0,
    decayedAt: s.clock.now(),
    latency: null,
    lastSuccessAt: null,
    lastFailureAt: null,
  };
  return e.score;
}

/** The weights with the decay since `decayedAt` applied (halving every `decayMs`, default 30 s). */
function decayed(
  s: PoolState,
  h: EndpointScore,
): { successes: number; failures: number; consecutive: number } {
  const decayMs = s.options.decayMs ?? 30_000;
  const elapsed = Math.max(0, s.clock.now() - h.decayedAt);
  const k = decayMs > 0 ? 0.5 ** (elapsed / decayMs) : 1;
  return { successes: h.successes * k, failures: h.failures * k, consecutive: h.consecutiveWeight * k };
}

/** Folds the decay so far into the stored weights (the raw consecutive count is kept). */
function fold(s: PoolState, e: EndpointEntry): EndpointScore {
  const h = history(s, e);
  const d = decayed(s, h);
  h.successes = d.successes;
  h.failures = d.failures;
  h.consecutiveWeight = d.consecutive;
  h.decayedAt = s.clock.now();
  return h;
}

/**
 * Records a connection success (and its latency into the EWMA, weight `latencyAlpha`, default 0.3).
 *
 * @example
 * ```ts
 * recordSuccess(state, entry, 80);
 * ```
 */
export function recordSuccess(s: PoolState, e: EndpointEntry, latencyMs?: number): void {
  const h = fold(s, e);
  h.successes += 1;
  h.consecutive = 0;
  h.consecutiveWeight = 0;
  h.lastSuccessAt = s.clock.now();
  if (latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0) {
    const alpha = s.options.latencyAlpha ?? 0.3;
    h.latency = h.latency === null ? latencyMs : alpha * latencyMs + (1 - alpha) * h.latency;
  }
}

/**
 * Records a connection failure.
 *
 * @example
 * ```ts
 * recordFailure(state, entry);
 * ```
 */
export function recordFailure(s: PoolState, e: EndpointEntry): void {
  const h = fold(s, e);
  h.failures += 1;
  h.consecutive += 1;
  h.consecutiveWeight += 1;
  h.lastFailureAt = s.clock.now();
}

/**
 * The health score of an endpoint now, in (0, 1] (formula in `endpoint-pool.ts`).
 *
 * @example
 * ```ts
 * const s = scoreOf(pool.state, pool.state.entries[0]);
 * ```
 */
export function scoreOf(s: PoolState, e: EndpointEntry): number {
  const h = history(s, e);
  const d = decayed(s, h);
  const ref = s.options.latencyRefMs ?? 1_000;
  const rate = (d.successes + 1) / (d.successes + d.failures + 1);
  const penalty = 1 / (1 + d.consecutive);
  const latency = h.latency === null ? 1 : ref / (ref + h.latency);
  return rate * penalty * latency;
}

const healthyScore = (s: PoolState): number => s.options.healthyScore ?? 0.5;

/**
 * Picks among `available` (non-empty: endpoints whose breaker allows an attempt) per the strategy,
 * preferring healthy ones.
 *
 * @example
 * ```ts
 * const entry = chooseEndpoint(state, state.entries.filter((e) => e.breaker.isAvailable()));
 * ```
 */
export function chooseEndpoint(s: PoolState, available: EndpointEntry[]): EndpointEntry {
  const healthy = available.filter((e) => scoreOf(s, e) >= healthyScore(s));
  const candidates = healthy.length > 0 ? healthy : available;
  const first = candidates[0] as EndpointEntry;
  switch (s.options.strategy) {
    case 'round-robin':
      return candidates.find((e) => s.entries.indexOf(e) > s.cursor) ?? first;
    case 'weighted-random':
      return weighted(s, candidates);
    case 'least-latency':
      return best(candidates, (e) => -(e.score?.latency ?? Number.POSITIVE_INFINITY));
    default:
      return healthy.length > 0 ? first : best(candidates, (e) => scoreOf(s, e));
  }
}

/**
 * A fresh array of plain objects describing every endpoint, in list order.
 *
 * @example
 * ```ts
 * for (const h of endpointSnapshot(pool.state)) console.log(h.url, h.score);
 * ```
 */
export function endpointSnapshot(s: PoolState): EndpointHealth[] {
  return s.entries.map((e) => {
    const h = history(s, e);
    const d = decayed(s, h);
    const score = scoreOf(s, e);
    return {
      url: e.url,
      score,
      healthy: e.breaker.isAvailable() && score >= healthyScore(s),
      circuit: e.breaker.state,
      successes: d.successes,
      failures: d.failures,
      consecutiveFailures: h.consecutive,
      latencyMs: h.latency,
      lastSuccessAt: h.lastSuccessAt,
      lastFailureAt: h.lastFailureAt,
      halfOpensAt: e.breaker.halfOpensAt ?? null,
    };
  });
}

/** The candidate with the highest key; ties go to the earlier one in list order. */
function best(candidates: EndpointEntry[], key: (e: EndpointEntry) => number): EndpointEntry {
  let top = candidates[0] as EndpointEntry;
  let topKey = key(top);
  for (const e of candidates.slice(1)) {
    const k = key(e);
    if (k > topKey) {
      top = e;
      topKey = k;
    }
  }
  return top;
}

function weighted(s: PoolState, candidates: EndpointEntry[]): EndpointEntry {
  const weights = candidates.map((e) => Math.max(scoreOf(s, e), 1e-6));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = Math.min(Math.max(s.random(), 0), 1 - Number.EPSILON) * total;
  for (let i = 0; i < candidates.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return candidates[i] as EndpointEntry;
  }
  return candidates[candidates.length - 1] as EndpointEntry;
}
