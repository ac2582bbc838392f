/**
 * The frame rules (docs-site/protocol §2), written once and parameterised by the zlib and msgpack
 * implementations they use, so the same rules serve two providers:
 *
 * - `frame.ts`: a synchronous provider with static imports (fflate, msgpackr) — the
 *   `@wse/core-client/protocol` API that the server calls (`encodeFrame`, `decodeFrame`, …).
 * - `lazy-codecs.ts`: the client's provider, which fetches each codec with a dynamic `import()`
 *   the first time a frame needs it, so neither library is in the browser entry chunk.
 *
 * Frames: JSON text, JSON in a binary frame (first byte `{`), `C:` zlib of the JSON text, `M:`
 * msgpack, `E:` AES-GCM around any of the others.
 *
 * Decisions:
 * - Encoding returns JSON text (a string) up to `compressionThreshold` UTF-8 bytes, else
 *   'C:' + zlib. `M:` is never compressed (docs-site/protocol defines `C:` as zlib of the JSON text).
 * - Encoding canonicalises the envelope first (validation + key order c,t,p,id,ts,seq,v,cid,pri,
 *   tp,e,o, unknown fields dropped), so equal envelopes always give equal bytes. Validation and
 *   JSON serialisation always run synchronously, whichever provider: an invalid envelope throws
 *   at the call, never later from a promise.
 * - Input JSON (text or binary, also inside `E:`) may carry the older category prefix `WSE`, `S` or
 *   `U` right before its `{` (docs-site/protocol §1); it is stripped. Encoders never write it.
 * - Senders never compress inside `E:` (docs-site/protocol §2: compress-then-encrypt leaks content through
 *   length); the decoder still accepts a `C:` inside `E:` from older peers.
 * - The decoder throws only `ProtocolError`: every step maps its failure to a stable code, and a
 *   last-resort catch turns anything unforeseen into INVALID_FIELD rather than leaking a TypeError.
 * - The async paths ({@link decodeAnyFrameWith}, {@link encodeFrameWhenReady}) await a provider's
 *   `load` only when a frame needs a codec the provider does not have yet; with a complete
 *   provider they add no extra microtask turn.
 *
 * @module
 */
import { type Envelope, parseEnvelope } from './envelope';
import { ProtocolError } from './errors';
import { IV_LENGTH, MAX_DEPTH, TAG_LENGTH } from './limits';

export { IV_LENGTH, MAX_DEPTH, TAG_LENGTH } from './limits';

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

/** Options of `decodeAnyFrame` / {@link decodeAnyFrameWith}. */
export interface DecodeAnyOptions extends DecodeOptions {
  /** Session key for `E:` frames. */
  key?: CryptoKey;
  /**
   * Opens an `E:` frame instead of `key` (an `E2EChannel`'s `open`: replay refusal, v2 counters,
   * rotation). Must return the inner frame bytes and throw only `ProtocolError`.
   */
  open?: (frame: Uint8Array) => Promise<Uint8Array>;
  /** Reject plaintext frames with NOT_ENCRYPTED (wire code ENCRYPTION_REQUIRED). */
  requireEncryption?: boolean;
}

/** Default of {@link DecodeOptions.maxMessageSize}: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
/** Default of {@link EncodeOptions.compressionThreshold}: 1024 UTF-8 bytes. */
export const DEFAULT_COMPRESSION_THRESHOLD = 1024;

/**
 * zlib (RFC 1950) for `C:` bodies. `inflate` must fail with `ProtocolError` FRAME_TOO_LARGE as
 * soon as the output passes `maxBytes` (see `zlib.ts`).
 *
 * @example
 * const zlib: ZlibCodec = { inflate: inflateBounded, deflate: deflateZlib };
 */
export interface ZlibCodec {
  inflate(body: Uint8Array, maxBytes: number): Uint8Array;
  deflate(bytes: Uint8Array): Uint8Array;
}

/**
 * MessagePack for `M:` bodies: a scanning decoder (throws only `ProtocolError`) and an encoder
 * that writes `prefix ‖ msgpack(value)` into one fresh buffer (see `msgpack.ts`).
 *
 * @example
 * const msgpack: MsgpackCodec = { decode: decodeMsgpack, packWithPrefix };
 */
export interface MsgpackCodec {
  decode(body: Uint8Array): unknown;
  packWithPrefix(value: unknown, prefix: Uint8Array): Uint8Array;
}

