/**
 * IndexedDB persistence for the offline queue and for small client state (recovery positions),
 * so queued messages survive a page reload.
 *
 * Built on `idb` (in `indexeddb-store.ts`). `idb` recognises requests by the *global* IndexedDB
 * classes, so an injected factory must come from the same realm as those globals: in tests,
 * `fake-indexeddb/auto` (installed by the DOM test setup) and its `IDBFactory`.
 *
 * The IndexedDB code itself is in `indexeddb-store.ts`, imported dynamically on the first read or
 * write: bundlers put it in a separate chunk, so the browser entry carries only this class.
 *
 * @module
 */

import type { IndexedDBStore } from './indexeddb-store';
import type { KeyValueStorage, QueuedMessage, QueueStorage } from './queue-storage';

/**
 * Settings for {@link IndexedDBQueueStorage}.
 *
 * @example
 * ```ts
 * import { indexedDB } from 'fake-indexeddb';
 * new IndexedDBQueueStorage({ dbName: 'test', indexedDB });
 * ```
 */
export interface IndexedDBQueueStorageOptions {
  /** Database name; default `'wse-client'`. */
  dbName?: string;
  /**
   * Key of the queue in the store; default `'queue'`. Tabs (or clients) that share a database
   * and key share one saved queue and overwrite each other's saves: give each its own key.
   */
  queueKey?: string;
  /** The factory; default `globalThis.indexedDB`, read on first use (never at import). */
  indexedDB?: IDBFactory;
}

function isQueuedMessage(v: unknown): v is QueuedMessage {
  if (!v || typeof v !== 'object') return false;
  const m = v as Partial<QueuedMessage>;
  return (
    typeof m.id === 'string' &&
    typeof m.type === 'string' &&
    typeof m.priority === 'number' &&
    typeof m.enqueuedAt === 'number'
  );
}

/**
 * A {@link QueueStorage} (and {@link KeyValueStorage}) in one IndexedDB object store. The
 * queue is saved as one array value, so every save is atomic and keeps the send order. The
 * connection is opened lazily, closed when another tab upgrades the database, and reopened on
 * the next call.
 *
 * @example
 * ```ts
 * const storage = new IndexedDBQueueStorage({ dbName: 'my-app-wse' });
 * const queue = new OfflineQueue({ storage });
 * await queue.restore();                       // messages queued before the reload
 * await storage.set('recovery', tracker.toJSON());
 * ```
 */
export class IndexedDBQueueStorage implements QueueStorage, KeyValueStorage {
  readonly #dbName: string;
  readonly #queueKey: string;
  readonly #factory: IDBFactory | undefined;
  #store: Promise<IndexedDBStore> | undefined;

  constructor(options: IndexedDBQueueStorageOptions = {}) {
    this.#dbName = options.dbName ?? 'wse-client';
    this.#queueKey = options.queueKey ?? 'queue';
    this.#factory = options.indexedDB;
  }

  async load(): Promise<QueuedMessage[]> {
    const value = await this.get(this.#queueKey);
    return Array.isArray(value) ? value.filter(isQueuedMessage) : [];
  }

  save(items: QueuedMessage[]): Promise<void> {
    return this.set(this.#queueKey, items);
  }

  clear(): Promise<void> {
    return this.delete(this.#queueKey);
  }

  async get(key: string): Promise<unknown> {
    return (await this.#backend()).get(key);
  }

  async set(key: string, value: unknown): Promise<void> {
    await (await this.#backend()).set(key, value);
  }

  async delete(key: string): Promise<void> {
    await (await this.#backend()).delete(key);
  }

  /** Closes the connection (it reopens on the next call). */
  async close(): Promise<void> {
    const store = await this.#store?.catch(() => undefined);
    await store?.close();
  }

  // A failed import is not cached: the next call tries again.
  #backend(): Promise<IndexedDBStore> {
    if (!this.#store) {
      const loading = import('./indexeddb-store').then(
        (m) => new m.IndexedDBStore(this.#dbName, this.#factory),
      );
      this.#store = loading;
      loading.catch(() => {
        if (this.#store === loading) this.#store = undefined;
      });
    }
    return this.#store;
  }
}
