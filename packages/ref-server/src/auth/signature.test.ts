import { createHash, createHmac } from 'node:crypto';
import { canonicalJson } from '@wse/core-client/protocol';
import { loadSignatureVector } from '@wse/core-client/testing';
import { describe, expect, it } from 'vitest';
import { NonceCache, SignatureGate, signatureOptionProblem, verifySignature } from './signature';

const v = loadSignatureVector();

/** Signs `p` the way docs-site/protocol §6 says (independently of the client's signer). */
function sign(p: unknown, key: string, signedAt: number, nonce: string): string {
  const hash = createHash('sha256').update(canonicalJson(p)).digest('hex');
  const input = `${hash}:${signedAt}:${nonce}`;
  return `${input}:${createHmac('sha256', key).update(input).digest('hex')}`;
}
const nonce = (n: number) => n.toString(16).padStart(32, '0');

describe('verifySignature', () => {
  it('accepts the golden vector, also with its payload keys in another order', () => {
    expect(verifySignature({ p: v.p, sig: v.sig }, v.key, { nowSec: v.signedAt })).toEqual({ ok: true });
    const reordered = Object.fromEntries(Object.entries(v.p).reverse());
    expect(verifySignature({ p: reordered, sig: v.sig }, v.key, { nowSec: v.signedAt + 299 }).ok).toBe(true);
  });

  it('refuses missing, malformed, tampered payloads, a wrong key, and an old or future signed_at', () => {
    const at = v.signedAt;
    const check = (p: unknown, sig: string | undefined, o: { key?: string; now?: number } = {}) =>
      verifySignature({ p: p as Record<string, unknown>, sig }, o.key ?? v.key, { nowSec: o.now ?? at });
    expect(check(v.p, undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(check(v.p, 'abc')).toEqual({ ok: false, reason: 'malformed' });
    expect(check(v.p, v.sig.toUpperCase())).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ ...v.p, n: 3 }, v.sig)).toEqual({ ok: false, reason: 'hash' });
    expect(check(v.p, v.sig, { key: 'other' })).toEqual({ ok: false, reason: 'hmac' });
    const forged = `${v.sig.slice(0, -64)}${'0'.repeat(64)}`;
    expect(check(v.p, forged)).toEqual({ ok: false, reason: 'hmac' });
    expect(check(v.p, v.sig, { now: at + 301 })).toEqual({ ok: false, reason: 'expired' });
    expect(check(v.p, v.sig, { now: at - 301 })).toEqual({ ok: false, reason: 'expired' });
    // A re-signed timestamp without the key fails the HMAC, not just the clock.
    const moved = v.sig.replace(`:${at}:`, `:${at + 1}:`);
    expect(check(v.p, moved)).toEqual({ ok: false, reason: 'hmac' });
  });

  it('refuses a replayed nonce; a forged message does not use up a nonce', () => {
    const cache = new NonceCache();
    const p = { order: 1 };
    const sig = sign(p, 'k', 1000, nonce(1));
    const forged = `${sig.slice(0, -64)}${'0'.repeat(64)}`;
    expect(verifySignature({ p, sig: forged }, 'k', { nowSec: 1000, nonceCache: cache }).ok).toBe(false);
    expect(verifySignature({ p, sig }, 'k', { nowSec: 1000, nonceCache: cache })).toEqual({ ok: true });
    expect(verifySignature({ p, sig }, 'k', { nowSec: 1001, nonceCache: cache })).toEqual({
      ok: false,
      reason: 'replayed',
    });
  });
});

describe('NonceCache', () => {
  it('stays within maxEntries (evicting the oldest) and forgets nonces after ttl', () => {
    const cache = new NonceCache({ maxEntries: 3, ttlSec: 10 });
    for (let i = 0; i < 10; i++) expect(cache.checkAndAdd(nonce(i), 100)).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.evicted).toBe(7);
    expect(cache.checkAndAdd(nonce(9), 100)).toBe(false); // still remembered
    expect(cache.checkAndAdd(nonce(9), 110)).toBe(true); // expired, then seen anew
    expect(cache.size).toBe(1);
  });

  it('a flood of 100 000 distinct nonces keeps the size at the bound', () => {
    const cache = new NonceCache({ maxEntries: 1000 });
    for (let i = 0; i < 100_000; i++) cache.checkAndAdd(nonce(i), 5);
    expect(cache.size).toBe(1000);
  });
});

describe('SignatureGate and the option', () => {
  it("'all' covers application types and publish, not protocol frames", () => {
    const gate = new SignatureGate({ key: 'k', types: 'all' });
    expect(gate.requires('chat_message')).toBe(true);
    expect(gate.requires('publish')).toBe(true);
    expect(gate.requires('subscription_update')).toBe(false);
    expect(gate.requires('ping')).toBe(false);
    const listed = new SignatureGate({ key: 'k', types: ['order'] });
    expect(listed.requires('order')).toBe(true);
    expect(listed.requires('chat')).toBe(false);
  });

  it('validates requireSignatures', () => {
    expect(signatureOptionProblem({ key: 'k', types: ['a'] })).toBeNull();
    expect(signatureOptionProblem({ key: '', types: 'all' })).toMatch(/key/);
    expect(signatureOptionProblem({ key: 'k', types: 'some' })).toMatch(/types/);
    expect(signatureOptionProblem({ key: 'k', types: 'all', maxSkewSec: 0 })).toMatch(/maxSkewSec/);
  });
});
