/**
 * The promises of `connect()` and `reconnect()`, settled by the connection state.
 *
 * @module
 */

import type { ConnectionState } from '../connection/machine';
import { TransportError } from '../protocol/errors';
import { isDevelopment } from './dev-warning';
import type { Emitter } from './emitter';
import type { SnapshotStore } from './snapshot-store';
import type { ClientSnapshot } from './types';

/**
 * Pending connect/reconnect promises: resolved on `connected`, rejected on `closed` (with
 * `CLIENT_CLOSED`) or `failed` (with `lastError`). Also says once on the console, in development
 * builds, that an attempt failed while nobody listens to `'error'` (the client would just retry).
 *
 * @example
 * ```ts
 * const waiters = new ConnectWaiters(store, emitter);
 * const connected = waiters.wait();
 * driver.dispatch({ type: 'CONNECT' });
 * ```
 */
export class ConnectWaiters {
  readonly #all = new Set<{ resolve(): void; reject(e: unknown): void }>();
  readonly #store: SnapshotStore<ClientSnapshot>;
  readonly #emitter: Emitter;
  #warned = false;

  /** `emitter`: the client's, to see whether anybody listens to `'error'`. */
  constructor(store: SnapshotStore<ClientSnapshot>, emitter: Emitter) {
    this.#store = store;
    this.#emitter = emitter;
    let last = store.getSnapshot().state;
    store.subscribe((s) => {
      if (s.state === last) return;
      const attemptFailed =
        (last === 'connecting' || last === 'negotiating') &&
        (s.state === 'reconnecting' || s.state === 'failed');
      last = s.state;
      if (attemptFailed) this.#warnUnhandledFailure(s);
      this.settle(s.state);
    });
  }

  /** A promise settled by the next `connected`, `closed` or `failed`. */
  wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#all.add({ resolve, reject }));
  }

  /** Settles every pending promise when `state` is final for them; other states do nothing. */
  settle(state: ConnectionState): void {
    if (state !== 'connected' && state !== 'closed' && state !== 'failed') return;
    const error =
      this.#store.getSnapshot().lastError ?? new TransportError('CLIENT_CLOSED', `client ${state}`);
    for (const w of this.#all) {
      if (state === 'connected') w.resolve();
      else w.reject(state === 'closed' ? new TransportError('CLIENT_CLOSED', 'client closed') : error);
    }
    this.#all.clear();
  }

  /** A connection failure nobody listens to would be silent: say it once per client. */
  #warnUnhandledFailure(s: ClientSnapshot): void {
    if (this.#warned || this.#emitter.listenerCount('error') > 0 || !isDevelopment()) return;
    this.#warned = true;
    console.warn(
      `[wse] cannot connect to ${s.endpoint} (${s.lastError?.message ?? s.state}): ` +
        "listen with client.on('error'), or use connect({ timeoutMs })",
    );
  }
}
