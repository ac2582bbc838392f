import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock';

describe('ManualClock', () => {
  it('starts at the given time and only moves on advance', () => {
    const clock = new ManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    expect(clock.advance(250)).toBe(0);
    expect(clock.now()).toBe(1_250);
  });

  it('runs due timers in due order, then scheduling order, with now() at their due time', () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
    expect(clock.advance(19)).toBe(1);
    expect(seen).toEqual(['a@10']);
    expect(clock.advance(1)).toBe(2);
    expect(seen).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.pending).toBe(0);
  });

  it('runs timers scheduled by timers inside the same window, not beyond it', () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    const tick = () => {
      seen.push(clock.now());
      clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    clock.advance(350);
    expect(seen).toEqual([100, 200, 300]);
    expect(clock.now()).toBe(350);
    expect(clock.nextTimerAt()).toBe(400);
  });

  it('treats negative and NaN delays as zero and runs them on advance(0)', () => {
    const clock = new ManualClock(5);
    let n = 0;
    clock.setTimeout(() => n++, -10);
    clock.setTimeout(() => n++, Number.NaN);
    expect(n).toBe(0);
    clock.advance(0);
    expect(n).toBe(2);
  });

  it('clearTimeout cancels only the given timer and ignores unknown handles', () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    const a = clock.setTimeout(() => seen.push('a'), 10);
    clock.setTimeout(() => seen.push('b'), 10);
    clock.clearTimeout(a);
    clock.clearTimeout('nope');
    clock.advance(10);
    expect(seen).toEqual(['b']);
  });

  it('a timer can cancel a later one', () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    const late = clock.setTimeout(() => seen.push('late'), 20);
    clock.setTimeout(() => clock.clearTimeout(late), 10);
    clock.advance(30);
    expect(seen).toEqual([]);
  });

  it('runAll jumps to each timer and guards against loops', () => {
    const clock = new ManualClock();
    clock.setTimeout(() => {}, 1_000);
    expect(clock.runAll()).toBe(1);
    expect(clock.now()).toBe(1_000);
    const loop = () => clock.setTimeout(loop, 1);
    loop();
    expect(() => clock.runAll(5)).toThrow(/timer loop/);
  });

  it('refuses to go backwards', () => {
    const clock = new ManualClock(10);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advanceTo(5)).toThrow(RangeError);
  });
});
