/**
 * The offline queue a client's options ask for (or none).
 *
 * @module
 */

import { OfflineQueue } from '../offline/offline-queue';
import type { Emitter } from './emitter';
import { CLIENT_DEFAULTS, type ResolvedOptions } from './options';
import type { ClientOptions } from './types';

/**
 * The client's offline queue, `null` when `offline: false` or when there is no storage. Drops are
 * emitted on `events` as `'queue_drop'`; storage failures go to `onError`.
 *
 * @example
 * ```ts
 * const queue = createOfflineQueue(options, resolveOptions(options), emitter, (err) => report(err));
 * ```
 */
export function createOfflineQueue(
  options: ClientOptions,
  r: ResolvedOptions,
  events: Emitter,
  onError: (error: unknown) => void,
): OfflineQueue | null {
  const o = options.offline;
  if (o === false || r.storage === null) return null;
  return new OfflineQueue(
    {
      maxSize: o?.maxSize ?? CLIENT_DEFAULTS.queueMaxSize,
      maxAgeMs: o?.maxAgeMs ?? CLIENT_DEFAULTS.queueMaxAgeMs,
      storage: r.storage,
      onDrop: (message, reason) => events.emit('queue_drop', { message, reason }),
      onError,
    },
    r.clock,
  );
}
