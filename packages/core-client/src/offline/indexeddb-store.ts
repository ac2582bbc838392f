/**
 * The IndexedDB half of {@link IndexedDBQueueStorage}: a small key-value store in one object
 * store, on the raw IndexedDB API. A module of its own so browsers fetch it (a separate chunk)
 * only when the first stored value is read or written; the public class stays in the entry.
 *
 * @module
 */

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

/**
 * Key-value access to one IndexedDB object store. The connection is opened lazily, closed when
 * another tab upgrades the database, and reopened on the next call.
 *
 * @example
 * ```ts
 * const store = new IndexedDBStore('wse-client', indexedDB);
 * await store.set('queue', []);
 * ```
 */
export class IndexedDBStore {
  private db: Promise<IDBDatabase> | undefined;

  constructor(
    private readonly dbName: string,
    private readonly factory: IDBFactory | undefined,
  ) {}

  /** The value under `key`, or `undefined`. */
  async get(key: string): Promise<unknown> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readonly');
    return requestToPromise(tx.objectStore(STORE).get(key));
  }

  /** Stores `value` (structured-cloneable) under `key`. */
  async set(key: string, value: unknown): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const done = transactionDone(tx);
    tx.objectStore(STORE).put(value, key);
    await done;
  }

  /** Removes `key`. */
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
