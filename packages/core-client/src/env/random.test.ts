import { describe, expect, it } from 'vitest';
import { defaultRandom, seededRandom, sequenceRandom } from './random';

describe('random sources', () => {
  it('defaultRandom is in [0, 1)', () => {
    for (let i = 0; i < 100; i++) {
      const v = defaultRandom();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });

  it('seededRandom is deterministic per seed, in [0, 1), and differs across seeds', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const xs = Array.from({ length: 50 }, () => a());
    const ys = Array.from({ length: 50 }, () => b());
    const zs = Array.from({ length: 50 }, () => c());
    expect(xs).toEqual(ys);
    expect(xs).not.toEqual(zs);
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('sequenceRandom cycles through its values', () => {
    const r = sequenceRandom([0.1, 0.9]);
    expect([r(), r(), r()]).toEqual([0.1, 0.9, 0.1]);
    expect(() => sequenceRandom([])).toThrow(RangeError);
  });
});
