/**
 * The server's time: one {@link Clock} of the core's shape (`now`, `setTimeout`, `clearTimeout`)
 * for every timer the server runs — the heartbeat/idle/slow-consumer sweep, the recovery TTL sweep,
 * the in-band auth deadline, `drain()`'s wait and `drainInbound()`'s timeout — so timing tests run on
 * simulated time (`ManualClock` from `@wse/core-client/testing`) like the client's.
 *
 * @module
 */

import type { Clock } from '@wse/core-client';

export type { Clock } from '@wse/core-client';

type TimerHandle = ReturnType<typeof globalThis.setTimeout>;

/**
 * The real clock. Its timers are `unref`'d: a server timer never keeps the process alive on its
 * own (the listening socket does).
 *
 * @example
 * ```ts
 * const handle = serverClock.setTimeout(() => sweep(), 1000);
 * serverClock.clearTimeout(handle);
 * ```
 */
export const serverClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = globalThis.setTimeout(fn, Math.min(ms, 2 ** 31 - 1));
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => globalThis.clearTimeout(handle as TimerHandle),
};

/**
 * Runs `fn` every `periodMs` on `clock` (a chain of timeouts, so it needs no `setInterval`).
 * Returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = every(serverClock, 1000, () => sessions.sweep.run());
 * stop();
 * ```
 */
export function every(clock: Clock, periodMs: number, fn: () => void): () => void {
  let handle: unknown;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    handle = clock.setTimeout(tick, periodMs);
    fn();
  };
  handle = clock.setTimeout(tick, periodMs);
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}

/**
 * A promise that resolves after `ms` on `clock`.
 *
 * @example
 * ```ts
 * await sleep(serverClock, 10);
 * ```
 */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
