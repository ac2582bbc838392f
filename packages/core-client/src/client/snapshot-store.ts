/**
 * A tiny external store: an immutable snapshot, replaced (never mutated) on change, with
 * `subscribe(listener) → unsubscribe` and `getSnapshot()` — the contract React's
 * `useSyncExternalStore`, Vue's `shallowRef` and Svelte's readable stores consume.
 *
 * @module
 */

/**
 * A listener of the client's snapshot (`client.subscribe`); it gets the new snapshot.
 *
 * @example
 * ```ts
 * const log: StoreListener<{ n: number }> = (s) => console.log(s.n);
 * ```
 */
export type StoreListener<T> = (snapshot: T) => void;

function shallowEqual<T extends object>(a: T, b: T): boolean {
  if (a === b) return true;
  const keys = Object.keys(a) as Array<keyof T>;
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.is(a[k], b[k]));
}

function freeze<T extends object>(value: T): T {
  return Object.freeze(value);
}

/**
 * Holds one frozen snapshot object. {@link SnapshotStore.update} merges a patch; when any field
 * changed (by `Object.is`), the snapshot is replaced and every listener runs. Listeners that throw
 * are reported through `onListenerError` and never stop the others.
 *
 * @example
 * ```ts
 * const store = new SnapshotStore({ count: 0 });
 * const stop = store.subscribe((s) => console.log(s.count));
 * store.update({ count: 1 }); // logs 1
 * store.update({ count: 1 }); // no change, no call
 * stop();
 * ```
 */
export class SnapshotStore<T extends object> {
  #snapshot: T;
  readonly #listeners = new Set<StoreListener<T>>();

  readonly #onListenerError: (error: unknown) => void;
  constructor(initial: T, onListenerError: (error: unknown) => void = () => {}) {
    this.#onListenerError = onListenerError;
    this.#snapshot = freeze({ ...initial });
  }

  /** The current snapshot; the same object until something changes. */
  getSnapshot = (): T => this.#snapshot;

  /** Adds a listener; returns the function that removes it (idempotent). */
  subscribe = (listener: StoreListener<T>): (() => void) => {
    const entry: StoreListener<T> = (s) => listener(s);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  };

  /** Number of listeners (bindings use it to start/stop resources). */
  get size(): number {
    return this.#listeners.size;
  }

  /** Merges `patch`; replaces the snapshot and notifies only when a field changed. */
  update(patch: Partial<T>): void {
    const next = { ...this.#snapshot, ...patch };
    if (shallowEqual(next, this.#snapshot)) return;
    this.#snapshot = freeze(next);
    for (const l of [...this.#listeners]) {
      try {
        l(this.#snapshot);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}
