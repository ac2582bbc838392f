// Minimal WebSocket client wire helpers for the load generator (RFC 6455, client side only).
// No extensions are offered, so server frames are never compressed; client frames use an all-zero
// mask key (valid framing, and no XOR work per byte).

import { Buffer } from 'node:buffer';

/** Fixed key: the accept value is never checked, only the 101 status line. */
export const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

export const OP_CONT = 0;
export const OP_TEXT = 1;
export const OP_BINARY = 2;
export const OP_CLOSE = 8;
export const OP_PING = 9;
export const OP_PONG = 10;

/** The HTTP/1.1 upgrade request as one buffer. */
export function upgradeRequest(host, port, path, headers = {}) {
  let s =
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return Buffer.from(`${s}\r\n`, 'latin1');
}

/**
 * Looks for the end of the HTTP response head in buf[0, end).
 * Returns -1 when incomplete, else the offset of the first byte after "\r\n\r\n".
 */
export function headEnd(buf, end) {
  for (let i = 3; i < end; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  }
  return -1;
}

/** A masked (zero key) client frame. `payload` is a string or a Buffer. */
export function clientFrame(opcode, payload) {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = body.length;
  let hdr;
  if (len < 126) {
    hdr = Buffer.alloc(6);
    hdr[1] = 0x80 | len;
  } else if (len < 65536) {
    hdr = Buffer.alloc(8);
    hdr[1] = 0x80 | 126;
    hdr.writeUInt16BE(len, 2);
  } else {
    hdr = Buffer.alloc(14);
    hdr[1] = 0x80 | 127;
    hdr.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    hdr.writeUInt32BE(len >>> 0, 6);
  }
  hdr[0] = 0x80 | opcode;
  // Mask key bytes are already zero.
  return Buffer.concat([hdr, body]);
}

/**
 * Parses complete server frames in buf[off, end) and calls onFrame(opcode, buf, start, stop) for
 * each. Returns the offset of the first unconsumed byte (an incomplete frame stays for the next
 * read). Handles 7/16/64-bit lengths; a masked server frame is unmasked in place.
 */
export function parseFrames(buf, off, end, onFrame, ctx) {
  while (end - off >= 2) {
    const b1 = buf[off + 1];
    let len = b1 & 127;
    let hdr = 2;
    if (len === 126) {
      if (end - off < 4) break;
      len = (buf[off + 2] << 8) | buf[off + 3];
      hdr = 4;
    } else if (len === 127) {
      if (end - off < 10) break;
      len = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6);
      hdr = 10;
    }
    const masked = (b1 & 128) !== 0;
    if (masked) hdr += 4;
    if (end - off < hdr + len) break;
    const start = off + hdr;
    if (masked) {
      for (let i = 0; i < len; i++) buf[start + i] ^= buf[start - 4 + (i & 3)];
    }
    onFrame(ctx, buf[off] & 15, buf, start, start + len);
    off = start + len;
  }
  return off;
}

const PAT = Buffer.from('"bseq":');
const P0 = PAT[0];
const P1 = PAT[1];
const P2 = PAT[2];
const P3 = PAT[3];
const P4 = PAT[4];
const P5 = PAT[5];
const P6 = PAT[6];

function matchAt(buf, i) {
  return (
    buf[i] === P0 &&
    buf[i + 1] === P1 &&
    buf[i + 2] === P2 &&
    buf[i + 3] === P3 &&
    buf[i + 4] === P4 &&
    buf[i + 5] === P5 &&
    buf[i + 6] === P6
  );
}

/**
 * Finds the benchmark marker `"bseq":` in buf[start, end). `hint` is where it was last time
 * relative to the frame start (payload shapes repeat), so the common case is one 7-byte compare.
 * Returns the absolute index or -1.
 */
export function findSeq(buf, start, end, hint) {
  if (hint >= 0) {
    const i = start + hint;
    if (i + 7 <= end && matchAt(buf, i)) return i;
  }
  const i = buf.subarray(start, end).indexOf(PAT);
  return i < 0 ? -1 : start + i;
}

/** Parses an unsigned decimal integer at buf[i]; returns [value, nextIndex] through `out`. */
export function readUInt(buf, i, end, out) {
  let v = 0;
  let c = buf[i];
  while (i < end && c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = buf[++i];
  }
  out.next = i;
  return v;
}
