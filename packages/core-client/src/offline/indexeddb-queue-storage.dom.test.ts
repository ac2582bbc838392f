// DOM project: scripts/dom-setup.ts installs fake-indexeddb's globals (`fake-indexeddb/auto`), which
// `idb` needs; each test still injects its own factory (a fresh, empty IndexedDB) from that realm.
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecoveryTracker, recoveryFromJSON, recoveryToJSON } from '../recovery/recovery-tracker';
import { IndexedDBQueueStorage } from './indexeddb-queue-storage';
import { OfflineQueue } from './offline-queue';
import type { QueuedMessage } from './queue-storage';

const msg = (id: string, priority = 5): QueuedMessage => ({
  id,
  type: 'chat_message',
  payload: { text: id, nested: [1, { deep: true }] },
  priority,
  enqueuedAt: 1_000,
  cid: `c-${id}`,
});

describe('IndexedDBQueueStorage', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('never touches globalThis.indexedDB when a factory is injected', async () => {
    const globalOpen = vi.spyOn(globalThis.indexedDB, 'open');
    const factory = new IDBFactory();
    const injectedOpen = vi.spyOn(factory, 'open');
    const storage = new IndexedDBQueueStorage({ indexedDB: factory });
    expect(await storage.load()).toEqual([]);
    await storage.close();
    expect(injectedOpen).toHaveBeenCalled();
    expect(globalOpen).not.toHaveBeenCalled();
  });

  it('uses globalThis.indexedDB by default, read on first use', async () => {
    const storage = new IndexedDBQueueStorage({ dbName: 'default-global' });
    const globalOpen = vi.spyOn(globalThis.indexedDB, 'open');
    await storage.save([msg('g')]);
    expect((await storage.load()).map((m) => m.id)).toEqual(['g']);
    expect(globalOpen).toHaveBeenCalled();
    await storage.close();
  });

  it('fails clearly when no IndexedDB exists, and retries on the next call', async () => {
    vi.stubGlobal('indexedDB', undefined);
    const storage = new IndexedDBQueueStorage();
    await expect(storage.load()).rejects.toThrow(/IndexedDB is not available/);
    await expect(storage.save([])).rejects.toThrow(/IndexedDB is not available/);
    vi.unstubAllGlobals();
    await storage.save([msg('later')]); // the failure was not cached
    expect((await storage.load()).map((m) => m.id)).toEqual(['later']);
    await storage.close();
  });

  it('round-trips the queue in order and clears it', async () => {
    const factory = new IDBFactory();
    const storage = new IndexedDBQueueStorage({ indexedDB: factory, dbName: 'q1' });
    await storage.save([msg('b', 8), msg('a'), msg('c', 1)]);
    expect(await storage.load()).toEqual([msg('b', 8), msg('a'), msg('c', 1)]);
    await storage.save([msg('a')]);
    expect(await storage.load()).toEqual([msg('a')]);
    await storage.clear();
    expect(await storage.load()).toEqual([]);
    await storage.close();
  });

  it('survives a "reload": a new instance on the same database sees the saved queue', async () => {
    const factory = new IDBFactory();
    const first = new IndexedDBQueueStorage({ indexedDB: factory, dbName: 'app' });
    await first.save([msg('x'), msg('y')]);
    await first.close();
    const second = new IndexedDBQueueStorage({ indexedDB: factory, dbName: 'app' });
    expect((await second.load()).map((m) => m.id)).toEqual(['x', 'y']);
    // a different queue key and a different database are separate
    const otherKey = new IndexedDBQueueStorage({ indexedDB: factory, dbName: 'app', queueKey: 'tab-2' });
    expect(await otherKey.load()).toEqual([]);
    const otherDb = new IndexedDBQueueStorage({ indexedDB: factory, dbName: 'other' });
    expect(await otherDb.load()).toEqual([]);
    await Promise.all([second.close(), otherKey.close(), otherDb.close()]);
  });

  it('skips malformed stored entries', async () => {
    const factory = new IDBFactory();
    const storage = new IndexedDBQueueStorage({ indexedDB: factory });
    await storage.set('queue', [msg('ok'), { id: 1 }, null, 'x']);
    expect((await storage.load()).map((m) => m.id)).toEqual(['ok']);
    await storage.set('queue', 'not an array');
    expect(await storage.load()).toEqual([]);
    await storage.close();
  });

  it('stores recovery positions as key-value data', async () => {
    const factory = new IDBFactory();
    const storage = new IndexedDBQueueStorage({ indexedDB: factory });
    const tracker = new RecoveryTracker();
    tracker.observe('news', 'a1b2c3d4', 41);
    await storage.set('recovery', recoveryToJSON(tracker));
    await storage.close();
    const reopened = new IndexedDBQueueStorage({ indexedDB: factory });
    const back = recoveryFromJSON(await reopened.get('recovery'));
    expect(back.observe('news', 'a1b2c3d4', 42)).toBe('deliver');
    expect(back.observe('news', 'a1b2c3d4', 41)).toBe('duplicate');
    await reopened.delete('recovery');
    expect(await reopened.get('recovery')).toBeUndefined();
    await reopened.close();
  });

  it('steps aside when another connection upgrades the database', async () => {
    const factory = new IDBFactory();
    const storage = new IndexedDBQueueStorage({ indexedDB: factory, dbName: 'shared' });
    await storage.save([msg('a')]);
    const upgraded = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = factory.open('shared', 2);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    expect(upgraded.version).toBe(2);
    upgraded.close();
    // reopens at the new version and still finds its data
    expect((await storage.load()).map((m) => m.id)).toEqual(['a']);
    await storage.close();
  });

  it('adds its store to an existing database of the same name', async () => {
    const factory = new IDBFactory();
    await new Promise<void>((resolve, reject) => {
      const req = factory.open('app-db', 3);
      req.onupgradeneeded = () => req.result.createObjectStore('app-own');
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
    const storage = new IndexedDBQueueStorage({ indexedDB: factory, dbName: 'app-db' });
    await storage.save([msg('z')]);
    expect((await storage.load()).map((m) => m.id)).toEqual(['z']);
    await storage.close();
  });

  it('persists an OfflineQueue across a reload', async () => {
    const factory = new IDBFactory();
    const clock = { now: () => 5_000 };
    const q1 = new OfflineQueue({ storage: new IndexedDBQueueStorage({ indexedDB: factory }) }, clock);
    await q1.restore();
    q1.enqueue({ type: 'a', payload: 1, id: 'm1' });
    q1.enqueue({ type: 'b', payload: 2, id: 'm2', priority: 10 });
    await q1.flush();
    const q2 = new OfflineQueue({ storage: new IndexedDBQueueStorage({ indexedDB: factory }) }, clock);
    await q2.restore();
    expect(q2.peekAll().map((m) => m.id)).toEqual(['m2', 'm1']);
  });
});