/**
 * AES-GCM for `E:` frames (see `crypto.ts`): `encryptBytes` returns 'E:' ‖ IV ‖ ciphertext ‖ tag,
 * `decryptBytes` the inner frame bytes.
 *
 * @example
 * const crypto: CryptoCodec = { encryptBytes, decryptBytes };
 */
export interface CryptoCodec {
  encryptBytes(key: CryptoKey, inner: Uint8Array, iv?: Uint8Array): Promise<Uint8Array>;
  decryptBytes(key: CryptoKey, frame: Uint8Array): Promise<Uint8Array>;
}

/** A codec a frame may need beyond JSON. */
export type CodecPart = 'zlib' | 'msgpack' | 'crypto';

/**
 * The implementations the frame rules run on. A part may be missing until `load(part)` has
 * resolved (lazy providers); the synchronous functions then throw, the async ones await `load`.
 *
 * @example
 * const codecs: FrameCodecs = { zlib: zlibCodec, msgpack: msgpackCodec }; // complete, sync
 */
export interface FrameCodecs {
  readonly zlib?: ZlibCodec;
  readonly msgpack?: MsgpackCodec;
  readonly crypto?: CryptoCodec;
  /** Makes `part` available; rejects when it cannot be loaded. */
  load?(part: CodecPart): Promise<void>;
}

const C = 0x43;
const M = 0x4d;
const E = 0x45;
const COLON = 0x3a;
const BRACE = 0x7b;
const S = 0x53;
const U = 0x55;
const W = 0x57;
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
  // A JSON text may start with the older category (`WSE{`, `S{`, `U{`): JSON.parse judges the rest.
  if (first === BRACE || first === S || first === U || first === W) return 'json';
  if (first !== C && first !== M && first !== E)
    throw new ProtocolError('UNKNOWN_PREFIX', 'unknown frame prefix');
  if (b.length < 2) throw new ProtocolError('TRUNCATED_FRAME', 'frame prefix without its colon');
  if (b[1] !== COLON) throw new ProtocolError('UNKNOWN_PREFIX', 'unknown frame prefix');
  return first === C ? 'zlib' : first === M ? 'msgpack' : 'encrypted';
}

// The part a frame kind needs, if any.
function partOf(kind: FrameKind): CodecPart | undefined {
  return kind === 'zlib' || kind === 'msgpack' ? kind : undefined;
}

// The code a part's failures carry when its codec is missing.
const MISSING = { zlib: 'INFLATE_FAILED', msgpack: 'MSGPACK_INVALID', crypto: 'DECRYPT_FAILED' } as const;

// A synchronous use of a provider that has not loaded `part` is a caller bug (it should have gone
// through an async path); it still surfaces as a ProtocolError with the part's failure code.
function need<P extends CodecPart>(codecs: FrameCodecs, part: P): NonNullable<FrameCodecs[P]> {
  const codec = codecs[part];
  if (codec) return codec as NonNullable<FrameCodecs[P]>;
  throw new ProtocolError(MISSING[part], `the ${part} codec is not loaded`);
}

// Loads `part` when the provider lacks it. `undefined` (no await needed) when nothing is missing,
// so complete providers keep their timing. A load failure becomes the part's ProtocolError.
function ensure(codecs: FrameCodecs, part: CodecPart | undefined): Promise<void> | undefined {
  if (part === undefined || codecs[part] || !codecs.load) return undefined;
  return codecs.load(part).catch((cause: unknown) => {
    throw new ProtocolError(MISSING[part], `the ${part} codec could not be loaded`, { cause });
  });
}

// JSON.parse is iterative in V8, but JSON.stringify and most consumers recurse: bound depth so a
// decoded envelope can always be re-encoded and walked. Run BEFORE JSON.parse: a 1 MiB `[[[…` frame
// then costs a scan of 65 chars instead of a 0.4 s parse. The scan is strings-aware (a `[` inside a
// string does not count) and stops at the first level past the limit; on text JSON.parse would
// reject anyway it may answer JSON_TOO_DEEP instead of INVALID_JSON, which is as true.
function checkDepth(text: string): void {
  if (fewOpeners(text)) return;
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

// Nesting can never exceed the number of `{` and `[` in the text (inside strings or not), so a text
// with at most MAX_DEPTH of them needs no scan. `indexOf` is native: for an ordinary envelope
// (two or three braces) this costs a few calls instead of a JS loop over every character, which
// was ~20 % of decoding a 256-byte frame.
function fewOpeners(text: string): boolean {
  let n = 0;
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) if (++n > MAX_DEPTH) return false;
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) if (++n > MAX_DEPTH) return false;
  return true;
}

