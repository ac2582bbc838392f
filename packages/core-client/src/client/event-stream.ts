/**
 * Async iteration over delivered messages: `for await (const ev of client)`. Each iterator has
 * its own buffer from the moment it is created; all iterators end when the stream ends
 * (`client.close()`).
 *
 * @module
 */

interface Reader<T> {
  buffer: T[];
  wake: ((r: IteratorResult<T>) => void) | null;
}

/**
 * A multicast push → pull adapter.
 *
 * @example
 * ```ts
 * const stream = new EventStream<number>();
 * const it = stream.iterate();
 * stream.push(1);
 * await it.next(); // { value: 1, done: false }
 * stream.end();
 * await it.next(); // { value: undefined, done: true }
 * ```
 */
export class EventStream<T> {
  readonly #readers = new Set<Reader<T>>();
  #ended = false;

  /** Delivers a value to every live iterator. */
  push(value: T): void {
    for (const r of this.#readers) {
      if (r.wake) {
        const wake = r.wake;
        r.wake = null;
        wake({ value, done: false });
      } else {
        r.buffer.push(value);
      }
    }
  }

  /** Ends every iterator (after they drain their buffers). New iterators end at once. */
  end(): void {
    this.#ended = true;
    for (const r of this.#readers) {
      if (r.wake) {
        const wake = r.wake;
        r.wake = null;
        this.#readers.delete(r);
        wake({ value: undefined, done: true });
      }
    }
  }

  /** Allows iteration again after {@link EventStream.end} (a client reopened with `connect()`). */
  reopen(): void {
    this.#ended = false;
  }

  /** A new iterator; `return()` (a `break` in `for await`) detaches it. */
  iterate(): AsyncIterableIterator<T> {
    const reader: Reader<T> = { buffer: [], wake: null };
    if (!this.#ended) this.#readers.add(reader);
    const done = (): IteratorResult<T> => ({ value: undefined, done: true });
    const iterator: AsyncIterableIterator<T> = {
      next: () => {
        if (reader.buffer.length > 0)
          return Promise.resolve({ value: reader.buffer.shift() as T, done: false });
        if (this.#ended || !this.#readers.has(reader)) {
          this.#readers.delete(reader);
          return Promise.resolve(done());
        }
        return new Promise((resolve) => {
          reader.wake = resolve;
        });
      },
      return: () => {
        this.#readers.delete(reader);
        reader.wake?.(done());
        reader.wake = null;
        return Promise.resolve(done());
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
