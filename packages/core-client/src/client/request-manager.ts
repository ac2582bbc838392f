/**
 * Pending requests by correlation id (`cid`): each gets a timer; a reply with the same `cid`
 * resolves it, an `error` frame with it rejects it, the timer rejects with `TimeoutError`.
 *
 * @module
 */

import type { Clock } from '../env/clock';
import { TimeoutError, type WSEError } from '../errors';

interface Pending<T> {
  resolve(value: T): void;
  reject(error: WSEError): void;
  timer: unknown;
}

/**
 * A table of in-flight requests.
 *
 * @example
 * ```ts
 * const requests = new RequestManager<Envelope>(clock, () => uuidv7());
 * const { cid, promise } = requests.create(5000, 'get_profile');
 * send({ t: 'get_profile', cid, p: { id: 7 } });
 * requests.resolve(reply.cid, reply); // promise resolves with the reply
 * ```
 */
export class RequestManager<T> {
  readonly #pending = new Map<string, Pending<T>>();

  readonly #clock: Clock;
  readonly #newId: () => string;
  constructor(clock: Clock, newId: () => string) {
    this.#clock = clock;
    this.#newId = newId;
  }

  /** Number of requests in flight. */
  get size(): number {
    return this.#pending.size;
  }

  /** The `cid`s waiting for a reply. */
  cids(): Set<string> {
    return new Set(this.#pending.keys());
  }

  /** `true` when `cid` is waiting for a reply. */
  has(cid: string | undefined): boolean {
    return cid !== undefined && this.#pending.has(cid);
  }

  /** Registers a request; `label` goes into the timeout message. */
  create(timeoutMs: number, label: string): { cid: string; promise: Promise<T> } {
    const cid = this.#newId();
    const promise = new Promise<T>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#pending.delete(cid);
        reject(new TimeoutError('TIMEOUT', `no reply to ${label} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(cid, { resolve, reject, timer });
    });
    return { cid, promise };
  }

  /** Settles `cid` with a reply; `false` when it was not pending. */
  resolve(cid: string | undefined, value: T): boolean {
    const p = this.#take(cid);
    p?.resolve(value);
    return p !== undefined;
  }

  /** Fails `cid`; `false` when it was not pending. */
  reject(cid: string | undefined, error: WSEError): boolean {
    const p = this.#take(cid);
    p?.reject(error);
    return p !== undefined;
  }

  /** Fails every pending request (on `close()`). */
  rejectAll(error: WSEError): void {
    for (const cid of [...this.#pending.keys()]) this.reject(cid, error);
  }

  #take(cid: string | undefined): Pending<T> | undefined {
    if (cid === undefined) return undefined;
    const p = this.#pending.get(cid);
    if (!p) return undefined;
    this.#pending.delete(cid);
    this.#clock.clearTimeout(p.timer);
    return p;
  }
}
