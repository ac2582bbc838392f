/**
 * The server's provider for the shared frame rules (`@wse/core-client/protocol`): the same
 * codec, with `C:` bodies inflated by `node:zlib` instead of fflate. fflate's streaming inflate
 * allocates and zero-fills ≥ 128 KiB per call (~80 µs for a 150-byte frame, 40× a JSON frame);
 * `inflateSync` with `maxOutputLength` sizes its output to the data (≈ 13 µs) and stops as soon as
 * the output passes the bound, so a bomb costs work proportional to the limit.
 *
 * @module
 */
import { inflateSync } from 'node:zlib';
import {
  deflateZlib,
  type FrameCodecs,
  ProtocolError,
  staticCodecs,
  type ZlibCodec,
} from '@wse/core-client/protocol';

/**
 * Inflates a zlib stream with `node:zlib`, failing like the codec's `inflateBounded`:
 * FRAME_TOO_LARGE past `maxBytes`, TRUNCATED_FRAME when cut short, INFLATE_FAILED when invalid.
 *
 * @example
 * inflateNode(deflateZlib(bytes), 1024 * 1024);
 */
export function inflateNode(body: Uint8Array, maxBytes: number): Uint8Array {
  if (body.length === 0) throw new ProtocolError('TRUNCATED_FRAME', 'C: frame without a body');
  let out: Buffer;
  try {
    out = inflateSync(body, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new ProtocolError('FRAME_TOO_LARGE', `C: body inflates past ${maxBytes} bytes`);
    if (code === 'Z_BUF_ERROR')
      throw new ProtocolError('TRUNCATED_FRAME', 'C: body ends before the zlib stream does');
    throw new ProtocolError('INFLATE_FAILED', 'C: body is not valid zlib', { cause });
  }
  if (out.length > maxBytes)
    throw new ProtocolError('FRAME_TOO_LARGE', `C: body inflates past ${maxBytes} bytes`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** `node:zlib` inflate, the codec's own deflate (outbound bytes stay identical to the clients'). */
export const nodeZlibCodec: ZlibCodec = Object.freeze({ inflate: inflateNode, deflate: deflateZlib });

/**
 * What the server decodes with: the static codecs with {@link nodeZlibCodec}.
 *
 * @example
 * decodeFrameWith(serverCodecs, data, { maxMessageSize });
 */
export const serverCodecs: FrameCodecs = Object.freeze({ ...staticCodecs, zlib: nodeZlibCodec });
