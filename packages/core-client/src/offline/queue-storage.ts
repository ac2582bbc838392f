/**
 * Where the offline queue (and, optionally, recovery positions) persist: small async
 * interfaces with an in-memory implementation (the default in Node). The IndexedDB
 * implementation lives in `indexeddb-queue-storage.ts`.
 *
 * @module
 */

/**
 * A message waiting to be sent. `payload` must be structured-cloneable (and JSON-friendly) to
 * survive persistence.
 *
 * @example
 * ```ts
 * const m: QueuedMessage = { id: '0190…', type: 'chat_message', payload: { text: 'hi' }, priority: 5, enqueuedAt: Date.now() };
 * ```
 */
export interface QueuedMessage {
  id: string;
  type: string;
  payload: unknown;
  /** Higher is sent first (PROTOCOL priorities: 1, 3, 5, 8, 10). */
  priority: number;
  /** Clock time of enqueueing, for `maxAgeMs`. */
  enqueuedAt: number;
  /** Correlation id of a `request`, if any. */
  cid?: string;
}

/**
 * Persistence for the offline queue: the whole queue in send order is saved after each change.
 *
 * @example
 * ```ts
 * const storage: QueueStorage = new MemoryQueueStorage();
 * await storage.save([message]);
 * (await storage.load()).length; // 1
 * ```
 */
export interface QueueStorage {
  /** The saved queue, in the order it was saved (`[]` when nothing was saved). */
  load(): Promise<QueuedMessage[]>;
  /** Replaces the saved queue. */
  save(items: QueuedMessage[]): Promise<void>;
  /** Removes the saved queue. */
  clear(): Promise<void>;
}

/**
 * A small async key-value store for other client state that should survive reloads, such as
 * `RecoveryTracker.toJSON()` output. Values must be structured-cloneable.
 *
 * @example
 * ```ts
 * await kv.set('recovery', tracker.toJSON());
 * const tracker = RecoveryTracker.fromJSON(await kv.get('recovery'));
 * ```
 */
export interface KeyValueStorage {
  /** The stored value, or `undefined`. */
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

const copyItems = (items: readonly QueuedMessage[]): QueuedMessage[] => items.map((m) => ({ ...m }));

/**
 * Keeps the queue in memory (copies in and out, so callers cannot alias it). Survives
 * reconnects, not process restarts.
 *
 * @example
 * ```ts
 * const queue = new OfflineQueue({ storage: new MemoryQueueStorage() });
 * ```
 */
export class MemoryQueueStorage implements QueueStorage {
  #items: QueuedMessage[] = [];

  async load(): Promise<QueuedMessage[]> {
    return copyItems(this.#items);
  }

  async save(items: QueuedMessage[]): Promise<void> {
    this.#items = copyItems(items);
  }

  async clear(): Promise<void> {
    this.#items = [];
  }
}

/**
 * An in-memory {@link KeyValueStorage}; values are structured-cloned in and out.
 *
 * @example
 * ```ts
 * const kv = new MemoryKeyValueStorage();
 * await kv.set('recovery', { v: 1, topics: {} });
 * ```
 */
export class MemoryKeyValueStorage implements KeyValueStorage {
  readonly #values = new Map<string, unknown>();

  async get(key: string): Promise<unknown> {
    return this.#values.has(key) ? structuredClone(this.#values.get(key)) : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    this.#values.set(key, structuredClone(value));
  }

  async delete(key: string): Promise<void> {
    this.#values.delete(key);
  }
}
