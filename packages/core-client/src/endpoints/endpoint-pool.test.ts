import { describe, expect, it } from 'vitest';
import { ManualClock } from '../env/manual-clock';
import { sequenceRandom } from '../env/random';
import { EndpointPool, type EndpointPoolOptions } from './endpoint-pool';
import { endpointSnapshot, scoreOf } from './endpoint-strategies';

const A = 'wss://a/wse';
const B = 'wss://b/wse';
const C = 'wss://c/wse';

/** A pool with its strategies loaded, plus the strategies' read-outs as methods for brevity. */
async function pool(options: EndpointPoolOptions = {}, random = () => 0, urls = [A, B, C]) {
  const clock = new ManualClock(10_000);
  const p = new EndpointPool(urls, options, clock, random);
  await p.load();
  const entry = (url: string) => p.state.entries.find((e) => e.url === url);
  const readouts = {
    score: (url: string) => {
      const e = entry(url);
      return e ? scoreOf(p.state, e) : 0;
    },
    snapshot: () => endpointSnapshot(p.state),
    urls: p.state.entries.map((e) => e.url),
  };
  return { clock, pool: Object.assign(p, readouts) };
}

describe('EndpointPool scoring', () => {
  it('scores an untried endpoint 1 and a failed one lower', async () => {
    const { pool: p } = await pool();
    expect(p.score(A)).toBe(1);
    p.reportFailure(A);
    // rate (0+1)/(0+1+1) = 0.5, penalty 1/(1+1) = 0.5
    expect(p.score(A)).toBeCloseTo(0.25, 10);
    expect(p.score('wss://unknown')).toBe(0);
  });

  it('weighs success rate, consecutive failures and latency', async () => {
    const { pool: p } = await pool({ latencyRefMs: 1_000 });
    for (let i = 0; i < 9; i++) p.reportSuccess(A);
    p.reportFailure(A);
    // rate 10/11, penalty 1/2
    expect(p.score(A)).toBeCloseTo(10 / 11 / 2, 10);
    p.reportSuccess(B, 1_000);
    // rate 2/2, latency 1000/(1000+1000)
    expect(p.score(B)).toBeCloseTo(0.5, 10);
  });

  it('keeps a latency EWMA', async () => {
    const { pool: p } = await pool({ latencyAlpha: 0.5 });
    p.reportSuccess(A, 100);
    p.reportSuccess(A, 300);
    p.reportSuccess(A, Number.NaN); // ignored
    expect(p.snapshot()[0]?.latencyMs).toBe(200);
  });

  it('decays failures so a recovered endpoint comes back', async () => {
    const { pool: p, clock } = await pool({ decayMs: 10_000 });
    p.reportFailure(A);
    expect(p.next()).toBe(B);
    clock.advance(10_000);
    // f = 0.5, consecutive weight = 0.5 → (1/1.5)² ≈ 0.444, still below 0.5
    expect(p.score(A)).toBeCloseTo(4 / 9, 10);
    expect(p.next()).toBe(B);
    clock.advance(3_000);
    expect(p.score(A)).toBeGreaterThan(0.5);
    expect(p.next()).toBe(A);
    const [a] = p.snapshot();
    expect(a?.consecutiveFailures).toBe(1); // the raw count only resets on success
    expect(a?.failures).toBeCloseTo(0.5 ** 1.3, 10);
  });

  it('ignores reports for unknown URLs and removes duplicate URLs', async () => {
    const { pool: p } = await pool({}, () => 0, [A, A, B]);
    p.reportFailure('wss://nope');
    p.reportSuccess('wss://nope', 5);
    expect(p.urls).toEqual([A, B]);
    expect(p.circuit('wss://nope')).toBeUndefined();
  });
});

