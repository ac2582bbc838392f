import type { Logger } from 'pino';
import { MeshEngine } from '../cluster/mesh-engine';
import type { ResolvedOptions } from '../options';
import { type Engine, type EngineHooks, type EngineHost, MemoryEngine } from './engine';
import { RedisEngine } from './redis/redis-engine';

// EngineHooks lives in the seam (engine.ts) so engines can use it without importing this factory.
export type { EngineHooks } from './engine';

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
