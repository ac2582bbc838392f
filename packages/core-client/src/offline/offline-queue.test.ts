import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../env/manual-clock';
import { type DropReason, OfflineQueue, type OfflineQueueOptions } from './offline-queue';
import { MemoryQueueStorage, type QueuedMessage, type QueueStorage } from './queue-storage';

/** The messages `drainAll` hands out. */
const drain = (queue: OfflineQueue, max?: number) => queue.drainAll(max).messages;

function setup(options: OfflineQueueOptions = {}) {
  const clock = new ManualClock(1_000_000);
  const drops: Array<[string, DropReason]> = [];
  let n = 0;
  const queue = new OfflineQueue(
    { createId: () => `m${++n}`, onDrop: (m, why) => drops.push([m.id, why]), ...options },
    clock,
  );
  return { clock, queue, drops };
}

const ids = (ms: QueuedMessage[]) => ms.map((m) => m.id);

/** A storage that records every save. */
class RecordingStorage extends MemoryQueueStorage {
  saves: string[][] = [];
  override async save(items: QueuedMessage[]): Promise<void> {
    this.saves.push(ids(items));
    await super.save(items);
  }
}

describe('OfflineQueue ordering', () => {
  it('drains by priority, FIFO within a priority, and fills defaults', () => {
    const { queue, clock } = setup();
    queue.enqueue({ type: 'a' });
    queue.enqueue({ type: 'b', priority: 8 });
    clock.advance(5);
    queue.enqueue({ type: 'c', priority: 1, cid: 'req-1' });
    queue.enqueue({ type: 'd', priority: 8, payload: { x: 1 } });
    queue.enqueue({ type: 'e', priority: Number.NaN });
    const out = drain(queue);
    expect(out.map((m) => m.type)).toEqual(['b', 'd', 'a', 'e', 'c']);
    expect(out[0]).toEqual({ id: 'm2', type: 'b', payload: null, priority: 8, enqueuedAt: 1_000_000 });
    expect(out[4]).toMatchObject({ cid: 'req-1', enqueuedAt: 1_000_005, priority: 1 });
    expect(out[3]?.priority).toBe(5);
  });

  it('drained messages stay held (in flight) until removed, and are not drained twice', () => {
    const { queue } = setup();
    queue.enqueue({ type: 'a' });
    queue.enqueue({ type: 'b' });
    expect(ids(drain(queue, 1))).toEqual(['m1']);
    expect(queue.inFlight).toBe(1);
    queue.enqueue({ type: 'c', priority: 10 });
    expect(ids(drain(queue))).toEqual(['m3', 'm2']);
    expect(drain(queue)).toEqual([]);
    expect(queue.size).toBe(3);
    expect(queue.remove(['m1', 'm3', 'nope'])).toBe(2);
    expect(ids(queue.peekAll())).toEqual(['m2']);
  });

  it('release puts in-flight messages back in line', () => {
    const { queue } = setup();
    queue.enqueue({ type: 'a' });
    queue.enqueue({ type: 'b' });
    queue.enqueue({ type: 'c' });
    drain(queue);
    queue.release(['m2']);
    expect(ids(drain(queue))).toEqual(['m2']);
    queue.release();
    expect(queue.inFlight).toBe(0);
    expect(ids(drain(queue))).toEqual(['m1', 'm2', 'm3']);
  });
});

