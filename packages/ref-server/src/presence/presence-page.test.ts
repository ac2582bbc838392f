import { describe, expect, it } from 'vitest';
import { type PresencePageSource, presencePage } from './presence-page';

function source(entries: Record<string, number>): PresencePageSource {
  const map = new Map(Object.entries(entries));
  return {
    userIds: () => [...map.keys()],
    member: (_t, id) => {
      const bytes = map.get(id);
      return bytes === undefined ? undefined : { data: 'x'.repeat(bytes - 2), connections: 1, bytes };
    },
  };
}

describe('presencePage', () => {
  it('pages in id order after the cursor, at most `limit` users', () => {
    const s = source({ c: 10, a: 10, __proto__x: 10, b: 10 });
    const p1 = presencePage(s, 't', undefined, 2);
    expect(Object.keys(p1.members)).toEqual(['__proto__x', 'a']);
    expect(p1.next).toBe('a');
    const p2 = presencePage(s, 't', p1.next, 2);
    expect(Object.keys(p2.members)).toEqual(['b', 'c']);
    expect(p2.next).toBeUndefined();
  });

  it('stops at the byte budget but always returns one member', () => {
    const s = source({ a: 600, b: 600, c: 600 });
    const p = presencePage(s, 't', undefined, 100, 1000);
    expect(Object.keys(p.members)).toEqual(['a']);
    expect(p.next).toBe('a');
    expect(Object.keys(presencePage(s, 't', undefined, 100, 10).members)).toEqual(['a']);
  });

  it('keeps `__proto__` as a plain member id', () => {
    const p = presencePage(source({ ['__proto__']: 10 }), 't', undefined, 10);
    expect(Object.keys(p.members)).toEqual(['__proto__']);
  });
});
