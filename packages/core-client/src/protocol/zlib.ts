/**
 * zlib (RFC 1950) for `C:` frames through fflate, with a bounded inflate.
 *
 * A deflate stream can expand about 1032:1, so a 50 KB frame can claim 50 MB and a few MB can
 * claim GBs. `inflateBounded` feeds fflate's streaming `Unzlib` small input slices, so one slice
 * can produce at most ~1032 × slice bytes, and stops as soon as the output passes the limit: peak
 * memory stays O(maxBytes) (about 2× at worst) and the time spent on a bomb is proportional to
 * the limit, not to the claimed size.
 */
import { Unzlib, zlibSync } from 'fflate';
import { ProtocolError } from './errors';
import type { ZlibCodec } from './frame-core';

/** Worst-case deflate expansion ratio (258-byte matches coded in ~2 bits). */
const MAX_RATIO = 1032;
const MIN_SLICE = 64;
const MAX_SLICE = 16 * 1024;

/**
 * zlib-compresses bytes (level 6; deterministic for the same input and fflate version).
 *
 * @example
 * deflateZlib(new TextEncoder().encode('{"t":"x"}'));
 */
export function deflateZlib(bytes: Uint8Array): Uint8Array {
  return zlibSync(bytes, { level: 6 });
}

/**
 * Joins byte chunks of a known total length (no copy for a single chunk).
 *
 * @example
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])], 3); // Uint8Array [1, 2, 3]
 */
export function concatBytes(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Inflates a zlib stream, failing with `ProtocolError` FRAME_TOO_LARGE as soon as the output
 * exceeds `maxBytes`, or INFLATE_FAILED / TRUNCATED_FRAME when the stream is invalid or cut short.
 *
 * @example
 * inflateBounded(deflateZlib(bytes), 1024 * 1024);
 */
export function inflateBounded(body: Uint8Array, maxBytes: number): Uint8Array {
  if (body.length === 0) throw new ProtocolError('TRUNCATED_FRAME', 'C: frame without a body');
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const stream = new Unzlib((chunk, final) => {
    total += chunk.length;
    if (chunk.length > 0 && total <= maxBytes) chunks.push(chunk);
    if (final) ended = true;
  });
  const slice = Math.min(MAX_SLICE, Math.max(MIN_SLICE, Math.floor(maxBytes / MAX_RATIO)));
  try {
    for (let at = 0; at < body.length; at += slice) {
      stream.push(body.subarray(at, at + slice), at + slice >= body.length);
      if (total > maxBytes) {
        throw new ProtocolError('FRAME_TOO_LARGE', `C: body inflates past ${maxBytes} bytes`);
      }
    }
  } catch (cause) {
    if (cause instanceof ProtocolError) throw cause;
    throw new ProtocolError('INFLATE_FAILED', 'C: body is not valid zlib', { cause });
  }
  if (!ended) throw new ProtocolError('TRUNCATED_FRAME', 'C: body ends before the zlib stream does');
  // fflate takes the last 4 bytes as the trailer without checking them, so a stream cut before
  // its Adler-32 would pass here and fail in node:zlib (the server): check it like zlib does.
  const at = body.length - 4;
  const trailer = ((body[at]! << 24) | (body[at + 1]! << 16) | (body[at + 2]! << 8) | body[at + 3]!) >>> 0;
  if (adler32(chunks) !== trailer) {
    throw new ProtocolError('INFLATE_FAILED', 'C: body fails its Adler-32 check');
  }
  return concatBytes(chunks, total);
}

/** RFC 1950 Adler-32 of the chunks, as an unsigned 32-bit number. */
function adler32(chunks: Uint8Array[]): number {
  let a = 1;
  let b = 0;
  for (const chunk of chunks) {
    // Reduce every 5552 bytes, as zlib does (its NMAX): the sums stay far inside exact integers.
    for (let i = 0; i < chunk.length; ) {
      const end = Math.min(i + 5552, chunk.length);
      for (; i < end; i++) {
        a += chunk[i]!;
        b += a;
      }
      a %= 65521;
      b %= 65521;
    }
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * This module as the frame rules' zlib provider (`frame-core.ts`).
 *
 * @example
 * decodeFrameWith({ zlib: zlibCodec }, frame, { maxMessageSize: 64 * 1024 });
 */
export const zlibCodec: ZlibCodec = Object.freeze({ inflate: inflateBounded, deflate: deflateZlib });
