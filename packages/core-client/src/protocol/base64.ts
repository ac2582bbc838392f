/**
 * Base64 and hex helpers over `atob`/`btoa`, so they run in browsers and Node alike (no Buffer).
 */
import { ProtocolError } from './errors';

// Standard or URL-safe alphabet, padding optional: peers in other languages differ here.
const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;
const CHUNK = 0x8000; // String.fromCharCode(...arr) overflows the stack on large arrays.

/**
 * Standard base64 (with padding) of some bytes.
 *
 * @example
 * base64Encode(new Uint8Array([1, 2, 3])); // 'AQID'
 */
export function base64Encode(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/**
 * Decodes standard or URL-safe base64, padded or not.
 * Throws `ProtocolError` `INVALID_FIELD` on anything else.
 *
 * @example
 * base64Decode('AQID'); // Uint8Array [1, 2, 3]
 */
export function base64Decode(s: string): Uint8Array {
  if (typeof s !== 'string' || !BASE64_RE.test(s) || s.length % 4 === 1) {
    throw new ProtocolError('INVALID_FIELD', 'not a base64 string');
  }
  let binary: string;
  try {
    binary = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  } catch (cause) {
    throw new ProtocolError('INVALID_FIELD', 'not a base64 string', { cause });
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Lower-case hex of some bytes (used by the golden vectors).
 *
 * @example
 * bytesToHex(new Uint8Array([0x43, 0x3a])); // '433a'
 */
export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * Parses hex (either case, even length). Throws `ProtocolError` `INVALID_FIELD` otherwise.
 *
 * @example
 * hexToBytes('433a'); // Uint8Array [0x43, 0x3a]
 */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new ProtocolError('INVALID_FIELD', 'not a hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
