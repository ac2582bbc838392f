import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hexToBytes } from './base64';
import { generateKeyPair, importSessionKey } from './crypto';
import type { Envelope } from './envelope';
import { ProtocolError } from './errors';
import { decodeAnyFrame, decodeFrame, encodeEncryptedFrame, encodeFrame, frameKind, toBytes } from './frame';
import { loadVectorSessionKey, loadVectors } from './vectors';

const enc = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return err.code;
  }
  throw new Error('did not throw');
}
const asyncCode = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof ProtocolError ? err.code : `not a ProtocolError: ${String(err)}`),
  );

const env: Envelope = { c: 'U', t: 'chat_message', p: { text: 'hello' } };

describe('frameKind', () => {
  it('reads prefixes', () => {
    expect(frameKind('{}')).toBe('json');
    expect(frameKind(enc('{}'))).toBe('json');
    expect(frameKind(enc('C:x'))).toBe('zlib');
    expect(frameKind(enc('M:x').buffer)).toBe('msgpack');
    expect(frameKind(enc('E:x'))).toBe('encrypted');
    expect(codeOf(() => frameKind(enc('C')))).toBe('TRUNCATED_FRAME');
    expect(codeOf(() => frameKind(enc('Cx')))).toBe('UNKNOWN_PREFIX');
    expect(codeOf(() => frameKind(enc(' {}')))).toBe('UNKNOWN_PREFIX');
    expect(codeOf(() => frameKind(new Uint8Array(0)))).toBe('EMPTY_FRAME');
  });
});

describe('encodeFrame', () => {
  it('sends small JSON as text and large JSON as C:', () => {
    expect(encodeFrame(env)).toBe('{"c":"U","t":"chat_message","p":{"text":"hello"}}');
    const big = { ...env, p: { text: 'x'.repeat(2000) } };
    const out = encodeFrame(big);
    expect(out).toBeInstanceOf(Uint8Array);
    expect(frameKind(out)).toBe('zlib');
    expect(decodeFrame(out)).toEqual(big);
    expect(typeof encodeFrame(big, { compressionThreshold: Number.POSITIVE_INFINITY })).toBe('string');
  });

  it('counts UTF-8 bytes, not UTF-16 units, against the threshold', () => {
    const text = 'ż'.repeat(400); // 400 units, 800 bytes of payload text
    const e = { ...env, p: { text } };
    const json = encodeFrame(e, { compressionThreshold: 1e6 }) as string;
    expect(typeof encodeFrame(e, { compressionThreshold: enc(json).length })).toBe('string');
    expect(encodeFrame(e, { compressionThreshold: enc(json).length - 1 })).toBeInstanceOf(Uint8Array);
  });

  it('encodes msgpack uncompressed and round-trips', () => {
    const big = { ...env, p: { text: 'x'.repeat(2000), n: [1, 2.5, -3, null, true] } };
    const out = encodeFrame(big, { format: 'msgpack' }) as Uint8Array;
    expect(frameKind(out)).toBe('msgpack');
    expect(out.length).toBeGreaterThan(2000);
    expect(decodeFrame(out)).toEqual(big);
  });

  it('canonicalises order and drops unknown fields', () => {
    const messy = { o: 1, e: 'abcdef01', tp: 'x', t: 'a', extra: 1, p: {}, c: 'U' } as unknown as Envelope;
    expect(encodeFrame(messy)).toBe('{"c":"U","t":"a","p":{},"tp":"x","e":"abcdef01","o":1}');
  });

  it('throws ProtocolError for unserialisable payloads', () => {
    expect(codeOf(() => encodeFrame({ ...env, p: { n: 1n } }))).toBe('INVALID_FIELD');
  });
});

