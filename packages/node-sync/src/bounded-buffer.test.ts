import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedBuffer } from './bounded-buffer';

describe('BoundedBuffer', () => {
  it('is FIFO below capacity', () => {
    const b = new BoundedBuffer<number>(3);
    expect(b.push(1)).toBe(false);
    expect(b.push(2)).toBe(false);
    expect(b.shift()).toBe(1);
    expect(b.push(3)).toBe(false);
    expect(b.drain()).toEqual([2, 3]);
    expect(b.size).toBe(0);
    expect(b.shift()).toBeUndefined();
    expect(b.dropped).toBe(0);
  });

  it('drops the oldest when full and counts every drop', () => {
    const b = new BoundedBuffer<number>(3);
    for (let i = 0; i < 10; i++) b.push(i);
    expect(b.size).toBe(3);
    expect(b.dropped).toBe(7);
    expect(b.drain(2)).toEqual([7, 8]);
    b.push(10);
    b.push(11);
    expect(b.dropped).toBe(7);
    b.push(12);
    expect(b.dropped).toBe(8);
    expect(b.drain()).toEqual([10, 11, 12]);
  });

  it('clear() empties without counting drops', () => {
    const b = new BoundedBuffer<string>(2);
    b.push('a');
    b.push('b');
    b.clear();
    expect(b.size).toBe(0);
    expect(b.dropped).toBe(0);
    b.push('c');
    expect(b.drain()).toEqual(['c']);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BoundedBuffer(0)).toThrow(RangeError);
    expect(() => new BoundedBuffer(1.5)).toThrow(RangeError);
  });

  it('matches a model: the newest `capacity` items survive, in order, and drops are counted', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant<'push'>('push'), value: fc.integer() }),
      fc.record({ kind: fc.constant<'shift'>('shift') }),
      fc.record({ kind: fc.constant<'drain'>('drain'), max: fc.integer({ min: 0, max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
        const b = new BoundedBuffer<number>(capacity);
        const model: number[] = [];
        let dropped = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            model.push(o.value);
            const overflow = model.length > capacity;
            if (overflow) {
              model.shift();
              dropped++;
            }
            expect(b.push(o.value)).toBe(overflow);
          } else if (o.kind === 'shift') {
            expect(b.shift()).toBe(model.shift());
          } else {
            expect(b.drain(o.max)).toEqual(model.splice(0, o.max));
          }
          expect(b.size).toBe(model.length);
          expect(b.dropped).toBe(dropped);
        }
      }),
    );
  });
});
