/**
 * The snapshot every client starts from.
 *
 * @module
 */

import type { ClientSnapshot } from './types';

/**
 * The snapshot of a client that has not connected: what a new client starts with, and what
 * bindings render on the server (`getServerSnapshot`) so server HTML and hydration agree.
 *
 * @example
 * ```ts
 * useSyncExternalStore(client.subscribe, client.getSnapshot, () => IDLE_SNAPSHOT);
 * ```
 */
export const IDLE_SNAPSHOT: ClientSnapshot = Object.freeze({
  state: 'idle',
  endpoint: null,
  connectionId: null,
  userId: null,
  topics: Object.freeze([]) as readonly string[],
  quality: 'unknown',
  latency: Object.freeze({ last: null, avg: null, p95: null }),
  queued: 0,
  circuit: 'closed',
  lastError: null,
  encrypted: false,
});
