import { describe, expect, it } from 'vitest';
import { breakerState, dialFailed, freshDial, DEFAULT_DIAL_POLICY as P, redialDelay } from './dial-policy';

describe('dial policy', () => {
  it('backs off 1 s × 1.5 up to 60 s, jitter ±20 %', () => {
    expect([0, 1, 2, 3].map((a) => redialDelay(a, P, () => 0.5))).toEqual([1000, 1500, 2250, 3375]);
    expect(redialDelay(30, P, () => 0.5)).toBe(60_000);
    expect(redialDelay(0, P, () => 0)).toBe(800);
    expect(redialDelay(0, P, () => 0.999999)).toBe(1200);
  });

  it('opens the breaker after 5 consecutive failures, then allows a probe', () => {
    let s = freshDial(0);
    for (let i = 0; i < 4; i++) s = dialFailed(s, 0, P, () => 0.5);
    expect(breakerState(s, 0)).toBe('closed');
    s = dialFailed(s, 0, P, () => 0.5);
    expect(breakerState(s, 1000)).toBe('open');
    expect(s.nextAt).toBe(60_000);
    expect(breakerState(s, 60_000)).toBe('half-open');
    s = dialFailed(s, 60_000, P, () => 0.5);
    expect(breakerState(s, 61_000)).toBe('open');
  });
});
