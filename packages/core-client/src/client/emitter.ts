/**
 * The client's event emitter: `on`/`once`/`off`, a snapshot of an event's listeners, and an
 * `emit` that survives throwing listeners. Replaces
 * `eventemitter3` (2.8 KB minified plus esbuild's CommonJS interop helpers in the browser's initial
 * load) with the ~0.3 KB the client uses.
 *
 * Invariants: {@link Emitter.take} returns a snapshot, so listeners added or removed while an event
 * is being delivered take effect from the next event; a `once` listener is removed when it is
 * handed out (before it runs), as in `eventemitter3`.
 *
 * @module
 */

/** Any listener. */
export type EmitterListener = (...args: unknown[]) => void;

interface Entry {
  readonly fn: EmitterListener;
  readonly once: boolean;
}

/**
 * Listeners by event name.
 *
 * @example
 * ```ts
 * const em = new Emitter((err) => console.error(err));
 * em.on('state', (s) => console.log(s));
 * for (const fn of em.take('state')) fn('connected');
 * ```
 */
export class Emitter {
  readonly #all = new Map<string, Entry[]>();
  readonly #onThrow: (error: unknown) => void;

  /** `onThrow` hears what a listener called by {@link Emitter.emit} throws. */
  constructor(onThrow: (error: unknown) => void = () => {}) {
    this.#onThrow = onThrow;
  }

  /**
   * Calls the listeners of `event`: one that throws goes to `onThrow` and the others still run
   * (never a broken loop). A throwing `'error'` listener is not re-reported (no error loop).
   */
  emit(event: string, ...args: unknown[]): void {
    for (const fn of this.take(event)) {
      try {
        fn(...args);
      } catch (error) {
        if (event !== 'error') this.#onThrow(error);
      }
    }
  }

  /** Adds a listener (`once`: removed the first time it is taken). */
  on(event: string, fn: EmitterListener, once = false): void {
    this.#all.set(event, [...(this.#all.get(event) ?? []), { fn, once }]);
  }

  /** Removes every registration of `fn` for `event`. */
  off(event: string, fn: EmitterListener): void {
    this.#set(
      event,
      (this.#all.get(event) ?? []).filter((e) => e.fn !== fn),
    );
  }

  /** How many listeners `event` has (the dev warning asks whether anyone hears `error`). */
  listenerCount(event: string): number {
    return this.#all.get(event)?.length ?? 0;
  }

  /** The listeners of `event` now, in registration order; `once` listeners are removed. */
  take(event: string): EmitterListener[] {
    const list = this.#all.get(event) ?? [];
    if (list.some((e) => e.once))
      this.#set(
        event,
        list.filter((e) => !e.once),
      );
    return list.map((e) => e.fn);
  }

  #set(event: string, list: Entry[]): void {
    if (list.length > 0) this.#all.set(event, list);
    else this.#all.delete(event);
  }
}
