import type { Logger } from 'pino';
import { MeshEngine } from '../cluster/mesh-engine';
import type { ResolvedOptions } from '../options';
import { type Engine, type EngineHost, MemoryEngine } from './engine';
import { RedisEngine } from './redis/redis-engine';

/**
 * What the server hears from an engine with an external store (redis): the store went away / came
 * back, an operation failed (→ `/metrics` `engine_up`, `engine_failures_total{op}`, logs).
 *
 * @example
 * ```ts
 * const hooks: EngineHooks = { onStatus: (up) => gauge.set(up ? 1 : 0), onFailure: (op) => failures.inc({ op }) };
 * ```
 */
export interface EngineHooks {
  onStatus?(up: boolean, reason?: string): void;
  onFailure?(op: string, err: unknown): void;
}

/**
 * Picks the server's one engine from its options: memory unless the options ask for another.
 * Each engine adds its branch here (mesh: `options.cluster`; redis: `options.engine`).
 *
 * @example
 * ```ts
 * const engine = createEngine(host, resolvedOptions, logger);
 * ```
 */
export function createEngine(
  host: EngineHost,
  options: ResolvedOptions,
  logger: Logger,
  hooks: EngineHooks = {},
): Engine {
  const e = options.engine;
  if (e.type === 'redis') {
    const { bufferSize, ttlSec, maxMessages } = options.recovery;
    return new RedisEngine({ url: e.url, prefix: e.prefix, bufferSize, ttlSec, maxMessages }, host, hooks);
  }
  if (options.cluster) {
    return new MeshEngine(host, options.cluster, (level, msg, fields) => logger[level](fields, msg));
  }
  return new MemoryEngine(host);
}
