/**
 * Client options → resolved settings, with every default in one place (the README's option table
 * mirrors {@link CLIENT_DEFAULTS}).
 *
 * @module
 */

import { type Clock, systemClock } from '../env/clock';
import { defaultEnvironment, type EnvironmentSource } from '../env/environment';
import { defaultRandom, type Random } from '../env/random';
import { IndexedDBQueueStorage } from '../offline/indexeddb-queue-storage';
import { MemoryQueueStorage, type QueueStorage } from '../offline/queue-storage';
import type { TransportFactory } from '../transport/transport';
import { createWebSocketTransportFactory } from '../transport/websocket-transport';
import type { ClientOptions } from './types';

/**
 * The defaults of {@link ClientOptions}.
 *
 * @example
 * ```ts
 * CLIENT_DEFAULTS.connectTimeoutMs; // 10000
 * ```
 */
export const CLIENT_DEFAULTS = Object.freeze({
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  compressionThreshold: 1024,
  maxMessageSize: 1024 * 1024,
  tokenRefreshAheadMs: 30_000,
  deadGraceMs: 10_000,
  backoffBaseMs: 500,
  backoffMaxMs: 20_000,
  breakerFailureThreshold: 5,
  breakerResetTimeoutMs: 30_000,
  queueMaxSize: 1000,
  queueMaxAgeMs: 24 * 60 * 60 * 1000,
  clientVersion: '@wse/core-client/0.1.0',
});

/**
 * Options with the environment resolved.
 *
 * @example
 * ```ts
 * const r: ResolvedOptions = resolveOptions({ endpoints: 'ws://127.0.0.1:5007/wse' });
 * ```
 */
export interface ResolvedOptions {
  readonly endpoints: string[];
  readonly clock: Clock;
  readonly random: Random;
  readonly environment: EnvironmentSource;
  readonly transport: TransportFactory;
  readonly tokenInHeader: boolean;
  readonly storage: QueueStorage | null;
}

function isNode(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; document?: unknown };
  return typeof g.process?.versions?.node === 'string' && g.document === undefined;
}

function resolveStorage(offline: ClientOptions['offline']): QueueStorage | null {
  if (offline === false) return null;
  const wanted = offline?.storage;
  if (wanted !== undefined && typeof wanted === 'object') return wanted;
  const hasIndexedDB = (globalThis as { indexedDB?: unknown }).indexedDB !== undefined;
  if (wanted === 'indexeddb' || (wanted === undefined && hasIndexedDB && !isNode()))
    return new IndexedDBQueueStorage();
  return new MemoryQueueStorage();
}

/**
 * Resolves the environment parts of the options: endpoints list, clock, random, online source,
 * transport, where the token goes, and the queue storage (IndexedDB in browsers that have it,
 * memory elsewhere).
 *
 * @example
 * ```ts
 * resolveOptions({ endpoints: ['ws://a/wse'], env: { clock: new ManualClock() } }).clock.now(); // 0
 * ```
 */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  const endpoints = typeof options.endpoints === 'string' ? [options.endpoints] : [...options.endpoints];
  if (endpoints.length === 0) throw new TypeError('createClient: `endpoints` needs at least one URL');
  const env = options.env ?? {};
  const custom = env.transport !== undefined || env.WebSocket !== undefined;
  const supportsHeaders = env.supportsHeaders ?? (!custom && isNode());
  const mode = options.tokenTransport ?? 'auto';
  return {
    endpoints,
    clock: env.clock ?? systemClock,
    random: env.random ?? defaultRandom,
    environment: env.environment ?? defaultEnvironment(),
    transport: env.transport ?? createWebSocketTransportFactory(env.WebSocket),
    tokenInHeader: mode === 'header' || (mode === 'auto' && supportsHeaders),
    storage: resolveStorage(options.offline),
  };
}
