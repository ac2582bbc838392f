/**
 * The IndexedDB half of {@link IndexedDBQueueStorage}: a small key-value store in one object
 * store, on `idb` (which carries the request/transaction promise plumbing). A module of its own so
 * browsers fetch it (a separate chunk, with `idb`) only when the first stored value is read or
 * written; the public class stays in the entry.
 *
 * `idb` recognises requests by the *global* IndexedDB classes, so an injected factory must come
 * from the same realm as those globals (the page's own, or `fake-indexeddb/auto` in tests).
 *
 * @module
 */

import { type IDBPDatabase, wrap } from 'idb';

const STORE = 'kv';

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
  #db: Promise<IDBPDatabase> | undefined;
  readonly #dbName: string;
  readonly #factory: IDBFactory | undefined;

  constructor(dbName: string, factory: IDBFactory | undefined) {
    this.#dbName = dbName;
    this.#factory = factory;
  }

  /** The value under `key`, or `undefined`. */
  async get(key: string): Promise<unknown> {
    return (await this.#open()).get(STORE, key);
  }

  /** Stores `value` (structured-cloneable) under `key`; resolves when the transaction commits. */
  async set(key: string, value: unknown): Promise<void> {
    await (await this.#open()).put(STORE, value, key);
  }

  /** Removes `key`; resolves when the transaction commits. */
  async delete(key: string): Promise<void> {
    await (await this.#open()).delete(STORE, key);
  }

  /** Closes the connection (it reopens on the next call). */
  async close(): Promise<void> {
    const pending = this.#db;
    this.#db = undefined;
    if (pending) (await pending.catch(() => undefined))?.close();
  }

  #open(): Promise<IDBPDatabase> {
    if (!this.#db) {
      const opening: Promise<IDBPDatabase> = this.#openFresh(() => {
        if (this.#db === opening) this.#db = undefined;
      });
      this.#db = opening;
      // A failed open is not cached: the next call tries again.
      opening.catch(() => {
        if (this.#db === opening) this.#db = undefined;
      });
    }
    return this.#db;
  }

  async #openFresh(onGone: () => void): Promise<IDBPDatabase> {
    const factory = this.#factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) {
      throw new Error('IndexedDB is not available here: pass { indexedDB } or use MemoryQueueStorage');
    }
    // Open at whatever version exists (another tab or a newer release may have upgraded it);
    // only when our store is missing, upgrade by one version to create it.
    let db = await this.#request(factory, undefined, onGone);
    if (!db.objectStoreNames.contains(STORE)) {
      const next = db.version + 1;
      db.close();
      db = await this.#request(factory, next, onGone);
    }
    return db;
  }

  async #request(
    factory: IDBFactory,
    version: number | undefined,
    onGone: () => void,
  ): Promise<IDBPDatabase> {
    const req = version === undefined ? factory.open(this.#dbName) : factory.open(this.#dbName, version);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
    };
    const db = (await wrap(req)) as IDBPDatabase;
    // Another tab wants a newer version: step aside instead of blocking it.
    db.addEventListener('versionchange', () => {
      db.close();
      onGone();
    });
    db.addEventListener('close', onGone); // closed by the browser (storage cleared, …)
    return db;
  }
}
