/**
 * Frames (PROTOCOL.md §2): JSON text, JSON in a binary frame (first byte `{`), `C:` zlib of the
 * JSON text, `M:` msgpack, `E:` AES-GCM around any of the others.
 *
 * Decisions:
 * - `encodeFrame` returns JSON text (a string) up to `compressionThreshold` UTF-8 bytes, else
 *   'C:' + zlib. `M:` is never compressed (PROTOCOL.md defines `C:` as zlib of the JSON text).
 * - Encoding canonicalises the envelope first (validation + key order c,t,p,id,ts,seq,v,cid,pri,
 *   tp,e,o, unknown fields dropped), so equal envelopes always give equal bytes.
 * - The decoder throws only `ProtocolError`: every step maps its failure to a stable code, and a
 *   last-resort catch turns anything unforeseen into INVALID_FIELD rather than leaking a TypeError.
 */
import { decryptBytes, encryptBytes, IV_LENGTH, TAG_LENGTH } from './crypto';
import { type Envelope, parseEnvelope } from './envelope';
import { ProtocolError } from './errors';
import { decodeMsgpack, MAX_DEPTH, packWithPrefix } from './msgpack';
import { deflateZlib, inflateBounded } from './zlib';

// CONTRACTS.md lists these under frame.ts; they live in crypto.ts and are re-exported here.
export { decryptBytes, encryptBytes } from './crypto';

/** How a frame is encoded, from its first bytes. */
export type FrameKind = 'json' | 'zlib' | 'msgpack' | 'encrypted';
/** What a WebSocket hands over: text frames as strings, binary frames as bytes. */
export type WireData = string | Uint8Array | ArrayBuffer;

/** Encoder options. */
export interface EncodeOptions {
  format?: 'json' | 'msgpack';
  /** JSON above this many UTF-8 bytes goes out as `C:`; default 1024; `Infinity` = never. */
  compressionThreshold?: number;
}

/** Decoder options. */
export interface DecodeOptions {
  /** Bound for the raw frame and for what `C:` inflates to; default 1 MiB. */
  maxMessageSize?: number;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
export const DEFAULT_COMPRESSION_THRESHOLD = 1024;

const C = 0x43;
const M = 0x4d;
const E = 0x45;
const COLON = 0x3a;
const BRACE = 0x7b;
const PREFIX_C = new Uint8Array([C, COLON]);
const PREFIX_M = new Uint8Array([M, COLON]);
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

// Also accepts other views (DataView, Buffer) that JS callers may pass despite the types.
function asBytes(data: Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ProtocolError('INVALID_FIELD', 'a frame must be a string, Uint8Array or ArrayBuffer');
}

/**
 * UTF-8 bytes of a text frame; bytes pass through.
 *
 * @example
 * socket.send(toBytes(encodeFrame(env))); // always binary
 */
export function toBytes(frame: string | Uint8Array): Uint8Array {
  return typeof frame === 'string' ? utf8Encoder.encode(frame) : frame;
}

/**
 * The kind of a frame. Throws `ProtocolError` EMPTY_FRAME, TRUNCATED_FRAME (a lone `C`/`M`/`E`)
 * or UNKNOWN_PREFIX.
 *
 * @example
 * frameKind('{"t":"ping"}'); // 'json'
 * frameKind(new Uint8Array([0x43, 0x3a, 0x78])); // 'zlib'
 */
export function frameKind(data: WireData): FrameKind {
  if (typeof data === 'string') {
    if (data.length === 0) throw new ProtocolError('EMPTY_FRAME', 'empty text frame');
    return 'json';
  }
  const b = asBytes(data);
  if (b.length === 0) throw new ProtocolError('EMPTY_FRAME', 'empty binary frame');
  const first = b[0];
  if (first === BRACE) return 'json';
  if (first !== C && first !== M && first !== E)
    throw new ProtocolError('UNKNOWN_PREFIX', 'unknown frame prefix');
  if (b.length < 2) throw new ProtocolError('TRUNCATED_FRAME', 'frame prefix without its colon');
  if (b[1] !== COLON) throw new ProtocolError('UNKNOWN_PREFIX', 'unknown frame prefix');
  return first === C ? 'zlib' : first === M ? 'msgpack' : 'encrypted';
}

// JSON.parse is iterative in V8, but JSON.stringify and most consumers recurse: bound depth so a
// decoded envelope can always be re-encoded and walked. Run on text JSON.parse accepted, so string
// boundaries are exact; a char loop is several times cheaper than walking the parsed objects.
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped char
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > MAX_DEPTH) throw new ProtocolError('JSON_TOO_DEEP', `JSON nesting exceeds ${MAX_DEPTH}`);
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
}

function parseJsonText(text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ProtocolError('INVALID_JSON', 'frame is not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('NOT_AN_OBJECT', 'envelope must be a JSON object');
  }
  checkDepth(text);
  return parseEnvelope(value);
}

function parseJsonBytes(bytes: Uint8Array): Envelope {
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new ProtocolError('INVALID_UTF8', 'JSON frame is not valid UTF-8', { cause });
  }
  return parseJsonText(text);
}

function tooLarge(size: number, max: number): ProtocolError {
  return new ProtocolError('FRAME_TOO_LARGE', `frame of ${size} bytes exceeds ${max}`);
}

// A plaintext frame (anything but E:), already size-checked.
function decodePlain(b: Uint8Array, kind: FrameKind, max: number): Envelope {
  switch (kind) {
    case 'json':
      return parseJsonBytes(b);
    case 'zlib':
      return parseJsonBytes(inflateBounded(b.subarray(2), max));
    case 'msgpack':
      return parseEnvelope(decodeMsgpack(b.subarray(2)));
    default:
      throw new ProtocolError('KEY_REQUIRED', 'E: frame needs a session key (use decodeAnyFrame)');
  }
}

