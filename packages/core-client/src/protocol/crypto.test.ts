import { describe, expect, it } from 'vitest';
import { base64Decode, base64Encode, bytesToHex } from './base64';
import {
  deriveSessionKey,
  deriveSessionKeyBytes,
  exportPublicKey,
  generateIdentityKeyPair,
  generateKeyPair,
  importPublicKey,
  signIdentity,
  verifyIdentity,
} from './crypto';
import { ProtocolError } from './errors';
import { decodeAnyFrame, encodeEncryptedFrame } from './frame';
import { loadVectors } from './vectors';

const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return 'resolved';
}

describe('key agreement', () => {
  it('both sides derive the same AES-GCM key', async () => {
    const a = await generateKeyPair();
    const b = await generateKeyPair();
    const aPub = await exportPublicKey(a.publicKey);
    expect(base64Decode(aPub)).toHaveLength(65);
    const ka = await deriveSessionKey(
      a.privateKey,
      await importPublicKey(await exportPublicKey(b.publicKey)),
    );
    const kb = await deriveSessionKey(b.privateKey, await importPublicKey(aPub));
    const frame = await encodeEncryptedFrame({ c: 'U', t: 'x', p: {} }, ka);
    expect((await decodeAnyFrame(frame, { key: kb })).t).toBe('x');
  });

  it('matches the fixture session key (ECDH → HKDF, empty salt, fixed info)', async () => {
    const { keys } = loadVectors();
    const priv = await crypto.subtle.importKey('jwk', keys.server.privateJwk, ECDH, false, ['deriveBits']);
    const raw = await deriveSessionKeyBytes(priv, await importPublicKey(keys.client.publicKey));
    expect(bytesToHex(raw)).toBe(keys.sessionKeyHex);
  });

  it('rejects malformed public keys with INVALID_KEY', async () => {
    const good = base64Decode(loadVectors().keys.client.publicKey);
    const offCurve = good.slice();
    offCurve[64]! ^= 1;
    expect(await codeOf(importPublicKey('not base64!'))).toBe('INVALID_KEY');
    expect(await codeOf(importPublicKey(base64Encode(good.subarray(0, 64))))).toBe('INVALID_KEY');
    expect(await codeOf(importPublicKey(base64Encode(new Uint8Array(65).fill(4))))).toBe('INVALID_KEY');
    expect(await codeOf(importPublicKey(base64Encode(offCurve)))).toBe('INVALID_KEY');
  });
});

describe('identity signature', () => {
  it('signs client_key ‖ server_key ‖ connection_id and verifies P1363 and DER', async () => {
    const id = await generateIdentityKeyPair();
    const { client, server } = loadVectors().keys;
    const sig = await signIdentity(id.privateKey, client.publicKey, server.publicKey, 'c1');
    const raw = base64Decode(sig);
    expect(raw).toHaveLength(64);
    expect(await verifyIdentity(id.publicKey, sig, client.publicKey, server.publicKey, 'c1')).toBe(true);
    expect(await verifyIdentity(id.publicKey, sig, server.publicKey, client.publicKey, 'c1')).toBe(false);
    expect(await verifyIdentity(id.publicKey, 'garbage', client.publicKey, server.publicKey, 'c1')).toBe(
      false,
    );
    expect(
      await verifyIdentity(id.publicKey, base64Encode(toDer(raw)), client.publicKey, server.publicKey, 'c1'),
    ).toBe(true);
  });
});

function toDer(p1363: Uint8Array): Uint8Array {
  const int = (x: Uint8Array) => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    const v = x.subarray(i);
    return v[0]! & 0x80 ? [0x02, v.length + 1, 0, ...v] : [0x02, v.length, ...v];
  };
  const body = [...int(p1363.subarray(0, 32)), ...int(p1363.subarray(32))];
  return Uint8Array.from([0x30, body.length, ...body]);
}
