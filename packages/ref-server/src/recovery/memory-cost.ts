/**
 * What the recovery store's memory budget counts (issue 18: the budget must bound REAL memory, not
 * only JSON text). Measured with `node --expose-gc ../../scripts/run-ts.mjs bench/recovery-memory.ts`
 * (heap used after full GCs, Node 20.20 x64, no pointer compression); the figures are in the README
 * ("Recovery → Memory"). The constants round the measurements UP, so the accounted bytes are an upper
 * bound of the heap the store holds.
 *
 * - A retained publication is its JSON text and one small record (the envelope object is NOT kept:
 *   a replay to a msgpack/E2E connection parses the text again), plus its ring slot.
 * - A stream (a ring buffer keyed by (topic, epoch)) costs its objects and table entries even when
 *   empty — so an empty stream is never free and always evictable.
 *
 * @example
 * ```ts
 * const cost = publicationCost(pub.bytes, pub.json.length); // what the budget is charged
 * ```
 */

/** Per retained publication, beyond its text: the record, the string header, the ring slot. */
export const PUBLICATION_OVERHEAD = 128;

/** Per stream: the stream and ring objects, the empty slot array, and its entries in the store's tables. */
export const STREAM_OVERHEAD = 640;

/**
 * Bytes charged for one retained publication whose JSON text has `chars` UTF-16 units and `bytes`
 * UTF-8 bytes. V8 keeps a pure-ASCII string at one byte per character; any other string may be
 * two bytes per character, whatever its UTF-8 length — charge the larger.
 *
 * @example
 * ```ts
 * publicationCost(120, 120); // 248: ASCII text + overhead
 * publicationCost(130, 120); // 368: a non-ASCII character makes the string two-byte
 * ```
 */
export function publicationCost(bytes: number, chars: number): number {
  return (bytes === chars ? bytes : Math.max(bytes, 2 * chars)) + PUBLICATION_OVERHEAD;
}
