import { describe, expect, it } from 'vitest';
import { sequenceRandom } from '../env/random';
import { Backoff, backoffCeiling, backoffDelay, canRetry, DEFAULT_BACKOFF } from './backoff';

describe('backoffCeiling', () => {
  it('doubles from baseMs and caps at maxMs', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffCeiling(a, { baseMs: 500, maxMs: 20_000 }));
    expect(ceilings).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 20_000, 20_000]);
  });

  it('uses the defaults and survives huge, negative and fractional attempts', () => {
    expect(backoffCeiling(0)).toBe(DEFAULT_BACKOFF.baseMs);
    expect(backoffCeiling(5_000)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(backoffCeiling(Number.POSITIVE_INFINITY)).toBe(20_000);
    expect(backoffCeiling(Number.NaN)).toBe(500);
    expect(backoffCeiling(-3)).toBe(500);
    expect(backoffCeiling(1.9)).toBe(1_000);
  });
});

describe('backoffDelay', () => {
  it('is random() times the ceiling (full jitter)', () => {
    const opts = { baseMs: 500, maxMs: 20_000 };
    expect(backoffDelay(0, opts, () => 0.5)).toBe(250);
    expect(backoffDelay(3, opts, () => 0.25)).toBe(1_000);
    expect(backoffDelay(10, opts, () => 0.5)).toBe(10_000);
    expect(backoffDelay(10, opts, () => 0)).toBe(0);
  });

  it('clamps out-of-range random values', () => {
    expect(backoffDelay(0, { baseMs: 100, maxMs: 1000 }, () => 7)).toBe(100);
    expect(backoffDelay(0, { baseMs: 100, maxMs: 1000 }, () => -1)).toBe(0);
    expect(backoffDelay(0, { baseMs: 100, maxMs: 1000 }, () => Number.NaN)).toBe(0);
  });

  it('stays inside [0, ceiling) for real randomness', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const d = backoffDelay(attempt);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(backoffCeiling(attempt));
    }
  });
});

describe('canRetry and Backoff', () => {
  it('is unlimited without maxAttempts', () => {
    expect(canRetry(1_000_000, {})).toBe(true);
    expect(canRetry(2, { maxAttempts: 3 })).toBe(true);
    expect(canRetry(3, { maxAttempts: 3 })).toBe(false);
  });

  it('hands out growing delays, stops at maxAttempts and resets', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1_000, maxAttempts: 3 }, sequenceRandom([1]));
    expect([b.next(), b.next(), b.next()]).toEqual([100, 200, 400]);
    expect(b.attempt).toBe(3);
    expect(b.next()).toBeUndefined();
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(100);
  });

  it('applies the defaults', () => {
    const b = new Backoff({}, () => 0.5);
    const delays = Array.from({ length: 8 }, () => b.next());
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });
});
