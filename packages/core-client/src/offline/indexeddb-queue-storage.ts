/**
 * IndexedDB persistence for the offline queue and for small client state (recovery positions),
 * so queued messages survive a page reload.
 *
 * Built on the raw IndexedDB API with two small promise helpers rather than on `idb`: `idb`
 * wraps requests by checking `instanceof IDBRequest` / `IDBDatabase` against the *global*
 * constructors, so it fails (ReferenceError in Node) or silently misbehaves (a foreign
 * factory's objects are not instances of the page's classes) with an injected factory such as
 * `fake-indexeddb`. The raw API works with any `IDBFactory` and costs a few dozen lines.
 *
 * @module
 */

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

const STORE = 'kv';

function requestToPromise<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
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
  private readonly dbName: string;
  private readonly queueKey: string;
  private readonly factory: IDBFactory | undefined;
  private db: Promise<IDBDatabase> | undefined;

  constructor(options: IndexedDBQueueStorageOptions = {}) {
    this.dbName = options.dbName ?? 'wse-client';
    this.queueKey = options.queueKey ?? 'queue';
    this.factory = options.indexedDB;
  }

  async load(): Promise<QueuedMessage[]> {
    const value = await this.get(this.queueKey);
    return Array.isArray(value) ? value.filter(isQueuedMessage) : [];
  }

  save(items: QueuedMessage[]): Promise<void> {
    return this.set(this.queueKey, items);
  }

  clear(): Promise<void> {
    return this.delete(this.queueKey);
  }

  async get(key: string): Promise<unknown> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readonly');
    return requestToPromise(tx.objectStore(STORE).get(key));
  }

  async set(key: string, value: unknown): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const done = transactionDone(tx);
    tx.objectStore(STORE).put(value, key);
    await done;
  }

  async delete(key: string): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const done = transactionDone(tx);
    tx.objectStore(STORE).delete(key);
    await done;
  }

  /** Closes the connection (it reopens on the next call). */
  async close(): Promise<void> {
    const pending = this.db;
    this.db = undefined;
    if (pending) (await pending.catch(() => undefined))?.close();
  }

  private open(): Promise<IDBDatabase> {
    if (!this.db) {
      const opening: Promise<IDBDatabase> = this.openFresh(() => {
        if (this.db === opening) this.db = undefined;
      });
      this.db = opening;
      // A failed open is not cached: the next call tries again.
      opening.catch(() => {
        if (this.db === opening) this.db = undefined;
      });
    }
    return this.db;
  }

  private async openFresh(onGone: () => void): Promise<IDBDatabase> {
    const factory = this.factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) {
      throw new Error('IndexedDB is not available here: pass { indexedDB } or use MemoryQueueStorage');
    }
    // Open at whatever version exists (another tab or a newer release may have upgraded it);
    // only when our store is missing, upgrade by one version to create it.
    let db = await this.request(factory, undefined, onGone);
    if (!db.objectStoreNames.contains(STORE)) {
      const next = db.version + 1;
      db.close();
      db = await this.request(factory, next, onGone);
    }
    return db;
  }

  private request(
    factory: IDBFactory,
    version: number | undefined,
    onGone: () => void,
  ): Promise<IDBDatabase> {
    return new Promise((resolve, reject) => {
      const req = version === undefined ? factory.open(this.dbName) : factory.open(this.dbName, version);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
      };
      req.onsuccess = () => {
        const db = req.result;
        // Another tab wants a newer version: step aside instead of blocking it.
        db.onversionchange = () => {
          db.close();
          onGone();
        };
        db.onclose = onGone; // closed by the browser (storage cleared, …)
        resolve(db);
      };
      req.onerror = () => reject(req.error);
    });
  }
}
