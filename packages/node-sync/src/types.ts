/**
 * Public option, event and stats types of the blocking client.
 *
 * @module
 */

import type { ClientMessage, ClientOptions, ConnectionState } from '@wse/core-client';

/**
 * Options of the core client that pass through to the worker unchanged. They must survive a
 * structured clone, so no functions (`token` is a string here) and no `env`.
 *
 * @example
 * ```ts
 * const core: PassThroughClientOptions = { format: 'msgpack', reconnect: { baseMs: 200, maxMs: 2000 } };
 * ```
 */
export type PassThroughClientOptions = Omit<
  ClientOptions,
  'endpoints' | 'token' | 'topics' | 'env' | 'lazyConnect'
>;

/**
 * Options of {@link connectSync}. Every field is optional; defaults in {@link SYNC_DEFAULTS}.
 *
 * @example
 * ```ts
 * const options: SyncClientOptions = { token, topics: ['updates'], timeoutMs: 10_000, bufferSize: 50_000 };
 * ```
 */
export interface SyncClientOptions {
  /** The access token (a string: it is copied to the worker thread). */
  token?: string;
  /** Topics subscribed before `connectSync` returns (and again on every reconnect). */
  topics?: readonly string[];
  /** Time limit of `connectSync` and the default of every blocking call; default 10 000 ms. */
  timeoutMs?: number;
  /** Undelivered events kept in the worker; beyond it the oldest are dropped (counted); default 10 000. */
  bufferSize?: number;
  /** Most events moved to the caller per thread round trip; default 512. */
  batchSize?: number;
  /** Time `close()` waits for a graceful close before terminating the worker; default 2000 ms. */
  closeTimeoutMs?: number;
  /**
   * Path (or `file:` URL) of the worker entry. Default: `worker.js` / `worker.cjs` next to the
   * module that calls it (the published `dist/`). Needed when running from TypeScript source.
   */
  workerPath?: string | URL;
  /** Anything else the core client accepts (see `@wse/core-client` `ClientOptions`). */
  client?: PassThroughClientOptions;
}

/**
 * The defaults of {@link SyncClientOptions}.
 *
 * @example
 * ```ts
 * SYNC_DEFAULTS.timeoutMs; // 10000
 * ```
 */
export const SYNC_DEFAULTS = Object.freeze({
  timeoutMs: 10_000,
  bufferSize: 10_000,
  batchSize: 512,
  closeTimeoutMs: 2000,
});

/**
 * An event returned by `recv()`: the core's application message, copied across the thread.
 *
 * @example
 * ```ts
 * const ev: SyncEvent | null = client.recv(1000);
 * if (ev) console.log(ev.type, ev.topic, ev.payload);
 * ```
 */
export type SyncEvent<P = Record<string, unknown>> = ClientMessage<P>;

/**
 * A per-call time limit.
 *
 * @example
 * ```ts
 * client.subscribe(['room:1'], { timeoutMs: 2000 });
 * ```
 */
export interface CallOptions {
  /** Default: the client's `timeoutMs`. */
  timeoutMs?: number;
}

/**
 * Options of `request()`.
 *
 * @example
 * ```ts
 * client.request('get_profile', { id: 7 }, { timeoutMs: 3000, priority: 8 });
 * ```
 */
export interface SyncRequestOptions extends CallOptions {
  priority?: number;
}

/**
 * Options of `send()`/`publish()`.
 *
 * @example
 * ```ts
 * client.send('chat_message', { text: 'hi' }, { priority: 8 });
 * ```
 */
export interface SyncSendOptions extends CallOptions {
  priority?: number;
}

/**
 * Options of `iter()`.
 *
 * @example
 * ```ts
 * for (const ev of client.iter({ idleMs: 5000, max: 100 })) handle(ev);
 * ```
 */
export interface IterOptions {
  /** End after this long without an event; default the client's `timeoutMs`; `Infinity` = until `close()`. */
  idleMs?: number;
  /** End after this many events; default unlimited. */
  max?: number;
}

/**
 * What `stats()` reports.
 *
 * @example
 * ```ts
 * const { received, delivered, dropped, buffered, reconnects } = client.stats();
 * ```
 */
export interface SyncStats {
  /** The core client's connection state. */
  state: ConnectionState;
  connectionId: string | null;
  endpoint: string | null;
  topics: readonly string[];
  /** Events the worker received from the server. */
  received: number;
  /** Events returned by `recv()`/`iter()`. */
  delivered: number;
  /** Events waiting: in the worker's buffer plus those already copied to the caller. */
  buffered: number;
  /** Capacity of the worker's buffer (`bufferSize`). */
  bufferSize: number;
  /** Events dropped because the buffer was full (oldest first). */
  dropped: number;
  /** Messages handed to the core by `send`/`publish`/`request`. */
  sent: number;
  /** Sessions established after the first (reconnects). */
  reconnects: number;
  /** Topics whose recovery failed (new epoch or evicted range): events in between are lost. */
  recoveryFailed: number;
  /** `error` events of the core (server error frames, transport failures, …). */
  errors: number;
  lastError: { name: string; code: string; message: string } | null;
}
