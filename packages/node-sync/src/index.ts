/**
 * `@wse/node-sync` — a blocking WSE client for Node scripts. The async client
 * (`@wse/core-client`) runs in a worker thread; the caller blocks on `Atomics.wait` over a
 * SharedArrayBuffer until the worker answers.
 *
 * @example
 * ```js
 * const { connectSync } = require('@wse/node-sync'); // or: import { connectSync } from '@wse/node-sync'
 * const client = connectSync('ws://127.0.0.1:5007/wse', { token, topics: ['updates'] });
 * for (const ev of client.iter({ idleMs: 5000 })) console.log(ev.type, ev.payload);
 * client.close();
 * ```
 *
 * @module
 */

export {
  AuthError,
  ProtocolError,
  ServerError,
  TimeoutError,
  TransportError,
  WSEError,
} from '@wse/core-client';
export { BoundedBuffer } from './bounded-buffer';
export { connectSync, resolveWorkerPath } from './connect-sync';
export {
  ConnectionErrorCode,
  type SerializedError,
  WSEAuthError,
  WSEConnectionError,
  WSEServerError,
  WSETimeoutError,
} from './errors';
export { SyncClient } from './sync-client';
export { SyncSignal } from './sync-signal';
export {
  type CallOptions,
  type IterOptions,
  type PassThroughClientOptions,
  SYNC_DEFAULTS,
  type SyncClientOptions,
  type SyncEvent,
  type SyncRequestOptions,
  type SyncSendOptions,
  type SyncStats,
} from './types';
