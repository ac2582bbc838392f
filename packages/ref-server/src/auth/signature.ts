import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  canonicalJson,
  type Envelope,
  PROTOCOL_TYPES,
  parseSignature,
  SIGNATURE_MAX_SKEW_SEC,
  signingInput,
} from '@wse/core-client/protocol';

/**
 * Remembers the nonces of accepted signatures so a replay inside the time window is refused
 * (docs-site/protocol §6). Bounded: at most `maxEntries` nonces; each is kept `ttlSec` (twice the skew
 * window: a `signed_at` may be up to one skew ahead of the clock and is accepted until one skew
 * after it). Entries are in insertion order, which is expiry order, so expired ones are dropped
 * from the front on every check. When the cache is full of live nonces the oldest is evicted
 * (`evicted` counts them): a replay of THAT message would then pass, so size the cache for
 * (signed messages per second × 2 × maxSkewSec) — the default 100 000 covers ~166 signed
 * messages/s at the default ±5 min.
 *
 * @example
 * const cache = new NonceCache({ maxEntries: 10_000, ttlSec: 600 });
 * cache.checkAndAdd('ab…', nowSec); // true the first time, false for a replay
 */
export class NonceCache {
  private readonly expiries = new Map<string, number>();
  readonly maxEntries: number;
  readonly ttlSec: number;
  /** Live nonces dropped because the cache was full. */
  evicted = 0;

  constructor(o: { maxEntries?: number; ttlSec?: number } = {}) {
    this.maxEntries = Math.max(1, Math.floor(o.maxEntries ?? 100_000));
    this.ttlSec = o.ttlSec ?? 2 * SIGNATURE_MAX_SKEW_SEC;
  }

  get size(): number {
    return this.expiries.size;
  }

  /** True (and remembered) when `nonce` was not seen within the window; false for a replay. */
  checkAndAdd(nonce: string, nowSec: number): boolean {
    for (const [n, expires] of this.expiries) {
      if (expires > nowSec) break;
      this.expiries.delete(n);
    }
    if (this.expiries.has(nonce)) return false;
    if (this.expiries.size >= this.maxEntries) {
      const oldest = this.expiries.keys().next().value as string;
      this.expiries.delete(oldest);
      this.evicted++;
    }
    this.expiries.set(nonce, nowSec + this.ttlSec);
    return true;
  }
}

/** Why a signature was refused. */
export type SignatureFailure = 'missing' | 'malformed' | 'hash' | 'hmac' | 'expired' | 'replayed';

/** The outcome of {@link verifySignature}. */
export type SignatureVerdict = { ok: true } | { ok: false; reason: SignatureFailure };

/**
 * Verifies an envelope's `sig` (docs-site/protocol §6) with `node:crypto`: the layout, the hash of the
 * canonical JSON of `p`, the HMAC under `key` (constant-time compare), `signed_at` within
 * ±`maxSkewSec` (default 300) of `nowSec`, and — only once everything else holds, so forged
 * messages cannot fill it — the nonce against `nonceCache` (omitted = no replay check).
 *
 * @example
 * const cache = new NonceCache();
 * const v = verifySignature(env, process.env.SIGNING_KEY!, { nonceCache: cache });
 * if (!v.ok) console.warn('refused:', v.reason);
 */
export function verifySignature(
  envelope: Pick<Envelope, 'p' | 'sig'>,
  key: string | Uint8Array,
  o: { maxSkewSec?: number; nonceCache?: NonceCache; nowSec?: number } = {},
): SignatureVerdict {
  if (envelope.sig === undefined) return { ok: false, reason: 'missing' };
  const sig = parseSignature(envelope.sig);
  if (!sig) return { ok: false, reason: 'malformed' };
  const hash = createHash('sha256').update(canonicalJson(envelope.p)).digest('hex');
  if (hash !== sig.hash) return { ok: false, reason: 'hash' };
  const mac = createHmac('sha256', key)
    .update(signingInput(sig.hash, sig.signedAt, sig.nonce))
    .digest();
  if (!timingSafeEqual(mac, Buffer.from(sig.hmac, 'hex'))) return { ok: false, reason: 'hmac' };
  const now = o.nowSec ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - sig.signedAt) > (o.maxSkewSec ?? SIGNATURE_MAX_SKEW_SEC)) {
    return { ok: false, reason: 'expired' };
  }
  if (o.nonceCache && !o.nonceCache.checkAndAdd(sig.nonce, now)) return { ok: false, reason: 'replayed' };
  return { ok: true };
}

/** The `requireSignatures` server option. */
export interface SignatureRequirement {
  /** The shared HMAC key (a string is its UTF-8 bytes). */
  key: string | Uint8Array;
  /** Types that must carry a valid `sig`; `'all'`: every application message and `publish`. */
  types: readonly string[] | 'all';
  /** [300] accepted distance of `signed_at` from the server clock, seconds */
  maxSkewSec?: number;
  /** [100 000] bound of the replay cache (one per server, shared by all connections) */
  nonceCacheSize?: number;
}

/**
 * The server side of `requireSignatures`: which types need a signature, and the check with one
 * shared nonce cache. Decided here: `'all'` is every type the server hands to the application
 * (anything not in `PROTOCOL_TYPES`) plus `publish` — the same rule as the client's option.
 *
 * @example
 * const gate = new SignatureGate({ key: 'shared', types: ['order'] });
 * gate.check(env); // null when fine, else the failure reason
 */
export class SignatureGate {
  readonly cache: NonceCache;
  private readonly types: ReadonlySet<string> | 'all';

  constructor(private readonly req: SignatureRequirement) {
    const skew = req.maxSkewSec ?? SIGNATURE_MAX_SKEW_SEC;
    this.cache = new NonceCache({ maxEntries: req.nonceCacheSize, ttlSec: 2 * skew });
    this.types = req.types === 'all' ? 'all' : new Set(req.types);
  }

  /** Whether `type` must be signed. */
  requires(type: string): boolean {
    return this.types === 'all' ? type === 'publish' || !PROTOCOL_TYPES.has(type) : this.types.has(type);
  }

  /** Null when `env` needs no signature or carries a valid one; else why it is refused. */
  check(env: Envelope): SignatureFailure | null {
    if (!this.requires(env.t)) return null;
    const v = verifySignature(env, this.req.key, { maxSkewSec: this.req.maxSkewSec, nonceCache: this.cache });
    return v.ok ? null : v.reason;
  }
}

/**
 * Validates the `requireSignatures` option; returns the problem or null.
 *
 * @example
 * signatureOptionProblem({ key: '', types: 'all' }); // 'key must be a non-empty string or Uint8Array'
 */
export function signatureOptionProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'must be an object { key, types }';
  const r = v as Record<string, unknown>;
  const keyOk = (typeof r.key === 'string' || r.key instanceof Uint8Array) && r.key.length > 0;
  if (!keyOk) return 'key must be a non-empty string or Uint8Array';
  const typesOk =
    r.types === 'all' || (Array.isArray(r.types) && r.types.every((t) => typeof t === 'string'));
  if (!typesOk) return "types must be 'all' or an array of message types";
  for (const k of ['maxSkewSec', 'nonceCacheSize'] as const) {
    const n = r[k];
    if (n !== undefined && !(typeof n === 'number' && Number.isFinite(n) && n >= 1))
      return `${k} must be a number ≥ 1`;
  }
  return null;
}
