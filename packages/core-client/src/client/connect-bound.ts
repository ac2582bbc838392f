/**
 * `connect({ timeoutMs, failFast })`: a connect that ends in bounded time against a server that is
 * down, where a plain `connect()` waits through every retry. On failure the client stops retrying
 * (the caller was told it failed; a background retry nobody awaits would keep a Node script alive).
 *
 * @module
 */

import type { Clock } from '../env/clock';
import { TimeoutError, TransportError } from '../protocol/errors';
import type { SnapshotStore } from './snapshot-store';
import type { ClientSnapshot, ConnectOptions } from './types';

/**
 * Wraps the promise of a `connect()`: rejects with `TimeoutError('CONNECT_TIMEOUT')` after
 * `timeoutMs`, or (with `failFast`) with the error of the first failed attempt, and then calls
 * `stop` (the client's `close()`).
 *
 * @example
 * ```ts
 * await boundConnect(waitConnected, { timeoutMs: 3000 }, clock, store, () => client.close());
 * ```
 */
export function boundConnect(
  done: Promise<void>,
  options: ConnectOptions,
  clock: Clock,
  store: SnapshotStore<ClientSnapshot>,
  stop: () => void,
  started = clock.now(),
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let timer: unknown;
    let unwatch: (() => void) | undefined;
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      unwatch?.();
      if (error === undefined) {
        resolve();
        return;
      }
      reject(error);
      stop();
    };
    const { timeoutMs, failFast } = options;
    if (timeoutMs !== undefined) {
      timer = clock.setTimeout(
        () => settle(new TimeoutError('CONNECT_TIMEOUT', `not connected within ${timeoutMs} ms`)),
        Math.max(0, timeoutMs - (clock.now() - started)),
      );
    }
    if (failFast) {
      // The machine leaves an attempt for `reconnecting` (or `offline`) only when it failed; it may
      // have done so already while this chunk was loading.
      const check = (s: ClientSnapshot): void => {
        if (s.state !== 'reconnecting' && s.state !== 'offline') return;
        settle(s.lastError ?? new TransportError('CONNECT_FAILED', `connection attempt failed (${s.state})`));
      };
      unwatch = store.subscribe(check);
      check(store.getSnapshot());
    }
    done.then(() => settle(), settle);
  });
}
