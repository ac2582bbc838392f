/**
 * The synchronous wire codec of `@wse/core-client/protocol` (what the server calls): the frame
 * rules of `frame-core.ts` on a complete provider whose zlib (fflate) and msgpack (msgpackr)
 * implementations are imported statically. The browser client does not use this module: it runs
 * the same rules on `lazy-codecs.ts`, which loads those libraries on first use.
 *
 * @module
 */
import { decryptBytes, encryptBytes } from './crypto';
import type { Envelope } from './envelope';
import {
  type DecodeAnyOptions,
  type DecodeOptions,
  decodeAnyFrameWith,
  decodeFrameWith,
  type EncodeOptions,
  encodeFrameWith,
  encryptFrameWith,
  type FrameCodecs,
  type WireData,
} from './frame-core';
import { msgpackCodec } from './msgpack';
import { zlibCodec } from './zlib';

// The byte-level E: helpers live in crypto.ts; re-exported so frame users need one import.
export { decryptBytes, encryptBytes } from './crypto';
export {
  type CodecPart,
  type CryptoCodec,
  DEFAULT_COMPRESSION_THRESHOLD,
  DEFAULT_MAX_MESSAGE_SIZE,
  type DecodeAnyOptions,
  type DecodeOptions,
  decodeAnyFrameWith,
  decodeFrameWith,
  type EncodeOptions,
  encodeFrameWhenReady,
  encodeFrameWith,
  encryptFrameWith,
  type FrameCodecs,
  type FrameKind,
  frameKind,
  type MsgpackCodec,
  toBytes,
  type WireData,
  type ZlibCodec,
} from './frame-core';

/**
 * The complete provider (nothing to load): fflate for `C:`, msgpackr for `M:`, WebCrypto for `E:`.
 *
 * @example
 * decodeFrameWith(staticCodecs, data); // same as decodeFrame(data)
 */
export const staticCodecs: FrameCodecs = Object.freeze({
  zlib: zlibCodec,
  msgpack: msgpackCodec,
  crypto: Object.freeze({ encryptBytes, decryptBytes }),
});

/**
 * Decodes a plaintext frame (text, JSON binary, `C:`, `M:`) into a validated envelope. Synchronous;
 * an `E:` frame throws KEY_REQUIRED (use {@link decodeAnyFrame}). Throws only `ProtocolError`.
 *
 * @example
 * const env = decodeFrame(event.data, { maxMessageSize: 64 * 1024 });
 */
export function decodeFrame(data: WireData, options: DecodeOptions = {}): Envelope {
  return decodeFrameWith(staticCodecs, data, options);
}

/**
 * Encodes an envelope: JSON text (string) when small, 'C:' + zlib bytes above the threshold,
 * 'M:' + msgpack bytes with `format: 'msgpack'`. Throws `ProtocolError` for invalid envelopes.
 *
 * @example
 * socket.send(encodeFrame(buildEnvelope('chat_message', { text: 'hi' })));
 */
export function encodeFrame(env: Envelope, options: EncodeOptions = {}): string | Uint8Array<ArrayBuffer> {
  return encodeFrameWith(staticCodecs, env, options) as string | Uint8Array<ArrayBuffer>;
}
// Typed `Uint8Array<ArrayBuffer>` (not the default `ArrayBufferLike`) so `WebSocket.send` accepts
// it: every frame is a fresh allocation (prefix ‖ body, msgpackr's Buffer, AES-GCM output), never
// a view of a SharedArrayBuffer.

/**
 * Encodes an envelope, then wraps it: 'E:' ‖ IV ‖ ciphertext ‖ tag. Never compresses inside `E:`
 * (docs-site/protocol §2) unless `compressionThreshold` is given explicitly (test vectors of what older
 * peers send). `iv` is for test vectors only.
 *
 * @example
 * socket.send(await encodeEncryptedFrame(env, sessionKey));
 */
export async function encodeEncryptedFrame(
  env: Envelope,
  key: CryptoKey,
  options: EncodeOptions & { iv?: Uint8Array } = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const inner = encodeFrame(env, { compressionThreshold: Number.POSITIVE_INFINITY, ...options });
  return encryptFrameWith(staticCodecs, key, inner, options.iv) as Promise<Uint8Array<ArrayBuffer>>;
}

/**
 * Decodes any frame, decrypting `E:` with `key`; `encrypted` tells which it was. The inner frame
 * of `E:` may be JSON, `C:` or `M:` (a nested `E:` is UNKNOWN_PREFIX). Rejects only with
 * `ProtocolError`.
 *
 * @example
 * const env = await decodeAnyFrame(event.data, { key: sessionKey, requireEncryption: true });
 */
export function decodeAnyFrame(
  data: WireData,
  options: DecodeAnyOptions = {},
): Promise<Envelope & { encrypted: boolean }> {
  return decodeAnyFrameWith(staticCodecs, data, options);
}