// docs-site/protocol §1: an older peer may write its category right before the `{` (`WSE{…}`, `S{…}`, `U{…}`).
const CATEGORY = /^(?:WSE|S|U)(?=\{)/;

function parseJsonText(raw: string): Envelope {
  const text = raw.charCodeAt(0) === BRACE ? raw : raw.replace(CATEGORY, '');
  checkDepth(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ProtocolError('INVALID_JSON', 'frame is not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('NOT_AN_OBJECT', 'envelope must be a JSON object');
  }
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
function decodePlain(codecs: FrameCodecs, b: Uint8Array, kind: FrameKind, max: number): Envelope {
  switch (kind) {
    case 'json':
      return parseJsonBytes(b);
    case 'zlib':
      return parseJsonBytes(need(codecs, 'zlib').inflate(b.subarray(2), max));
    case 'msgpack':
      return parseEnvelope(need(codecs, 'msgpack').decode(b.subarray(2)));
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
  if (s.length > max || (s.length * 3 > max && utf8Length(s) > max)) throw tooLarge(s.length, max);
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
 * `decodeFrame` on a given provider: decodes a plaintext frame (text, JSON binary, `C:`, `M:`)
 * into a validated envelope, synchronously. An `E:` frame throws KEY_REQUIRED; a `C:`/`M:` frame
 * whose codec the provider has not loaded throws INFLATE_FAILED / MSGPACK_INVALID. Throws only
 * `ProtocolError`.
 *
 * @example
 * const env = decodeFrameWith({ zlib: zlibCodec, msgpack: msgpackCodec }, event.data);
 */
export function decodeFrameWith(codecs: FrameCodecs, data: WireData, options: DecodeOptions = {}): Envelope {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  // guard() inlined: no closure allocated per decoded frame on the hot path.
  try {
    if (typeof data === 'string') return decodeText(data, max);
    const { b, kind } = checkedBytes(data, max);
    return decodePlain(codecs, b, kind, max);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError('INVALID_FIELD', 'frame could not be decoded', { cause: err });
  }
}

/**
 * `decodeAnyFrame` on a given provider: decodes any frame, decrypting `E:` with `key`, and loads
 * a missing codec (through `codecs.load`) before a `C:`/`M:` body needs it. The inner frame of
 * `E:` may be JSON, `C:` or `M:` (a nested `E:` is UNKNOWN_PREFIX). Rejects only with
 * `ProtocolError`.
 *
 * @example
 * const env = await decodeAnyFrameWith(lazyCodecs, event.data, { key: sessionKey });
 */
export async function decodeAnyFrameWith(
  codecs: FrameCodecs,
  data: WireData,
  options: DecodeAnyOptions = {},
): Promise<Envelope & { encrypted: boolean }> {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const outer = typeof data === 'string' ? undefined : guard(() => checkedBytes(data, max));
  if (outer?.kind !== 'encrypted') {
    if (options.requireEncryption)
      throw new ProtocolError('NOT_ENCRYPTED', 'plaintext frame on an encrypted connection');
    const loading = outer && ensure(codecs, partOf(outer.kind));
    if (loading) await loading;
    return Object.assign(decodeFrameWith(codecs, data, options), { encrypted: false });
  }
  let inner: Uint8Array;
  if (options.open) inner = await options.open(outer.b);
  else {
    if (!options.key) throw new ProtocolError('KEY_REQUIRED', 'E: frame but no session key');
    const loadingCrypto = ensure(codecs, 'crypto');
    if (loadingCrypto) await loadingCrypto;
    inner = await need(codecs, 'crypto').decryptBytes(options.key, outer.b);
  }
  const { b, kind } = guard(() => checkedBytes(inner, max));
  if (kind === 'encrypted') throw new ProtocolError('UNKNOWN_PREFIX', 'nested E: frame');
  const loading = ensure(codecs, partOf(kind));
  if (loading) await loading;
  return Object.assign(
    guard(() => decodePlain(codecs, b, kind, max)),
    { encrypted: true },
  );
}

/**
 * UTF-8 byte length of a string exactly as `TextEncoder` encodes it (a lone surrogate becomes
 * U+FFFD, 3 bytes), without allocating the bytes.
 *
 * @example
 * utf8Length('é€😀'); // 2 + 3 + 4 = 9
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // a pair: 2 UTF-16 units, 4 bytes
        i++;
      } else n += 2;
    } else n += 2; // BMP char or lone surrogate: 3 bytes
  }
  return n;
}

function stringify(env: Envelope): string {
  try {
    return JSON.stringify(env);
  } catch (cause) {
    throw new ProtocolError('INVALID_FIELD', 'payload is not JSON-serialisable', { cause });
  }
}

function compress(zlib: ZlibCodec, json: Uint8Array): Uint8Array {
  const z = zlib.deflate(json);
  const out = new Uint8Array(2 + z.length);
  out.set(PREFIX_C);
  out.set(z, 2);
  return out;
}

// What is left to do after the synchronous part of encoding: nothing (a JSON text frame), or one
// codec step.
type Unfinished = { readonly part: CodecPart; finish(codecs: FrameCodecs): Uint8Array };

// Validation, canonicalisation and the JSON/compression decision: always synchronous.
function startEncoding(env: Envelope, options: EncodeOptions): string | Unfinished {
  const canonical = parseEnvelope(env);
  if (options.format === 'msgpack')
    return { part: 'msgpack', finish: (c) => need(c, 'msgpack').packWithPrefix(canonical, PREFIX_M) };
  const text = stringify(canonical);
  const threshold = options.compressionThreshold ?? DEFAULT_COMPRESSION_THRESHOLD;
  if (text.length * 3 <= threshold) return text;
  // Counted, not encoded: a 400–1000-char frame (server_ready, server_hello) stays text, and
  // allocating its UTF-8 copy just to measure it was half of its encoding cost (connect profile).
  if (text.length <= threshold && utf8Length(text) <= threshold) return text;
  const bytes = utf8Encoder.encode(text);
  return { part: 'zlib', finish: (c) => compress(need(c, 'zlib'), bytes) };
}

/**
 * `encodeFrame` on a given provider, synchronously: JSON text (string) when small, 'C:' + zlib
 * bytes above the threshold, 'M:' + msgpack bytes with `format: 'msgpack'`. Throws
 * `ProtocolError` for invalid envelopes, and when the frame needs a codec the provider has not
 * loaded (see {@link encodeFrameWhenReady}).
 *
 * @example
 * socket.send(encodeFrameWith({ zlib: zlibCodec, msgpack: msgpackCodec }, env));
 */
export function encodeFrameWith(
  codecs: FrameCodecs,
  env: Envelope,
  options: EncodeOptions = {},
): string | Uint8Array {
  const started = startEncoding(env, options);
  return typeof started === 'string' ? started : started.finish(codecs);
}

/**
 * Like {@link encodeFrameWith}, but a frame that needs a codec the provider has not loaded yet
 * comes back as a promise that loads it first. Validation still happens now: an invalid envelope
 * throws synchronously. The promise rejects with `ProtocolError` (INFLATE_FAILED for zlib,
 * MSGPACK_INVALID for msgpack) when the codec cannot be loaded.
 *
 * @example
 * const frame = encodeFrameWhenReady(lazyCodecs, env, { compressionThreshold: 1024 });
 * socket.send(frame instanceof Promise ? await frame : frame);
 */
export function encodeFrameWhenReady(
  codecs: FrameCodecs,
  env: Envelope,
  options: EncodeOptions = {},
): string | Uint8Array | Promise<Uint8Array> {
  const started = startEncoding(env, options);
  if (typeof started === 'string') return started;
  const loading = ensure(codecs, started.part);
  return loading ? loading.then(() => started.finish(codecs)) : started.finish(codecs);
}

/**
 * Wraps an encoded frame for an E2E session: 'E:' ‖ IV ‖ ciphertext ‖ tag, loading the crypto
 * codec first when the provider lacks it. `iv` is for test vectors only.
 *
 * @example
 * socket.send(await encryptFrameWith(lazyCodecs, sessionKey, encodeFrameWith(lazyCodecs, env)));
 */
export async function encryptFrameWith(
  codecs: FrameCodecs,
  key: CryptoKey,
  frame: string | Uint8Array,
  iv?: Uint8Array,
): Promise<Uint8Array> {
  const loading = ensure(codecs, 'crypto');
  if (loading) await loading;
  return need(codecs, 'crypto').encryptBytes(key, toBytes(frame), iv);
}