describe('EndpointPool strategies', () => {
  it('priority: first healthy, failing over in list order', async () => {
    const { pool: p } = await pool();
    expect(p.next()).toBe(A);
    expect(p.next()).toBe(A);
    p.reportFailure(A);
    expect(p.next()).toBe(B);
    p.reportFailure(B);
    expect(p.next()).toBe(C);
  });

  it('priority: with nothing healthy, the best score wins', async () => {
    const { pool: p } = await pool();
    p.reportFailure(A);
    p.reportFailure(B);
    p.reportFailure(B);
    p.reportSuccess(C);
    p.reportSuccess(C);
    p.reportFailure(C); // C: rate 3/4 × 1/2 = 0.375 > A: 0.25 > B: 1/3 × 1/3
    expect(p.score(C)).toBeCloseTo(0.375, 10);
    expect(p.next()).toBe(C);
  });

  it('round-robin: cycles through healthy endpoints, skipping unhealthy ones', async () => {
    const { pool: p } = await pool({ strategy: 'round-robin' });
    expect([p.next(), p.next(), p.next(), p.next()]).toEqual([A, B, C, A]);
    p.reportFailure(B);
    expect([p.next(), p.next(), p.next()]).toEqual([C, A, C]);
  });

  it('weighted-random: picks by score-weighted draws', async () => {
    // A score 1, B score 0.25 (one failure), C score 1: total 2.25
    const draws = [0, 0.44, 0.45, 0.999];
    const { pool: p } = await pool({ strategy: 'weighted-random', healthyScore: 0 }, sequenceRandom(draws));
    p.reportFailure(B);
    // 0 → A; 0.44×2.25 = 0.99 → A; 0.45×2.25 = 1.0125 → B; 0.999×2.25 → C
    expect([p.next(), p.next(), p.next(), p.next()]).toEqual([A, A, B, C]);
  });

  it('least-latency: lowest EWMA, unmeasured last, ties in list order', async () => {
    const { pool: p } = await pool({ strategy: 'least-latency' });
    expect(p.next()).toBe(A);
    p.reportSuccess(C, 50);
    p.reportSuccess(B, 80);
    expect(p.next()).toBe(C);
    p.reportSuccess(A, 20);
    expect(p.next()).toBe(A);
  });
});

describe('EndpointPool breakers', () => {
  it('skips endpoints whose breaker is open, for every strategy', async () => {
    for (const strategy of ['priority', 'round-robin', 'weighted-random', 'least-latency'] as const) {
      const { pool: p } = await pool({ strategy, breaker: { failureThreshold: 1 }, healthyScore: 0 });
      p.reportFailure(A);
      p.reportFailure(C);
      expect(p.circuit(A)).toBe('open');
      expect([p.next(), p.next(), p.next()]).toEqual([B, B, B]);
    }
  });

  it('returns undefined when all are open and says when to ask again', async () => {
    const { pool: p, clock } = await pool({ breaker: { failureThreshold: 1, resetTimeoutMs: 5_000 } });
    p.reportFailure(B);
    clock.advance(1_000);
    p.reportFailure(A);
    p.reportFailure(C);
    expect(p.next()).toBeUndefined();
    expect(p.nextAvailableAt()).toBe(clock.now() + 4_000);
    clock.advance(4_000);
    // B half-opens first: it gets the single probe even though it is unhealthy
    expect(p.next()).toBe(B);
    expect(p.next()).toBeUndefined();
    expect(p.snapshot().map((h) => h.circuit)).toEqual(['open', 'half-open', 'open']);
    p.reportSuccess(B, 10);
    expect(p.circuit(B)).toBe('closed');
    expect(p.next()).toBe(B);
  });

  it('an empty pool never returns an endpoint', async () => {
    const { pool: p } = await pool({}, () => 0, []);
    expect(p.next()).toBeUndefined();
    expect(p.nextAvailableAt()).toBeUndefined();
    expect(p.snapshot()).toEqual([]);
  });

  it('snapshot describes every endpoint as plain data', async () => {
    const { pool: p, clock } = await pool({ breaker: { failureThreshold: 1, resetTimeoutMs: 1_000 } });
    p.reportSuccess(A, 40);
    p.reportFailure(B);
    const snap = p.snapshot();
    expect(snap[0]).toEqual({
      url: A,
      score: 1 * (1_000 / 1_040),
      healthy: true,
      circuit: 'closed',
      successes: 1,
      failures: 0,
      consecutiveFailures: 0,
      latencyMs: 40,
      lastSuccessAt: clock.now(),
      lastFailureAt: null,
      halfOpensAt: null,
    });
    expect(snap[1]).toMatchObject({
      url: B,
      healthy: false,
      circuit: 'open',
      halfOpensAt: clock.now() + 1_000,
    });
    snap.pop();
    expect(p.snapshot()).toHaveLength(3);
  });
});

describe('EndpointPool strategies chunk (lazy)', () => {
  it('one endpoint needs no strategies: ready at once, next() picks it', () => {
    const p = new EndpointPool([A], { strategy: 'weighted-random' }, new ManualClock(0), () => 0.99);
    expect(p.ready).toBe(true);
    expect(p.next()).toBe(A);
  });

  it('several endpoints: not ready until loaded; then the strategy applies', async () => {
    const p = new EndpointPool([A, B], { strategy: 'weighted-random' }, new ManualClock(0), () => 0.99);
    expect(p.ready).toBe(false);
    expect(p.next()).toBe(A); // fallback before the chunk: list order
    await p.load();
    expect(p.ready).toBe(true);
    expect(p.next()).toBe(B); // 0.99 of total weight 2 → the second endpoint
  });

  it('scores every report once loaded (reports before the first pick are kept)', async () => {
    const { pool: p } = await pool();
    p.reportFailure(A);
    expect(p.snapshot()[0]).toMatchObject({ failures: 1, consecutiveFailures: 1, lastFailureAt: 10_000 });
  });
});
