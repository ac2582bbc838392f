/**
 * The thread protocol between the caller (`SyncClient`) and the worker (`WorkerHost`). Both
 * directions share one MessageChannel; worker → caller posts are followed by a
 * `SyncSignal.notify()` so the blocked caller wakes and drains the port with
 * `receiveMessageOnPort`.
 *
 * @module
 */

import type { MessagePort } from 'node:worker_threads';
import type { SerializedError } from './errors';
import type { PassThroughClientOptions, SyncEvent, SyncStats } from './types';

/**
 * What the worker receives as `workerData`.
 *
 * @example
 * ```ts
 * const init: WorkerInit = { endpoints: ['ws://127.0.0.1:5007/wse'], topics: [], bufferSize: 10_000, signal, port, client: {} };
 * ```
 */
export interface WorkerInit {
  endpoints: string[];
  token?: string;
  topics: string[];
  bufferSize: number;
  signal: SharedArrayBuffer;
  port: MessagePort;
  client: PassThroughClientOptions;
}

/**
 * Caller → worker operations. Every one but `pull` carries an `id` the reply echoes.
 *
 * @example
 * ```ts
 * const op: WorkerRequest = { op: 'request', id: 3, type: 'get_profile', payload: { id: 7 }, timeoutMs: 5000 };
 * ```
 */
export type WorkerRequest =
  | { op: 'subscribe'; id: number; topics: string[]; queueGroup?: string }
  | { op: 'unsubscribe'; id: number; topics: string[] }
  | { op: 'send'; id: number; type: string; payload: object; priority?: number }
  | { op: 'request'; id: number; type: string; payload: object; priority?: number; timeoutMs: number }
  | { op: 'stats' | 'close'; id: number }
  /** Ask for up to `max` events; `wait: true` parks the ask until one arrives. */
  | { op: 'pull'; max: number; wait: boolean };

/**
 * Worker → caller messages.
 *
 * @example
 * ```ts
 * const reply: WorkerReply = { kind: 'reply', id: 3, ok: true, value: { name: 'Ada' } };
 * ```
 */
export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'connect-error'; error: SerializedError; fatal: boolean }
  | { kind: 'events'; events: SyncEvent[] }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: SerializedError }
  | { kind: 'fatal'; error: SerializedError }
  /** The core gave up for good (`failed`: auth rejected on reconnect, `maxAttempts` exhausted). */
  | { kind: 'failed'; error: SerializedError };

/**
 * The worker's half of {@link SyncStats} (the caller adds `delivered` and its local queue).
 *
 * @example
 * ```ts
 * const w = call({ op: 'stats' }) as WorkerStats;
 * ```
 */
export type WorkerStats = Omit<SyncStats, 'delivered'>;