describe('OfflineQueue bounds', () => {
  it('when full, drops the oldest lowest-priority message and reports it', () => {
    const { queue, drops } = setup({ maxSize: 3 });
    queue.enqueue({ type: 'a', priority: 5 });
    queue.enqueue({ type: 'b', priority: 3 });
    queue.enqueue({ type: 'c', priority: 3 });
    const r = queue.enqueue({ type: 'd', priority: 5 });
    expect(r.accepted).toBe(true);
    expect(r.dropped?.id).toBe('m2');
    expect(drops).toEqual([['m2', 'overflow']]);
    expect(ids(queue.peekAll())).toEqual(['m1', 'm4', 'm3']);
  });

  it('refuses a new message that is itself the lowest priority', () => {
    const { queue, drops } = setup({ maxSize: 2 });
    queue.enqueue({ type: 'a', priority: 5 });
    queue.enqueue({ type: 'b', priority: 5 });
    const r = queue.enqueue({ type: 'c', priority: 1 });
    expect(r).toMatchObject({ accepted: false, dropped: { id: 'm3' }, message: { id: 'm3' } });
    expect(drops).toEqual([['m3', 'overflow']]);
    expect(queue.size).toBe(2);
    // equal priority: the older queued one goes, the new one stays
    const r2 = queue.enqueue({ type: 'd', priority: 5 });
    expect(r2.accepted).toBe(true);
    expect(r2.dropped?.id).toBe('m1');
  });

  it('never drops messages in flight', () => {
    const { queue } = setup({ maxSize: 2 });
    queue.enqueue({ type: 'a', priority: 1 });
    queue.enqueue({ type: 'b', priority: 5 });
    drain(queue, 1); // m2 (priority 5) in flight
    const r = queue.enqueue({ type: 'c', priority: 5 });
    expect(r.dropped?.id).toBe('m1');
    drain(queue);
    const r2 = queue.enqueue({ type: 'd', priority: 10 });
    expect(r2).toMatchObject({ accepted: false, dropped: { id: 'm4' } });
  });

  it('makes room from expired messages before dropping live ones', () => {
    const { queue, clock, drops } = setup({ maxSize: 2, maxAgeMs: 1_000 });
    queue.enqueue({ type: 'a', priority: 10 });
    clock.advance(600);
    queue.enqueue({ type: 'b', priority: 1 });
    clock.advance(401);
    const r = queue.enqueue({ type: 'c', priority: 1 });
    expect(r.accepted).toBe(true);
    expect(r.dropped).toBeUndefined();
    expect(ids(r.expired ?? [])).toEqual(['m1']);
    expect(drops).toEqual([['m1', 'expired']]);
  });

  it('drops expired messages on drain (age > maxAgeMs) and reports them', () => {
    const { queue, clock, drops } = setup({ maxAgeMs: 1_000 });
    queue.enqueue({ type: 'old' });
    clock.advance(500);
    queue.enqueue({ type: 'new' });
    clock.advance(500);
    expect(ids(queue.drainAll().expired)).toEqual([]); // exactly maxAgeMs old: still valid
    queue.release();
    clock.advance(1);
    const { messages, expired } = queue.drainAll();
    expect(ids(expired)).toEqual(['m1']);
    expect(ids(messages)).toEqual(['m2']);
    expect(drops).toEqual([['m1', 'expired']]);
    expect(queue.size).toBe(1);
  });

  it('defaults to 1000 messages and 24 h', () => {
    const { queue, clock } = setup();
    for (let i = 0; i < 1_000; i++) expect(queue.enqueue({ type: 't' }).dropped).toBeUndefined();
    expect(queue.enqueue({ type: 't' }).dropped?.id).toBe('m1');
    expect(queue.size).toBe(1_000);
    clock.advance(24 * 60 * 60 * 1_000);
    expect(queue.drainAll().expired).toHaveLength(0);
    queue.release();
    clock.advance(1);
    expect(queue.drainAll().expired).toHaveLength(1_000);
  });

  it('a throwing onDrop does not corrupt the queue', () => {
    const onError = vi.fn();
    const queue = new OfflineQueue({
      maxSize: 1,
      onError,
      onDrop: () => {
        throw new Error('user bug');
      },
    });
    queue.enqueue({ type: 'a', id: 'a' });
    const r = queue.enqueue({ type: 'b', id: 'b' });
    expect(r.dropped?.id).toBe('a');
    expect(ids(queue.peekAll())).toEqual(['b']);
    expect(onError).toHaveBeenCalledTimes(1);
  });
});

