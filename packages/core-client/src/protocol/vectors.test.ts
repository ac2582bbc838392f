import { describe, expect, it } from 'vitest';
import { hexToBytes } from './base64';
import { importIdentityPublicKey, verifyIdentity } from './crypto';
import { ENVELOPE_KEY_ORDER } from './envelope';
import { ProtocolError } from './errors';
import { decodeAnyFrame, decodeFrame, encodeEncryptedFrame, encodeFrame, toBytes } from './frame';
import { type GoldenFrame, loadVectorSessionKey, loadVectors } from './vectors';

const vectors = loadVectors();
const wire = (f: { wire: 'text' | 'binary'; hex: string }) =>
  f.wire === 'text' ? new TextDecoder().decode(hexToBytes(f.hex)) : hexToBytes(f.hex);

async function reencode(f: GoldenFrame): Promise<Uint8Array> {
  if (f.kind === 'encrypted') {
    const key = await loadVectorSessionKey(f.direction);
    return encodeEncryptedFrame(f.envelope, key, { ...f.options, iv: hexToBytes(f.iv!) });
  }
  return toBytes(encodeFrame(f.envelope, f.options));
}

describe('golden vectors', () => {
  it('cover every frame kind and document the key order', () => {
    const kinds = new Set(vectors.frames.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(['encrypted', 'json', 'msgpack', 'zlib']);
    expect(vectors.keyOrder).toEqual([...ENVELOPE_KEY_ORDER]);
  });

  for (const f of vectors.frames) {
    it(`decodes ${f.name}`, async () => {
      const key = await loadVectorSessionKey(f.direction);
      const { encrypted, ...env } = await decodeAnyFrame(wire(f), { key });
      expect(env).toEqual(f.envelope);
      expect(Object.keys(env)).toEqual(ENVELOPE_KEY_ORDER.filter((k) => k in env));
      expect(encrypted).toBe(f.kind === 'encrypted');
    });
    if (!f.decodeOnly) {
      it(`re-encodes ${f.name} byte for byte`, async () => {
        expect(Buffer.from(await reencode(f)).toString('hex')).toBe(f.hex);
      });
    }
  }

  it('v2 frames: counter IVs, and a frame opens only under its own direction key', async () => {
    const v2 = vectors.frames.filter((f) => f.direction);
    expect(v2.length).toBeGreaterThanOrEqual(4);
    for (const f of v2) {
      expect(f.hex.slice(4, 12)).toBe('00000000');
      const other = await loadVectorSessionKey(f.direction === 'c2s' ? 's2c' : 'c2s');
      const err = await decodeAnyFrame(wire(f), { key: other }).catch((e: unknown) => e);
      expect((err as ProtocolError).code).toBe('DECRYPT_FAILED');
    }
  });

  it('text and binary JSON frames decode alike', () => {
    const f = vectors.frames.find((x) => x.name === 'json binary')!;
    expect(decodeFrame(hexToBytes(f.hex))).toEqual(decodeFrame(new TextDecoder().decode(hexToBytes(f.hex))));
    expect(typeof encodeFrame(f.envelope)).toBe('string');
  });

  for (const bad of vectors.invalid) {
    it(`rejects ${bad.name} with ${bad.code}`, async () => {
      const key = bad.withKey ? await loadVectorSessionKey() : undefined;
      const err = await decodeAnyFrame(wire(bad), { key }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe(bad.code);
    });
  }

  it('verifies the fixed identity signature', async () => {
    const { identity, client, server } = vectors.keys;
    const pub = await importIdentityPublicKey(identity.publicKey);
    const args = [client.publicKey, server.publicKey, identity.connectionId] as const;
    expect(await verifyIdentity(pub, identity.signature, ...args)).toBe(true);
    expect(await verifyIdentity(pub, identity.signature, client.publicKey, server.publicKey, 'other')).toBe(
      false,
    );
  });
});
