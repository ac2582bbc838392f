import { describe, expect, it } from 'vitest';
import { adaptiveSettings, QualityMonitor } from './quality-monitor';

describe('QualityMonitor statistics', () => {
  it('is empty and unknown without samples', () => {
    const m = new QualityMonitor();
    expect(m.level).toBe('unknown');
    expect(m.latency()).toEqual({ last: null, avg: null, p95: null });
    expect(m.jitter()).toBeNull();
    expect(m.lossRatio()).toBe(0);
  });

  it('computes last, average, nearest-rank p95 and jitter', () => {
    const m = new QualityMonitor();
    for (const rtt of [10, 30, 20, 40]) m.recordRtt(rtt);
    expect(m.latency()).toEqual({ last: 40, avg: 25, p95: 40 });
    expect(m.jitter()).toBeCloseTo((20 + 10 + 20) / 3, 10);
    const big = new QualityMonitor();
    for (let i = 1; i <= 20; i++) big.recordRtt(i * 10);
    expect(big.latency().p95).toBe(190); // ceil(0.95 × 20) = 19th smallest
  });

  it('keeps a sliding window of RTT samples', () => {
    const m = new QualityMonitor({ windowSize: 3 });
    for (const rtt of [1_000, 10, 20, 30]) m.recordRtt(rtt);
    expect(m.sampleCount).toBe(3);
    expect(m.latency().avg).toBe(20);
    expect(m.jitter()).toBe(10);
  });

  it('ignores invalid samples', () => {
    const m = new QualityMonitor();
    m.recordRtt(-1);
    m.recordRtt(Number.NaN);
    m.recordRtt(Number.POSITIVE_INFINITY);
    expect(m.sampleCount).toBe(0);
    expect(m.lossRatio()).toBe(0);
  });

  it('computes loss over a window of pong outcomes', () => {
    const m = new QualityMonitor({ lossWindow: 4 });
    m.recordRtt(10);
    m.recordLoss();
    expect(m.lossRatio()).toBe(0.5);
    m.recordRtt(10);
    m.recordRtt(10);
    expect(m.lossRatio()).toBe(0.25); // [ok, miss, ok, ok]
    m.recordRtt(10);
    expect(m.lossRatio()).toBe(0.25); // [miss, ok, ok, ok]
    m.recordRtt(10);
    expect(m.lossRatio()).toBe(0); // the miss slid out of the window
  });

  it('reset forgets everything', () => {
    const m = new QualityMonitor();
    m.recordRtt(10);
    m.recordLoss();
    m.reset();
    expect(m.level).toBe('unknown');
    expect(m.lossRatio()).toBe(0);
  });
});

describe('QualityMonitor levels', () => {
  const levelFor = (rtts: number[], losses = 0) => {
    const m = new QualityMonitor();
    for (const r of rtts) m.recordRtt(r);
    for (let i = 0; i < losses; i++) m.recordLoss();
    return m.level;
  };

  it('maps average RTT to levels at the documented thresholds', () => {
    expect(levelFor([49])).toBe('excellent');
    expect(levelFor([50])).toBe('good');
    expect(levelFor([149])).toBe('good');
    expect(levelFor([150])).toBe('fair');
    expect(levelFor([399])).toBe('fair');
    expect(levelFor([400])).toBe('poor');
    expect(levelFor([20, 20, 20, 500])).toBe('good'); // mean 140 ms despite one 500 ms spike
  });

  it('any loss rules out excellent; loss over 10 % is poor', () => {
    const ten = Array.from({ length: 9 }, () => 10);
    expect(levelFor(ten, 1)).toBe('good'); // 1 of 10 = 10 %: not over
    expect(levelFor(ten.slice(1), 1)).toBe('poor'); // 1 of 9 > 10 %
    expect(levelFor([], 1)).toBe('poor'); // only misses
  });

  it('honours custom thresholds', () => {
    const m = new QualityMonitor({ thresholds: { excellentMs: 5, maxLoss: 0.5 } });
    m.recordRtt(10);
    expect(m.level).toBe('good');
    m.recordLoss();
    expect(m.level).toBe('good'); // 50 % is not over 50 %
  });
});

describe('adaptiveSettings', () => {
  it('batches and compresses more when poor', () => {
    const good = adaptiveSettings('good');
    const poor = adaptiveSettings('poor');
    expect(good).toEqual({
      batchIntervalMs: 0,
      maxBatchSize: 1,
      compressionThreshold: 1024,
      requestCompression: false,
    });
    expect(poor).toEqual({
      batchIntervalMs: 100,
      maxBatchSize: 50,
      compressionThreshold: 256,
      requestCompression: true,
    });
    expect(adaptiveSettings('fair').batchIntervalMs).toBeGreaterThan(0);
    expect(adaptiveSettings('unknown')).toEqual(good);
    expect(adaptiveSettings('excellent')).toEqual(good);
    expect(Object.isFrozen(poor)).toBe(true);
  });
});