describe('OfflineQueue persistence', () => {
  it('does not save before restore(), then saves coalesced changes in order', async () => {
    const storage = new RecordingStorage();
    await storage.save([{ id: 'old', type: 'x', payload: 1, priority: 5, enqueuedAt: 999_000 }]);
    storage.saves = [];
    const { queue } = setup({ storage });
    queue.enqueue({ type: 'a' });
    await Promise.resolve();
    await Promise.resolve();
    expect(storage.saves).toEqual([]); // would have overwritten 'old'
    await queue.restore();
    await queue.flush();
    expect(storage.saves).toEqual([['old', 'm1']]);
    queue.enqueue({ type: 'b' });
    queue.enqueue({ type: 'c', priority: 9 });
    await queue.flush();
    expect(storage.saves).toEqual([
      ['old', 'm1'],
      ['m3', 'old', 'm1', 'm2'],
    ]);
  });

  it('removes from storage only when the runtime confirms', async () => {
    const storage = new MemoryQueueStorage();
    const { queue } = setup({ storage });
    await queue.restore();
    queue.enqueue({ type: 'a' });
    queue.enqueue({ type: 'b' });
    const out = drain(queue);
    await queue.flush();
    expect(ids(await storage.load())).toEqual(['m1', 'm2']);
    queue.remove([(out[0] as QueuedMessage).id]);
    await queue.flush();
    expect(ids(await storage.load())).toEqual(['m2']);
  });

  it('restore merges stored (older) messages before this session, dedupes, expires and bounds', async () => {
    const storage = new MemoryQueueStorage();
    const now = 1_000_000;
    await storage.save([
      { id: 's1', type: 'x', payload: null, priority: 5, enqueuedAt: now - 10 },
      { id: 'm1', type: 'dup', payload: null, priority: 5, enqueuedAt: now - 10 },
      { id: 'gone', type: 'x', payload: null, priority: 8, enqueuedAt: now - 5_000 },
      { id: 's2', type: 'x', payload: null, priority: 1, enqueuedAt: now - 10 },
      { id: 's3', type: 'x', payload: null, priority: 5, enqueuedAt: now - 10 },
    ]);
    const { queue, drops } = setup({ storage, maxSize: 3, maxAgeMs: 1_000 });
    queue.enqueue({ type: 'live' });
    await queue.restore();
    expect(ids(queue.peekAll())).toEqual(['s1', 's3', 'm1']);
    expect(queue.peekAll()[2]?.type).toBe('live');
    expect(drops).toEqual([
      ['gone', 'expired'],
      ['s2', 'overflow'],
    ]);
    await queue.flush();
    expect(ids(await storage.load())).toEqual(['s1', 's3', 'm1']);
  });

  it('reports storage failures and still keeps the queue in memory', async () => {
    const errors: unknown[] = [];
    const failing: QueueStorage = {
      load: async () => [],
      save: async () => {
        throw new Error('quota');
      },
      clear: async () => {},
    };
    const { queue } = setup({ storage: failing, onError: (e) => errors.push(e) });
    await queue.restore();
    queue.enqueue({ type: 'a' });
    await expect(queue.flush()).rejects.toThrow('quota');
    expect(errors).toHaveLength(2);
    expect(queue.size).toBe(1);
  });

  it('a failed load is reported, rethrown, and saving still starts', async () => {
    const storage = new RecordingStorage();
    storage.load = async () => {
      throw new Error('corrupt');
    };
    const onError = vi.fn();
    const { queue } = setup({ storage, onError });
    queue.enqueue({ type: 'a' });
    await expect(queue.restore()).rejects.toThrow('corrupt');
    await queue.flush();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(storage.saves).toEqual([['m1']]);
  });

  it('clear empties the queue and the storage', async () => {
    const storage = new MemoryQueueStorage();
    const { queue } = setup({ storage });
    await queue.restore();
    queue.enqueue({ type: 'a' });
    queue.clear();
    await queue.flush();
    expect(queue.size).toBe(0);
    expect(await storage.load()).toEqual([]);
  });
});
