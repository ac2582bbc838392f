/**
 * Worker thread entry. Built to `dist/worker.js` / `dist/worker.cjs` (tsup entry `worker`); from
 * source, bundle it with esbuild (see the README, "Running from source").
 *
 * @example
 * ```ts
 * new Worker(new URL('./worker.js', import.meta.url), { workerData: init, transferList: [init.port] });
 * ```
 *
 * @module
 */

import { isMainThread, workerData } from 'node:worker_threads';
import type { WorkerInit } from './messages';
import { WorkerHost } from './worker-host';

if (isMainThread) throw new Error('@wse/node-sync: worker.js is a worker_threads entry, not a script');

const host = new WorkerHost(workerData as WorkerInit);
process.on('uncaughtException', (err) => host.fatal(err));
process.on('unhandledRejection', (err) => host.fatal(err));
void host.start();
