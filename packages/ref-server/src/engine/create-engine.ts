import type { ResolvedOptions } from '../options';
import { type Engine, type EngineHost, MemoryEngine } from './engine';

/**
 * Picks the server's one engine from its options: memory unless the options ask for another.
 * Each engine adds its branch here (mesh: `options.cluster`; redis: `options.engine`).
 *
 * @example
 * ```ts
 * const engine = createEngine(host, resolvedOptions);
 * ```
 */
export function createEngine(host: EngineHost, _options: ResolvedOptions): Engine {
  return new MemoryEngine(host);
}
