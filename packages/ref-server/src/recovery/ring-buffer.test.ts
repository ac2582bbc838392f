import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer';

describe('RingBuffer', () => {
  it('rejects a capacity that is not a power of two', () => {
    for (const bad of [0, 3, 12, -4, 1.5, Number.NaN]) {
      expect(() => new RingBuffer(bad)).toThrow(/power of two/);
    }
    expect(new RingBuffer(1).capacity).toBe(1);
    expect(new RingBuffer(16).capacity).toBe(16);
  });

  it('starts empty at offset 0 (or the given start)', () => {
    const ring = new RingBuffer<string>(4);
    expect([ring.size, ring.firstOffset, ring.nextOffset, ring.lastOffset]).toEqual([0, 0, 0, -1]);
    expect(ring.read(0, -1)).toEqual({ ok: true, items: [] });
    expect(ring.read(0, 0)).toEqual({ ok: false, reason: 'ahead' });
    const later = new RingBuffer<string>(4, 100);
    later.append('x');
    expect(later.at(100)).toBe('x');
    expect(later.lastOffset).toBe(100);
    expect(() => new RingBuffer(4, -1)).toThrow(/startOffset/);
  });

  it('appends with consecutive offsets and evicts the oldest when full', () => {
    const ring = new RingBuffer<string>(4);
    const evicted = ['a', 'b', 'c', 'd', 'e', 'f'].map((s) => ring.append(s));
    expect(evicted).toEqual([undefined, undefined, undefined, undefined, 'a', 'b']);
    expect(ring.firstOffset).toBe(2);
    expect(ring.lastOffset).toBe(5);
    expect([...ring]).toEqual(['c', 'd', 'e', 'f']);
    expect(ring.read(2, 5)).toEqual({ ok: true, items: ['c', 'd', 'e', 'f'] });
    expect(ring.read(3, 4)).toEqual({ ok: true, items: ['d', 'e'] });
    expect(ring.read(1, 5)).toEqual({ ok: false, reason: 'evicted' });
    expect(ring.read(4, 6)).toEqual({ ok: false, reason: 'ahead' });
    expect(ring.at(1)).toBeUndefined();
    expect(ring.at(5)).toBe('f');
  });

  it('shift drops the oldest without reusing offsets', () => {
    const ring = new RingBuffer<number>(4);
    ring.append(0);
    ring.append(1);
    expect(ring.shift()).toBe(0);
    expect(ring.shift()).toBe(1);
    expect(ring.shift()).toBeUndefined();
    expect([ring.size, ring.firstOffset, ring.nextOffset]).toEqual([0, 2, 2]);
    ring.append(2);
    expect(ring.read(2, 2)).toEqual({ ok: true, items: [2] });
    expect(ring.read(1, 2)).toEqual({ ok: false, reason: 'evicted' });
  });

  it('reset restarts numbering; earlier offsets count as evicted', () => {
    const ring = new RingBuffer<number>(4);
    for (let i = 0; i < 3; i++) ring.append(i);
    ring.reset(50);
    expect(ring.size).toBe(0);
    ring.append(50);
    expect(ring.read(50, 50)).toEqual({ ok: true, items: [50] });
    expect(ring.read(2, 50)).toEqual({ ok: false, reason: 'evicted' });
  });

  it('works past 2^31 offsets (no 32-bit overflow in slot arithmetic)', () => {
    const start = 2 ** 40;
    const ring = new RingBuffer<number>(8, start);
    for (let i = 0; i < 20; i++) ring.append(start + i);
    expect(ring.read(start + 12, start + 19)).toEqual({
      ok: true,
      items: Array.from({ length: 8 }, (_, i) => start + 12 + i),
    });
  });

  it('matches a model under random appends/shifts/reads', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 8),
        fc.array(fc.oneof(fc.constant(-1), fc.nat(5)), { maxLength: 60 }),
        (capacity, ops) => {
          const ring = new RingBuffer<number>(capacity);
          const model: number[] = []; // retained offsets (item === offset)
          let next = 0;
          for (const op of ops) {
            if (op === -1) {
              expect(ring.shift()).toBe(model.shift());
            } else if (op === 0) {
              ring.append(next);
              model.push(next++);
              if (model.length > capacity) model.shift();
            } else {
              const from = Math.max(0, next - op);
              const r = ring.read(from, next - 1);
              const first = model[0] ?? next;
              if (from < first && from <= next - 1) expect(r).toEqual({ ok: false, reason: 'evicted' });
              else expect(r).toEqual({ ok: true, items: model.filter((o) => o >= from) });
            }
            expect([...ring]).toEqual(model);
          }
        },
      ),
    );
  });
});
