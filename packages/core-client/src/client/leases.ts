/**
 * Ref-counted leases with a delayed stop (Nano Stores' unmount delay): a resource starts with its
 * first user and stops `lingerMs` after the last one leaves, unless someone takes it again in
 * between — so a React StrictMode mount → unmount → mount, a Vue `v-if` flip or a Svelte `get()`
 * never drops the socket or re-sends a subscribe. The timers run on the injected clock.
 *
 * @module
 */

import type { Clock } from '../env/clock';

/**
 * How long a connection or topic lease outlives its last user, in ms (see `client.retain`).
 *
 * @example
 * ```ts
 * const release = client.retain({ lingerMs: DEFAULT_LINGER_MS });
 * ```
 */
export const DEFAULT_LINGER_MS = 1000;

/**
 * Options of `client.retain` and `client.retainTopic`.
 *
 * @example
 * ```ts
 * const options: RetainOptions = { lingerMs: 500 };
 * ```
 */
export interface RetainOptions {
  /** Delay between the last release and the stop; default {@link DEFAULT_LINGER_MS}. */
  lingerMs?: number;
}

/**
 * One lease: its users, the pending stop timer, the stop function and what the caller keeps with
 * it (`joined`: the presence data a topic was joined with, as JSON; `''` = none).
 *
 * @example
 * ```ts
 * const { lease } = leases.take('topic:room', 1000, start);
 * lease.users; // 1
 * ```
 */
export interface Lease {
  users: number;
  timer: unknown;
  stop?: () => void;
  joined: string;
}

/**
 * Leases keyed by name.
 *
 * @example
 * ```ts
 * const leases = new Leases(clock);
 * const { release } = leases.take('connection', 1000, () => {
 *   open();
 *   return () => close();
 * });
 * release(); // close() runs 1000 ms later unless the lease is taken again first
 * ```
 */
export class Leases {
  readonly #all = new Map<string, Lease>();

  readonly #clock: Clock;
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Takes a lease on `key`. `start` runs for the first user (`started: true`); the function it
   * returns runs `lingerMs` after the last release. `release` is idempotent.
   */
  take(
    key: string,
    lingerMs: number,
    start: () => () => void,
  ): { lease: Lease; started: boolean; release: () => void } {
    const l = this.#all.get(key) ?? { users: 0, timer: null, joined: '' };
    this.#all.set(key, l);
    if (l.timer !== null) this.#clock.clearTimeout(l.timer);
    l.timer = null;
    // A lease whose last user left recently is still running: only its timer was cancelled.
    const started = !l.stop;
    if (started) l.stop = start();
    l.users += 1;
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      if (--l.users > 0) return;
      l.timer = this.#clock.setTimeout(() => {
        l.timer = null;
        this.#all.delete(key);
        l.stop?.();
      }, lingerMs);
    };
    return { lease: l, started, release };
  }
}
