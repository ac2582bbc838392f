import { describe, expect, it } from 'vitest';
import { InterestTable } from './interest-table';

const link = (interest = true) => ({ has: () => interest });

describe('interest table', () => {
  it('sends everything until RESYNC, then only the set', () => {
    const t = new InterestTable();
    const l = link();
    t.open(l);
    expect(t.wants(l, 'news')).toBe(true);
    t.change(l, 'chat', true); // a SUB before RESYNC does not stop the flood
    expect(t.wants(l, 'news')).toBe(true);
    t.resync(l, ['chat', 'x']);
    expect(t.wants(l, 'news')).toBe(false);
    expect(t.wants(l, 'chat')).toBe(true);
    t.change(l, 'chat', false);
    t.change(l, 'news', true);
    expect([t.wants(l, 'chat'), t.wants(l, 'news')]).toEqual([false, true]);
  });

  it('without the capability, or over the bound, falls back to everything', () => {
    const t = new InterestTable(2);
    const plain = link(false);
    t.open(plain);
    t.resync(plain, []);
    expect(t.wants(plain, 'a')).toBe(true);
    const l = link();
    t.open(l);
    t.resync(l, ['a', 'b']);
    expect(t.wants(l, 'c')).toBe(false);
    t.change(l, 'c', true);
    expect(t.wants(l, 'zzz')).toBe(true);
    expect(t.size(l)).toBe(0);
  });

  it('announced() is only what the peer announced, never the pre-RESYNC flood', () => {
    const t = new InterestTable();
    const l = link();
    expect(t.announced(l, 'k')).toBe(false); // unknown link
    t.open(l);
    expect(t.wants(l, 'k')).toBe(true);
    expect(t.announced(l, 'k')).toBe(false);
    t.change(l, 'k', true);
    expect(t.announced(l, 'k')).toBe(true);
    t.resync(l, ['other']);
    expect(t.announced(l, 'k')).toBe(false);
  });
});
