/**
 * Message signing (docs-site/protocol §6), the parts both sides share: what is hashed and how `sig` is laid
 * out. No crypto here — the client signs with WebCrypto (lazy `signing/signer.ts`), the server
 * verifies with `node:crypto` — so this file stays tiny and synchronous.
 *
 * `sig` = `hash:signed_at:nonce:hmac`: `hash` hex SHA-256 of {@link canonicalJson}(`p`),
 * `signed_at` Unix seconds, `nonce` 16 random bytes hex, `hmac` hex HMAC-SHA256 of
 * `hash:signed_at:nonce` under the shared key.
 *
 * Decided here: "the JSON of `p`" is the canonical form — object keys sorted (UTF-16 code unit
 * order, as `Array.prototype.sort`), no whitespace, everything else exactly as `JSON.stringify`
 * writes it (so `undefined` members are left out and non-finite numbers become `null`). A payload
 * that went through JSON, MessagePack or a re-ordering proxy hashes the same on both sides, which
 * the sender's own key order would not guarantee (JS objects put integer-like keys first). In
 * Python: `json.dumps(p, sort_keys=True, separators=(',', ':'), ensure_ascii=False)`.
 *
 * @module
 */

/** Verifiers refuse a `signed_at` further than this from their clock (±5 min). */
export const SIGNATURE_MAX_SKEW_SEC = 300;

/**
 * `value` as canonical JSON: sorted keys, no whitespace.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(obj).sort()) {
      const v = obj[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The text the HMAC covers: `hash:signed_at:nonce`.
 *
 * @example
 * signingInput('ab…', 1767225600, '00…'); // 'ab…:1767225600:00…'
 */
export function signingInput(hash: string, signedAt: number, nonce: string): string {
  return `${hash}:${signedAt}:${nonce}`;
}

/** The four fields of a `sig`. */
export interface ParsedSignature {
  hash: string;
  signedAt: number;
  nonce: string;
  hmac: string;
}

const SIG = /^([0-9a-f]{64}):(\d{1,12}):([0-9a-f]{32}):([0-9a-f]{64})$/;

/**
 * Splits a `sig`; null unless it is exactly `64 hex:digits:32 hex:64 hex` (lower-case hex).
 *
 * @example
 * parseSignature('x'); // null
 */
export function parseSignature(sig: unknown): ParsedSignature | null {
  if (typeof sig !== 'string') return null;
  const m = SIG.exec(sig);
  if (!m) return null;
  return { hash: m[1] as string, signedAt: Number(m[2]), nonce: m[3] as string, hmac: m[4] as string };
}
