import { describe, expect, it } from 'vitest';
import { buildEnvelope, type Envelope } from '../protocol/envelope';
import { canonicalJson, parseSignature } from '../protocol/signature';
import { loadSignatureVector } from '../protocol/vectors';
import { createSigner, signPayload } from './signer';

const v = loadSignatureVector();

async function hmacHex(key: string, input: string): Promise<string> {
  const subtle = globalThis.crypto.subtle;
  const k = await subtle.importKey(
    'raw',
    new TextEncoder().encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await subtle.sign('HMAC', k, new TextEncoder().encode(input)));
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join('');
}

describe('message signing (client side)', () => {
  it('canonical JSON and the signature match the golden vector (made with Python)', async () => {
    expect(canonicalJson(v.p)).toBe(v.canonical);
    const sig = await signPayload(v.p, (input) => hmacHex(v.key, input), v.signedAt * 1000 + 999, v.nonce);
    expect(sig).toBe(v.sig);
  });

  it('canonical JSON ignores key order and drops undefined members like JSON.stringify', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [undefined, Number.NaN] } })).toBe(
      '{"a":{"c":[null,null]},"b":1}',
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
  });

  it('signs the wanted types with a key, leaves others alone, and signs inside a batch', async () => {
    const sign = createSigner(
      { key: v.key, types: ['order'] },
      (t) => t === 'order',
      () => v.signedAt * 1000,
    );
    const order = await sign(buildEnvelope('order', v.p) as Envelope);
    expect(parseSignature(order.sig)).toMatchObject({ hash: v.hash, signedAt: v.signedAt });
    const other = buildEnvelope('chat', { a: 1 }) as Envelope;
    expect(await sign(other)).toBe(other);
    const batch = buildEnvelope('batch', { messages: [order, other], count: 2 }) as Envelope;
    const signed = (await sign(batch)).p.messages as Envelope[];
    expect(signed[0]?.sig).toMatch(/^[0-9a-f]{64}:/);
    expect(signed[1]?.sig).toBeUndefined();
  });

  it('uses the app sign(fn) when given; fresh nonces per message', async () => {
    const inputs: string[] = [];
    const sign = createSigner(
      {
        sign: (input) => {
          inputs.push(input);
          return 'f'.repeat(64);
        },
        types: 'all',
      },
      () => true,
      () => 0,
    );
    const a = await sign(buildEnvelope('x', {}) as Envelope);
    const b = await sign(buildEnvelope('x', {}) as Envelope);
    expect(a.sig?.endsWith(`:${'f'.repeat(64)}`)).toBe(true);
    expect(parseSignature(a.sig)?.nonce).not.toBe(parseSignature(b.sig)?.nonce);
    expect(inputs[0]).toBe(a.sig?.slice(0, -65));
  });
});
