import { describe, expect, it } from 'vitest';
import { EventStream } from './event-stream';
import { SnapshotStore } from './snapshot-store';

describe('SnapshotStore', () => {
  it('replaces a frozen snapshot only on change and isolates throwing listeners', () => {
    const errors: unknown[] = [];
    const store = new SnapshotStore({ a: 1, b: 'x' }, (e) => errors.push(e));
    const first = store.getSnapshot();
    expect(Object.isFrozen(first)).toBe(true);
    const seen: number[] = [];
    store.subscribe(() => {
      throw new Error('bad listener');
    });
    const stop = store.subscribe((s) => seen.push(s.a));
    store.update({ a: 1 });
    expect(store.getSnapshot()).toBe(first);
    store.update({ a: 2 });
    expect(store.getSnapshot()).not.toBe(first);
    expect(seen).toEqual([2]);
    expect(errors).toHaveLength(1);
    stop();
    store.update({ a: 3 });
    expect(seen).toEqual([2]);
  });
});

describe('EventStream', () => {
  it('buffers per iterator, wakes waiting readers, ends all on end()', async () => {
    const stream = new EventStream<number>();
    const a = stream.iterate();
    stream.push(1);
    const b = stream.iterate();
    const waiting = b.next();
    stream.push(2);
    expect(await a.next()).toEqual({ value: 1, done: false });
    expect(await a.next()).toEqual({ value: 2, done: false });
    expect(await waiting).toEqual({ value: 2, done: false });
    const pending = a.next();
    stream.end();
    expect((await pending).done).toBe(true);
    expect((await stream.iterate().next()).done).toBe(true);
  });
});
