import type { Logger } from 'pino';
import { MeshEngine } from '../cluster/mesh-engine';
import type { ResolvedOptions } from '../options';
import { type Engine, type EngineHost, MemoryEngine } from './engine';

/**
 * Picks the server's one engine from its options: memory unless the options ask for another.
 * Each engine adds its branch here (mesh: `options.cluster`; redis: `options.engine`).
 *
 * @example
 * ```ts
 * const engine = createEngine(host, resolvedOptions, logger);
 * ```
 */
export function createEngine(host: EngineHost, options: ResolvedOptions, logger: Logger): Engine {
  if (options.cluster) {
    return new MeshEngine(host, options.cluster, (level, msg, fields) => logger[level](fields, msg));
  }
  return new MemoryEngine(host);
}