describe('decodeFrame: hostile input', () => {
  it('rejects truncated prefixes', () => {
    expect(codeOf(() => decodeFrame(enc('C')))).toBe('TRUNCATED_FRAME');
    expect(codeOf(() => decodeFrame(enc('C:')))).toBe('TRUNCATED_FRAME');
    expect(codeOf(() => decodeFrame(enc('M:')))).toBe('TRUNCATED_FRAME');
    expect(codeOf(() => decodeFrame(enc('E:')))).toBe('ENCRYPTED_TOO_SHORT');
    expect(codeOf(() => decodeFrame(''))).toBe('EMPTY_FRAME');
  });

  it('rejects invalid UTF-8, non-objects and a missing t', () => {
    expect(codeOf(() => decodeFrame(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])))).toBe('INVALID_UTF8');
    expect(codeOf(() => decodeFrame('[]'))).toBe('NOT_AN_OBJECT');
    expect(codeOf(() => decodeFrame('null'))).toBe('NOT_AN_OBJECT');
    expect(codeOf(() => decodeFrame('"t"'))).toBe('NOT_AN_OBJECT');
    expect(codeOf(() => decodeFrame('{"p":{}}'))).toBe('MISSING_TYPE');
    expect(codeOf(() => decodeFrame('{"t":'))).toBe('INVALID_JSON');
  });

  // No wall-clock bound here (timed asserts flake on a loaded box): the memory bound below proves
  // inflate stopped just past the limit instead of producing the claimed 50 MB.
  it('stops a zlib bomb (50 MB of zeros) with FRAME_TOO_LARGE, never near its size in memory', () => {
    const bomb = cat(enc('C:'), deflateSync(new Uint8Array(50 * 1024 * 1024), { level: 9 }));
    expect(bomb.length).toBeLessThan(100_000);
    const before = process.memoryUsage().arrayBuffers;
    expect(codeOf(() => decodeFrame(bomb))).toBe('FRAME_TOO_LARGE');
    // Never near the claimed 50 MB: the bound is 1 MiB, and inflate stops just past it.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('bounds inflate by maxMessageSize, not by the compressed size', () => {
    const frame = cat(enc('C:'), deflateSync(enc(JSON.stringify({ t: 'x', p: { s: 'a'.repeat(5000) } }))));
    expect(frame.length).toBeLessThan(200);
    expect(codeOf(() => decodeFrame(frame, { maxMessageSize: 4096 }))).toBe('FRAME_TOO_LARGE');
    expect(decodeFrame(frame, { maxMessageSize: 8192 }).t).toBe('x');
  });

  it('rejects truncated zlib and raw frames over the limit', () => {
    const z = deflateSync(enc('{"t":"x"}'));
    expect(codeOf(() => decodeFrame(cat(enc('C:'), z.subarray(0, z.length - 6))))).toMatch(
      /INFLATE_FAILED|TRUNCATED_FRAME/,
    );
    expect(codeOf(() => decodeFrame(`{"t":"${'a'.repeat(100)}"}`, { maxMessageSize: 50 }))).toBe(
      'FRAME_TOO_LARGE',
    );
    expect(codeOf(() => decodeFrame(enc(`{"t":"${'a'.repeat(100)}"}`), { maxMessageSize: 50 }))).toBe(
      'FRAME_TOO_LARGE',
    );
  });

  it('rejects JSON nested 10 000 deep', () => {
    const deep = `{"t":"x","p":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
    expect(codeOf(() => decodeFrame(deep))).toBe('JSON_TOO_DEEP');
  });

  it('checks JSON depth before parsing (a deep frame is never handed to JSON.parse)', () => {
    // Unterminated and not an object: JSON.parse would answer INVALID_JSON / NOT_AN_OBJECT; the
    // depth scan runs first and stops at level 65.
    expect(codeOf(() => decodeFrame('['.repeat(1_000_000)))).toBe('JSON_TOO_DEEP');
    expect(codeOf(() => decodeFrame(`${'['.repeat(500_000)}${']'.repeat(500_000)}`))).toBe('JSON_TOO_DEEP');
    // Brackets inside strings do not count.
    expect(decodeFrame(`{"t":"x","p":{"s":"${'['.repeat(1000)}"}}`).p.s).toHaveLength(1000);
  });

  it('rejects msgpack nested 10 000 deep before decoding', () => {
    const maps = new Uint8Array(10_000 * 3).map((_, i) => [0x81, 0xa1, 0x61][i % 3]!);
    expect(codeOf(() => decodeFrame(cat(enc('M:'), maps, new Uint8Array([0xc0]))))).toBe('MSGPACK_TOO_DEEP');
    const arrays = cat(
      enc('M:'),
      new Uint8Array([0x81, 0xa1, 0x70]),
      new Uint8Array(10_000).fill(0x91),
      new Uint8Array([0xc0]),
    );
    expect(codeOf(() => decodeFrame(arrays))).toBe('MSGPACK_TOO_DEEP');
  });
});

describe('E: frames', () => {
  const vector = loadVectors().frames.find((f) => f.kind === 'encrypted')!;

  it('round-trips with a random IV', async () => {
    const key = await loadVectorSessionKey();
    const a = await encodeEncryptedFrame(env, key);
    const b = await encodeEncryptedFrame(env, key);
    expect(a).not.toEqual(b);
    expect(await decodeAnyFrame(a, { key })).toEqual({ ...env, encrypted: true });
  });

  it('rejects a wrong tag, a wrong key, short frames and a missing key', async () => {
    const key = await loadVectorSessionKey();
    const bytes = hexToBytes(vector.hex);
    const flipped = bytes.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(await asyncCode(decodeAnyFrame(flipped, { key }))).toBe('DECRYPT_FAILED');
    const other = await importSessionKey(new Uint8Array(32).fill(7));
    expect(await asyncCode(decodeAnyFrame(bytes, { key: other }))).toBe('DECRYPT_FAILED');
    // 'E:' + 28 bytes is the shortest well-formed frame (empty ciphertext); one less is too short.
    expect(await asyncCode(decodeAnyFrame(bytes.subarray(0, 30), { key }))).toBe('DECRYPT_FAILED');
    expect(await asyncCode(decodeAnyFrame(bytes.subarray(0, 30)))).toBe('KEY_REQUIRED');
    expect(await asyncCode(decodeAnyFrame(bytes.subarray(0, 29), { key }))).toBe('ENCRYPTED_TOO_SHORT');
    expect(await asyncCode(decodeAnyFrame(bytes))).toBe('KEY_REQUIRED');
    expect(codeOf(() => decodeFrame(bytes))).toBe('KEY_REQUIRED');
  });

  it('rejects nested E:, empty plaintext and a non-AES key', async () => {
    const key = await loadVectorSessionKey();
    const { encryptBytes } = await import('./crypto');
    const nested = await encryptBytes(key, await encryptBytes(key, toBytes(encodeFrame(env))));
    expect(await asyncCode(decodeAnyFrame(nested, { key }))).toBe('UNKNOWN_PREFIX');
    expect(await asyncCode(decodeAnyFrame(await encryptBytes(key, new Uint8Array(0)), { key }))).toBe(
      'EMPTY_FRAME',
    );
    const ecdh = await generateKeyPair();
    expect(await asyncCode(decodeAnyFrame(hexToBytes(vector.hex), { key: ecdh.privateKey }))).toBe(
      'DECRYPT_FAILED',
    );
  });

  it('enforces requireEncryption', async () => {
    expect(await asyncCode(decodeAnyFrame(encodeFrame(env), { requireEncryption: true }))).toBe(
      'NOT_ENCRYPTED',
    );
    expect(await decodeAnyFrame(encodeFrame(env))).toEqual({ ...env, encrypted: false });
  });
});

describe('JSON depth', () => {
  it('counts brackets outside strings only, and allows exactly 64', () => {
    const nest = (n: number) => `{"t":"x","p":${'{"a":'.repeat(n - 2)}{}${'}'.repeat(n - 2)}}`;
    expect(decodeFrame(nest(64)).t).toBe('x');
    expect(codeOf(() => decodeFrame(nest(65)))).toBe('JSON_TOO_DEEP');
    const tricky = `{"t":"x","p":{"s":"${'[{'.repeat(100)}\\"${'{'.repeat(100)}"}}`;
    expect(decodeFrame(tricky).p.s).toMatch(/^\[\{/);
  });
});
