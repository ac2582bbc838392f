import { describe, expect, it } from 'vitest';
import { MemoryKeyValueStorage, MemoryQueueStorage, type QueuedMessage } from './queue-storage';

const msg = (id: string): QueuedMessage => ({ id, type: 't', payload: { n: 1 }, priority: 5, enqueuedAt: 0 });

describe('MemoryQueueStorage', () => {
  it('saves, loads and clears copies', async () => {
    const s = new MemoryQueueStorage();
    expect(await s.load()).toEqual([]);
    const items = [msg('a'), msg('b')];
    await s.save(items);
    items.push(msg('c'));
    (items[0] as QueuedMessage).priority = 10;
    const loaded = await s.load();
    expect(loaded.map((m) => [m.id, m.priority])).toEqual([
      ['a', 5],
      ['b', 5],
    ]);
    loaded.pop();
    expect(await s.load()).toHaveLength(2);
    await s.clear();
    expect(await s.load()).toEqual([]);
  });
});

describe('MemoryKeyValueStorage', () => {
  it('gets, sets (cloned) and deletes', async () => {
    const kv = new MemoryKeyValueStorage();
    expect(await kv.get('x')).toBeUndefined();
    const value = { v: 1, topics: { a: [{ epoch: 'e', offset: 1 }] } };
    await kv.set('x', value);
    value.v = 2;
    expect(await kv.get('x')).toEqual({ v: 1, topics: { a: [{ epoch: 'e', offset: 1 }] } });
    await kv.delete('x');
    expect(await kv.get('x')).toBeUndefined();
  });
});
