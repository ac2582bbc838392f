import type { Envelope } from '@wse/core-client/protocol';

/**
 * FNV-1a (32 bit) over the UTF-16 code units of `text`: cheap, stable across nodes and runs, and
 * spreads envelope ids (random or counters) well enough for picking one of a few nodes.
 *
 * @example
 * ```ts
 * fnv1a('abc'); // 440920331
 * ```
 */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The node that delivers `envelope` to a queue group, cluster-wide (docs-site/protocol §4): every node that
 * holds the group computes the same answer from the same inputs — the holders sorted by node id,
 * indexed by the hash of the publication's id. `holders` need not be sorted; undefined when empty.
 * The key is the envelope `id`, else its stamp (`e:o`, the same on every node), else its type.
 *
 * @example
 * ```ts
 * chooseGroupNode(['b', 'a'], { c: 'U', t: 'x', p: {}, id: 'm1' }); // 'a' or 'b', same everywhere
 * ```
 */
export function chooseGroupNode(holders: readonly string[], envelope: Envelope): string | undefined {
  if (holders.length === 0) return undefined;
  const sorted = [...holders].sort();
  const key = envelope.id ?? (envelope.e !== undefined ? `${envelope.e}:${envelope.o ?? ''}` : envelope.t);
  return sorted[fnv1a(key) % sorted.length];
}
