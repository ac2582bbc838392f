import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter';

describe('Emitter', () => {
  it('hands out listeners in order, drops once-listeners when taken, off removes every registration', () => {
    const em = new Emitter();
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    em.on('x', a);
    em.on('x', b, true);
    em.on('x', a);
    for (const fn of em.take('x')) fn();
    for (const fn of em.take('x')) fn();
    expect(calls).toEqual(['a', 'b', 'a', 'a', 'a']);
    em.off('x', a);
    expect(em.take('x')).toEqual([]);
    expect(em.take('never')).toEqual([]);
  });

  it('take is a snapshot: changes during delivery apply from the next event', () => {
    const em = new Emitter();
    const calls: string[] = [];
    const late = () => calls.push('late');
    const first = () => {
      calls.push('first');
      em.off('x', second);
      em.on('x', late);
    };
    const second = () => calls.push('second');
    em.on('x', first);
    em.on('x', second);
    for (const fn of em.take('x')) fn();
    expect(calls).toEqual(['first', 'second']);
    expect(em.take('x')).toEqual([first, late]);
  });
});
