import { describe, expect, it } from 'vitest';
import { generateKeyPair } from './crypto';
import type { Envelope } from './envelope';
import { ProtocolError } from './errors';
import {
  decodeAnyFrame,
  decodeAnyFrameWith,
  decodeFrameWith,
  encodeEncryptedFrame,
  encodeFrame,
  encodeFrameWhenReady,
  encryptFrameWith,
  toBytes,
} from './frame';
import { type CodecImporters, LazyCodecs } from './lazy-codecs';
import { msgpackCodec } from './msgpack';
import { zlibCodec } from './zlib';

const big: Envelope = { c: 'U', t: 'chat_message', p: { text: 'x'.repeat(5000) } };
const small: Envelope = { c: 'U', t: 'chat_message', p: { text: 'hi' } };
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof ProtocolError ? err.code : `not a ProtocolError: ${String(err)}`),
  );

/** Importers that count calls and can be told to fail. */
function counting(fail: Partial<Record<keyof CodecImporters, boolean>> = {}) {
  const calls = { zlib: 0, msgpack: 0, crypto: 0 };
  const importers: CodecImporters = {
    zlib: async () => {
      calls.zlib++;
      if (fail.zlib) throw new Error('chunk failed to load');
      return zlibCodec;
    },
    msgpack: async () => {
      calls.msgpack++;
      if (fail.msgpack) throw new Error('chunk failed to load');
      return msgpackCodec;
    },
    crypto: async () => {
      calls.crypto++;
      if (fail.crypto) throw new Error('chunk failed to load');
      const m = await import('./crypto');
      return { encryptBytes: m.encryptBytes, decryptBytes: m.decryptBytes };
    },
  };
  return { calls, importers };
}

describe('LazyCodecs with the shared frame rules', () => {
  it('decodes C: and M: frames after loading each codec once, like the static codec', async () => {
    const { calls, importers } = counting();
    const codecs = new LazyCodecs(importers);
    const c = encodeFrame(big);
    const m = encodeFrame(small, { format: 'msgpack' });
    expect(await decodeAnyFrameWith(codecs, c)).toEqual(await decodeAnyFrame(c));
    expect(await decodeAnyFrameWith(codecs, m)).toEqual(await decodeAnyFrame(m));
    await decodeAnyFrameWith(codecs, c);
    expect(calls).toEqual({ zlib: 1, msgpack: 1, crypto: 0 });
    // once loaded, the synchronous rules work on it too
    expect(decodeFrameWith(codecs, c)).toEqual(big);
  });

  it('never loads anything for JSON frames', async () => {
    const { calls, importers } = counting();
    const codecs = new LazyCodecs(importers);
    expect(await decodeAnyFrameWith(codecs, encodeFrame(small))).toMatchObject({ t: 'chat_message' });
    expect(encodeFrameWhenReady(codecs, small)).toBe(encodeFrame(small));
    expect(calls).toEqual({ zlib: 0, msgpack: 0, crypto: 0 });
  });

  it('keeps the inflate bound exactly as strict as the static codec', async () => {
    const codecs = new LazyCodecs(counting().importers);
    const c = encodeFrame(big);
    const inflated = toBytes(JSON.stringify(big)).length;
    await expect(code(decodeAnyFrameWith(codecs, c, { maxMessageSize: inflated - 1 }))).resolves.toBe(
      'FRAME_TOO_LARGE',
    );
    await expect(code(decodeAnyFrame(c, { maxMessageSize: inflated - 1 }))).resolves.toBe('FRAME_TOO_LARGE');
    await expect(decodeAnyFrameWith(codecs, c, { maxMessageSize: inflated })).resolves.toMatchObject({
      t: 'chat_message',
    });
  });

  it('shares one import between concurrent frames', async () => {
    const { calls, importers } = counting();
    const codecs = new LazyCodecs(importers);
    const frames = [encodeFrame(big), encodeFrame(big), encodeFrame(big)];
    await Promise.all(frames.map((f) => decodeAnyFrameWith(codecs, f)));
    expect(calls.zlib).toBe(1);
  });

  it('encodes: small frames synchronously, large ones after the import, byte-identical', async () => {
    const codecs = new LazyCodecs(counting().importers);
    const pending = encodeFrameWhenReady(codecs, big);
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toEqual(encodeFrame(big));
    const now = encodeFrameWhenReady(codecs, big);
    expect(now).toBeInstanceOf(Uint8Array);
    expect(now).toEqual(encodeFrame(big));
    expect(await encodeFrameWhenReady(codecs, small, { format: 'msgpack' })).toEqual(
      encodeFrame(small, { format: 'msgpack' }),
    );
  });

  it('validates synchronously even when a codec is missing', () => {
    const codecs = new LazyCodecs(counting().importers);
    const bad = { c: 'U', t: '', p: {} } as Envelope;
    expect(() => encodeFrameWhenReady(codecs, bad, { format: 'msgpack' })).toThrow(ProtocolError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeFrameWhenReady(codecs, { c: 'U', t: 'x', p: cyclic })).toThrow(ProtocolError);
  });

  it('turns a failed import into the part’s ProtocolError and retries on the next frame', async () => {
    const fail = { zlib: true, msgpack: true };
    const { calls, importers } = counting(fail);
    const codecs = new LazyCodecs(importers);
    await expect(code(decodeAnyFrameWith(codecs, encodeFrame(big)))).resolves.toBe('INFLATE_FAILED');
    await expect(code(decodeAnyFrameWith(codecs, encodeFrame(small, { format: 'msgpack' })))).resolves.toBe(
      'MSGPACK_INVALID',
    );
    await expect(code(Promise.resolve(encodeFrameWhenReady(codecs, big)))).resolves.toBe('INFLATE_FAILED');
    fail.zlib = false;
    await expect(decodeAnyFrameWith(codecs, encodeFrame(big))).resolves.toMatchObject({ t: 'chat_message' });
    expect(calls.zlib).toBe(3);
  });

  it('throws the part’s code when a missing codec is used synchronously', () => {
    const codecs = new LazyCodecs(counting().importers);
    expect(() => decodeFrameWith(codecs, encodeFrame(big))).toThrow(
      expect.objectContaining({ code: 'INFLATE_FAILED' }),
    );
  });

  it('loads crypto for E: frames, in and out', async () => {
    const { calls, importers } = counting();
    const codecs = new LazyCodecs(importers);
    const { privateKey } = await generateKeyPair();
    const { deriveSessionKey } = await import('./crypto');
    const peer = await generateKeyPair();
    const key = await deriveSessionKey(privateKey, peer.publicKey);
    const sealed = await encodeEncryptedFrame(big, key);
    expect(await decodeAnyFrameWith(codecs, sealed, { key })).toEqual({ ...big, encrypted: true });
    const mine = await encryptFrameWith(codecs, key, encodeFrame(small));
    expect(await decodeAnyFrame(mine, { key })).toEqual({ ...small, encrypted: true });
    expect(calls.crypto).toBe(1);
    const failing = new LazyCodecs(counting({ crypto: true }).importers);
    await expect(code(decodeAnyFrameWith(failing, sealed, { key }))).resolves.toBe('DECRYPT_FAILED');
  });
});
