/**
 * `engine` option of `WSEServer` (exactly one engine per server): `memory` (default, one node) or
 * `redis` (nodes sharing one Redis: one order per topic, history and presence in Redis).
 *
 * @example
 * new WSEServer({ engine: { type: 'redis', url: 'redis://127.0.0.1:6379', prefix: 'myapp' } });
 */
export type EngineOptions =
  | { type: 'memory' }
  | {
      type: 'redis';
      url: string;
      /** ['wse'] */
      prefix?: string;
      /** [15] seconds after which a dead node's presence entries expire (its users leave ≤ 1.25 × this) */
      presenceTtlSec?: number;
    };

/** After defaults. */
export type ResolvedEngineOptions =
  | { type: 'memory' }
  | { type: 'redis'; url: string; prefix: string; presenceTtlSec: number };

/** Allowed in a Redis key prefix: no spaces, no braces (they would change the keys' hash slot). */
const PREFIX_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Validates the `engine` group; `problem` callbacks name the option like the rest of options.ts.
 *
 * @throws the error `fail(option, problem)` returns
 * @example
 * resolveEngineOptions({ type: 'redis', url: 'redis://localhost:6379' }, fail); // prefix 'wse'
 */
export function resolveEngineOptions(
  value: unknown,
  fail: (option: string, problem: string) => Error,
): ResolvedEngineOptions {
  if (value === undefined) return { type: 'memory' };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail('engine', 'must be an object { type: "memory" | "redis", ... }');
  const o = value as Record<string, unknown>;
  if (o.type === 'memory') return { type: 'memory' };
  if (o.type !== 'redis') throw fail('engine.type', 'must be "memory" or "redis"');
  if (typeof o.url !== 'string' || !/^rediss?:\/\/[^\s]+$/.test(o.url))
    throw fail('engine.url', 'must be a redis:// or rediss:// URL');
  const prefix = o.prefix ?? 'wse';
  if (typeof prefix !== 'string' || !PREFIX_RE.test(prefix))
    throw fail('engine.prefix', 'must be 1..64 characters of A-Z a-z 0-9 _ . : -');
  const ttl = o.presenceTtlSec ?? 15;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 1 || ttl > 3600)
    throw fail('engine.presenceTtlSec', 'must be a number of seconds in 1..3600');
  return { type: 'redis', url: o.url, prefix, presenceTtlSec: ttl };
}
