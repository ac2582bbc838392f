import { describe, expect, it } from 'vitest';
import { chooseGroupNode, fnv1a } from './group-choice';

const env = (id?: string, e?: string, o?: number) => ({ c: 'U' as const, t: 'job', p: {}, id, e, o });

describe('group choice', () => {
  it('fnv1a matches the reference values', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('every node computes the same holder whatever order it lists them in', () => {
    for (let i = 0; i < 50; i++) {
      const e = env(`m${i}`);
      const pick = chooseGroupNode(['n1', 'n2', 'n3'], e);
      expect(chooseGroupNode(['n3', 'n1', 'n2'], e)).toBe(pick);
      expect(chooseGroupNode(['n2', 'n3', 'n1'], e)).toBe(pick);
    }
  });

  it('spreads ids over the holders and falls back to the stamp without an id', () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const n = chooseGroupNode(['a', 'b', 'c'], env(undefined, 'ep', i)) as string;
      seen.set(n, (seen.get(n) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const v of seen.values()) expect(v).toBeGreaterThan(50);
    expect(chooseGroupNode([], env('x'))).toBeUndefined();
  });
});
