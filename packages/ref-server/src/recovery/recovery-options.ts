/**
 * Recovery settings (`recovery: {...}` of the server config, docs-site/protocol §4).
 *
 * @example
 * ```ts
 * const options: RecoveryOptions = { enabled: true, bufferSize: 256, ttlSec: 300, maxMessages: 500,
 *   memoryBudget: 64 * 1024 * 1024 };
 * ```
 */
export interface RecoveryOptions {
  /** Whether the runtime stamps and stores publications. The store itself does not gate on it. */
  enabled: boolean;
  /** Publications kept per (topic, epoch) stream; ≥ 16, rounded up to a power of two (max 2^20). */
  bufferSize: number;
  /** A stream with no write for this many seconds is dropped (by `sweep()` or lazily on access). */
  ttlSec: number;
  /** Largest replay served by one recovery request for one topic; a bigger gap → `recovered: false`. */
  maxMessages: number;
  /** Upper bound, in bytes, of the accounted size of every stored publication (all topics). */
  memoryBudget: number;
}

/**
 * Defaults of {@link RecoveryOptions}: 128 publications per stream, 300 s idle TTL, 500 messages per
 * replay, 256 MiB budget.
 *
 * @example
 * ```ts
 * const opts = { ...DEFAULT_RECOVERY_OPTIONS, bufferSize: 1024 };
 * ```
 */
export const DEFAULT_RECOVERY_OPTIONS: Readonly<RecoveryOptions> = Object.freeze({
  enabled: true,
  bufferSize: 128,
  ttlSec: 300,
  maxMessages: 500,
  memoryBudget: 256 * 1024 * 1024,
});

/**
 * Smallest accepted `bufferSize`.
 *
 * @example
 * ```ts
 * resolveRecoveryOptions({ bufferSize: MIN_BUFFER_SIZE }); // ok; MIN_BUFFER_SIZE - 1 throws
 * ```
 */
export const MIN_BUFFER_SIZE = 16;
/**
 * Largest accepted `bufferSize` (2^20).
 *
 * @example
 * ```ts
 * resolveRecoveryOptions({ bufferSize: MAX_BUFFER_SIZE + 1 }); // throws RangeError: recovery.bufferSize ...
 * ```
 */
export const MAX_BUFFER_SIZE = 1 << 20;

/**
 * Fills defaults and validates recovery options; `bufferSize` is rounded up to the next power of two.
 *
 * @throws RangeError whose message names the offending option (`recovery.bufferSize` …)
 * @example
 * ```ts
 * resolveRecoveryOptions({ bufferSize: 100 }).bufferSize; // 128
 * resolveRecoveryOptions({ ttlSec: 0 });                  // throws RangeError: recovery.ttlSec ...
 * ```
 */
export function resolveRecoveryOptions(options: Partial<RecoveryOptions> = {}): RecoveryOptions {
  const merged = { ...DEFAULT_RECOVERY_OPTIONS, ...stripUndefined(options) };
  if (typeof merged.enabled !== 'boolean') fail('enabled', 'must be a boolean', merged.enabled);
  const size = merged.bufferSize;
  if (!Number.isInteger(size) || size < MIN_BUFFER_SIZE || size > MAX_BUFFER_SIZE) {
    fail('bufferSize', `must be an integer in [${MIN_BUFFER_SIZE}, ${MAX_BUFFER_SIZE}]`, size);
  }
  if (!Number.isFinite(merged.ttlSec) || merged.ttlSec <= 0) {
    fail('ttlSec', 'must be a finite number > 0', merged.ttlSec);
  }
  if (!Number.isSafeInteger(merged.maxMessages) || merged.maxMessages < 1) {
    fail('maxMessages', 'must be an integer ≥ 1', merged.maxMessages);
  }
  if (!Number.isSafeInteger(merged.memoryBudget) || merged.memoryBudget < 1) {
    fail('memoryBudget', 'must be an integer number of bytes ≥ 1', merged.memoryBudget);
  }
  return { ...merged, bufferSize: nextPowerOfTwo(size) };
}

/** Smallest power of two ≥ `n` (n ≥ 1). */
function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function stripUndefined(options: Partial<RecoveryOptions>): Partial<RecoveryOptions> {
  const out: Partial<RecoveryOptions> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

function fail(name: keyof RecoveryOptions, rule: string, value: unknown): never {
  throw new RangeError(`recovery.${name} ${rule}, got ${String(value)}`);
}