function checkedBytes(data: Uint8Array | ArrayBuffer, max: number): { b: Uint8Array; kind: FrameKind } {
  const b = asBytes(data);
  if (b.length > max) throw tooLarge(b.length, max);
  const kind = frameKind(b);
  if (kind === 'encrypted' && b.length < 2 + IV_LENGTH + TAG_LENGTH) {
    throw new ProtocolError('ENCRYPTED_TOO_SHORT', 'E: body shorter than IV (12) + tag (16)');
  }
  return { b, kind };
}

function decodeText(s: string, max: number): Envelope {
  // UTF-8 needs at least one byte per UTF-16 unit and at most three: decide cheaply when possible.
  if (s.length > max || (s.length * 3 > max && utf8Encoder.encode(s).length > max))
    throw tooLarge(s.length, max);
  if (s.length === 0) throw new ProtocolError('EMPTY_FRAME', 'empty text frame');
  return parseJsonText(s);
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError('INVALID_FIELD', 'frame could not be decoded', { cause: err });
  }
}

/**
 * Decodes a plaintext frame (text, JSON binary, `C:`, `M:`) into a validated envelope. Synchronous;
 * an `E:` frame throws KEY_REQUIRED (use {@link decodeAnyFrame}). Throws only `ProtocolError`.
 *
 * @example
 * const env = decodeFrame(event.data, { maxMessageSize: 64 * 1024 });
 */
export function decodeFrame(data: WireData, options: DecodeOptions = {}): Envelope {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  return guard(() => {
    if (typeof data === 'string') return decodeText(data, max);
    const { b, kind } = checkedBytes(data, max);
    return decodePlain(b, kind, max);
  });
}

function stringify(env: Envelope): string {
  try {
    return JSON.stringify(env);
  } catch (cause) {
    throw new ProtocolError('INVALID_FIELD', 'payload is not JSON-serialisable', { cause });
  }
}

/**
 * Encodes an envelope: JSON text (string) when small, 'C:' + zlib bytes above the threshold,
 * 'M:' + msgpack bytes with `format: 'msgpack'`. Throws `ProtocolError` for invalid envelopes.
 *
 * @example
 * socket.send(encodeFrame(buildEnvelope('chat_message', { text: 'hi' })));
 */
export function encodeFrame(env: Envelope, options: EncodeOptions = {}): string | Uint8Array {
  const canonical = parseEnvelope(env);
  if (options.format === 'msgpack') return packWithPrefix(canonical, PREFIX_M);
  const text = stringify(canonical);
  const threshold = options.compressionThreshold ?? DEFAULT_COMPRESSION_THRESHOLD;
  if (text.length * 3 <= threshold) return text;
  if (text.length > threshold) return compress(utf8Encoder.encode(text));
  const bytes = utf8Encoder.encode(text);
  return bytes.length > threshold ? compress(bytes) : text;
}

function compress(json: Uint8Array): Uint8Array {
  const z = deflateZlib(json);
  const out = new Uint8Array(2 + z.length);
  out.set(PREFIX_C);
  out.set(z, 2);
  return out;
}

/**
 * Encodes an envelope as usual, then wraps it: 'E:' ‖ IV ‖ ciphertext ‖ tag. `iv` is for test
 * vectors only.
 *
 * @example
 * socket.send(await encodeEncryptedFrame(env, sessionKey));
 */
export async function encodeEncryptedFrame(
  env: Envelope,
  key: CryptoKey,
  options: EncodeOptions & { iv?: Uint8Array } = {},
): Promise<Uint8Array> {
  return encryptBytes(key, toBytes(encodeFrame(env, options)), options.iv);
}

/** Options of {@link decodeAnyFrame}. */
export interface DecodeAnyOptions extends DecodeOptions {
  /** Session key for `E:` frames. */
  key?: CryptoKey;
  /** Reject plaintext frames with NOT_ENCRYPTED (wire code ENCRYPTION_REQUIRED). */
  requireEncryption?: boolean;
}

/**
 * Decodes any frame, decrypting `E:` with `key`; `encrypted` tells which it was. The inner frame
 * of `E:` may be JSON, `C:` or `M:` (a nested `E:` is UNKNOWN_PREFIX). Rejects only with
 * `ProtocolError`.
 *
 * @example
 * const env = await decodeAnyFrame(event.data, { key: sessionKey, requireEncryption: true });
 */
export async function decodeAnyFrame(
  data: WireData,
  options: DecodeAnyOptions = {},
): Promise<Envelope & { encrypted: boolean }> {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const outer = typeof data === 'string' ? undefined : guard(() => checkedBytes(data, max));
  if (outer?.kind !== 'encrypted') {
    if (options.requireEncryption)
      throw new ProtocolError('NOT_ENCRYPTED', 'plaintext frame on an encrypted connection');
    return Object.assign(decodeFrame(data, options), { encrypted: false });
  }
  if (!options.key) throw new ProtocolError('KEY_REQUIRED', 'E: frame but no session key');
  const inner = await decryptBytes(options.key, outer.b);
  const env = guard(() => {
    const { b, kind } = checkedBytes(inner, max);
    if (kind === 'encrypted') throw new ProtocolError('UNKNOWN_PREFIX', 'nested E: frame');
    return decodePlain(b, kind, max);
  });
  return Object.assign(env, { encrypted: true });
}
