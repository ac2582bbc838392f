/**
 * `connectSync`: starts the worker thread that runs the async client, then blocks until the
 * session is up (and the initial topics are confirmed), or throws a typed error.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { WSEConnectionError } from './errors';
import type { WorkerInit } from './messages';
import { SyncClient } from './sync-client';
import { SyncSignal } from './sync-signal';
import { SYNC_DEFAULTS, type SyncClientOptions } from './types';

/** The file this module was loaded from (CJS `__filename`, else `import.meta.url`). */
function selfPath(): string | undefined {
  if (typeof __filename === 'string' && __filename.length > 0) return __filename;
  try {
    return fileURLToPath(import.meta.url);
  } catch {
    return undefined;
  }
}

/**
 * Where the worker entry lives: `worker<ext>` next to this module, with this module's own
 * extension (`dist/index.js` → `dist/worker.js`, `dist/index.cjs` → `dist/worker.cjs`, a bundle
 * `x/index.mjs` → `x/worker.mjs`). From TypeScript source there is no runnable sibling, so the
 * caller must pass `workerPath`.
 *
 * @example
 * ```ts
 * resolveWorkerPath(undefined); // '/app/node_modules/@wse/node-sync/dist/worker.js'
 * ```
 */
export function resolveWorkerPath(explicit: string | URL | undefined): string {
  if (explicit !== undefined) {
    const path = explicit instanceof URL || explicit.startsWith('file:') ? fileURLToPath(explicit) : explicit;
    if (!existsSync(path)) {
      throw new WSEConnectionError('WORKER_NOT_FOUND', `@wse/node-sync: workerPath ${path} does not exist`);
    }
    return path;
  }
  const self = selfPath();
  const ext = self ? extname(self) : '';
  const candidate = self && !/\.[cm]?ts$/.test(ext) ? join(dirname(self), `worker${ext}`) : undefined;
  if (candidate && existsSync(candidate)) return candidate;
  throw new WSEConnectionError(
    'WORKER_NOT_FOUND',
    `@wse/node-sync: no worker entry next to ${self ?? 'this module'}. Build the package (dist/worker.js), ` +
      'or, when running from TypeScript source, bundle src/worker.ts (esbuild, conditions ["wse-source"]) ' +
      'and pass its path as the `workerPath` option.',
  );
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(typeof v === 'number' && v > 0)) throw new RangeError(`connectSync: ${name} must be > 0, got ${v}`);
  return v;
}

/**
 * Connects and blocks until the session is up and `options.topics` are confirmed. Throws
 * `WSEAuthError` (token rejected), `WSEConnectionError` (`CONNECT_FAILED`: the socket kept
 * failing for `timeoutMs`; `WORKER_NOT_FOUND`/`WORKER_FAILED`) or `WSETimeoutError` (no session
 * within `timeoutMs` and no failure seen). The worker is unref'd: an unclosed client never keeps
 * the process alive.
 *
 * @example
 * ```js
 * const { connectSync } = require('@wse/node-sync');
 * const client = connectSync('ws://127.0.0.1:5007/wse', { token, topics: ['updates'], timeoutMs: 10000 });
 * const ev = client.recv(1000);
 * client.close();
 * ```
 */
export function connectSync(url: string | readonly string[], options: SyncClientOptions = {}): SyncClient {
  const endpoints = typeof url === 'string' ? [url] : [...url];
  if (endpoints.length === 0) throw new TypeError('connectSync: give at least one URL');
  const timeoutMs = positive('timeoutMs', options.timeoutMs, SYNC_DEFAULTS.timeoutMs);
  const bufferSize = Math.floor(positive('bufferSize', options.bufferSize, SYNC_DEFAULTS.bufferSize));
  const batchSize = Math.floor(positive('batchSize', options.batchSize, SYNC_DEFAULTS.batchSize));
  const closeTimeoutMs = positive('closeTimeoutMs', options.closeTimeoutMs, SYNC_DEFAULTS.closeTimeoutMs);
  const workerPath = resolveWorkerPath(options.workerPath);
  const signal = new SyncSignal();
  const { port1, port2 } = new MessageChannel();
  const init: WorkerInit = {
    endpoints,
    token: options.token,
    topics: [...(options.topics ?? [])],
    bufferSize,
    signal: signal.buffer,
    port: port2,
    client: options.client ?? {},
  };
  let worker: Worker;
  try {
    worker = new Worker(workerPath, { workerData: init, transferList: [port2] });
  } catch (err) {
    port1.close();
    if (err instanceof Error && err.name === 'DataCloneError') {
      throw new TypeError(
        'connectSync: options.client must be plain data (no functions): it is copied to the worker',
        {
          cause: err,
        },
      );
    }
    throw new WSEConnectionError('WORKER_FAILED', `@wse/node-sync: cannot start the worker: ${String(err)}`, {
      cause: err,
    });
  }
  // A script that forgets close() must still exit; process exit terminates the thread.
  worker.unref();
  const client = new SyncClient({ worker, port: port1, signal, timeoutMs, batchSize, closeTimeoutMs });
  // Startup failures (module not found, syntax errors) arrive as 'error' events; an unhandled one would crash.
  worker.on('error', () => client.shutdown());
  try {
    client.waitReady(timeoutMs, endpoints[0] as string);
  } catch (err) {
    client.shutdown();
    throw err;
  }
  return client;
}
