#!/usr/bin/env node

// packages/ref-server/src/config.ts
// packages/ref-server/src/auth/token-verifier.ts
import { createHmac, createPublicKey, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

// packages/core-client/src/protocol/errors.ts
var WSEError = class extends Error {
  name = 'WSEError';
  code;
  constructor(code, message, options) {
    super(message, options);
    this.code = code;
  }
};
var ProtocolError = class extends WSEError {
  name = 'ProtocolError';
  constructor(code, message, options) {
    super(code, message, options);
  }
};
var AuthError = class extends WSEError {
  name = 'AuthError';
  constructor(code, message, options) {
    super(code, message, options);
  }
};
var ServerError = class _ServerError extends WSEError {
  name = 'ServerError';
  details;
  constructor(code, message, details = {}, options) {
    super(code, message, options);
    this.details = details;
  }
  /** Builds a ServerError from an `error` frame payload `{ code, message, ... }`. */
  static fromPayload(payload) {
    const { code, message, ...details } = payload;
    return new _ServerError(
      typeof code === 'string' ? code : 'SERVER_ERROR',
      typeof message === 'string' ? message : 'server error',
      details,
    );
  }
};
function wireCodeOf(err) {
  switch (err.code) {
    case 'FRAME_TOO_LARGE':
      return 'MESSAGE_TOO_LARGE';
    case 'NOT_ENCRYPTED':
      return 'ENCRYPTION_REQUIRED';
    case 'KEY_REQUIRED':
    case 'DECRYPT_FAILED':
    case 'INVALID_KEY':
      return 'KEY_EXCHANGE_FAILED';
    default:
      return 'INVALID_MESSAGE';
  }
}

// packages/core-client/src/protocol/base64.ts
var BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;
var CHUNK = 32768;
function base64Encode(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}
function base64Decode(s) {
  if (typeof s !== 'string' || !BASE64_RE.test(s) || s.length % 4 === 1) {
    throw new ProtocolError('INVALID_FIELD', 'not a base64 string');
  }
  let binary;
  try {
    binary = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  } catch (cause) {
    throw new ProtocolError('INVALID_FIELD', 'not a base64 string', { cause });
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

// packages/core-client/src/protocol/limits.ts
var MAX_DEPTH = 64;
var IV_LENGTH = 12;
var TAG_LENGTH = 16;

// packages/core-client/src/protocol/crypto.ts
var HKDF_INFO = 'wse-encryption/aes-gcm-key';
var PREFIX_E = new Uint8Array([69, 58]);
var ECDH = { name: 'ECDH', namedCurve: 'P-256' };
var subtle = () => globalThis.crypto.subtle;
function own(u) {
  return u.buffer instanceof ArrayBuffer ? u : new Uint8Array(u);
}
function invalidKey(message, cause) {
  return new ProtocolError('INVALID_KEY', message, cause === void 0 ? void 0 : { cause });
}
function decodeRawPoint(b64) {
  let raw;
  try {
    raw = base64Decode(b64);
  } catch (cause) {
    throw invalidKey('public key is not base64', cause);
  }
  if (raw.length !== 65 || raw[0] !== 4)
    throw invalidKey('public key must be a 65-byte uncompressed P-256 point');
  return own(raw);
}
async function generateKeyPair() {
  return subtle().generateKey(ECDH, false, ['deriveBits']);
}
async function exportPublicKey(key) {
  return base64Encode(new Uint8Array(await subtle().exportKey('raw', key)));
}
async function importPublicKey(base64) {
  const raw = decodeRawPoint(base64);
  try {
    return await subtle().importKey('raw', raw, ECDH, true, []);
  } catch (cause) {
    throw invalidKey('public key is not a valid P-256 point', cause);
  }
}
async function deriveSessionKeyBytes(privateKey, peerPublic) {
  try {
    const shared = await subtle().deriveBits({ name: 'ECDH', public: peerPublic }, privateKey, 256);
    const ikm = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveBits']);
    const info = new TextEncoder().encode(HKDF_INFO);
    const params = { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info };
    return new Uint8Array(await subtle().deriveBits(params, ikm, 256));
  } catch (cause) {
    throw invalidKey('key agreement failed (wrong key types or curves?)', cause);
  }
}
async function importSessionKey(raw) {
  if (raw.length !== 32) throw invalidKey('session key must be 32 bytes');
  return subtle().importKey('raw', own(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}
async function deriveSessionKey(privateKey, peerPublic) {
  const raw = await deriveSessionKeyBytes(privateKey, peerPublic);
  try {
    return await importSessionKey(raw);
  } finally {
    raw.fill(0);
  }
}
async function encryptBytes(key, inner, iv) {
  const nonce = iv ?? globalThis.crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  if (nonce.length !== IV_LENGTH) throw new ProtocolError('INVALID_FIELD', 'IV must be 12 bytes');
  let sealed;
  try {
    sealed = await subtle().encrypt({ name: 'AES-GCM', iv: own(nonce) }, key, own(inner));
  } catch (cause) {
    throw invalidKey('encryption failed (not an AES-GCM key?)', cause);
  }
  const out = new Uint8Array(2 + IV_LENGTH + sealed.byteLength);
  out.set(PREFIX_E);
  out.set(nonce, 2);
  out.set(new Uint8Array(sealed), 2 + IV_LENGTH);
  return out;
}
async function decryptBytes(key, frame) {
  if (frame.length < 2 || frame[0] !== 69 || frame[1] !== 58) {
    throw new ProtocolError('UNKNOWN_PREFIX', 'not an E: frame');
  }
  if (frame.length < 2 + IV_LENGTH + TAG_LENGTH) {
    throw new ProtocolError('ENCRYPTED_TOO_SHORT', 'E: body shorter than IV (12) + tag (16)');
  }
  const iv = own(frame.slice(2, 2 + IV_LENGTH));
  try {
    const plain = await subtle().decrypt({ name: 'AES-GCM', iv }, key, own(frame.subarray(2 + IV_LENGTH)));
    return new Uint8Array(plain);
  } catch (cause) {
    throw new ProtocolError('DECRYPT_FAILED', 'E: frame failed authentication', { cause });
  }
}
function signedBytes(clientKeyB64, serverKeyB64, connectionId) {
  const a = decodeRawPoint(clientKeyB64);
  const b = decodeRawPoint(serverKeyB64);
  const c = new TextEncoder().encode(connectionId);
  const out = new Uint8Array(a.length + b.length + c.length);
  out.set(a);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  return out;
}
async function signIdentity(privateKey, clientKeyB64, serverKeyB64, connectionId) {
  const data = signedBytes(clientKeyB64, serverKeyB64, connectionId);
  const sig = await subtle().sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, data);
  return base64Encode(new Uint8Array(sig));
}

// packages/core-client/src/protocol/envelope.ts
var PROTOCOL_VERSION = 1;
var PROTOCOL_TYPES = /* @__PURE__ */ new Set([
  'server_ready',
  'client_hello',
  'server_hello',
  'ping',
  'PONG',
  'error',
  'auth_refresh',
  'auth_refreshed',
  'subscription_update',
  'subscription',
  'subscribe',
  'publish',
  'presence',
  'presence_join',
  'presence_leave',
  'presence_update',
  'presence_stats',
  'rate_limit_warning',
  'batch',
  'config_update',
]);
function categoryOf(type) {
  if (type.endsWith('_snapshot') || type.startsWith('snapshot_')) return 'S';
  return PROTOCOL_TYPES.has(type) ? 'WSE' : 'U';
}
var HEX = '0123456789abcdef';
function defaultRandom(bytes) {
  globalThis.crypto.getRandomValues(bytes);
}
function uuidv7(now = Date.now(), random = defaultRandom) {
  const b = new Uint8Array(16);
  random(b);
  let ms = Math.max(0, Math.floor(now));
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = 112 | (b[6] & 15);
  b[8] = 128 | (b[8] & 63);
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  }
  return s;
}
function buildEnvelope(type, payload, options = {}) {
  const now = options.now ?? Date.now();
  const env = parseEnvelope({
    c: options.c ?? (typeof type === 'string' ? categoryOf(type) : void 0),
    t: type,
    p: payload ?? {},
    id: options.id ?? uuidv7(now),
    ts: options.ts ?? new Date(now).toISOString(),
    seq: options.seq,
    v: PROTOCOL_VERSION,
    cid: options.cid,
    pri: options.pri,
    tp: options.stamp?.topic,
    e: options.stamp?.epoch,
    o: options.stamp?.offset,
  });
  return env;
}
function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}
function invalid(field, expected) {
  throw new ProtocolError('INVALID_FIELD', `envelope field "${field}" must be ${expected}`);
}
var EPOCH_RE = /^[0-9a-f]{8}$/;
var isNonNegInt = (x) => Number.isSafeInteger(x) && x >= 0;
function optString(src, out, key) {
  const v = src[key];
  if (v === void 0) return;
  if (typeof v !== 'string') invalid(key, 'a string');
  out[key] = v;
}
function readType(src) {
  const t = src.t ?? src.type;
  if (t === void 0 || t === null || t === '') throw new ProtocolError('MISSING_TYPE', 'envelope has no "t"');
  if (typeof t !== 'string') invalid('t', 'a string');
  return t;
}
function readPayload(src) {
  const p = src.p ?? src.payload;
  if (p === void 0 || p === null) return {};
  if (!isPlainObject(p)) invalid('p', 'an object');
  return p;
}
function readCategory(src, t) {
  const c = src.c;
  if (c === void 0) return categoryOf(t);
  if (c !== 'WSE' && c !== 'S' && c !== 'U') invalid('c', '"WSE", "S" or "U"');
  return c;
}
function readNumbers(src, out, key) {
  const x = src[key];
  if (x === void 0) return;
  if (key === 'seq' && !isNonNegInt(x)) invalid('seq', 'a non-negative integer');
  if (key === 'v' && !(isNonNegInt(x) && x >= 1)) invalid('v', 'a positive integer');
  out[key] = x;
}
function readPriority(src, out) {
  const pri = src.pri;
  if (pri === void 0) return;
  if (!Number.isInteger(pri) || pri < 1 || pri > 10) invalid('pri', 'an integer 1..10');
  out.pri = pri;
}
function readStamp(src, out) {
  const { tp, e, o } = src;
  if (tp === void 0 && e === void 0 && o === void 0) return;
  if (typeof tp !== 'string' || tp === '') invalid('tp', 'a non-empty string (tp, e, o go together)');
  if (typeof e !== 'string' || !EPOCH_RE.test(e))
    invalid('e', '8 lower-case hex chars (tp, e, o go together)');
  if (!isNonNegInt(o)) invalid('o', 'a non-negative safe integer (tp, e, o go together)');
  out.tp = tp;
  out.e = e;
  out.o = o;
}
function parseEnvelope(value) {
  if (!isPlainObject(value)) throw new ProtocolError('NOT_AN_OBJECT', 'envelope must be a JSON object');
  const t = readType(value);
  const out = { c: readCategory(value, t), t, p: readPayload(value) };
  optString(value, out, 'id');
  optString(value, out, 'ts');
  readNumbers(value, out, 'seq');
  readNumbers(value, out, 'v');
  optString(value, out, 'cid');
  readPriority(value, out);
  readStamp(value, out);
  return out;
}

// packages/core-client/src/protocol/frame-core.ts
var DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
var DEFAULT_COMPRESSION_THRESHOLD = 1024;
var C = 67;
var M = 77;
var E = 69;
var COLON = 58;
var BRACE = 123;
var PREFIX_C = new Uint8Array([C, COLON]);
var PREFIX_M = new Uint8Array([M, COLON]);
var utf8Decoder = new TextDecoder('utf-8', { fatal: true });
var utf8Encoder = new TextEncoder();
function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ProtocolError('INVALID_FIELD', 'a frame must be a string, Uint8Array or ArrayBuffer');
}
function toBytes(frame) {
  return typeof frame === 'string' ? utf8Encoder.encode(frame) : frame;
}
function frameKind(data) {
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
function partOf(kind) {
  return kind === 'zlib' || kind === 'msgpack' ? kind : void 0;
}
var MISSING = { zlib: 'INFLATE_FAILED', msgpack: 'MSGPACK_INVALID', crypto: 'DECRYPT_FAILED' };
function need(codecs, part) {
  const codec = codecs[part];
  if (codec) return codec;
  throw new ProtocolError(MISSING[part], `the ${part} codec is not loaded`);
}
function ensure(codecs, part) {
  if (part === void 0 || codecs[part] || !codecs.load) return void 0;
  return codecs.load(part).catch((cause) => {
    throw new ProtocolError(MISSING[part], `the ${part} codec could not be loaded`, { cause });
  });
}
function checkDepth(text) {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++;
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > MAX_DEPTH) throw new ProtocolError('JSON_TOO_DEEP', `JSON nesting exceeds ${MAX_DEPTH}`);
    } else if (ch === 125 || ch === 93) depth--;
  }
}
function parseJsonText(text) {
  checkDepth(text);
  let value;
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
function parseJsonBytes(bytes) {
  let text;
  try {
    text = utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new ProtocolError('INVALID_UTF8', 'JSON frame is not valid UTF-8', { cause });
  }
  return parseJsonText(text);
}
function tooLarge(size, max) {
  return new ProtocolError('FRAME_TOO_LARGE', `frame of ${size} bytes exceeds ${max}`);
}
function decodePlain(codecs, b, kind, max) {
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
function checkedBytes(data, max) {
  const b = asBytes(data);
  if (b.length > max) throw tooLarge(b.length, max);
  const kind = frameKind(b);
  if (kind === 'encrypted' && b.length < 2 + IV_LENGTH + TAG_LENGTH) {
    throw new ProtocolError('ENCRYPTED_TOO_SHORT', 'E: body shorter than IV (12) + tag (16)');
  }
  return { b, kind };
}
function decodeText(s, max) {
  if (s.length > max || (s.length * 3 > max && utf8Encoder.encode(s).length > max))
    throw tooLarge(s.length, max);
  if (s.length === 0) throw new ProtocolError('EMPTY_FRAME', 'empty text frame');
  return parseJsonText(s);
}
function guard(fn) {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError('INVALID_FIELD', 'frame could not be decoded', { cause: err });
  }
}
function decodeFrameWith(codecs, data, options = {}) {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  return guard(() => {
    if (typeof data === 'string') return decodeText(data, max);
    const { b, kind } = checkedBytes(data, max);
    return decodePlain(codecs, b, kind, max);
  });
}
async function decodeAnyFrameWith(codecs, data, options = {}) {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const outer = typeof data === 'string' ? void 0 : guard(() => checkedBytes(data, max));
  if (outer?.kind !== 'encrypted') {
    if (options.requireEncryption)
      throw new ProtocolError('NOT_ENCRYPTED', 'plaintext frame on an encrypted connection');
    const loading2 = outer && ensure(codecs, partOf(outer.kind));
    if (loading2) await loading2;
    return Object.assign(decodeFrameWith(codecs, data, options), { encrypted: false });
  }
  if (!options.key) throw new ProtocolError('KEY_REQUIRED', 'E: frame but no session key');
  const loadingCrypto = ensure(codecs, 'crypto');
  if (loadingCrypto) await loadingCrypto;
  const inner = await need(codecs, 'crypto').decryptBytes(options.key, outer.b);
  const { b, kind } = guard(() => checkedBytes(inner, max));
  if (kind === 'encrypted') throw new ProtocolError('UNKNOWN_PREFIX', 'nested E: frame');
  const loading = ensure(codecs, partOf(kind));
  if (loading) await loading;
  return Object.assign(
    guard(() => decodePlain(codecs, b, kind, max)),
    { encrypted: true },
  );
}
function stringify(env) {
  try {
    return JSON.stringify(env);
  } catch (cause) {
    throw new ProtocolError('INVALID_FIELD', 'payload is not JSON-serialisable', { cause });
  }
}
function compress(zlib, json2) {
  const z = zlib.deflate(json2);
  const out = new Uint8Array(2 + z.length);
  out.set(PREFIX_C);
  out.set(z, 2);
  return out;
}
function startEncoding(env, options) {
  const canonical = parseEnvelope(env);
  if (options.format === 'msgpack')
    return { part: 'msgpack', finish: (c) => need(c, 'msgpack').packWithPrefix(canonical, PREFIX_M) };
  const text = stringify(canonical);
  const threshold = options.compressionThreshold ?? DEFAULT_COMPRESSION_THRESHOLD;
  if (text.length * 3 <= threshold) return text;
  const bytes = utf8Encoder.encode(text);
  if (bytes.length <= threshold) return text;
  return { part: 'zlib', finish: (c) => compress(need(c, 'zlib'), bytes) };
}
function encodeFrameWith(codecs, env, options = {}) {
  const started = startEncoding(env, options);
  return typeof started === 'string' ? started : started.finish(codecs);
}

// packages/core-client/src/protocol/msgpack.ts
import { Packr, Unpackr } from 'msgpackr';

var packr = new Packr({ useRecords: false, variableMapSize: true, encodeUndefinedAsNil: true });
var unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
var Kind = { Scalar: 0, Str: 1, Array: 2, Map: 3 };
function fail(code, message) {
  throw new ProtocolError(code, message);
}
function readLen(b, at, width) {
  if (at + width > b.length) fail('TRUNCATED_FRAME', 'msgpack value cut short');
  let n = 0;
  for (let i = 0; i < width; i++) n = n * 256 + b[at + i];
  return n;
}
var FIXED_SIZE = {
  192: 0,
  194: 0,
  195: 0,
  202: 4,
  203: 8,
  204: 1,
  205: 2,
  206: 4,
  207: 8,
  208: 1,
  209: 2,
  210: 4,
  211: 8,
};
function head(b, at) {
  const x = b[at];
  if (x <= 127 || x >= 224) return { kind: Kind.Scalar, size: 1, n: 0 };
  if (x <= 143) return { kind: Kind.Map, size: 1, n: x & 15 };
  if (x <= 159) return { kind: Kind.Array, size: 1, n: x & 15 };
  if (x <= 191) return { kind: Kind.Str, size: 1, n: x & 31 };
  const fixed = FIXED_SIZE[x];
  if (fixed !== void 0) return { kind: Kind.Scalar, size: 1, n: fixed };
  switch (x) {
    case 217:
      return { kind: Kind.Str, size: 2, n: readLen(b, at + 1, 1) };
    case 218:
      return { kind: Kind.Str, size: 3, n: readLen(b, at + 1, 2) };
    case 219:
      return { kind: Kind.Str, size: 5, n: readLen(b, at + 1, 4) };
    case 220:
      return { kind: Kind.Array, size: 3, n: readLen(b, at + 1, 2) };
    case 221:
      return { kind: Kind.Array, size: 5, n: readLen(b, at + 1, 4) };
    case 222:
      return { kind: Kind.Map, size: 3, n: readLen(b, at + 1, 2) };
    case 223:
      return { kind: Kind.Map, size: 5, n: readLen(b, at + 1, 4) };
    default:
      return fail('MSGPACK_INVALID', `msgpack type 0x${x.toString(16)} is not allowed in an envelope`);
  }
}
function scanMsgpack(b, maxDepth = MAX_DEPTH) {
  if (b.length === 0) fail('TRUNCATED_FRAME', 'empty msgpack body');
  if (head(b, 0).kind !== Kind.Map)
    throw new ProtocolError('NOT_AN_OBJECT', 'msgpack envelope must be a map');
  const left = new Float64Array(maxDepth + 1);
  const isMap = new Uint8Array(maxDepth + 1);
  let depth = 0;
  let pos = 0;
  left[0] = 1;
  while (depth >= 0) {
    if (left[depth] === 0) {
      depth--;
      continue;
    }
    if (pos >= b.length) fail('TRUNCATED_FRAME', 'msgpack value cut short');
    const h = head(b, pos);
    const isKey = isMap[depth] === 1 && left[depth] % 2 === 0;
    if (isKey && h.kind !== Kind.Str) fail('MSGPACK_INVALID', 'msgpack map keys must be strings');
    left[depth]--;
    pos += h.size;
    if (h.kind === Kind.Array || h.kind === Kind.Map) {
      if (depth + 1 > maxDepth)
        throw new ProtocolError('MSGPACK_TOO_DEEP', `msgpack nesting exceeds ${maxDepth}`);
      const items = h.kind === Kind.Map ? h.n * 2 : h.n;
      if (items > b.length - pos) fail('TRUNCATED_FRAME', 'msgpack container longer than its frame');
      depth++;
      left[depth] = items;
      isMap[depth] = h.kind === Kind.Map ? 1 : 0;
    } else {
      pos += h.n;
      if (pos > b.length) fail('TRUNCATED_FRAME', 'msgpack value cut short');
    }
  }
  if (pos !== b.length) fail('MSGPACK_INVALID', 'trailing bytes after the msgpack value');
}
function decodeMsgpack(b) {
  scanMsgpack(b);
  try {
    return unpackr.unpack(b);
  } catch (cause) {
    throw new ProtocolError('MSGPACK_INVALID', 'msgpack decoding failed', { cause });
  }
}
function packWithPrefix(value, prefix) {
  let packed;
  try {
    packed = packr.pack(value);
  } catch (cause) {
    throw new ProtocolError('INVALID_FIELD', 'value cannot be encoded as msgpack', { cause });
  }
  const out = new Uint8Array(prefix.length + packed.length);
  out.set(prefix);
  out.set(packed, prefix.length);
  return out;
}
var msgpackCodec = Object.freeze({ decode: decodeMsgpack, packWithPrefix });

// packages/core-client/src/protocol/zlib.ts
import { Unzlib, zlibSync } from 'fflate';

var MAX_RATIO = 1032;
var MIN_SLICE = 64;
var MAX_SLICE = 16 * 1024;
function deflateZlib(bytes) {
  return zlibSync(bytes, { level: 6 });
}
function concatBytes(chunks, total) {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
function inflateBounded(body, maxBytes) {
  if (body.length === 0) throw new ProtocolError('TRUNCATED_FRAME', 'C: frame without a body');
  const chunks = [];
  let total = 0;
  let ended2 = false;
  const stream = new Unzlib((chunk, final) => {
    total += chunk.length;
    if (chunk.length > 0 && total <= maxBytes) chunks.push(chunk);
    if (final) ended2 = true;
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
  if (!ended2) throw new ProtocolError('TRUNCATED_FRAME', 'C: body ends before the zlib stream does');
  return concatBytes(chunks, total);
}
var zlibCodec = Object.freeze({ inflate: inflateBounded, deflate: deflateZlib });

// packages/core-client/src/protocol/frame.ts
var staticCodecs = Object.freeze({
  zlib: zlibCodec,
  msgpack: msgpackCodec,
  crypto: Object.freeze({ encryptBytes, decryptBytes }),
});
function encodeFrame(env, options = {}) {
  return encodeFrameWith(staticCodecs, env, options);
}

// packages/ref-server/src/auth/token-verifier.ts
import { createRemoteJWKSet, errors, jwtVerify, UnsecuredJWT } from 'jose';

var MAX_TOKEN_LENGTH = 8192;
var MAX_SUB_LENGTH = 256;
var MAX_ACL_ENTRIES = 256;
var MAX_GLOB_LENGTH = 256;
var DEFAULT_LEEWAY_SEC = 30;
var COMPACT_CHARS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
var NONE_HEADER = 'eyJhbGciOiJub25lIn0';
var PLAIN_HEADER_KEYS = /* @__PURE__ */ new Set(['alg', 'typ', 'kid']);
var MAX_CACHED_HEADERS = 32;
var strictUtf8 = new TextDecoder('utf-8', { fatal: true });
var TokenVerifier = class {
  algorithms;
  secret;
  previousSecret;
  asymmetric;
  jwks;
  baseOptions;
  now;
  /** HS256 secrets as KeyObjects for the synchronous path ([current, previous?]); none = no fast path. */
  hmacKeys;
  /** The same secrets imported once for jose (jose re-imports raw bytes on every call). */
  cryptoKeys = /* @__PURE__ */ new Map();
  /** Encoded protected headers already judged (tokens of one issuer share theirs). */
  plainHeaders = /* @__PURE__ */ new Map();
  constructor(options, env = {}) {
    this.now = env.now ?? Date.now;
    const enc = new TextEncoder();
    if (options.secret !== void 0) {
      if (typeof options.secret !== 'string' || options.secret.length === 0)
        throw new Error('auth.secret must be a non-empty string');
      this.secret = enc.encode(options.secret);
    }
    if (options.previousSecret !== void 0 && options.previousSecret !== '') {
      if (this.secret === void 0) throw new Error('auth.previousSecret needs auth.secret');
      this.previousSecret = enc.encode(options.previousSecret);
    }
    if (options.publicKey !== void 0 && options.jwksUrl !== void 0)
      throw new Error('auth: set auth.publicKey or auth.jwksUrl, not both');
    if (options.publicKey !== void 0) this.asymmetric = importPem(options.publicKey);
    if (options.jwksUrl !== void 0) this.jwks = createRemoteJWKSet(parseJwksUrl(options.jwksUrl));
    this.algorithms = resolveAlgorithms(options, this.secret !== void 0, this.asymmetric, !!this.jwks);
    if (this.secret && this.algorithms.includes('HS256')) {
      this.hmacKeys = [createSecretKey(this.secret)];
      if (this.previousSecret) this.hmacKeys.push(createSecretKey(this.previousSecret));
    }
    const leeway = options.leewaySec ?? DEFAULT_LEEWAY_SEC;
    if (!Number.isFinite(leeway) || leeway < 0) throw new Error('auth.leewaySec must be a number >= 0');
    this.baseOptions = {
      algorithms: this.algorithms,
      clockTolerance: leeway,
      requiredClaims: ['exp', 'sub'],
      ...(options.issuer !== void 0 ? { issuer: options.issuer } : {}),
      ...(options.audience !== void 0 ? { audience: options.audience } : {}),
    };
  }
  /** The algorithms this verifier accepts (after intersecting with the configured key sources). */
  get acceptedAlgorithms() {
    return this.algorithms;
  }
  /**
   * Verifies `token` and returns the identity it proves.
   *
   * @example
   * try { const v = await verifier.verify(token); console.log(v.userId); }
   * catch (e) { if (e instanceof AuthError && e.code === 'AUTH_EXPIRED') askForRefresh(); }
   */
  async verify(token) {
    return this.verifyNow(token) ?? this.verifyFull(token);
  }
  /**
   * The synchronous fast path: an HS256 token with a plain header (`alg`, `typ`, `kid` only) whose
   * HMAC matches is checked here without a promise (node:crypto HMAC, jose's own claim checks).
   * Returns `undefined` for anything else, failures included: `verify` then takes jose's full path,
   * which gives the exact error. It only ever accepts what the full path accepts.
   *
   * @example
   * const v = verifier.verifyNow(token) ?? (await verifier.verify(token));
   */
  verifyNow(token) {
    const keys = this.hmacKeys;
    if (!keys || typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_CHARS.test(token))
      return void 0;
    const dot1 = token.indexOf('.');
    const dot2 = token.lastIndexOf('.');
    if (!this.isPlainHs256Header(token.slice(0, dot1))) return void 0;
    const signingInput = token.slice(0, dot2);
    const signature = Buffer.from(token.slice(dot2 + 1), 'latin1');
    let matched = false;
    for (const key of keys) {
      const expected = Buffer.from(
        createHmac('sha256', key).update(signingInput, 'latin1').digest('base64url'),
        'latin1',
      );
      if (expected.length === signature.length && timingSafeEqual(expected, signature)) {
        matched = true;
        break;
      }
    }
    if (!matched) return void 0;
    try {
      const options = { ...this.baseOptions, currentDate: new Date(this.now()) };
      const { payload } = UnsecuredJWT.decode(`${NONE_HEADER}.${token.slice(dot1 + 1, dot2)}.`, options);
      return toVerified(payload);
    } catch {
      return void 0;
    }
  }
  async verifyFull(token) {
    if (typeof token !== 'string' || token.length === 0) throw fail2('token is empty');
    if (token.length > MAX_TOKEN_LENGTH) throw fail2(`token is larger than ${MAX_TOKEN_LENGTH} bytes`);
    const options = { ...this.baseOptions, currentDate: new Date(this.now()) };
    let payload;
    try {
      payload = await this.verifyWithRotation(token, options);
    } catch (err) {
      throw toAuthError(err);
    }
    return toVerified(payload);
  }
  async verifyWithRotation(token, options) {
    try {
      return (await jwtVerify(token, this.keyFor(this.secret), options)).payload;
    } catch (err) {
      if (!(err instanceof errors.JWSSignatureVerificationFailed) || !this.previousSecret) throw err;
      return (await jwtVerify(token, this.keyFor(this.previousSecret), options)).payload;
    }
  }
  /** Canonical base64url of a JSON object with only `alg: 'HS256'`, `typ`, `kid`; cached per header. */
  isPlainHs256Header(encoded) {
    const known = this.plainHeaders.get(encoded);
    if (known !== void 0) return known;
    let plain = false;
    try {
      const bytes = Buffer.from(encoded, 'base64url');
      if (bytes.toString('base64url') === encoded) {
        const header = JSON.parse(strictUtf8.decode(bytes));
        plain =
          typeof header === 'object' &&
          header !== null &&
          !Array.isArray(header) &&
          header.alg === 'HS256' &&
          Object.keys(header).every((k) => PLAIN_HEADER_KEYS.has(k));
      }
    } catch {
      plain = false;
    }
    if (this.plainHeaders.size < MAX_CACHED_HEADERS) this.plainHeaders.set(encoded, plain);
    return plain;
  }
  /** The secret imported once as an HMAC CryptoKey (jose would import raw bytes on every call). */
  hmacKey(secret) {
    let key = this.cryptoKeys.get(secret);
    if (!key) {
      key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      this.cryptoKeys.set(secret, key);
    }
    return key;
  }
  /** Routes by header `alg` (already checked against the allow-list by jose before this runs). */
  keyFor(secret) {
    return async (header, input) => {
      if (header.alg === 'HS256' && secret) return this.hmacKey(secret);
      if (this.asymmetric && header.alg === this.asymmetric.alg) return this.asymmetric.key;
      if (this.jwks && (header.alg === 'RS256' || header.alg === 'ES256')) return this.jwks(header, input);
      throw new errors.JOSEAlgNotAllowed(`"alg" (Algorithm) Header Parameter value not allowed`);
    };
  }
};
function fail2(message, cause) {
  return new AuthError('AUTH_FAILED', message, cause === void 0 ? void 0 : { cause });
}
function importPem(pem) {
  let key;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error('auth.publicKey is not a PEM public key (SPKI)', { cause: err });
  }
  if (key.asymmetricKeyType === 'rsa') return { alg: 'RS256', key };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return { alg: 'ES256', key };
  throw new Error('auth.publicKey must be an RSA key (RS256) or an EC P-256 key (ES256)');
}
function parseJwksUrl(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`auth.jwksUrl is not a URL: ${raw}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('auth.jwksUrl must be http(s)');
  return url;
}
function resolveAlgorithms(o, hasSecret, asym, hasJwks) {
  const available = /* @__PURE__ */ new Set();
  if (hasSecret) available.add('HS256');
  if (asym) available.add(asym.alg);
  if (hasJwks) {
    available.add('RS256');
    available.add('ES256');
  }
  if (available.size === 0) throw new Error('auth: set one of auth.secret, auth.publicKey or auth.jwksUrl');
  if (o.algorithms === void 0) return [...available];
  if (!Array.isArray(o.algorithms) || o.algorithms.length === 0)
    throw new Error('auth.algorithms must be a non-empty array');
  for (const alg of o.algorithms) {
    if (!available.has(alg))
      throw new Error(`auth.algorithms lists ${String(alg)} but no configured key can verify it`);
  }
  return [...new Set(o.algorithms)];
}
function toAuthError(err) {
  if (err instanceof AuthError) return err;
  if (err instanceof errors.JWTExpired) return new AuthError('AUTH_EXPIRED', 'token expired', { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === 'sub' || claim === 'exp') return fail2(`token has no "${claim}" claim`, err);
    return fail2(`token "${claim}" claim check failed`, err);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return fail2('token algorithm not allowed', err);
  if (err instanceof errors.JWSSignatureVerificationFailed) return fail2('token signature invalid', err);
  if (err instanceof errors.JWKSNoMatchingKey) return fail2('no signing key matches the token', err);
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid)
    return fail2('signing keys (JWKS) unavailable', err);
  if (err instanceof errors.JOSEError) return fail2('token is malformed', err);
  return fail2('token could not be verified', err);
}
function toVerified(payload) {
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.length === 0)
    throw fail2('token "sub" claim must be a non-empty string');
  if (sub.length > MAX_SUB_LENGTH) throw fail2(`token "sub" claim is longer than ${MAX_SUB_LENGTH}`);
  const result = { userId: sub, claims: payload };
  if (typeof payload.exp === 'number') result.expiresAt = payload.exp * 1e3;
  if (payload.wse_topics !== void 0) result.topics = parseTopicsClaim(payload.wse_topics);
  return result;
}
function parseTopicsClaim(raw) {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw fail2('token "wse_topics" claim must be an object {allow, deny}');
  const claim = raw;
  const allow = globList(claim.allow, 'allow', ALLOW_ALL);
  const deny = globList(claim.deny, 'deny', NONE);
  if (allow === ALLOW_ALL && deny === NONE) return OPEN_ACL;
  return { allow, deny };
}
var ALLOW_ALL = Object.freeze(['*']);
var NONE = Object.freeze([]);
var OPEN_ACL = Object.freeze({ allow: ALLOW_ALL, deny: NONE });
function globList(value, name, fallback) {
  if (value === void 0) return fallback;
  if (!Array.isArray(value) || value.length > MAX_ACL_ENTRIES)
    throw fail2(`token "wse_topics.${name}" must be an array of at most ${MAX_ACL_ENTRIES} globs`);
  for (const g of value) {
    if (typeof g !== 'string' || g.length === 0 || g.length > MAX_GLOB_LENGTH)
      throw fail2(`token "wse_topics.${name}" entries must be strings of 1..${MAX_GLOB_LENGTH} characters`);
  }
  if (value.length === 0) return NONE;
  if (value.length === 1 && value[0] === '*') return ALLOW_ALL;
  return [...value];
}

// packages/ref-server/src/engine/engine-options.ts
var PREFIX_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
function resolveEngineOptions(value, fail4) {
  if (value === void 0) return { type: 'memory' };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail4('engine', 'must be an object { type: "memory" | "redis", ... }');
  const o = value;
  if (o.type === 'memory') return { type: 'memory' };
  if (o.type !== 'redis') throw fail4('engine.type', 'must be "memory" or "redis"');
  if (typeof o.url !== 'string' || !/^rediss?:\/\/[^\s]+$/.test(o.url))
    throw fail4('engine.url', 'must be a redis:// or rediss:// URL');
  const prefix = o.prefix ?? 'wse';
  if (typeof prefix !== 'string' || !PREFIX_RE.test(prefix))
    throw fail4('engine.prefix', 'must be 1..64 characters of A-Z a-z 0-9 _ . : -');
  const ttl = o.presenceTtlSec ?? 15;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 1 || ttl > 3600)
    throw fail4('engine.presenceTtlSec', 'must be a number of seconds in 1..3600');
  return { type: 'redis', url: o.url, prefix, presenceTtlSec: ttl };
}

// packages/ref-server/src/recovery/recovery-options.ts
var DEFAULT_RECOVERY_OPTIONS = Object.freeze({
  enabled: true,
  bufferSize: 128,
  ttlSec: 300,
  maxMessages: 500,
  memoryBudget: 256 * 1024 * 1024,
});
var MIN_BUFFER_SIZE = 16;
var MAX_BUFFER_SIZE = 1 << 20;
function resolveRecoveryOptions(options = {}) {
  const merged2 = { ...DEFAULT_RECOVERY_OPTIONS, ...stripUndefined(options) };
  if (typeof merged2.enabled !== 'boolean') fail3('enabled', 'must be a boolean', merged2.enabled);
  const size = merged2.bufferSize;
  if (!Number.isInteger(size) || size < MIN_BUFFER_SIZE || size > MAX_BUFFER_SIZE) {
    fail3('bufferSize', `must be an integer in [${MIN_BUFFER_SIZE}, ${MAX_BUFFER_SIZE}]`, size);
  }
  if (!Number.isFinite(merged2.ttlSec) || merged2.ttlSec <= 0) {
    fail3('ttlSec', 'must be a finite number > 0', merged2.ttlSec);
  }
  if (!Number.isSafeInteger(merged2.maxMessages) || merged2.maxMessages < 1) {
    fail3('maxMessages', 'must be an integer \u2265 1', merged2.maxMessages);
  }
  if (!Number.isSafeInteger(merged2.memoryBudget) || merged2.memoryBudget < 1) {
    fail3('memoryBudget', 'must be an integer number of bytes \u2265 1', merged2.memoryBudget);
  }
  return { ...merged2, bufferSize: nextPowerOfTwo(size) };
}
function nextPowerOfTwo(n) {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
function stripUndefined(options) {
  const out = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== void 0) out[key] = value;
  }
  return out;
}
function fail3(name, rule, value) {
  throw new RangeError(`recovery.${name} ${rule}, got ${String(value)}`);
}

// packages/ref-server/src/topics/publish-policy.ts
function publishAllowed(policy, topic, match) {
  if (policy === 'allow') return true;
  if (policy === 'deny') return false;
  for (const rule of policy) {
    if (match(rule.topics, topic)) return rule.allow;
  }
  return false;
}
function checkPublishPolicy(value) {
  if (value === 'allow' || value === 'deny') return null;
  if (!Array.isArray(value)) return "must be 'allow', 'deny' or an array of { topics, allow }";
  for (const [i, rule] of value.entries()) {
    const ok =
      typeof rule === 'object' &&
      rule !== null &&
      typeof rule.topics === 'string' &&
      typeof rule.allow === 'boolean';
    if (!ok) return `rule ${i} must be { topics: string, allow: boolean }`;
  }
  return null;
}

// packages/ref-server/src/options.ts
var MIN_SECRET_BYTES = 32;
var InvalidOptionError = class extends Error {
  constructor(option, problem) {
    super(`Invalid option "${option}": ${problem}`);
    this.option = option;
    this.name = 'InvalidOptionError';
  }
  option;
  code = 'INVALID_OPTION';
};
var DEFAULT_RECOVERY = { ...resolveRecoveryOptions({}), enabled: false };
var MiB = 1024 * 1024;
var LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'];
function num(name, value, fallback, rule) {
  if (value === void 0) return fallback;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (Number.isFinite(value) || (rule.allowInfinity && value === Infinity)) &&
    (!rule.integer || !Number.isFinite(value) || Number.isInteger(value)) &&
    value >= rule.min &&
    (rule.max === void 0 || value <= rule.max);
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const range = rule.max === void 0 ? `>= ${rule.min}` : `between ${rule.min} and ${rule.max}`;
    throw new InvalidOptionError(name, `must be ${kind} ${range} (got ${String(value)})`);
  }
  return value;
}
function str(name, value, fallback) {
  if (value === void 0) return fallback;
  if (typeof value !== 'string' || value === '')
    throw new InvalidOptionError(name, 'must be a non-empty string');
  return value;
}
function bool(name, value, fallback) {
  if (value === void 0) return fallback;
  if (typeof value !== 'boolean')
    throw new InvalidOptionError(name, `must be true or false (got ${String(value)})`);
  return value;
}
function objectOrUndefined(name, value) {
  if (value === void 0) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(name, 'must be an object');
  }
  return value;
}
function resolveAuth(value) {
  if (value === void 0 || value === false) return { auth: value };
  const auth = objectOrUndefined('auth', value);
  num('auth.inBandTimeoutMs', auth.inBandTimeoutMs, 5e3, { min: 1 });
  try {
    return { auth, verifier: new TokenVerifier(auth) };
  } catch (err) {
    throw new InvalidOptionError('auth', err.message);
  }
}
function resolveRecovery(value) {
  if (value === void 0) return { ...DEFAULT_RECOVERY };
  const given = objectOrUndefined('recovery', value);
  try {
    return resolveRecoveryOptions({ ...given, enabled: given.enabled ?? true });
  } catch (err) {
    const message = err.message;
    const option = /^(recovery\.\w+)/.exec(message)?.[1] ?? 'recovery';
    throw new InvalidOptionError(option, message.replace(/^recovery\.\w+ /, ''));
  }
}
function resolvePresence(value) {
  const p = objectOrUndefined('presence', value);
  return {
    enabled: bool('presence.enabled', p.enabled, value !== void 0),
    // The store's rules: data ≥ 4 bytes (`null`), members 0 = unlimited (the default, issue 5).
    maxDataSize: num('presence.maxDataSize', p.maxDataSize, 4096, { min: 4, integer: true }),
    maxMembers: num('presence.maxMembers', p.maxMembers, 0, { min: 0, integer: true }),
  };
}
function resolveFunctions(o) {
  if (o.authorizeSubscribe !== void 0 && typeof o.authorizeSubscribe !== 'function') {
    throw new InvalidOptionError(
      'authorizeSubscribe',
      'must be a function (conn, topic) => boolean | Promise<boolean>',
    );
  }
  const key = o.identityKey;
  if (key !== void 0 && (typeof key !== 'object' || !key?.privateKey || !key.publicKey)) {
    throw new InvalidOptionError('identityKey', 'must be an ECDSA P-256 CryptoKeyPair');
  }
}
function resolveOptions(input = {}, env = {}) {
  const o = objectOrUndefined('options', input);
  const dev = bool('dev', o.dev, false);
  const path = str('path', o.path, '/wse');
  if (!path.startsWith('/')) throw new InvalidOptionError('path', `must start with "/" (got ${path})`);
  const rate = objectOrUndefined('rateLimit', o.rateLimit);
  const policyProblem = o.publishPolicy === void 0 ? null : checkPublishPolicy(o.publishPolicy);
  if (policyProblem) throw new InvalidOptionError('publishPolicy', policyProblem);
  const logLevel = o.logLevel ?? (env.vitest ? 'silent' : 'info');
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new InvalidOptionError(
      'logLevel',
      `must be one of ${LOG_LEVELS.join(', ')} (got ${String(logLevel)})`,
    );
  }
  resolveFunctions(o);
  return {
    host: dev ? '127.0.0.1' : str('host', o.host, '0.0.0.0'),
    port: num('port', o.port, 5007, { min: 0, max: 65535, integer: true }),
    path,
    maxConnections: num('maxConnections', o.maxConnections, 1e4, { min: 1, integer: true }),
    maxMessageSize: num('maxMessageSize', o.maxMessageSize, MiB, { min: 64, max: 256 * MiB, integer: true }),
    ...resolveAuth(o.auth),
    pingInterval: num('pingInterval', o.pingInterval, 25e3, { min: 10 }),
    idleTimeout: num('idleTimeout', o.idleTimeout, 6e4, { min: 10 }),
    rateLimit: {
      capacity: num('rateLimit.capacity', rate.capacity, 1e5, { min: 1 }),
      refillPerSec: num('rateLimit.refillPerSec', rate.refillPerSec, 1e4, { min: 0 }),
    },
    maxBackpressure: num('maxBackpressure', o.maxBackpressure, MiB, { min: 1024, integer: true }),
    slowConsumerGraceMs: num('slowConsumerGraceMs', o.slowConsumerGraceMs, 5e3, { min: 0 }),
    maxSubscriptionsPerConnection: num(
      'maxSubscriptionsPerConnection',
      o.maxSubscriptionsPerConnection,
      128,
      {
        min: 1,
        integer: true,
      },
    ),
    compressionThreshold: num('compressionThreshold', o.compressionThreshold, 1024, {
      min: 0,
      allowInfinity: true,
    }),
    maxInboundQueueSize: num('maxInboundQueueSize', o.maxInboundQueueSize, 131072, {
      min: 1,
      integer: true,
    }),
    publishPolicy: o.publishPolicy ?? 'deny',
    authorizeSubscribe: o.authorizeSubscribe,
    requireEncryption: bool('requireEncryption', o.requireEncryption, false),
    identityKey: o.identityKey,
    recovery: resolveRecovery(o.recovery),
    presence: resolvePresence(o.presence),
    apiKey: o.apiKey === void 0 ? void 0 : str('apiKey', o.apiKey, ''),
    staticDir: o.staticDir === void 0 ? void 0 : str('staticDir', o.staticDir, ''),
    dev,
    logLevel,
    logger: o.logger,
    // ── engine (Redis engine, issue 14) ──
    engine: resolveEngineOptions(o.engine, (option, problem) => new InvalidOptionError(option, problem)),
  };
}

// packages/ref-server/src/config.ts
var ConfigError = class extends Error {
  code = 'INVALID_CONFIG';
  constructor(message) {
    super(message);
    this.name = 'ConfigError';
  }
};
var spec = (flag, kind, def, help, apply, extra = {}) => ({ flag, kind, def, help, apply, ...extra });
var int = (min, max) => (max === void 0 ? { min } : { min, max });
var CLI_OPTIONS = [
  spec('host', 'string', '0.0.0.0', 'interface to bind (--dev forces 127.0.0.1)', (g, v) => {
    g.o.host = v;
  }),
  spec(
    'port',
    'int',
    '5007',
    'TCP port; 0 picks a free one',
    (g, v) => {
      g.o.port = v;
    },
    int(0, 65535),
  ),
  spec('path', 'string', '/wse', 'WebSocket path', (g, v) => {
    g.o.path = v;
  }),
  spec(
    'max-connections',
    'int',
    '10000',
    'connections beyond this are closed with 4503',
    (g, v) => {
      g.o.maxConnections = v;
    },
    int(1),
  ),
  spec(
    'max-message-size',
    'int',
    '1048576',
    'bytes; larger frames close with 1009',
    (g, v) => {
      g.o.maxMessageSize = v;
    },
    int(1),
  ),
  spec(
    'ping-interval',
    'int',
    '25000',
    'ms between server pings',
    (g, v) => {
      g.o.pingInterval = v;
    },
    int(1),
  ),
  spec(
    'idle-timeout',
    'int',
    '60000',
    'ms of client silence before close 1000',
    (g, v) => {
      g.o.idleTimeout = v;
    },
    int(1),
  ),
  spec(
    'rate-limit-capacity',
    'int',
    '100000',
    'inbound token bucket size per connection',
    (g, v) => {
      g.rate.capacity = v;
    },
    int(1),
  ),
  spec(
    'rate-limit-refill',
    'number',
    '10000',
    'tokens added per second',
    (g, v) => {
      g.rate.refillPerSec = v;
    },
    int(0),
  ),
  spec(
    'max-backpressure',
    'int',
    '1048576',
    'unsent bytes before publications are skipped',
    (g, v) => {
      g.o.maxBackpressure = v;
    },
    int(1),
  ),
  spec(
    'slow-consumer-grace',
    'int',
    '5000',
    'ms over max-backpressure before close 4008',
    (g, v) => {
      g.o.slowConsumerGraceMs = v;
    },
    int(0),
  ),
  spec(
    'max-subscriptions',
    'int',
    '128',
    'topics per connection',
    (g, v) => {
      g.o.maxSubscriptionsPerConnection = v;
    },
    int(1),
  ),
  spec(
    'compression-threshold',
    'int',
    '1024',
    'bytes; larger JSON frames are sent as C: (zlib)',
    (g, v) => {
      g.o.compressionThreshold = v;
    },
    int(0),
  ),
  spec(
    'max-inbound-queue-size',
    'int',
    '131072',
    'bound of the events()/drainInbound() queue',
    (g, v) => {
      g.o.maxInboundQueueSize = v;
    },
    int(1),
  ),
  spec(
    'publish-policy',
    'enum',
    'deny',
    'client publish: deny | allow',
    (g, v) => {
      g.o.publishPolicy = v;
    },
    { values: ['deny', 'allow'] },
  ),
  spec('require-encryption', 'bool', 'false', 'refuse application frames without E2E', (g, v) => {
    g.o.requireEncryption = v;
  }),
  spec(
    'jwt-secret',
    'string',
    '-',
    'HS256 secret, at least 32 bytes outside --dev (enables auth)',
    (g, v) => {
      g.auth.secret = v;
    },
  ),
  spec('jwt-previous-secret', 'string', '-', 'previous HS256 secret, accepted during rotation', (g, v) => {
    g.auth.previousSecret = v;
  }),
  spec('jwt-public-key-file', 'string', '-', 'PEM SPKI public key file (RS256 / ES256)', (g, v) => {
    g.auth.publicKey = v;
  }),
  spec('jwks-url', 'string', '-', 'JWKS URL (RS256 / ES256)', (g, v) => {
    g.auth.jwksUrl = v;
  }),
  spec(
    'jwt-algorithms',
    'list',
    'by key',
    'comma list of HS256,RS256,ES256',
    (g, v) => {
      g.auth.algorithms = v;
    },
    { values: ['HS256', 'RS256', 'ES256'] },
  ),
  spec('jwt-issuer', 'string', '-', 'required iss claim', (g, v) => {
    g.auth.issuer = v;
  }),
  spec('jwt-audience', 'string', '-', 'required aud claim', (g, v) => {
    g.auth.audience = v;
  }),
  spec(
    'jwt-leeway',
    'int',
    '30',
    'seconds of clock tolerance for exp/nbf',
    (g, v) => {
      g.auth.leewaySec = v;
    },
    int(0),
  ),
  spec('auth-cookie-name', 'string', 'access_token', 'cookie that carries the token', (g, v) => {
    g.auth.cookieName = v;
  }),
  spec('allow-query-token', 'bool', 'true', 'accept ?token= on the upgrade URL', (g, v) => {
    g.auth.allowQueryToken = v;
  }),
  spec(
    'auth-timeout',
    'int',
    '5000',
    'ms to wait for an in-band client_hello token',
    (g, v) => {
      g.auth.inBandTimeoutMs = v;
    },
    int(1),
  ),
  spec('anonymous', 'bool', 'false', 'no auth, without the startup warning', (g, v) => {
    if (v) g.o.auth = false;
  }),
  spec('api-key', 'string', '-', 'enables POST /api/publish and /api/broadcast', (g, v) => {
    g.o.apiKey = v;
  }),
  spec('recovery', 'bool', 'false', 'message recovery (any recovery-* option implies it)', (g, v) => {
    g.recovery.enabled = v;
  }),
  spec(
    'recovery-buffer-size',
    'int',
    '128',
    'publications kept per topic stream',
    (g, v) => {
      g.recovery.bufferSize = v;
    },
    int(1),
  ),
  spec(
    'recovery-ttl',
    'int',
    '300',
    'seconds an idle topic buffer is kept',
    (g, v) => {
      g.recovery.ttlSec = v;
    },
    int(1),
  ),
  spec(
    'recovery-max-messages',
    'int',
    '500',
    'largest replay per recovery request',
    (g, v) => {
      g.recovery.maxMessages = v;
    },
    int(1),
  ),
  spec(
    'recovery-memory-budget',
    'int',
    '268435456',
    'bytes for all recovery buffers',
    (g, v) => {
      g.recovery.memoryBudget = v;
    },
    int(1),
  ),
  spec('presence', 'bool', 'false', 'presence (any presence-* option implies it)', (g, v) => {
    g.presence.enabled = v;
  }),
  spec(
    'presence-max-data-size',
    'int',
    '4096',
    'bytes of presence data per member',
    (g, v) => {
      g.presence.maxDataSize = v;
    },
    int(1),
  ),
  spec(
    'presence-max-members',
    'int',
    '10000',
    'members per topic',
    (g, v) => {
      g.presence.maxMembers = v;
    },
    int(1),
  ),
  spec('static-dir', 'string', '-', 'directory served over HTTP (playground)', (g, v) => {
    g.o.staticDir = v;
  }),
  spec(
    'log-level',
    'enum',
    'info',
    'silent | error | warn | info | debug',
    (g, v) => {
      g.o.logLevel = v;
    },
    { values: ['silent', 'error', 'warn', 'info', 'debug'] },
  ),
  spec('dev', 'bool', 'false', 'local dev: 127.0.0.1, POST /dev/token, recovery+presence on', (g, v) => {
    g.o.dev = v;
  }),
  // ── engine (Redis engine, issue 14) ──
  spec(
    'redis',
    'string',
    '-',
    'Redis engine: redis://[user:pass@]host:port[/db] shared by every node',
    (g, v) => {
      g.redis.url = v;
    },
  ),
  spec('redis-prefix', 'string', 'wse', 'prefix of the Redis keys and channels (needs --redis)', (g, v) => {
    g.redis.prefix = v;
  }),
  spec(
    'redis-presence-ttl',
    'int',
    '15',
    "seconds until a dead node's presence entries expire (needs --redis)",
    (g, v) => {
      g.redis.presenceTtlSec = v;
    },
    int(1, 3600),
  ),
];
var BY_FLAG = new Map(CLI_OPTIONS.map((s) => [s.flag, s]));
var BY_KEY = new Map(
  CLI_OPTIONS.flatMap((s) => [
    [s.flag, s],
    [camel(s.flag), s],
  ]),
);
function camel(flag) {
  return flag.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}
function envName(flag) {
  return `WSE_${flag.replace(/-/g, '_').toUpperCase()}`;
}
function resolveConfig(argv, env, readFile2 = (p) => readFileSync(p, 'utf8'), deps = {}) {
  if (argv.includes('--help') || argv.includes('-h')) return { options: {}, help: helpText(), notices: [] };
  const { values: flags, config: flagConfig } = parseArgv(argv);
  const values = /* @__PURE__ */ new Map();
  const configPath = flagConfig ?? nonEmpty(env.WSE_CONFIG);
  if (configPath !== void 0) {
    for (const [spec2, v] of parseFile(configPath, readFile2)) values.set(spec2, v);
  }
  for (const spec2 of CLI_OPTIONS) {
    const raw = nonEmpty(env[envName(spec2.flag)]);
    if (raw !== void 0) values.set(spec2, parseValue(spec2, raw, envName(spec2.flag)));
  }
  for (const [spec2, v] of flags) values.set(spec2, v);
  const g = { o: {}, auth: {}, recovery: {}, presence: {}, rate: {}, redis: {} };
  for (const [spec2, v] of values) spec2.apply(g, v);
  if (g.auth.publicKey !== void 0) g.auth.publicKey = readKeyFile(g.auth.publicKey, readFile2);
  const notices = applyDev(g, deps.randomSecret);
  assemble(g);
  return { options: g.o, notices };
}
function nonEmpty(s) {
  return s === void 0 || s === '' ? void 0 : s;
}
function parseArgv(argv) {
  const values = /* @__PURE__ */ new Map();
  let config;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let inline = eq === -1 ? void 0 : arg.slice(eq + 1);
    if (name === 'config') {
      config = inline ?? argv[++i];
      if (config === void 0 || config === '') throw new ConfigError('--config needs a file path');
      continue;
    }
    let spec2 = BY_FLAG.get(name);
    if (
      !spec2 &&
      name.startsWith('no-') &&
      BY_FLAG.get(name.slice(3))?.kind === 'bool' &&
      inline === void 0
    ) {
      name = name.slice(3);
      spec2 = BY_FLAG.get(name);
      inline = 'false';
    }
    if (!spec2) throw new ConfigError(`unknown option --${name} (see --help)`);
    if (spec2.kind === 'bool' && inline === void 0) {
      values.set(spec2, true);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === void 0 || (inline === void 0 && raw.startsWith('--')))
      throw new ConfigError(`--${name} needs a value`);
    values.set(spec2, parseValue(spec2, raw, `--${name}`));
  }
  return { values, config };
}
function parseFile(path, readFile2) {
  let data;
  try {
    data = JSON.parse(readFile2(path));
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${err.message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ConfigError(`config file ${path}: must be a JSON object`);
  const out = /* @__PURE__ */ new Map();
  for (const [key, v] of Object.entries(data)) {
    const spec2 = BY_KEY.get(key);
    if (!spec2) throw new ConfigError(`config file ${path}: unknown option "${key}" (see --help)`);
    const where = `"${key}" in ${path}`;
    if (spec2.kind === 'list' && Array.isArray(v)) out.set(spec2, parseValue(spec2, v.join(','), where));
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      out.set(spec2, parseValue(spec2, String(v), where));
    else throw new ConfigError(`${where}: must be a string, number or boolean`);
  }
  return out;
}
var TRUE = /* @__PURE__ */ new Set(['1', 'true', 'yes', 'on']);
var FALSE = /* @__PURE__ */ new Set(['0', 'false', 'no', 'off']);
function parseValue(spec2, raw, where) {
  const bad = (why) => new ConfigError(`invalid value for ${where}: "${raw}" ${why}`);
  switch (spec2.kind) {
    case 'bool': {
      const s = raw.trim().toLowerCase();
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
      throw bad('is not a boolean (use true/false, 1/0)');
    }
    case 'int':
    case 'number': {
      const re = spec2.kind === 'int' ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
      const n = Number(raw.trim());
      if (!re.test(raw.trim()) || !Number.isFinite(n) || (spec2.kind === 'int' && !Number.isSafeInteger(n)))
        throw bad(`is not ${spec2.kind === 'int' ? 'an integer' : 'a number'}`);
      if (spec2.min !== void 0 && n < spec2.min) throw bad(`is below ${spec2.min}`);
      if (spec2.max !== void 0 && n > spec2.max) throw bad(`is above ${spec2.max}`);
      return n;
    }
    case 'enum':
      if (!spec2.values?.includes(raw)) throw bad(`is not one of ${spec2.values?.join(', ')}`);
      return raw;
    case 'list': {
      const items = raw.split(',').map((s) => s.trim());
      const wrong = items.find((s) => !spec2.values?.includes(s));
      if (wrong !== void 0) throw bad(`has "${wrong}", not one of ${spec2.values?.join(', ')}`);
      return items;
    }
    default:
      if (raw.length === 0) throw bad('must not be empty');
      return raw;
  }
}
function readKeyFile(path, readFile2) {
  try {
    return readFile2(path);
  } catch (err) {
    throw new ConfigError(`--jwt-public-key-file: cannot read ${path}: ${err.message}`);
  }
}
function applyDev(g, randomSecret) {
  if (!g.o.dev) return [];
  const notices = [];
  if (g.o.host !== void 0 && g.o.host !== '127.0.0.1')
    notices.push(`--dev binds 127.0.0.1 only; ignoring host ${g.o.host}`);
  g.o.host = '127.0.0.1';
  g.recovery.enabled ??= true;
  g.presence.enabled ??= true;
  g.o.publishPolicy ??= 'allow';
  if (g.o.auth !== false && g.auth.secret === void 0) {
    g.auth.secret = (randomSecret ?? (() => randomBytes(32).toString('base64url')))();
    notices.push(
      `dev mode: generated JWT secret ${g.auth.secret} (pass --jwt-secret to keep tokens valid across restarts); mint tokens with POST /dev/token {"sub": "alice"}`,
    );
  }
  return notices;
}
function assemble(g) {
  const hasAuth = Object.keys(g.auth).length > 0;
  if (hasAuth && g.o.auth === false)
    throw new ConfigError('--anonymous cannot be combined with --jwt-* options');
  if (hasAuth) {
    if (g.auth.secret === void 0 && g.auth.publicKey === void 0 && g.auth.jwksUrl === void 0)
      throw new ConfigError('auth options need a key: --jwt-secret, --jwt-public-key-file or --jwks-url');
    if (!g.o.dev) {
      weakSecret('--jwt-secret', g.auth.secret);
      weakSecret('--jwt-previous-secret', g.auth.previousSecret);
    }
    g.o.auth = g.auth;
  }
  if (Object.keys(g.recovery).length > 0) g.o.recovery = g.recovery;
  if (Object.keys(g.presence).length > 0) g.o.presence = g.presence;
  if (Object.keys(g.rate).length > 0) g.o.rateLimit = g.rate;
  const { url, prefix, presenceTtlSec } = g.redis;
  if ((prefix !== void 0 || presenceTtlSec !== void 0) && url === void 0)
    throw new ConfigError('--redis-prefix and --redis-presence-ttl need --redis <url>');
  if (url !== void 0) g.o.engine = { type: 'redis', url, prefix, presenceTtlSec };
}
function weakSecret(flag, secret) {
  if (secret === void 0) return;
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES)
    throw new ConfigError(
      `${flag} is ${bytes} bytes: an HS256 secret must be at least ${MIN_SECRET_BYTES} bytes outside --dev (make one with: openssl rand -base64 32)`,
    );
}
function helpText() {
  const rows = CLI_OPTIONS.map((s) => {
    const arg = s.kind === 'bool' ? '' : s.kind === 'int' || s.kind === 'number' ? ' <n>' : ' <value>';
    return [`--${s.flag}${arg}`, envName(s.flag), `${s.help} [default: ${s.def}]`];
  });
  rows.push(['--config <file.json>', 'WSE_CONFIG', 'flat JSON file of the options above (camelCase keys)']);
  rows.push(['--help, -h', '', 'show this help']);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const lines = rows.map((r) => `  ${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`);
  return [
    'Usage: wse-server [options]',
    '',
    'Every option is also an env var and a config-file key. Precedence: flags > env > file > defaults.',
    'Booleans: --flag, --no-flag, --flag=false; env 1/0, true/false.',
    '',
    ...lines,
    '',
  ].join('\n');
}

// packages/ref-server/src/run-cli.ts
async function runCli(argv, env, deps) {
  let options;
  let server;
  try {
    const resolved = resolveConfig(argv, env, deps.readFile);
    if (resolved.help !== void 0) {
      deps.out(resolved.help);
      return deps.exit(0);
    }
    for (const notice of resolved.notices) deps.err(`notice: ${notice}`);
    options = resolved.options;
    server = deps.createServer(options);
  } catch (err) {
    deps.err(`wse-server: ${err.message}`);
    return deps.exit(err instanceof ConfigError || isOptionError(err) ? 2 : 1);
  }
  try {
    const started = await server.start();
    const port = typeof started === 'number' ? started : (server.port ?? options.port ?? 5007);
    const host = options.host ?? '0.0.0.0';
    deps.out(
      `WSE server listening on http://${host}:${port} (ws://${host}:${port}${options.path ?? '/wse'})`,
    );
  } catch (err) {
    deps.err(`wse-server: could not start: ${err.message}`);
    return deps.exit(1);
  }
  let stopping = false;
  const onSignal = () => {
    if (stopping) {
      deps.err('wse-server: second signal, stopping now');
      server.stop().catch(() => {});
      return deps.exit(130);
    }
    stopping = true;
    deps.err('wse-server: draining connections (press Ctrl-C again to force)');
    const timeoutMs = deps.drainTimeoutMs ?? 1e4;
    server
      .drain({ timeoutMs })
      .then(() => server.stop())
      .then(
        () => deps.exit(0),
        (err) => {
          deps.err(`wse-server: shutdown failed: ${err.message}`);
          deps.exit(1);
        },
      );
  };
  deps.onSignal('SIGINT', onSignal);
  deps.onSignal('SIGTERM', onSignal);
}
function isOptionError(err) {
  return typeof err === 'object' && err !== null && err.code === 'INVALID_OPTION';
}

// packages/ref-server/src/server.ts
import { randomUUID as randomUUID2 } from 'node:crypto';

// packages/ref-server/src/auth/dev-token.ts
import { SignJWT } from 'jose';

async function mintDevToken(secret, sub, ttlSec = 3600, claims = {}) {
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('secret must be non-empty');
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256)
    throw new TypeError('sub must be a string of 1..256 characters');
  if (!Number.isSafeInteger(ttlSec) || ttlSec <= 0) throw new TypeError('ttlSec must be a positive integer');
  const iat = Math.floor((claims.now ?? Date.now()) / 1e3);
  let jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSec);
  if (claims.issuer !== void 0) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience !== void 0) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

// packages/ref-server/src/engine/engine.ts
var EngineUnavailableError = class extends ServerError {
  name = 'EngineUnavailableError';
  constructor(message, details = {}, options) {
    super('ENGINE_UNAVAILABLE', message, details, options);
  }
};
var MemoryEngine = class {
  constructor(host) {
    this.host = host;
  }
  host;
  name = 'memory';
  publish(topic, envelope) {
    return this.host.deliver(topic, this.host.stamp(topic, envelope));
  }
  interest() {}
  health() {
    return { status: 'ok', figures: {} };
  }
  async start() {}
  async stop() {}
};

// packages/ref-server/src/engine/redis/redis-link.ts
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

function luaScript(source) {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}
function reconnectDelay(attempt, random = Math.random) {
  const base = Math.min(5e3, 100 * 2 ** Math.min(attempt - 1, 6));
  return Math.round(base * (0.5 + random() / 2));
}
function createRedisLink(url, events) {
  const options = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: false,
    connectTimeout: 2e3,
    // A Redis that accepts but does not answer must not hold a subscribe (and what it buffers) forever.
    commandTimeout: 5e3,
    retryStrategy: (times) => reconnectDelay(times),
  };
  const cmd = new Redis(url, { ...options, connectionName: 'wse-cmd' });
  const sub = new Redis(url, { ...options, connectionName: 'wse-sub' });
  let up = false;
  let closing = false;
  const refresh = (reason) => {
    const now = !closing && cmd.status === 'ready' && sub.status === 'ready';
    if (now === up) return;
    up = now;
    events.onStatus(up, reason);
  };
  for (const c of [cmd, sub]) {
    c.on('ready', () => refresh());
    c.on('close', () => refresh('connection closed'));
    c.on('end', () => refresh('connection ended'));
    c.on('error', () => {});
  }
  sub.on('message', (channel, message) => events.onMessage(channel, message));
  const runScript = async (s, keys, args) => {
    try {
      return await cmd.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return cmd.eval(s.source, keys.length, ...keys, ...args);
    }
  };
  return {
    get up() {
      return up;
    },
    get commandsUp() {
      return !closing && cmd.status === 'ready';
    },
    async connect(timeoutMs = 5e3) {
      closing = false;
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis at ${redactUrl(url)} unreachable`)), timeoutMs);
      });
      try {
        await Promise.race([Promise.all([cmd.connect(), sub.connect()]), timeout]);
      } catch (err) {
        closing = true;
        cmd.disconnect();
        sub.disconnect();
        throw err;
      } finally {
        clearTimeout(timer);
      }
      refresh();
    },
    script: runScript,
    command: (name, args) => cmd.call(name, ...args),
    async multi(commands) {
      const res = await cmd.multi(commands.map((c) => [...c])).exec();
      if (!res) throw new Error('Redis MULTI aborted');
      return res.map(([err, value]) => {
        if (err) throw err;
        return value;
      });
    },
    async subscribe(channel) {
      await sub.subscribe(channel);
    },
    async unsubscribe(channel) {
      await sub.unsubscribe(channel);
    },
    async syncSubscriber() {
      await sub.ping();
    },
    async close() {
      closing = true;
      refresh('closed');
      await Promise.allSettled([cmd.quit(), sub.quit()]);
      cmd.disconnect();
      sub.disconnect();
      await Promise.all([ended(cmd), ended(sub)]);
    },
  };
}
function ended(client) {
  if (client.status === 'end') return Promise.resolve();
  return new Promise((resolve2) => {
    const timer = setTimeout(resolve2, 1e3);
    client.once('end', () => {
      clearTimeout(timer);
      resolve2();
    });
  });
}
function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(invalid url)';
  }
}

// packages/ref-server/src/engine/redis/redis-read.ts
function stampedFromJson(json2) {
  let parsed;
  try {
    parsed = JSON.parse(json2);
  } catch {
    return void 0;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return void 0;
  const envelope = parsed;
  const { tp, e, o } = envelope;
  if (typeof tp !== 'string' || typeof e !== 'string' || typeof o !== 'number') return void 0;
  return { topic: tp, epoch: e, offset: o, envelope, json: json2, bytes: Buffer.byteLength(json2, 'utf8') };
}
function parseRead(reply) {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string' || typeof reply[1] !== 'number') {
    throw new TypeError('unexpected READ reply from Redis');
  }
  const entries = [];
  for (const entry of reply[2] ?? []) {
    const fields = Array.isArray(entry) ? entry[1] : void 0;
    const json2 = Array.isArray(fields) ? fields[1] : void 0;
    const pub = typeof json2 === 'string' ? stampedFromJson(json2) : void 0;
    if (pub) entries.push(pub);
  }
  return { epoch: reply[0], last: reply[1], entries };
}
function decideRecovery(read, positions, maxMessages) {
  const head2 = { epoch: read.epoch, offset: read.last };
  const fail4 = { recovered: false, count: 0, positions: [head2], publications: [] };
  const only = positions.length === 1 ? positions[0] : void 0;
  if (!only || only.epoch !== read.epoch) return fail4;
  const from = only.offset;
  const want = read.last - from;
  if (!Number.isSafeInteger(from) || from < -1 || want < 0 || want > maxMessages) return fail4;
  if (read.entries.length !== want) return fail4;
  for (let i = 0; i < want; i++) {
    const pub = read.entries[i];
    if (pub.offset !== from + 1 + i || pub.epoch !== read.epoch) return fail4;
  }
  return { recovered: true, count: want, positions: [head2], publications: read.entries };
}

// packages/ref-server/src/engine/redis/redis-scripts.ts
function topicKeys(prefix, topic) {
  const base = `${prefix}:t:{${topic}}`;
  return { meta: `${base}:m`, stream: `${base}:s`, channel: `${base}:c` };
}
var CURRENT = `
local meta, stream = KEYS[1], KEYS[2]
local e = redis.call('HGET', meta, 'e')
local n = tonumber(redis.call('HGET', meta, 'n') or '0')
local fresh = false
if (not e) or (n > 0 and redis.call('EXISTS', stream) == 0) then
  e = ARGV[4]
  n = 0
  fresh = true
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'e', e, 'n', 0)
end
`;
var PUBLISH_SCRIPT = luaScript(`${CURRENT}
local json = ARGV[1] .. ',"e":"' .. e .. '","o":' .. string.format('%d', n) .. '}'
redis.call('XADD', stream, 'MAXLEN', '~', ARGV[2], '0-' .. string.format('%d', n + 1), 'd', json)
redis.call('HSET', meta, 'n', n + 1)
redis.call('EXPIRE', meta, ARGV[3])
redis.call('EXPIRE', stream, ARGV[3])
redis.call('PUBLISH', ARGV[5], json)
return {e, n}
`);
var READ_SCRIPT = luaScript(`${CURRENT}
if fresh then
  redis.call('EXPIRE', meta, ARGV[5])
end
local last = n - 1
local entries = {}
local from = tonumber(ARGV[2])
if ARGV[1] == e and from and from >= -1 and from < last and last - from <= tonumber(ARGV[3]) then
  entries = redis.call('XRANGE', stream, '0-' .. string.format('%d', from + 2), '0-' .. string.format('%d', n))
end
return {e, last, entries}
`);

// packages/ref-server/src/engine/redis/redis-engine.ts
var RedisEngine = class {
  constructor(options, host, hooks = {}, linkFactory = createRedisLink) {
    this.options = options;
    this.host = host;
    this.hooks = hooks;
    this.link = linkFactory(options.url, {
      onMessage: (channel, message) => this.onMessage(channel, message),
      onStatus: (up, reason) => this.onStatus(up, reason),
    });
  }
  options;
  host;
  hooks;
  name = 'redis';
  link;
  topics = /* @__PURE__ */ new Map();
  byChannel = /* @__PURE__ */ new Map();
  failures = 0;
  downSince = null;
  started = false;
  /** True while Redis is reachable. */
  get up() {
    return this.link.up;
  }
  /** Connects; rejects when Redis does not answer within `connectTimeoutMs` (misconfiguration fails fast). */
  async start() {
    await this.link.connect(this.options.connectTimeoutMs ?? 5e3);
    this.started = true;
    this.downSince = null;
  }
  async stop() {
    this.started = false;
    await this.link.close();
    this.topics.clear();
    this.byChannel.clear();
  }
  /** Local subscribers come and go: hold the channel while there is at least one. */
  interest(topic, present) {
    if (present) this.hold(topic);
    else this.release(topic);
  }
  /** This engine is its own shared log. */
  get shared() {
    return this;
  }
  /**
   * Publishes atomically (offset, stream append, TTL, PUBLISH). Local subscribers get it from the
   * channel like every other node's. Rejects with {@link EngineUnavailableError} when Redis is down
   * or the call fails — the publication was then not made (or, if the link dropped after Redis ran
   * it, its fate is unknown: a retry may duplicate it, which clients drop by offset only if it
   * was the same stamp — it is not; state it to publishers).
   */
  async publish(topic, envelope) {
    const count = this.host.subscriberCount(topic);
    await this.append(topic, envelope);
    return count;
  }
  /** {@link publish} answering the stamp Redis gave: `{epoch, offset}`. */
  async append(topic, envelope) {
    if (!this.link.commandsUp) throw this.unavailable('publish', topic);
    const canonical = parseEnvelope(envelope);
    delete canonical.tp;
    delete canonical.e;
    delete canonical.o;
    const head2 = `${JSON.stringify(canonical).slice(0, -1)},"tp":${JSON.stringify(topic)}`;
    const k = topicKeys(this.options.prefix, topic);
    const { bufferSize, ttlSec } = this.options;
    try {
      const r = await this.link.script(
        PUBLISH_SCRIPT,
        [k.meta, k.stream],
        [head2, bufferSize, ttlSec, randomEpoch(), k.channel],
      );
      return { epoch: r[0], offset: r[1] };
    } catch (err) {
      throw this.failed('publish', topic, err);
    }
  }
  /** Holds `topic` (SUBSCRIBE on the first hold). */
  hold(topic) {
    this.acquire(topic);
  }
  acquire(topic) {
    let s = this.topics.get(topic);
    if (!s) {
      const channel = topicKeys(this.options.prefix, topic).channel;
      s = { channel, holds: 0, subscribed: Promise.resolve(), taps: /* @__PURE__ */ new Set() };
      this.topics.set(topic, s);
      this.byChannel.set(channel, topic);
      s.subscribed = this.subscribeChannel(channel);
      s.subscribed.catch(() => {});
    }
    s.holds += 1;
    return s;
  }
  /** Ends one hold; UNSUBSCRIBE after the last. */
  release(topic) {
    const s = this.topics.get(topic);
    if (!s || --s.holds > 0) return;
    this.topics.delete(topic);
    this.byChannel.delete(s.channel);
    if (this.link.up)
      this.link.unsubscribe(s.channel).catch((err) => this.hooks.onFailure?.('unsubscribe', err));
  }
  /** True while the node is subscribed (or subscribing) to `topic`'s channel. */
  holds(topic) {
    return this.topics.has(topic);
  }
  /**
   * The async half of a subscribe ({@link SharedLog}): holds the topics, waits until their channels
   * are live, reads the streams, then waits until every message published before the reads has
   * arrived over the channel (a PING through the subscriber connection). What fan-out got
   * meanwhile is in `tapped(topic)`. Rejects with {@link EngineUnavailableError} (holds released).
   */
  async prepare(topics, recover) {
    const taps = /* @__PURE__ */ new Map();
    for (const topic of topics) {
      const list = [];
      this.acquire(topic).taps.add(list);
      taps.set(topic, list);
    }
    const release = () => {
      for (const [topic, list] of taps) {
        this.topics.get(topic)?.taps.delete(list);
        this.release(topic);
      }
      taps.clear();
    };
    try {
      if (!this.link.up) throw this.unavailable('subscribe', topics[0]);
      await Promise.all(topics.map((t) => this.topics.get(t)?.subscribed));
      const results = /* @__PURE__ */ new Map();
      await Promise.all(
        [...recover].map(async ([topic, positions]) => {
          const only = positions?.length === 1 ? positions[0] : void 0;
          const read = await this.read(topic, only ?? null);
          const head2 = { epoch: read.epoch, offset: read.last };
          results.set(
            topic,
            positions === void 0
              ? { recovered: true, count: 0, positions: [head2], publications: [] }
              : decideRecovery(read, positions, this.options.maxMessages),
          );
        }),
      );
      await this.link.syncSubscriber();
      for (const [topic, r] of results) {
        const s = this.topics.get(topic);
        const head2 = r.positions[0];
        if (s && !s.seen && head2 && head2.offset >= 0) s.seen = { ...head2 };
      }
      return { results, tapped: (topic) => taps.get(topic) ?? [], release };
    } catch (err) {
      release();
      throw err instanceof EngineUnavailableError ? err : this.failed('subscribe', topics[0], err);
    }
  }
  /** Reads the topic's epoch and last offset, plus the entries after `pos` when it is in that epoch. */
  async read(topic, pos) {
    const k = topicKeys(this.options.prefix, topic);
    const { maxMessages, ttlSec } = this.options;
    const reply = await this.link.script(
      READ_SCRIPT,
      [k.meta, k.stream],
      [pos?.epoch ?? '', pos?.offset ?? -2, maxMessages, randomEpoch(), ttlSec],
    );
    return parseRead(reply);
  }
  /** For `/health`: `degraded` while Redis is unreachable. */
  health() {
    const up = this.link.up;
    return {
      status: up ? 'ok' : 'degraded',
      figures: { redis_up: up ? 1 : 0, channels: this.topics.size, failures: this.failures },
      details: {
        url: redactUrl(this.options.url),
        prefix: this.options.prefix,
        down_since: this.downSince === null ? null : new Date(this.downSince).toISOString(),
      },
    };
  }
  // ── internals ─────────────────────────────────────────────────────────────────────────────
  async subscribeChannel(channel) {
    if (!this.link.up) throw this.unavailable('subscribe', this.byChannel.get(channel));
    try {
      await this.link.subscribe(channel);
    } catch (err) {
      throw this.failed('subscribe', this.byChannel.get(channel), err);
    }
  }
  /** Presence events on a topic's channel (`P{...}`, see redis-presence-scripts.ts). */
  onPresence;
  /** The link, for the Redis presence of the same server (one pair of connections per node). */
  get redisLink() {
    return this.link;
  }
  onMessage(channel, message) {
    const topic = this.byChannel.get(channel);
    if (topic !== void 0 && message.charCodeAt(0) === 80) {
      this.onPresence?.(topic, message.slice(1));
      return;
    }
    const s = topic === void 0 ? void 0 : this.topics.get(topic);
    const pub = s ? stampedFromJson(message) : void 0;
    if (!s || !pub || pub.topic !== topic) return;
    if (s.catchingUp) {
      if (s.catchingUp.length >= this.catchUpCap) this.endCatchUp(s);
      else {
        s.catchingUp.push(pub);
        return;
      }
    }
    const seen = s.seen;
    if (seen && seen.epoch === pub.epoch && pub.offset > seen.offset + 1) {
      s.catchingUp = [pub];
      void this.catchUp(topic, s);
      return;
    }
    this.forward(s, pub);
  }
  /** Hands `pub` to fan-out unless it is at or below what was already handed (a duplicate). */
  forward(s, pub) {
    const seen = s.seen;
    if (seen && seen.epoch === pub.epoch && pub.offset <= seen.offset) return;
    s.seen = { epoch: pub.epoch, offset: pub.offset };
    for (const tap of s.taps) tap.push(pub);
    this.host.deliver(pub.topic, pub);
  }
  /**
   * Fills what the channel missed from the stream, then lets the waiting live messages through.
   * Without a remembered position there is nothing to fill (the node saw nothing before).
   */
  async catchUp(topic, s) {
    try {
      const seen = s.seen;
      if (seen) {
        let read = await this.read(topic, seen);
        if (read.epoch !== seen.epoch) read = await this.read(topic, { epoch: read.epoch, offset: -1 });
        if (this.topics.get(topic) !== s) return;
        for (const pub of read.entries) this.forward(s, pub);
      }
    } catch (err) {
      this.hooks.onFailure?.('catch-up', err);
    } finally {
      if (this.topics.get(topic) === s) this.endCatchUp(s);
    }
  }
  /** Most live messages held per topic while catching up. */
  get catchUpCap() {
    return Math.max(1e3, 4 * this.options.maxMessages);
  }
  endCatchUp(s) {
    const waiting = s.catchingUp ?? [];
    s.catchingUp = void 0;
    for (const pub of waiting) this.forward(s, pub);
  }
  /** The link is back: resubscribe every held channel, then catch up on what was published meanwhile. */
  onStatus(up, reason) {
    if (!this.started) return;
    if (!up) {
      this.downSince ??= Date.now();
      this.hooks.onStatus?.(false, reason);
      return;
    }
    void this.restore();
  }
  async restore() {
    const all = [...this.topics];
    for (const [, s] of all) s.catchingUp ??= [];
    try {
      await Promise.all(
        all.map(([, s]) => {
          s.subscribed = this.subscribeChannel(s.channel);
          s.subscribed.catch(() => {});
          return s.subscribed;
        }),
      );
      await this.link.syncSubscriber();
    } catch (err) {
      this.hooks.onFailure?.('restore', err);
      return;
    }
    this.downSince = null;
    this.hooks.onStatus?.(true);
    await Promise.all(all.map(([topic, s]) => this.catchUp(topic, s)));
  }
  unavailable(op, topic) {
    this.failures += 1;
    const err = new EngineUnavailableError(`Redis is unreachable: ${op} not done`, topic ? { topic } : {});
    this.hooks.onFailure?.(op, err);
    return err;
  }
  failed(op, topic, cause) {
    this.failures += 1;
    this.hooks.onFailure?.(op, cause);
    const why = cause instanceof Error ? cause.message : String(cause);
    return new EngineUnavailableError(`Redis ${op} failed: ${why}`, topic ? { topic } : {}, { cause });
  }
};
function randomEpoch() {
  const n = globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  return (n >>> 0).toString(16).padStart(8, '0');
}

// packages/ref-server/src/engine/create-engine.ts
function createEngine(host, options, hooks = {}) {
  const e = options.engine;
  if (e.type === 'redis') {
    const { bufferSize, ttlSec, maxMessages } = options.recovery;
    return new RedisEngine({ url: e.url, prefix: e.prefix, bufferSize, ttlSec, maxMessages }, host, hooks);
  }
  return new MemoryEngine(host);
}

// packages/ref-server/src/recovery/ring-buffer.ts
var RingBuffer = class {
  /** Number of slots; a power of two. */
  capacity;
  mask;
  slots = [];
  /** Slot index holding `first`. */
  head = 0;
  first;
  next;
  /**
   * @param capacity a power of two ≥ 1
   * @param startOffset offset of the first item appended (default 0); a non-negative safe integer
   * @throws RangeError when either argument is invalid
   */
  constructor(capacity, startOffset = 0) {
    if (!Number.isSafeInteger(capacity) || capacity < 1 || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError(`RingBuffer capacity must be a power of two \u2265 1, got ${capacity}`);
    }
    assertOffset(startOffset, 'startOffset');
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.first = startOffset;
    this.next = startOffset;
  }
  /** Offset of the oldest retained item; equals {@link nextOffset} when the ring is empty. */
  get firstOffset() {
    return this.first;
  }
  /** Offset the next {@link append} will get. */
  get nextOffset() {
    return this.next;
  }
  /** Offset of the newest item ever appended (`nextOffset - 1`; `startOffset - 1` before any append). */
  get lastOffset() {
    return this.next - 1;
  }
  /** Number of retained items. */
  get size() {
    return this.next - this.first;
  }
  /**
   * Appends `item` at offset {@link nextOffset}, in O(1).
   *
   * @returns the evicted oldest item when the ring was full, else `undefined`
   */
  append(item) {
    let evicted;
    if (this.next - this.first === this.capacity) evicted = this.shift();
    const index = (this.head + (this.next - this.first)) & this.mask;
    if (index === this.slots.length) this.slots.push(item);
    else this.slots[index] = item;
    this.next += 1;
    return evicted;
  }
  /**
   * Drops the oldest retained item (offsets are not reused: {@link firstOffset} advances).
   *
   * @returns the dropped item, or `undefined` when empty
   */
  shift() {
    if (this.next === this.first) return void 0;
    const item = this.slots[this.head];
    this.slots[this.head] = void 0;
    this.head = (this.head + 1) & this.mask;
    this.first += 1;
    return item;
  }
  /** The item at `offset`, or `undefined` when it is not retained. */
  at(offset) {
    if (!Number.isInteger(offset) || offset < this.first || offset >= this.next) return void 0;
    return this.slots[(this.head + (offset - this.first)) & this.mask];
  }
  /**
   * Reads the inclusive range `[from, to]` in offset order, all or nothing. `from > to` is an empty
   * range and always succeeds.
   *
   * @throws RangeError when `from` or `to` is not an integer
   */
  read(from, to) {
    if (!Number.isInteger(from) || !Number.isInteger(to)) {
      throw new RangeError(`RingBuffer.read range must be integers, got [${from}, ${to}]`);
    }
    if (from > to) return { ok: true, items: [] };
    if (from < this.first) return { ok: false, reason: 'evicted' };
    if (to >= this.next) return { ok: false, reason: 'ahead' };
    const items = new Array(to - from + 1);
    let index = (this.head + (from - this.first)) & this.mask;
    for (let i = 0; i < items.length; i++) {
      items[i] = this.slots[index];
      index = (index + 1) & this.mask;
    }
    return { ok: true, items };
  }
  /** Iterates retained items oldest first. */
  *[Symbol.iterator]() {
    for (let offset = this.first; offset < this.next; offset++) {
      yield this.slots[(this.head + (offset - this.first)) & this.mask];
    }
  }
  /**
   * Drops every item and restarts numbering at `nextOffset` (all earlier offsets count as evicted).
   * Used when a stream observed from elsewhere skips ahead.
   */
  reset(nextOffset) {
    assertOffset(nextOffset, 'nextOffset');
    this.slots.length = 0;
    this.head = 0;
    this.first = nextOffset;
    this.next = nextOffset;
  }
};
function assertOffset(value, name) {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`RingBuffer ${name} must be a non-negative safe integer, got ${value}`);
  }
}

// packages/ref-server/src/recovery/recovery-store.ts
var EPOCH_RE2 = /^[0-9a-f]{8}$/;
var EPOCH_ATTEMPTS = 16;
var RecoveryStore = class {
  /** Publications are kept for replay ({@link PublicationLog}). */
  retains = true;
  /** The resolved options (defaults filled, `bufferSize` rounded to a power of two). */
  options;
  now;
  drawEpoch;
  ttlMs;
  topics = /* @__PURE__ */ new Map();
  /** Streams with at least one write, least recently written first (Set keeps insertion order). */
  written = /* @__PURE__ */ new Set();
  /** Streams opened (recover/open) but never written, oldest first. Not evictable: they hold 0 bytes. */
  unwritten = /* @__PURE__ */ new Set();
  bytes = 0;
  messages = 0;
  evictedBuffers = 0;
  expiredBuffers = 0;
  trimmedMessages = 0;
  /**
   * @param options partial options; see {@link resolveRecoveryOptions} for defaults and validation
   * @throws RangeError naming the invalid option
   */
  constructor(options = {}, env = {}) {
    this.options = Object.freeze(resolveRecoveryOptions(options));
    this.ttlMs = this.options.ttlSec * 1e3;
    this.now = env.now ?? Date.now;
    this.drawEpoch = env.randomEpoch ?? epochFromRandom(env.random);
  }
  /**
   * Stamps a publication to `topic` with `tp`, `e`, `o` on a canonical copy (`parseEnvelope`), stores
   * it once and enforces the memory budget. The input envelope is not modified. The returned
   * publication is what to deliver live (it may already be trimmed from the buffer when it alone
   * exceeds the budget; the offset is consumed either way).
   *
   * @throws TypeError when `topic` is empty or the envelope is not JSON-serializable; ProtocolError
   *   (INVALID_FIELD …) for an invalid envelope. Nothing is stored then.
   */
  stamp(topic, envelope) {
    assertTopic(topic);
    const now = this.now();
    const stream = this.localStream(topic, now) ?? this.createStream(topic, null, 0, now);
    const stamped = withStamp(parseEnvelope(envelope), topic, stream.epoch, stream.ring.nextOffset);
    return this.store(stream, stamped, JSON.stringify(stamped), now);
  }
  /**
   * Stores a publication stamped by another node (`tp`, `e`, `o` set) in the stream (topic, e) of
   * `origin`, creating it on first sight. A duplicate or older offset is ignored (`null`); an offset
   * past the next expected one restarts the stream there (the skipped range counts as evicted). An
   * epoch equal to one of this node's own streams, or owned by another origin, is ignored.
   *
   * @param json the envelope's JSON text when already at hand (cluster MSG payload), else computed
   * @throws RangeError when the stamp is missing; ProtocolError when the envelope or stamp is malformed
   * @example
   * ```ts
   * store.ingest('node-b', { c: 'U', t: 'msg', p: {}, tp: 'chat', e: '0badcafe', o: 7 });
   * ```
   */
  ingest(origin, envelope, json2) {
    if (typeof origin !== 'string' || origin === '') throw new RangeError('ingest origin must be a node id');
    const canonical = parseEnvelope(envelope);
    const { tp: topic, e: epoch2, o: offset } = canonical;
    if (topic === void 0 || epoch2 === void 0 || offset === void 0) {
      throw new RangeError(`ingest needs a stamped envelope (tp, e, o); got type ${canonical.t} without`);
    }
    const now = this.now();
    const entry = this.topics.get(topic);
    let stream = entry ? this.live(entry.byEpoch.get(epoch2), now) : void 0;
    if (stream && stream.origin !== origin) return null;
    if (!stream) stream = this.createStream(topic, origin, offset, now, epoch2);
    else if (offset < stream.ring.nextOffset) return null;
    else if (offset > stream.ring.nextOffset) this.resetStream(stream, offset);
    return this.store(stream, canonical, json2 ?? JSON.stringify(canonical), now);
  }
  /**
   * Recovers one stream: the publications after `position.offset` in offset order, all of them or
   * none. `recovered: false` (and no publications) when `position` is undefined, the epoch is unknown
   * (restart, eviction, expiry), the offset is invalid or ahead of the stream, more than
   * `maxMessages` would be replayed, or any needed message was evicted. Creates the topic's local
   * stream when missing so the failure answer always carries an epoch to re-baseline to.
   *
   * @example
   * ```ts
   * const r = store.recover('chat', lastSeen);
   * if (r.recovered) r.publications.forEach((p) => conn.send(p.envelope));
   * ```
   */
  recover(topic, position) {
    assertTopic(topic);
    if (!position) return this.failure(topic);
    return this.recoverStream(topic, position.epoch, position.offset);
  }
  /**
   * {@link recover} for an explicit (topic, epoch) stream — local or ingested from another node.
   *
   * @example
   * ```ts
   * store.recoverStream('chat', '0badcafe', 6); // { recovered: true, epoch: '0badcafe', offset: 7, ... }
   * ```
   */
  recoverStream(topic, epoch2, offset) {
    assertTopic(topic);
    const read = this.readAfter(topic, epoch2, offset, this.options.maxMessages);
    if (!read) return this.failure(topic);
    return { recovered: true, epoch: epoch2, offset: read.last, publications: read.items };
  }
  /**
   * Recovers several streams of one topic at once (a client's positions in several epochs). All or
   * nothing for the topic: if any position fails, or the total replay exceeds `maxMessages`, or an
   * epoch is listed twice, nothing is replayed. Publications come stream by stream in the order of
   * `positions`, each in offset order. `positions` in the answer lists every live stream (local first)
   * so the client can re-baseline.
   *
   * @example
   * ```ts
   * const r = store.recoverTopic('chat', [{ epoch: 'aa00bb11', offset: 3 }, { epoch: '0badcafe', offset: 9 }]);
   * ```
   */
  recoverTopic(topic, positions) {
    assertTopic(topic);
    const publications = [];
    const seen = /* @__PURE__ */ new Set();
    let ok = positions.length > 0;
    for (const position of positions) {
      if (!ok) break;
      if (seen.has(position.epoch)) ok = false;
      seen.add(position.epoch);
      const budget = this.options.maxMessages - publications.length;
      const read = ok ? this.readAfter(topic, position.epoch, position.offset, budget) : void 0;
      if (read) publications.push(...read.items);
      else ok = false;
    }
    this.ensureLocal(topic);
    const live = this.streams(topic).map(({ epoch: epoch2, offset }) => ({ epoch: epoch2, offset }));
    const replay = ok ? publications : [];
    return { recovered: ok, count: replay.length, positions: live, publications: replay };
  }
  /**
   * The local stream's current position, creating the stream (empty, offset -1) when missing. Use it
   * to tell a fresh subscriber where it starts.
   *
   * @example
   * ```ts
   * store.open('chat'); // { epoch: '5e1f09c2', offset: -1 }
   * ```
   */
  open(topic) {
    assertTopic(topic);
    const stream = this.ensureLocal(topic);
    return { epoch: stream.epoch, offset: stream.ring.lastOffset };
  }
  /**
   * The local stream's current position, or `undefined` when the topic has no live local stream.
   *
   * @example
   * ```ts
   * store.position('chat'); // { epoch: '5e1f09c2', offset: 41 } | undefined
   * ```
   */
  position(topic) {
    const stream = this.localStream(topic, this.now());
    return stream ? { epoch: stream.epoch, offset: stream.ring.lastOffset } : void 0;
  }
  /**
   * Every live stream of `topic`: the local one first, then those ingested from other nodes.
   *
   * @example
   * ```ts
   * store.streams('chat').map((s) => s.epoch);
   * ```
   */
  streams(topic) {
    const entry = this.topics.get(topic);
    if (!entry) return [];
    const now = this.now();
    const out = [];
    for (const stream of [...entry.byEpoch.values()]) {
      if (!this.live(stream, now)) continue;
      const { epoch: epoch2, origin, ring, bytes, lastWrite } = stream;
      const info = {
        topic,
        epoch: epoch2,
        origin,
        firstOffset: ring.firstOffset,
        offset: ring.lastOffset,
        messages: ring.size,
        bytes,
        lastWriteAt: lastWrite,
      };
      if (origin === null) out.unshift(info);
      else out.push(info);
    }
    return out;
  }
  /**
   * Drops every buffer without a write for more than `ttlSec`; call it from the runtime's timer.
   *
   * @returns the number of buffers dropped
   * @example
   * ```ts
   * setInterval(() => store.sweep(), 10_000).unref();
   * ```
   */
  sweep() {
    const now = this.now();
    let dropped = 0;
    for (const set of [this.written, this.unwritten]) {
      for (const stream of set) {
        if (now - stream.lastWrite <= this.ttlMs) continue;
        this.drop(stream);
        dropped += 1;
      }
    }
    this.expiredBuffers += dropped;
    return dropped;
  }
  /**
   * Current counters; `bytes` is the accounted size of every retained publication.
   *
   * @example
   * ```ts
   * gauge.set(store.stats().bytes);
   * ```
   */
  stats() {
    return {
      buffers: this.written.size + this.unwritten.size,
      messages: this.messages,
      bytes: this.bytes,
      budget: this.options.memoryBudget,
      evictedBuffers: this.evictedBuffers,
      expiredBuffers: this.expiredBuffers,
      trimmedMessages: this.trimmedMessages,
    };
  }
  /** Reads (offset, last] of a live stream, or `undefined` when that is impossible or too long. */
  readAfter(topic, epoch2, offset, max) {
    const entry = this.topics.get(topic);
    const stream = entry ? this.live(entry.byEpoch.get(epoch2), this.now()) : void 0;
    if (!stream || !Number.isSafeInteger(offset) || offset < -1) return void 0;
    const last = stream.ring.lastOffset;
    const count = last - offset;
    if (count < 0 || count > max) return void 0;
    const read = stream.ring.read(offset + 1, last);
    return read.ok ? { last, items: read.items } : void 0;
  }
  failure(topic) {
    const stream = this.ensureLocal(topic);
    return { recovered: false, epoch: stream.epoch, offset: stream.ring.lastOffset, publications: [] };
  }
  store(stream, envelope, json2, now) {
    const bytes = Buffer.byteLength(json2, 'utf8');
    const { topic, epoch: epoch2 } = stream;
    const offset = stream.ring.nextOffset;
    const pub = Object.freeze({
      topic,
      epoch: epoch2,
      offset,
      envelope: Object.freeze(envelope),
      bytes,
      json: json2,
    });
    const evicted = stream.ring.append(pub);
    if (evicted) this.account(stream, -evicted.bytes, -1);
    this.account(stream, bytes, 1);
    stream.lastWrite = now;
    this.unwritten.delete(stream);
    this.written.delete(stream);
    this.written.add(stream);
    this.enforceBudget(stream);
    return pub;
  }
  /** Evicts least-recently-written buffers (not `current`), then trims `current`, until under budget. */
  enforceBudget(current) {
    const budget = this.options.memoryBudget;
    if (this.bytes <= budget) return;
    for (const stream of this.written) {
      if (this.bytes <= budget) return;
      if (stream === current || stream.bytes === 0) continue;
      this.drop(stream);
      this.evictedBuffers += 1;
    }
    while (this.bytes > budget) {
      const oldest = current.ring.shift();
      if (!oldest) break;
      this.account(current, -oldest.bytes, -1);
      this.trimmedMessages += 1;
    }
  }
  account(stream, bytes, messages) {
    stream.bytes += bytes;
    this.bytes += bytes;
    this.messages += messages;
  }
  localStream(topic, now) {
    return this.live(this.topics.get(topic)?.local, now);
  }
  ensureLocal(topic) {
    const now = this.now();
    return this.localStream(topic, now) ?? this.createStream(topic, null, 0, now);
  }
  /** `stream` if it exists and has not expired; an expired one is dropped on the spot. */
  live(stream, now) {
    if (!stream || now - stream.lastWrite <= this.ttlMs) return stream;
    this.drop(stream);
    this.expiredBuffers += 1;
    return void 0;
  }
  createStream(topic, origin, startOffset, now, epoch2) {
    let entry = this.topics.get(topic);
    if (!entry) {
      entry = { local: void 0, byEpoch: /* @__PURE__ */ new Map() };
      this.topics.set(topic, entry);
    }
    const ring = new RingBuffer(this.options.bufferSize, startOffset);
    const stream = {
      topic,
      epoch: epoch2 ?? this.freshEpoch(entry),
      origin,
      ring,
      bytes: 0,
      lastWrite: now,
    };
    entry.byEpoch.set(stream.epoch, stream);
    if (origin === null) entry.local = stream;
    this.unwritten.add(stream);
    return stream;
  }
  /** A valid epoch not used by a live stream of the topic. */
  freshEpoch(entry) {
    for (let attempt = 0; attempt < EPOCH_ATTEMPTS; attempt++) {
      const epoch2 = this.drawEpoch();
      if (typeof epoch2 !== 'string' || !EPOCH_RE2.test(epoch2)) {
        throw new TypeError(`randomEpoch must return 8 lower-case hex chars, got ${String(epoch2)}`);
      }
      if (!entry.byEpoch.has(epoch2)) return epoch2;
    }
    throw new Error(`no unused epoch after ${EPOCH_ATTEMPTS} draws: is randomEpoch constant?`);
  }
  resetStream(stream, nextOffset) {
    this.account(stream, -stream.bytes, -stream.ring.size);
    stream.ring.reset(nextOffset);
  }
  drop(stream) {
    this.account(stream, -stream.bytes, -stream.ring.size);
    this.written.delete(stream);
    this.unwritten.delete(stream);
    const entry = this.topics.get(stream.topic);
    if (!entry || entry.byEpoch.get(stream.epoch) !== stream) return;
    entry.byEpoch.delete(stream.epoch);
    if (entry.local === stream) entry.local = void 0;
    if (entry.byEpoch.size === 0) this.topics.delete(stream.topic);
  }
};
function withStamp(canonical, topic, epoch2, offset) {
  canonical.tp = topic;
  canonical.e = epoch2;
  canonical.o = offset;
  return canonical;
}
function assertTopic(topic) {
  if (typeof topic !== 'string' || topic === '') throw new TypeError('topic must be a non-empty string');
}
function epochFromRandom(random) {
  if (random) return () => toHex8(Math.floor(random() * 4294967296));
  return () => toHex8(globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0);
}
function toHex8(n) {
  return (n >>> 0).toString(16).padStart(8, '0');
}

// packages/ref-server/src/engine/engine-host.ts
function createEngineHost(deps) {
  const { log, topics } = deps;
  const refuse = (origin, topic, reason) => {
    deps.onRefused?.(origin, topic, reason);
    return -1;
  };
  return {
    nodeId: deps.nodeId,
    log,
    stamp: (topic, envelope) => log.stamp(topic, envelope),
    deliver: (topic, publication) => topics.deliverStamped(topic, publication),
    deliverRemote(origin, topic, json2) {
      let raw;
      try {
        raw = JSON.parse(json2);
      } catch {
        return refuse(origin, topic, 'payload is not JSON');
      }
      if (typeof raw !== 'object' || raw === null || raw.tp !== topic) {
        return refuse(origin, topic, 'envelope is not stamped for this topic');
      }
      try {
        if (log instanceof RecoveryStore) {
          const stored = log.ingest(origin, raw, json2);
          if (!stored) return refuse(origin, topic, 'duplicate or foreign stream offset');
          return topics.deliverStamped(topic, stored);
        }
        const envelope = parseEnvelope(raw);
        if (envelope.e === void 0 || envelope.o === void 0) {
          return refuse(origin, topic, 'envelope has no stamp');
        }
        return topics.deliverStamped(topic, { envelope, json: json2 });
      } catch (err) {
        return refuse(origin, topic, err.message);
      }
    },
    subscriberCount: (topic) => topics.subscriberCount(topic),
    localTopics: () => topics.topics(),
  };
}

// packages/ref-server/src/engine/engine-metrics.ts
import { Counter, Gauge } from 'prom-client';

var EngineMetrics = class {
  up;
  failures;
  constructor(registry, prefix = 'wse_') {
    const registers = [registry];
    this.up = new Gauge({
      name: `${prefix}engine_up`,
      help: 'Engine store reachable (1) or not (0)',
      registers,
    });
    this.failures = new Counter({
      name: `${prefix}engine_failures_total`,
      help: 'Engine operations that failed (store unreachable or erroring), by operation',
      labelNames: ['op'],
      registers,
    });
    this.up.set(1);
  }
  setUp(up) {
    this.up.set(up ? 1 : 0);
  }
  failure(op) {
    this.failures.inc({ op });
  }
};

// packages/ref-server/src/http/http-api.ts
import { createHash as createHash2, timingSafeEqual as timingSafeEqual2 } from 'node:crypto';
import { Registry } from 'prom-client';

// packages/ref-server/src/auth/topic-acl.ts
var MAX_TOPIC_BYTES = 256;
function matchGlob(glob, value) {
  if (glob === '*') return true;
  if (!glob.includes('*') && !glob.includes('?')) return glob === value;
  const g = Array.from(glob);
  const v = Array.from(value);
  let gi = 0;
  let vi = 0;
  let starG = -1;
  let starV = 0;
  while (vi < v.length) {
    const c = g[gi];
    if (c === '*') {
      starG = ++gi;
      starV = vi;
    } else if (c !== void 0 && (c === '?' || c === v[vi])) {
      gi++;
      vi++;
    } else if (starG !== -1) {
      gi = starG;
      vi = ++starV;
    } else {
      return false;
    }
  }
  while (g[gi] === '*') gi++;
  return gi === g.length;
}
function topicAllowed(acl, topic) {
  if (!acl) return true;
  if (acl.deny.some((g) => matchGlob(g, topic))) return false;
  return acl.allow.some((g) => matchGlob(g, topic));
}
function validateTopicName(topic) {
  if (typeof topic !== 'string') return 'topic must be a string';
  if (topic.length === 0) return 'topic must not be empty';
  if (topic.length > MAX_TOPIC_BYTES) return `topic is longer than ${MAX_TOPIC_BYTES} bytes`;
  let bytes = 0;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c <= 31 || c === 127) return 'topic contains a control character';
    if (c < 128) bytes += 1;
    else if (c < 2048) bytes += 2;
    else if (c >= 55296 && c <= 56319) {
      const d = topic.charCodeAt(i + 1);
      if (!(d >= 56320 && d <= 57343)) return 'topic is not well-formed Unicode';
      bytes += 4;
      i++;
    } else if (c >= 56320 && c <= 57343) return 'topic is not well-formed Unicode';
    else bytes += 3;
  }
  return bytes > MAX_TOPIC_BYTES ? `topic is longer than ${MAX_TOPIC_BYTES} bytes` : null;
}

// packages/ref-server/src/http/http-api.ts
var DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
var JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
var ROUTES = {
  '/health': 'GET',
  '/metrics': 'GET',
  '/api/publish': 'POST',
  '/api/broadcast': 'POST',
  '/dev/token': 'POST',
};
async function handleHttp(method, url, headers, body, facade, o) {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const allowed = ROUTES[path];
  if (allowed === void 0) return null;
  if (path === '/dev/token' && !(o.dev && facade.mintDevToken)) return null;
  const m = method.toUpperCase();
  if (m !== allowed && !(allowed === 'GET' && m === 'HEAD'))
    return json(405, { error: `use ${allowed} ${path}` }, { allow: allowed });
  try {
    return await route(path, headers, body, facade, o);
  } catch (err) {
    o.onError?.(err);
    return json(500, { error: 'internal error' });
  }
}
async function route(path, headers, body, facade, o) {
  if (path === '/health') return json(200, facade.healthSnapshot());
  if (path === '/metrics') {
    const type = facade.metricsContentType ?? Registry.PROMETHEUS_CONTENT_TYPE;
    return {
      status: 200,
      headers: { 'content-type': type, 'cache-control': 'no-store' },
      body: await facade.metricsText(),
    };
  }
  if (path === '/dev/token') return devToken(headers, body, facade, o);
  const denied = checkApiKey(headers.authorization, o.apiKey);
  if (denied) return denied;
  const parsed = readJson(body, o);
  if ('status' in parsed) return parsed;
  const input = parsed.value;
  if (!('data' in input)) return json(400, { error: 'body needs a "data" field' });
  try {
    if (path === '/api/broadcast') return json(200, { ok: true, delivered: facade.broadcastAll(input.data) });
    const problem = validateTopicName(input.topic);
    if (problem) return json(400, { error: problem });
    return json(200, { ok: true, delivered: await facade.publish(input.topic, input.data) });
  } catch (err) {
    if (err instanceof ProtocolError)
      return json(400, { error: `invalid data: ${err.message}`, code: err.code });
    if (err instanceof ServerError && err.code === 'ENGINE_UNAVAILABLE')
      return json(503, { error: err.message, code: err.code }, { 'retry-after': '1' });
    throw err;
  }
}
function earlyHttpAnswer(method, url, headers, o) {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path !== '/api/publish' && path !== '/api/broadcast') return null;
  if (method.toUpperCase() !== 'POST') return json(405, { error: `use POST ${path}` }, { allow: 'POST' });
  return checkApiKey(headers.authorization, o.apiKey) ?? null;
}
async function devToken(headers, body, facade, o) {
  const type = headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type))
    return json(415, { error: 'send Content-Type: application/json' });
  const parsed = readJson(body, o);
  if ('status' in parsed) return parsed;
  const problem = validateSub(parsed.value.sub);
  if (problem) return json(400, { error: problem });
  const minted = await facade.mintDevToken(parsed.value.sub);
  return json(200, minted);
}
function checkApiKey(header, apiKey) {
  if (!apiKey)
    return json(403, { error: 'HTTP publish API is disabled: configure apiKey (--api-key / WSE_API_KEY)' });
  const unauthorized = json(
    401,
    { error: 'send Authorization: apikey <key>' },
    { 'www-authenticate': 'apikey' },
  );
  if (typeof header !== 'string' || header.length > 4096) return unauthorized;
  const match = /^apikey\s+(.+)$/i.exec(header.trim());
  if (!match?.[1]) return unauthorized;
  const a = createHash2('sha256').update(match[1]).digest();
  const b = createHash2('sha256').update(apiKey).digest();
  return timingSafeEqual2(a, b) ? void 0 : unauthorized;
}
function readJson(body, o) {
  const max = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (body.byteLength > max) return json(413, { error: `body is larger than ${max} bytes` });
  let value;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    if (tooDeep(text, MAX_BODY_DEPTH))
      return json(400, { error: `body nests deeper than ${MAX_BODY_DEPTH} levels` });
    value = JSON.parse(text);
  } catch {
    return json(400, { error: 'body is not valid JSON' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return json(400, { error: 'body must be a JSON object' });
  return { value };
}
var MAX_BODY_DEPTH = MAX_DEPTH - 1;
function tooDeep(text, max) {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++;
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > max) return true;
    } else if (ch === 125 || ch === 93) depth--;
  }
  return false;
}
function validateSub(sub) {
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256)
    return '"sub" must be a string of 1..256 characters';
  for (let i = 0; i < sub.length; i++) {
    const c = sub.charCodeAt(i);
    if (c <= 31 || c === 127) return '"sub" contains a control character';
  }
  return null;
}
function json(status, value, extra = {}) {
  return { status, headers: { ...JSON_HEADERS, ...extra }, body: JSON.stringify(value) };
}

// packages/ref-server/src/http/server-metrics.ts
import {
  Counter as Counter2,
  collectDefaultMetrics,
  Gauge as Gauge2,
  Histogram,
  Registry as Registry2,
} from 'prom-client';

var ServerMetrics = class {
  /** The registry all of this server's metrics live in. */
  registry;
  connections;
  connectionsTotal;
  messagesIn;
  messagesOut;
  bytesIn;
  bytesOut;
  authFailures;
  rateLimitedTotal;
  slowConsumers;
  publishDuration;
  constructor(o = {}) {
    const p = o.prefix ?? 'wse_';
    this.registry = new Registry2();
    const registers = [this.registry];
    const counter = (name, help) => new Counter2({ name: p + name, help, registers });
    this.connections = new Gauge2({ name: `${p}connections`, help: 'Open WebSocket connections', registers });
    this.connectionsTotal = counter('connections_total', 'WebSocket connections accepted');
    this.messagesIn = counter('messages_received_total', 'Messages received from clients');
    this.messagesOut = counter('messages_sent_total', 'Messages sent to clients (one per delivery)');
    this.bytesIn = counter('bytes_received_total', 'Bytes received from clients');
    this.bytesOut = counter('bytes_sent_total', 'Bytes sent to clients');
    this.authFailures = counter('auth_failures_total', 'Rejected authentication attempts');
    this.rateLimitedTotal = counter('rate_limited_total', 'Inbound messages dropped by the rate limit');
    this.slowConsumers = counter('slow_consumers_total', 'Connections that passed max backpressure');
    this.publishDuration = new Histogram({
      name: `${p}publish_duration_seconds`,
      help: 'Time to fan one publication out to local subscribers',
      buckets: [5e-5, 1e-4, 25e-5, 5e-4, 1e-3, 25e-4, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    });
    if (o.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: p });
  }
  /** Content-Type for the `/metrics` response. @example res.headers['content-type'] = metrics.contentType; */
  get contentType() {
    return this.registry.contentType;
  }
  /** A connection was accepted. @example metrics.connectionOpened(); */
  connectionOpened() {
    this.connections.inc();
    this.connectionsTotal.inc();
  }
  /** A connection closed. @example metrics.connectionClosed(); */
  connectionClosed() {
    this.connections.dec();
  }
  /** One inbound message of `bytes` bytes. @example metrics.messageIn(data.byteLength); */
  messageIn(bytes) {
    this.messagesIn.inc();
    if (bytes > 0) this.bytesIn.inc(bytes);
  }
  /** `count` deliveries totalling `bytes` bytes. @example metrics.messageOut(subscribers, subscribers * frame.length); */
  messageOut(count, bytes) {
    if (count > 0) this.messagesOut.inc(count);
    if (bytes > 0) this.bytesOut.inc(bytes);
  }
  /** A token or auth handshake was rejected. @example metrics.authFailure(); */
  authFailure() {
    this.authFailures.inc();
  }
  /** A message was dropped by the rate limit. @example metrics.rateLimited(); */
  rateLimited() {
    this.rateLimitedTotal.inc();
  }
  /** A connection crossed `maxBackpressure`. @example metrics.slowConsumer(); */
  slowConsumer() {
    this.slowConsumers.inc();
  }
  /** Records one publish's fan-out time. @example metrics.observePublish(performance.now() / 1000 - t0); */
  observePublish(seconds) {
    if (Number.isFinite(seconds) && seconds >= 0) this.publishDuration.observe(seconds);
  }
  /** Prometheus exposition text of every metric in the registry. @example const body = await metrics.render(); */
  render() {
    return this.registry.metrics();
  }
};

// packages/ref-server/src/logger.ts
import { pino } from 'pino';

var LOG_LEVELS2 = ['silent', 'error', 'warn', 'info', 'debug'];
function createLogger(level, destination) {
  const resolved = level ?? (typeof process !== 'undefined' && process.env.VITEST ? 'silent' : 'info');
  if (!LOG_LEVELS2.includes(resolved)) throw new Error(`logLevel must be one of ${LOG_LEVELS2.join(', ')}`);
  const options = { name: 'wse-server', level: resolved };
  return destination ? pino(options, destination) : pino(options);
}

// packages/ref-server/src/presence/presence-error.ts
var PresenceError = class extends ServerError {
  name = 'PresenceError';
  constructor(code, message, details = {}) {
    super(code, message, details);
  }
};

// packages/ref-server/src/engine/redis/redis-presence-scripts.ts
function presenceKeys(prefix, topic) {
  const base = `${prefix}:p:{${topic}}`;
  return [`${base}:e`, `${base}:z`, `${base}:u`, `${base}:d`];
}
var DROP = `
local function drop(entry, chan)
  local user = redis.call('HGET', KEYS[1], entry)
  redis.call('ZREM', KEYS[2], entry)
  if not user then return 0 end
  redis.call('HDEL', KEYS[1], entry)
  local n = redis.call('HINCRBY', KEYS[3], user, -1)
  if n <= 0 then
    redis.call('HDEL', KEYS[3], user)
    local data = redis.call('HGET', KEYS[4], user) or 'null'
    redis.call('HDEL', KEYS[4], user)
    redis.call('PUBLISH', chan, 'P{"a":"leave","u":' .. cjson.encode(user) .. ',"d":' .. data .. '}')
  end
  return 1
end
local function sweep(now, chan)
  local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
  for _, entry in ipairs(dead) do drop(entry, chan) end
  return #dead
end
`;
var PRESENCE_SET = luaScript(`${DROP}
sweep(ARGV[9], ARGV[7])
local entry, user, data = ARGV[1], ARGV[2], ARGV[4]
local action = false
if not redis.call('HGET', KEYS[1], entry) then
  local n = tonumber(redis.call('HGET', KEYS[3], user) or '0')
  local max = tonumber(ARGV[6])
  if n == 0 and max > 0 and redis.call('HLEN', KEYS[3]) >= max then return 'FULL' end
  redis.call('HSET', KEYS[1], entry, user)
  redis.call('HINCRBY', KEYS[3], user, 1)
  if n == 0 then action = 'join' end
end
local old = redis.call('HGET', KEYS[4], user)
redis.call('HSET', KEYS[4], user, data)
if (not action) and old ~= data then action = 'update' end
redis.call('ZADD', KEYS[2], ARGV[5], entry)
for _, k in ipairs(KEYS) do redis.call('EXPIRE', k, ARGV[8]) end
if action then
  redis.call('PUBLISH', ARGV[7], 'P{"a":"' .. action .. '","u":' .. ARGV[3] .. ',"d":' .. data .. '}')
end
return action or 'same'
`);
var PRESENCE_DROP = luaScript(`${DROP}
local n = 0
for i = 2, #ARGV do n = n + drop(ARGV[i], ARGV[1]) end
return n
`);
var PRESENCE_READ = luaScript(`${DROP}
sweep(ARGV[1], ARGV[2])
return {redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4])}
`);

// packages/ref-server/src/engine/redis/redis-presence.ts
var RedisPresence = class {
  constructor(options, deps) {
    this.options = options;
    this.deps = deps;
    this.ttlMs = options.ttlMs ?? 15e3;
    this.now = deps.now ?? Date.now;
  }
  options;
  deps;
  local = /* @__PURE__ */ new Map();
  ttlMs;
  now;
  timers = [];
  start() {
    this.stop();
    const every = (ms, fn) => {
      const t = setInterval(fn, Math.max(50, Math.round(ms)));
      t.unref?.();
      this.timers.push(t);
    };
    every(this.ttlMs / 3, () => this.refresh());
    every(this.ttlMs / 4, () => this.sweep());
  }
  stop() {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
  join(connId, userId, topic, data) {
    const json2 = this.encode(data);
    let topics = this.local.get(connId);
    if (!topics) {
      topics = /* @__PURE__ */ new Map();
      this.local.set(connId, topics);
    }
    topics.set(topic, { userId, json: json2 });
    this.write(connId, topic, userId, json2);
  }
  update(connId, userId, topic, data) {
    this.join(connId, userId, topic, data);
  }
  leave(connId, topics) {
    const mine = this.local.get(connId);
    if (!mine) return;
    for (const topic of topics) {
      if (!mine.delete(topic)) continue;
      this.drop(topic, [this.entry(connId)]);
    }
    if (mine.size === 0) this.local.delete(connId);
  }
  leaveAll(connId) {
    const mine = this.local.get(connId);
    if (mine) this.leave(connId, [...mine.keys()]);
  }
  async members(topic) {
    const [counts, datas] = await this.read(topic);
    const out = /* @__PURE__ */ Object.create(null);
    const data = pairs(datas);
    for (const [user, n] of pairs(counts)) {
      out[user] = { data: parseJson(data.get(user) ?? 'null'), connections: Number(n) };
    }
    return out;
  }
  async stats(topic) {
    const [counts] = await this.read(topic);
    let connections = 0;
    const users = pairs(counts);
    for (const n of users.values()) connections += Number(n);
    return { num_users: users.size, num_connections: connections };
  }
  totals() {
    const topics = /* @__PURE__ */ new Set();
    const users = /* @__PURE__ */ new Set();
    for (const mine of this.local.values()) {
      for (const [topic, e] of mine) {
        topics.add(topic);
        users.add(`${topic}\0${e.userId}`);
      }
    }
    return { topics: topics.size, members: users.size, connections: this.local.size };
  }
  /** A `P…` message from the topic's channel: tell local subscribers and the app, once. */
  onChannel(topic, json2) {
    let msg;
    try {
      msg = JSON.parse(json2);
    } catch {
      return;
    }
    const { a: action, u: userId, d: data } = msg;
    if ((action !== 'join' && action !== 'leave' && action !== 'update') || typeof userId !== 'string')
      return;
    const env = buildEnvelope(`presence_${action}`, { topic, user_id: userId, data }, this.deps.ids());
    this.deps.toSubscribers(topic, env);
    this.deps.emit({ type: 'presence', action, topic, userId, data, connId: '' });
  }
  // ── internals ─────────────────────────────────────────────────────────────────────────────
  entry(connId) {
    return `${this.options.nodeId}|${connId}`;
  }
  write(connId, topic, userId, json2) {
    const { prefix, maxMembers } = this.options;
    const now = this.now();
    const args = [
      this.entry(connId),
      userId,
      JSON.stringify(userId),
      json2,
      now + this.ttlMs,
      maxMembers,
      topicKeys(prefix, topic).channel,
      Math.ceil((this.ttlMs * 4) / 1e3),
      now,
    ];
    this.deps.link.script(PRESENCE_SET, presenceKeys(prefix, topic), args).then(
      (r) => {
        if (r !== 'FULL') return;
        this.local.get(connId)?.delete(topic);
        const err = new PresenceError('PRESENCE_FULL', `topic ${topic} is full (max ${maxMembers})`, {
          topic,
          limit: maxMembers,
        });
        this.deps.onError(connId, topic, err);
      },
      (cause) => {
        const err = new EngineUnavailableError(
          'Redis is unreachable: presence not written',
          { topic },
          { cause },
        );
        this.deps.onError(connId, topic, err);
      },
    );
  }
  drop(topic, entries) {
    const channel = topicKeys(this.options.prefix, topic).channel;
    this.deps.link
      .script(PRESENCE_DROP, presenceKeys(this.options.prefix, topic), [channel, ...entries])
      .catch(() => {});
  }
  async read(topic) {
    const channel = topicKeys(this.options.prefix, topic).channel;
    try {
      const r = await this.deps.link.script(PRESENCE_READ, presenceKeys(this.options.prefix, topic), [
        this.now(),
        channel,
      ]);
      return r;
    } catch (cause) {
      throw new EngineUnavailableError('Redis is unreachable: presence not read', { topic }, { cause });
    }
  }
  /** Pushes every local entry's expiry forward (and re-adds one a sweep removed while we were cut off). */
  refresh() {
    if (!this.deps.link.commandsUp) return;
    for (const [connId, mine] of this.local) {
      for (const [topic, e] of mine) this.write(connId, topic, e.userId, e.json);
    }
  }
  sweep() {
    if (!this.deps.link.commandsUp) return;
    for (const topic of this.deps.localTopics()) this.read(topic).catch(() => {});
  }
  encode(data) {
    const json2 = JSON.stringify(data ?? null) ?? 'null';
    const limit = this.options.maxDataSize;
    const size = json2.length * 3 <= limit ? json2.length : Buffer.byteLength(json2, 'utf8');
    if (size > limit) {
      throw new PresenceError('PRESENCE_DATA_TOO_LARGE', `presence data is ${size} bytes (max ${limit})`, {
        size,
        limit,
      });
    }
    return json2;
  }
};
function pairs(flat) {
  const out = /* @__PURE__ */ new Map();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(String(flat[i]), String(flat[i + 1]));
  return out;
}
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// packages/ref-server/src/presence/presence-service.ts
var PresenceService = class {
  constructor(store, deps) {
    this.store = store;
    this.deps = deps;
  }
  store;
  deps;
  /** A subscribed connection joins `topic` (or changes its user's data). Throws PresenceError. */
  join(connId, userId, topic, data) {
    this.announce(this.store.join(topic, userId, connId, data), connId);
  }
  /** New data for the connection's user on `topic` (joins when it had not). Throws PresenceError. */
  update(connId, userId, topic, data) {
    this.announce(this.store.update(topic, userId, connId, data), connId);
  }
  /** The connection left `topics` (unsubscribe, ACL revoked on refresh). */
  leave(connId, topics) {
    for (const topic of topics) this.announce(this.store.leaveConnection(topic, connId), connId);
  }
  /** The connection closed (every path: client, idle, slow consumer, server, stop). */
  leaveAll(connId) {
    for (const change of this.store.leaveAll(connId)) this.announce(change, connId);
  }
  members(topic) {
    return this.store.members(topic);
  }
  stats(topic) {
    return this.store.stats(topic);
  }
  totals() {
    return this.store.totals();
  }
  announce(change, connId) {
    if (!change) return;
    const { action, topic, userId, data } = change;
    const env = buildEnvelope(`presence_${action}`, { topic, user_id: userId, data }, this.deps.ids());
    this.deps.toSubscribers(topic, env);
    this.deps.emit({ type: 'presence', action, topic, userId, data, connId });
  }
};

// packages/ref-server/src/presence/presence-types.ts
var DEFAULT_PRESENCE_OPTIONS = Object.freeze({
  maxDataSize: 4096,
  maxMembers: 0,
});

// packages/ref-server/src/presence/presence-store.ts
var PresenceStore = class {
  /** Resolved limits. */
  options;
  /** This node's id: the origin of local entries. */
  nodeId;
  now;
  onLocalChange;
  topics = /* @__PURE__ */ new Map();
  /** connId → topic → userId, for leaveAll. */
  byConn = /* @__PURE__ */ new Map();
  /**
   * @throws RangeError naming the invalid option (`presence.maxDataSize`, `presence.maxMembers`) or nodeId
   */
  constructor(options = {}, nodeId = 'local', env = {}) {
    const o = { ...DEFAULT_PRESENCE_OPTIONS };
    if (options.maxDataSize !== void 0) o.maxDataSize = options.maxDataSize;
    if (options.maxMembers !== void 0) o.maxMembers = options.maxMembers;
    if (!Number.isSafeInteger(o.maxDataSize) || o.maxDataSize < 4) {
      throw new RangeError(`presence.maxDataSize must be an integer \u2265 4 (bytes), got ${o.maxDataSize}`);
    }
    if (!Number.isSafeInteger(o.maxMembers) || o.maxMembers < 0) {
      throw new RangeError(
        `presence.maxMembers must be an integer \u2265 0 (0 = unlimited), got ${o.maxMembers}`,
      );
    }
    if (typeof nodeId !== 'string' || nodeId === '')
      throw new RangeError('presence nodeId must be non-empty');
    this.options = Object.freeze(o);
    this.nodeId = nodeId;
    this.now = env.now ?? Date.now;
    this.onLocalChange = env.onLocalChange;
  }
  /**
   * A connection of `userId` joins `topic` with presence `data`.
   *
   * @returns `'join'` for the user's first connection, `'update'` when data differs from the user's
   *   current data, else `null`
   * @throws PresenceError `PRESENCE_DATA_TOO_LARGE` | `PRESENCE_FULL`; Error when `connId` already
   *   joined `topic` as another user
   */
  join(topic, userId, connId, data) {
    assertIds(topic, userId, connId);
    const json2 = this.encode(data);
    const joinedAs = this.byConn.get(connId)?.get(topic);
    if (joinedAs !== void 0 && joinedAs !== userId) {
      throw new Error(`connection ${connId} already joined ${topic} as ${joinedAs}, not ${userId}`);
    }
    const state = this.topics.get(topic);
    const { maxMembers } = this.options;
    if (maxMembers > 0 && state && state.members >= maxMembers && !merged(state, userId)) {
      throw new PresenceError(
        'PRESENCE_FULL',
        `topic ${topic} has ${state.members} members (max ${maxMembers})`,
        {
          topic,
          members: state.members,
          limit: maxMembers,
        },
      );
    }
    return this.writeLocal(topic, userId, connId, data, json2);
  }
  /**
   * A connection of `userId` leaves `topic` (unsubscribe).
   *
   * @returns `'leave'` when it was the user's last connection (merged over nodes), else `null`
   */
  leave(topic, userId, connId) {
    const entry = this.topics.get(topic)?.local.get(userId);
    if (!entry?.conns.has(connId)) return null;
    let local;
    const change = this.mutate(topic, userId, (state) => {
      entry.conns.delete(connId);
      this.unindex(connId, topic);
      if (entry.conns.size > 0) return;
      state.local.delete(userId);
      const updated_at = this.stampFor(state, userId);
      local = { action: 'leave', topic, userId, data: entry.data, updated_at, connections: 0 };
    });
    if (local) this.onLocalChange?.(local);
    return change;
  }
  /**
   * New presence data for a connection's user on `topic` (client `presence_update`, server
   * `updatePresence`). A connection that has not joined the topic joins.
   *
   * @returns `'update'` when the data changed, `null` when equal (or see {@link join})
   * @throws PresenceError as {@link join}
   */
  update(topic, userId, connId, data) {
    const entry = this.topics.get(topic)?.local.get(userId);
    if (!entry?.conns.has(connId)) return this.join(topic, userId, connId, data);
    return this.writeLocal(topic, userId, connId, data, this.encode(data));
  }
  /**
   * {@link leave} by connection: the user is the one `connId` joined `topic` as (no-op when it did
   * not join). What an unsubscribe calls.
   *
   * @example
   * ```ts
   * presence.leaveConnection('room', connId); // { action: 'leave', ... } | null
   * ```
   */
  leaveConnection(topic, connId) {
    const userId = this.byConn.get(connId)?.get(topic);
    return userId === void 0 ? null : this.leave(topic, userId, connId);
  }
  /**
   * The user `connId` joined `topic` as, if it did.
   *
   * @example
   * ```ts
   * presence.joinedAs('room', connId); // 'ada' | undefined
   * ```
   */
  joinedAs(topic, connId) {
    return this.byConn.get(connId)?.get(topic);
  }
  /**
   * Totals over every topic (for health): topics with members, members (users per topic, summed),
   * local connections that joined something.
   *
   * @example
   * ```ts
   * presence.totals(); // { topics: 3, members: 12, connections: 15 }
   * ```
   */
  totals() {
    let members = 0;
    for (const state of this.topics.values()) members += state.members;
    return { topics: this.topics.size, members, connections: this.byConn.size };
  }
  /**
   * Removes a closing connection from every topic it joined.
   *
   * @returns every resulting `'leave'` (users whose last connection it was)
   * @example
   * ```ts
   * for (const change of presence.leaveAll(connId)) broadcastPresence(change);
   * ```
   */
  leaveAll(connId) {
    const topics = this.byConn.get(connId);
    if (!topics) return [];
    const changes = [];
    for (const [topic, userId] of [...topics]) {
      const change = this.leave(topic, userId, connId);
      if (change) changes.push(change);
    }
    return changes;
  }
  /**
   * Applies a peer's change for one (topic, user) — last-write-wins per origin by `updated_at`
   * (older than the stored entry → ignored). Changes from `this.nodeId` are ignored.
   *
   * @returns the resulting change of the merged view, if any
   * @example
   * ```ts
   * const change = presence.applyRemote('node-b', { action: 'leave', topic: 'room', userId: 'u2', updated_at: t });
   * ```
   */
  applyRemote(origin, change) {
    const { action, topic, userId, updated_at } = change;
    assertIds(topic, userId, origin);
    if (!Number.isFinite(updated_at)) throw new RangeError(`updated_at must be a number, got ${updated_at}`);
    if (origin === this.nodeId) return null;
    const current = this.topics.get(topic)?.remote.get(userId)?.get(origin);
    if (current && updated_at < current.updatedAt) return null;
    const deleted = action === 'leave';
    const data = deleted ? null : (change.data ?? null);
    const json2 = JSON.stringify(data) ?? 'null';
    const n = change.connections;
    const connections = deleted ? 0 : Number.isSafeInteger(n) && n > 0 ? n : 1;
    return this.mutate(topic, userId, (state) => {
      let byOrigin = state.remote.get(userId);
      if (!byOrigin) {
        byOrigin = /* @__PURE__ */ new Map();
        state.remote.set(userId, byOrigin);
      }
      byOrigin.set(origin, { origin, data, json: json2, updatedAt: updated_at, connections, deleted });
    });
  }
  /**
   * Applies a peer's full state (cluster `PRESENCE_FULL`, possibly one chunk of it) as joins, LWW.
   * Users missing from the snapshot are not removed (chunks are partial); use {@link purgeOrigin}.
   *
   * @example
   * ```ts
   * presence.applyRemoteSnapshot('node-b', JSON.parse(frameBody));
   * ```
   */
  applyRemoteSnapshot(origin, snapshot) {
    const changes = [];
    for (const [topic, users] of Object.entries(snapshot)) {
      for (const [userId, m] of Object.entries(users)) {
        const change = this.applyRemote(origin, { action: 'join', topic, userId, ...m });
        if (change) changes.push(change);
      }
    }
    return changes;
  }
  /**
   * Forgets everything learnt from `nodeId` (the peer died or left).
   *
   * @returns the resulting leaves (and updates, where the user's data came from that node)
   * @example
   * ```ts
   * mesh.on('peer-down', (id) => presence.purgeOrigin(id).forEach(broadcastPresence));
   * ```
   */
  purgeOrigin(nodeId) {
    const changes = [];
    for (const [topic, state] of [...this.topics]) {
      for (const [userId, byOrigin] of [...state.remote]) {
        if (!byOrigin.has(nodeId)) continue;
        const change = this.mutate(topic, userId, () => {
          byOrigin.delete(nodeId);
          if (byOrigin.size === 0) state.remote.delete(userId);
        });
        if (change) changes.push(change);
      }
    }
    return changes;
  }
  /**
   * Drops remote leave tombstones older than `before` (ms); call it now and then (e.g. with
   * `now - 5 min`) so churn does not grow memory. Returns how many were dropped.
   *
   * @example
   * ```ts
   * presence.pruneTombstones(Date.now() - 300_000);
   * ```
   */
  pruneTombstones(before) {
    let pruned = 0;
    for (const [topic, state] of [...this.topics]) {
      for (const [userId, byOrigin] of [...state.remote]) {
        for (const [origin, entry] of [...byOrigin]) {
          if (!entry.deleted || entry.updatedAt >= before) continue;
          byOrigin.delete(origin);
          pruned += 1;
        }
        if (byOrigin.size === 0) state.remote.delete(userId);
      }
      this.dropIfEmpty(topic, state);
    }
    return pruned;
  }
  /**
   * This node's own entries, for a full sync to a peer (`PRESENCE_FULL`).
   *
   * @example
   * ```ts
   * mesh.send(peer, 'PRESENCE_FULL', JSON.stringify(presence.exportLocal()));
   * ```
   */
  exportLocal() {
    const out = dict();
    for (const [topic, state] of this.topics) {
      if (state.local.size === 0) continue;
      const users = dict();
      for (const [userId, e] of state.local) {
        users[userId] = { data: e.data, updated_at: e.updatedAt, connections: e.conns.size };
      }
      out[topic] = users;
    }
    return out;
  }
  /**
   * The merged members of `topic` (all origins): one entry per user with summed connections. The
   * object has no prototype, so any user id (even `__proto__`) is a plain key.
   *
   * @example
   * ```ts
   * reply(conn, 'presence', { topic, members: presence.members(topic) });
   * ```
   */
  members(topic) {
    const out = dict();
    const state = this.topics.get(topic);
    if (!state) return out;
    for (const userId of /* @__PURE__ */ new Set([...state.local.keys(), ...state.remote.keys()])) {
      const m = merged(state, userId);
      if (m) out[userId] = { data: m.data, connections: m.connections };
    }
    return out;
  }
  /**
   * User ids with a merged entry on `topic` (all origins), unordered. For paging; see `presence-page.ts`.
   *
   * @example
   * ```ts
   * presence.userIds('room'); // ['bob', 'ada']
   * ```
   */
  userIds(topic) {
    const state = this.topics.get(topic);
    if (!state) return [];
    const ids = new Set(state.local.keys());
    for (const id of state.remote.keys()) ids.add(id);
    return [...ids];
  }
  /**
   * One user's merged entry on `topic` with its data's JSON length, or undefined.
   *
   * @example
   * ```ts
   * presence.member('room', 'ada'); // { data: {…}, connections: 2, bytes: 17 }
   * ```
   */
  member(topic, userId) {
    const state = this.topics.get(topic);
    const m = state && merged(state, userId);
    return m ? { data: m.data, connections: m.connections, bytes: m.json.length } : void 0;
  }
  /**
   * Member and connection counts of `topic` (the `presence_stats` reply).
   *
   * @example
   * ```ts
   * presence.stats('room'); // { num_users: 2, num_connections: 5 }
   * ```
   */
  stats(topic) {
    const state = this.topics.get(topic);
    if (!state) return { num_users: 0, num_connections: 0 };
    let connections = 0;
    for (const e of state.local.values()) connections += e.conns.size;
    for (const byOrigin of state.remote.values()) {
      for (const e of byOrigin.values()) if (!e.deleted) connections += e.connections;
    }
    return { num_users: state.members, num_connections: connections };
  }
  /** Join/update path shared by {@link join} and {@link update}; `json` is already size-checked. */
  writeLocal(topic, userId, connId, data, json2) {
    let local;
    const change = this.mutate(topic, userId, (state) => {
      let entry = state.local.get(userId);
      const stored = data ?? null;
      if (!entry) {
        const updatedAt = this.stampFor(state, userId);
        entry = {
          origin: this.nodeId,
          data: stored,
          json: json2,
          updatedAt,
          conns: /* @__PURE__ */ new Set(),
        };
        state.local.set(userId, entry);
        local = { action: 'join', topic, userId, data: stored, updated_at: updatedAt };
      } else if (entry.json !== json2) {
        entry.updatedAt = this.stampFor(state, userId);
        entry.data = stored;
        entry.json = json2;
        local = { action: 'update', topic, userId, data: stored, updated_at: entry.updatedAt };
      }
      entry.conns.add(connId);
      this.index(connId, topic, userId);
      if (local) local.connections = entry.conns.size;
    });
    if (local) this.onLocalChange?.(local);
    return change;
  }
  /** Runs `fn` on the topic's state and reports how the merged view of `userId` changed. */
  mutate(topic, userId, fn) {
    let state = this.topics.get(topic);
    if (!state) {
      state = { local: /* @__PURE__ */ new Map(), remote: /* @__PURE__ */ new Map(), members: 0 };
      this.topics.set(topic, state);
    }
    const before = merged(state, userId);
    fn(state);
    const after = merged(state, userId);
    this.dropIfEmpty(topic, state);
    if (!before && after) {
      state.members += 1;
      return { action: 'join', topic, userId, data: after.data };
    }
    if (before && !after) {
      state.members -= 1;
      return { action: 'leave', topic, userId, data: before.data };
    }
    if (before && after && before.json !== after.json)
      return { action: 'update', topic, userId, data: after.data };
    return null;
  }
  /** A timestamp newer than every known entry of the user, so a local write always wins LWW. */
  stampFor(state, userId) {
    let newest = state.local.get(userId)?.updatedAt ?? Number.NEGATIVE_INFINITY;
    for (const e of state.remote.get(userId)?.values() ?? []) newest = Math.max(newest, e.updatedAt);
    return Math.max(this.now(), newest + 1);
  }
  encode(data) {
    const json2 = JSON.stringify(data ?? null) ?? 'null';
    const size =
      json2.length * 3 <= this.options.maxDataSize ? json2.length : Buffer.byteLength(json2, 'utf8');
    if (size > this.options.maxDataSize) {
      const limit = this.options.maxDataSize;
      throw new PresenceError('PRESENCE_DATA_TOO_LARGE', `presence data is ${size} bytes (max ${limit})`, {
        size,
        limit,
      });
    }
    return json2;
  }
  index(connId, topic, userId) {
    let topics = this.byConn.get(connId);
    if (!topics) {
      topics = /* @__PURE__ */ new Map();
      this.byConn.set(connId, topics);
    }
    topics.set(topic, userId);
  }
  unindex(connId, topic) {
    const topics = this.byConn.get(connId);
    topics?.delete(topic);
    if (topics?.size === 0) this.byConn.delete(connId);
  }
  dropIfEmpty(topic, state) {
    if (state.local.size === 0 && state.remote.size === 0) this.topics.delete(topic);
  }
};
function merged(state, userId) {
  let best;
  let connections = 0;
  const local = state.local.get(userId);
  if (local) {
    best = local;
    connections += local.conns.size;
  }
  for (const e of state.remote.get(userId)?.values() ?? []) {
    if (e.deleted) continue;
    connections += e.connections;
    if (!best || e.updatedAt > best.updatedAt || (e.updatedAt === best.updatedAt && e.origin > best.origin)) {
      best = e;
    }
  }
  return best ? { data: best.data, json: best.json, connections } : void 0;
}
function assertIds(topic, userId, connId) {
  for (const [name, v] of [
    ['topic', topic],
    ['userId', userId],
    ['connId/origin', connId],
  ]) {
    if (typeof v !== 'string' || v === '') throw new TypeError(`presence ${name} must be a non-empty string`);
  }
}
function dict() {
  return /* @__PURE__ */ Object.create(null);
}

// packages/ref-server/src/presence/create-presence.ts
function createPresence(o, engine, w) {
  const deps = { toSubscribers: w.toSubscribers, emit: w.emit, ids: w.ids };
  if (engine instanceof RedisEngine && o.engine.type === 'redis') {
    const redis = new RedisPresence(
      {
        prefix: o.engine.prefix,
        nodeId: w.nodeId,
        maxDataSize: o.presence.maxDataSize,
        maxMembers: o.presence.maxMembers,
        ttlMs: o.engine.presenceTtlSec * 1e3,
      },
      { ...deps, link: engine.redisLink, localTopics: w.localTopics, onError: w.sendError },
    );
    engine.onPresence = (topic, json2) => redis.onChannel(topic, json2);
    return { presence: redis, redis };
  }
  const store = new PresenceStore(
    { maxDataSize: o.presence.maxDataSize, maxMembers: o.presence.maxMembers },
    w.nodeId,
  );
  return { presence: new PresenceService(store, deps) };
}

// packages/ref-server/src/recovery/topic-sequencer.ts
var TopicSequencer = class {
  retains = false;
  counters = /* @__PURE__ */ new Map();
  ttlMs;
  now;
  drawEpoch;
  constructor(options, env = {}) {
    this.ttlMs = options.ttlSec * 1e3;
    this.now = env.now ?? Date.now;
    this.drawEpoch = env.randomEpoch ?? randomEpoch2;
  }
  stamp(topic, envelope) {
    const counter = this.counter(topic, this.now());
    const offset = counter.next;
    const stamped = withStamp(parseEnvelope(envelope), topic, counter.epoch, offset);
    const json2 = JSON.stringify(stamped);
    counter.next += 1;
    return { topic, epoch: counter.epoch, offset, envelope: stamped, json: json2 };
  }
  /**
   * Nothing is kept, so only "you missed nothing" can be answered `recovered: true`: a single
   * position at the live epoch's latest offset. Anything else → `recovered: false`.
   */
  recoverTopic(topic, positions) {
    const now = this.open(topic);
    const only = positions.length === 1 ? positions[0] : void 0;
    const upToDate = only !== void 0 && only.epoch === now.epoch && only.offset === now.offset;
    return { recovered: upToDate, count: 0, positions: [now], publications: [] };
  }
  open(topic) {
    const counter = this.counter(topic, this.now(), false);
    return { epoch: counter.epoch, offset: counter.next - 1 };
  }
  sweep() {
    const now = this.now();
    let dropped = 0;
    for (const [topic, c] of this.counters) {
      if (now - c.lastWrite <= this.ttlMs) continue;
      this.counters.delete(topic);
      dropped += 1;
    }
    return dropped;
  }
  stats() {
    return {
      buffers: 0,
      messages: 0,
      bytes: 0,
      budget: 0,
      evictedBuffers: 0,
      expiredBuffers: 0,
      trimmedMessages: 0,
    };
  }
  counter(topic, now, write = true) {
    let c = this.counters.get(topic);
    if (c && now - c.lastWrite > this.ttlMs) c = void 0;
    if (!c) {
      c = { epoch: this.drawEpoch(), next: 0, lastWrite: now };
      this.counters.set(topic, c);
    }
    if (write) c.lastWrite = now;
    return c;
  }
};
function randomEpoch2() {
  const n = globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  return (n >>> 0).toString(16).padStart(8, '0');
}

// packages/ref-server/src/session/inbound-queue.ts
var InboundQueue = class {
  constructor(capacity) {
    this.capacity = capacity;
  }
  capacity;
  items = [];
  head = 0;
  waiters = [];
  closed = false;
  /** Items refused because the queue was full. */
  dropped = 0;
  get size() {
    return this.items.length - this.head;
  }
  /** Adds an item; false (and counted in `dropped`) when full or closed. */
  push(item) {
    if (this.closed || this.size >= this.capacity) {
      this.dropped++;
      return false;
    }
    this.items.push(item);
    this.wake();
    return true;
  }
  /** Removes up to `max` items, waiting at most `timeoutMs` for the first one. */
  async take(max, timeoutMs) {
    if (this.size === 0 && !this.closed && timeoutMs > 0) await this.waitForItem(timeoutMs);
    return this.shift(max);
  }
  /** Async iteration that ends when the queue is closed and empty. */
  async *iterate() {
    for (;;) {
      if (this.size === 0) {
        if (this.closed) return;
        await this.waitForItem(Infinity);
        continue;
      }
      yield this.shift(1)[0];
    }
  }
  /** Ends iterators once they have read what is left; further pushes are dropped. */
  close() {
    this.closed = true;
    this.wake();
  }
  /** Makes a closed queue usable again (server restarted). */
  reopen() {
    this.closed = false;
  }
  shift(max) {
    const n = Math.min(max, this.size);
    const out = this.items.slice(this.head, this.head + n);
    this.head += n;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }
  waitForItem(timeoutMs) {
    return new Promise((resolve2) => {
      let timer;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve2();
      };
      this.waiters.push(done);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(done, timeoutMs);
    });
  }
  wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
};

// packages/ref-server/src/session/event-hub.ts
var EventHub = class {
  constructor(capacity, onListenerError) {
    this.onListenerError = onListenerError;
    this.queue = new InboundQueue(capacity);
  }
  onListenerError;
  listeners = {
    connect: /* @__PURE__ */ new Set(),
    message: /* @__PURE__ */ new Set(),
    disconnect: /* @__PURE__ */ new Set(),
    error: /* @__PURE__ */ new Set(),
    presence: /* @__PURE__ */ new Set(),
  };
  queue;
  recording = false;
  on(name, listener) {
    this.listeners[name].add(listener);
    return () => this.off(name, listener);
  }
  off(name, listener) {
    this.listeners[name].delete(listener);
  }
  /**
   * Calls every listener; a listener that throws or rejects is reported to `onListenerError`
   * (which answers HANDLER_ERROR for messages) and the others still run.
   */
  /** True when an `emit` of this kind reaches anyone (a listener, or `events()`/`drainInbound`). */
  wants(name) {
    return this.recording || this.listeners[name].size > 0;
  }
  emit(event) {
    if (this.recording) this.queue.push(event);
    const set = this.listeners[event.type];
    for (const listener of set) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((err) => this.onListenerError(err, event));
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }
  /** Async iterator over every event from now on; ends when the server stops. */
  iterate() {
    this.recording = true;
    return this.queue.iterate();
  }
  /** Up to `max` queued events, waiting at most `timeoutMs` for the first. */
  drain(max, timeoutMs) {
    this.recording = true;
    return this.queue.take(max, timeoutMs);
  }
  get queued() {
    return this.queue.size;
  }
  get dropped() {
    return this.queue.dropped;
  }
  close() {
    this.queue.close();
  }
  reopen() {
    this.queue.reopen();
  }
};

// packages/ref-server/src/session/negotiate.ts
var MAX_KEY_CHARS = 128;
var MAX_TOKEN_CHARS = 8192;
function parseClientHello(p) {
  const version = p.protocol_version ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { ok: false, message: 'client_hello.protocol_version must be an integer >= 1' };
  }
  const f = p.features ?? {};
  if (typeof f !== 'object' || f === null || Array.isArray(f)) {
    return { ok: false, message: 'client_hello.features must be an object' };
  }
  const features = f;
  const key = p.encryption_public_key;
  if (key !== void 0 && key !== null && (typeof key !== 'string' || key.length > MAX_KEY_CHARS)) {
    return { ok: false, message: 'client_hello.encryption_public_key must be a base64 P-256 point' };
  }
  const token = p.token;
  if (token !== void 0 && (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS)) {
    return { ok: false, message: 'client_hello.token must be a string' };
  }
  const hello = {
    protocolVersion: version,
    features: {
      compression: features.compression !== false,
      encryption: features.encryption === true || typeof key === 'string',
      msgpack: features.msgpack === true,
      batching: features.batching !== false,
    },
  };
  if (typeof p.client_version === 'string') hello.clientVersion = p.client_version.slice(0, 64);
  if (typeof key === 'string' && key.length > 0) hello.encryptionPublicKey = key;
  if (typeof token === 'string') hello.token = token;
  return { ok: true, hello };
}
function serverFeatures(o) {
  return {
    compression: true,
    encryption: true,
    recovery: o.recovery,
    presence: o.presence,
    msgpack: true,
    batching: true,
    cluster: o.cluster ?? false,
  };
}
function negotiateFeatures(server, hello, state) {
  return {
    ...server,
    compression: server.compression && hello.features.compression,
    encryption: state.encrypted,
    msgpack: state.msgpack,
    batching: server.batching && hello.features.batching,
  };
}
function buildServerHello(a) {
  const payload = {
    server_version: a.serverVersion,
    protocol_version: Math.min(1, a.hello.protocolVersion),
    features: a.features,
    limits: {
      max_message_size: a.limits.maxMessageSize,
      rate_limit_capacity: a.limits.rateLimit.capacity,
      rate_limit_refill: a.limits.rateLimit.refillPerSec,
      max_subscriptions: a.limits.maxSubscriptions,
    },
    ping_interval: a.pingInterval,
    connection_id: a.connectionId,
    server_time: a.now,
  };
  if (a.publicKey) payload.encryption_public_key = a.publicKey;
  if (a.signature) payload.encryption_signature = a.signature;
  return payload;
}
function buildServerReady(a) {
  const details = {
    version: 1,
    connection_id: a.connectionId,
    server_time: a.now,
    features: a.features,
  };
  if (a.userId) details.user_id = a.userId;
  if (a.tokenExpiresAt !== void 0) {
    details.token_expires_in = Math.max(0, Math.floor((a.tokenExpiresAt - a.now) / 1e3));
  }
  return { message: 'Connected', details };
}

// packages/ref-server/src/session/session-manager.ts
import { randomUUID } from 'node:crypto';

// packages/ref-server/src/auth/token-source.ts
var MAX_SCANNED_LENGTH = 16 * 1024;
var DEFAULT_COOKIE = 'access_token';
function extractToken(h, o) {
  const fromHeader = bearer(h.authorization);
  if (fromHeader) return fromHeader;
  const fromCookie = findPair(h.cookie, ';', o.cookieName ?? DEFAULT_COOKIE, 'cookie');
  if (fromCookie) return fromCookie;
  if (o.allowQueryToken !== false) {
    const q = h.query?.startsWith('?') ? h.query.slice(1) : h.query;
    const fromQuery = findPair(q, '&', 'token', 'query');
    if (fromQuery) return fromQuery;
  }
  return { source: 'none' };
}
function bearer(header) {
  if (typeof header !== 'string' || header.length < 7) return void 0;
  if (header.slice(0, 7).toLowerCase() !== 'bearer ') return void 0;
  let start = 7;
  while (start < header.length && header.charCodeAt(start) === 32) start++;
  let end = header.length;
  while (end > start && header.charCodeAt(end - 1) === 32) end--;
  if (end === start) return void 0;
  if (end - start > MAX_TOKEN_LENGTH) return { source: 'header', rejected: 'too-large' };
  return { token: header.slice(start, end), source: 'header' };
}
function findPair(list, sep2, name, source) {
  if (typeof list !== 'string' || list.length === 0) return void 0;
  if (list.length > MAX_SCANNED_LENGTH) return { source, rejected: 'too-large' };
  let pos = 0;
  let eq = -1;
  while (pos <= list.length) {
    let next = list.indexOf(sep2, pos);
    if (next === -1) next = list.length;
    if (eq !== Number.POSITIVE_INFINITY && eq < pos) eq = list.indexOf('=', pos);
    if (eq === -1) eq = Number.POSITIVE_INFINITY;
    if (eq !== -1 && eq < next && keyAt(list, pos, eq, source) === name) {
      const raw = list.slice(eq + 1, next).trim();
      if (raw.length === 0) return void 0;
      const value = decode(raw, source);
      if (value === void 0) return { source, rejected: 'malformed' };
      if (value.length > MAX_TOKEN_LENGTH) return { source, rejected: 'too-large' };
      return { token: unquote(value), source };
    }
    pos = next + 1;
  }
  return void 0;
}
function keyAt(list, from, to, source) {
  const key = list.slice(from, to).trim();
  return source === 'query' ? decode(key, source) : key;
}
function decode(raw, source) {
  const s = source === 'query' ? raw.replace(/\+/g, ' ') : raw;
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return void 0;
  }
}
function unquote(v) {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

// packages/ref-server/src/topics/fanout.ts
var ALL_TOPIC = '\0all';
var utf8 = new TextEncoder();
var PREFIX_C2 = new Uint8Array([67, 58]);
function jsonFrame(json2, threshold, bytes) {
  if (json2.length * 3 <= threshold) return json2;
  if (bytes !== void 0 && bytes <= threshold) return json2;
  const raw = utf8.encode(json2);
  if (raw.length <= threshold) return json2;
  const z = deflateZlib(raw);
  const out = new Uint8Array(2 + z.length);
  out.set(PREFIX_C2);
  out.set(z, 2);
  return out;
}
var Fanout = class {
  constructor(deps) {
    this.deps = deps;
    this.schedule = deps.schedule ?? ((fn) => setImmediate(fn));
  }
  deps;
  queue = [];
  scheduled = false;
  schedule;
  /**
   * Recovery stamping plugs in here: every topic publication passes through it exactly once, at
   * enqueue time (so offsets follow call order), even when nobody is subscribed yet. The returned
   * JSON text is what plain-JSON subscribers get.
   */
  stamp;
  get queued() {
    return this.queue.length;
  }
  /** Queues a publication to `topic` (stamped now, sent this turn). */
  enqueue(topic, envelope) {
    if (topic === ALL_TOPIC || !this.stamp) {
      this.enqueueUnstamped(topic, envelope);
      return;
    }
    this.enqueueStamped(topic, this.stamp(topic, envelope));
  }
  /**
   * Queues a publication stamped already (by this node's log through the engine, or by another node
   * or store: the stamp is kept as is). Same queue, same one-publish-per-format-group path as
   * {@link enqueue}; nothing is queued when the topic has no local subscriber.
   */
  enqueueStamped(topic, s) {
    if (this.deps.registry.subscriberCount(topic) === 0) return;
    this.push({ topic, envelope: s.envelope, json: s.json, bytes: s.bytes });
  }
  /**
   * Queues an event for the topic's subscribers WITHOUT the recovery stamp (presence events: they
   * are not topic publications, take no offset and are not replayed). Keeps order with publications.
   */
  enqueueUnstamped(topic, envelope) {
    if (topic !== ALL_TOPIC && this.deps.registry.subscriberCount(topic) === 0) return;
    this.push({ topic, envelope });
  }
  push(pub) {
    this.queue.push(pub);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }
  /** Sends everything queued so far. Metrics are taken once per flush, not per publication. */
  flush() {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const started = performance.now();
    let count = 0;
    let bytes = 0;
    for (const pub of batch) {
      const sent = this.deliver(pub);
      count += sent;
      bytes += sent === 0 ? 0 : sent * this.lastFrameLength;
    }
    this.deps.onDelivered(count, bytes, (performance.now() - started) / 1e3 / batch.length);
  }
  lastFrameLength = 0;
  /** Returns the uWS shared-frame deliveries (direct sends are counted by the connection). */
  deliver(pub) {
    const { registry } = this.deps;
    const threshold = this.deps.compressionThreshold;
    const plain =
      pub.json === void 0 ? this.encode(pub.envelope, 'json') : jsonFrame(pub.json, threshold, pub.bytes);
    this.lastFrameLength = plain.length;
    if (pub.topic === ALL_TOPIC) {
      this.deliverDirect(pub.envelope, this.deps.allConnections(), plain);
      return 0;
    }
    const direct = registry.directSubscribers(pub.topic);
    this.deps.transport.publish(pub.topic, plain, typeof plain !== 'string');
    if (direct) this.deliverDirect(pub.envelope, direct, plain);
    return registry.subscriberCount(pub.topic) - (direct?.size ?? 0);
  }
  /** One encoding per format, shared by every direct subscriber; encryption is per connection. */
  deliverDirect(envelope, ids, plain) {
    const frames = { json: plain };
    const inner = {};
    for (const id of ids) {
      const target = this.deps.target(id);
      if (!target || target.closed) continue;
      if (target.bufferedAmount() > this.deps.maxBackpressure) {
        this.deps.onSkipped(id);
        continue;
      }
      if (target.format === 'msgpack' && frames.msgpack === void 0) {
        frames.msgpack = this.encode(envelope, 'msgpack');
      }
      const frame = frames[target.format];
      if (target.key) {
        let bytesIn = inner[target.format];
        if (!bytesIn) {
          bytesIn = toBytes(frame);
          inner[target.format] = bytesIn;
        }
        target.sendEncrypted(bytesIn);
      } else {
        target.sendFrame(frame);
      }
    }
  }
  encode(envelope, format) {
    return encodeFrame(envelope, { format, compressionThreshold: this.deps.compressionThreshold });
  }
};

// packages/ref-server/src/topics/publication.ts
import { randomFillSync } from 'node:crypto';

var pool = new Uint8Array(4096);
var poolAt = pool.length;
function pooledRandom(bytes) {
  if (poolAt + bytes.length > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  bytes.set(pool.subarray(poolAt, poolAt + bytes.length));
  poolAt += bytes.length;
}
var isoMs = -1;
var isoText = '';
function envelopeIds(now = Date.now()) {
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return { id: uuidv7(now, pooledRandom), ts: isoText, now };
}
function toPublication(topic, data) {
  const ids = envelopeIds();
  if (isEvent(data)) {
    const type = data.t ?? data.type;
    const payload = data.p ?? data.payload ?? {};
    if (typeof data.pri === 'number') ids.pri = data.pri;
    return buildEnvelope(type, payload, ids);
  }
  if (topic === void 0) return buildEnvelope('broadcast', { data: data ?? null }, ids);
  return buildEnvelope('publication', { topic, data: data ?? null }, ids);
}
var SERVER_TYPES = ['publication', 'broadcast', 'publish_ack', 'response', 'recovery_failed'];
var RESERVED_TYPES = new Set([...PROTOCOL_TYPES, ...SERVER_TYPES].map((t) => t.toLowerCase()));
function reservedEventType(data) {
  if (!isEvent(data)) return void 0;
  const type = data.t ?? data.type;
  return typeof type === 'string' && RESERVED_TYPES.has(type.toLowerCase()) ? type : void 0;
}
function isEvent(data) {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const d = data;
  return typeof d.t === 'string' || typeof d.type === 'string';
}

// packages/ref-server/src/session/token-bucket.ts
var TokenBucket = class {
  constructor(options, clock) {
    this.options = options;
    this.clock = clock;
    this.tokens = options.capacity;
    this.last = clock.now();
  }
  options;
  clock;
  tokens;
  last;
  /** Takes `n` tokens; false (and nothing taken) when fewer are left. */
  take(n = 1) {
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
  /** Tokens left after refilling up to now. */
  remaining() {
    this.refill();
    return this.tokens;
  }
  /** True while fewer than `fraction` of the capacity is left (the warning zone). */
  isLow(fraction = 0.2) {
    return this.remaining() < this.options.capacity * fraction;
  }
  /** Seconds until one token is available again (0 when one is available now). */
  retryAfterSec() {
    this.refill();
    if (this.tokens >= 1) return 0;
    const missing = 1 - this.tokens;
    return Math.ceil((missing / this.options.refillPerSec) * 1e3) / 1e3;
  }
  get capacity() {
    return this.options.capacity;
  }
  refill() {
    const now = this.clock.now();
    const elapsed = now - this.last;
    if (elapsed <= 0) return;
    this.last = now;
    this.tokens = Math.min(this.options.capacity, this.tokens + (elapsed / 1e3) * this.options.refillPerSec);
  }
};

// packages/ref-server/src/session/connection.ts
var Connection = class {
  constructor(id, identity, remoteAddress, format, env) {
    this.id = id;
    this.remoteAddress = remoteAddress;
    this.env = env;
    this.identity = identity ?? { userId: '', anonymous: false, claims: {} };
    this.phase = identity ? 'open' : 'auth';
    this.format = format;
    this.connectedAt = env.now();
    this.lastActivity = this.connectedAt;
    this.lastPingAt = this.connectedAt;
    this.bucket = new TokenBucket(env.rateLimit, env);
  }
  id;
  remoteAddress;
  env;
  handle = null;
  phase;
  format;
  key;
  identity;
  connectedAt;
  bucket;
  lastActivity;
  lastPingAt;
  lastWarningAt = Number.NEGATIVE_INFINITY;
  /** When the last RATE_LIMITED error went out, and frames dropped since (PROTOCOL §7, at most 1/s). */
  lastLimitedAt = Number.NEGATIVE_INFINITY;
  droppedFrames = 0;
  /** Since when unsent bytes are over `maxBackpressure`; undefined = not over. */
  overSince;
  /**
   * A close decided while the socket's buffer is over the limit (slow consumer): nothing more is
   * sent, and the close frame goes out once the client has read enough for it to be queued.
   */
  closing;
  /** Bytes waiting in the encryption chain (count as backpressure too). */
  pendingEncrypted = 0;
  /** Handles for timers owned by the session (in-band auth deadline). */
  authTimer;
  /** Serialises inbound frames (set by the session manager). */
  inbox;
  seq = 0;
  /** The encryption chain; created with the first encrypted frame (most connections never have one). */
  chain;
  /** Needs its own frame for publications (cannot ride on uWS's shared frame). */
  get direct() {
    return this.format === 'msgpack' || this.key !== void 0;
  }
  get closed() {
    return this.phase === 'closed' || !this.handle || this.handle.closed || this.closing !== void 0;
  }
  /** Unsent bytes, including frames still being encrypted. */
  bufferedAmount() {
    return (this.handle?.bufferedAmount() ?? 0) + this.pendingEncrypted;
  }
  /** Builds an envelope (c, id, ts, v, seq filled) and sends it in this connection's format. */
  sendEvent(type, payload = {}, extra = {}) {
    if (this.closed) return;
    const options = envelopeIds();
    options.seq = ++this.seq;
    if (extra.cid !== void 0) options.cid = extra.cid;
    if (extra.pri !== void 0) options.pri = extra.pri;
    const env = buildEnvelope(type, payload, options);
    this.sendEnvelope(env);
  }
  sendError(code, message, extra = {}, cid) {
    this.sendEvent('error', { code, message, ...extra }, { cid });
  }
  /** Sends a complete envelope (the caller filled it) in this connection's format. */
  sendEnvelope(env) {
    if (this.closed) return;
    const frame = encodeFrame(env, {
      format: this.format,
      compressionThreshold: this.env.compressionThreshold,
    });
    this.sendFrame(frame);
  }
  /**
   * Sends a stamped publication (a recovery replay): the stored JSON text as is for JSON
   * connections (`C:` above the threshold), the envelope in `M:` for msgpack ones; encrypted when
   * E2E is on. Nothing is stringified again on the JSON path.
   */
  sendPublication(pub) {
    if (this.closed) return;
    if (this.format === 'json') this.sendFrame(jsonFrame(pub.json, this.env.compressionThreshold, pub.bytes));
    else this.sendEnvelope(pub.envelope);
  }
  /** Sends an already encoded frame; encrypts it first when E2E is on. */
  sendFrame(frame) {
    if (this.closed) return;
    if (this.key) {
      this.sendEncrypted(toBytes(frame));
      return;
    }
    this.handle?.send(frame, typeof frame !== 'string');
    this.env.onSent(frame.length);
  }
  /** Encrypts `inner` (a JSON/C:/M: frame) with the session key and sends it, in call order. */
  sendEncrypted(inner) {
    const key = this.key;
    if (!key || this.closed) return;
    this.pendingEncrypted += inner.byteLength;
    this.chain = (this.chain ?? Promise.resolve()).then(async () => {
      try {
        const bytes = await encryptBytes(key, inner);
        this.handle?.send(bytes, true);
        this.env.onSent(bytes.byteLength);
      } catch (err) {
        this.env.onSendError(err, this.id);
      } finally {
        this.pendingEncrypted -= inner.byteLength;
      }
    });
  }
  /** Resolves when every frame queued so far has been handed to the socket. */
  flushed() {
    return this.chain ?? Promise.resolve();
  }
  /** Sends several frames in one syscall. */
  cork(fn) {
    if (this.handle && !this.handle.closed) this.handle.cork(fn);
    else fn();
  }
  /**
   * Closes with a code. Encrypted frames still being encrypted go out first (so an `error` before a
   * close actually reaches the client).
   */
  close(code, reason = '') {
    if (this.phase === 'closed') return;
    const handle = this.handle;
    const end = () => handle?.end(code, reason.slice(0, 120));
    if (this.pendingEncrypted > 0 && this.chain) void this.chain.then(end);
    else end();
  }
};

// packages/ref-server/src/presence/presence-page.ts
var PRESENCE_PAGE = Object.freeze({ defaultLimit: 100, maxLimit: 1e3, maxBytes: 256 * 1024 });
function presencePage(source, topic, cursor, limit, maxBytes = PRESENCE_PAGE.maxBytes) {
  const ids = source.userIds(topic).filter((id) => cursor === void 0 || id > cursor);
  ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const members = /* @__PURE__ */ Object.create(null);
  let bytes = 2;
  let count = 0;
  let last;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const m = source.member(topic, id);
    if (!m) continue;
    const size = id.length + m.bytes + 40;
    if (count >= limit || (count > 0 && bytes + size > maxBytes)) return { members, next: last, bytes };
    members[id] = { data: m.data, connections: m.connections };
    bytes += size;
    count++;
    last = id;
  }
  return { members, bytes };
}

// packages/ref-server/src/topics/subscription-check.ts
function parseSubscriptionRequest(p, maxTopics, defaultAction = 'subscribe') {
  const action = p.action ?? defaultAction;
  if (action !== 'subscribe' && action !== 'unsubscribe') {
    return { ok: false, code: 'INVALID_ACTION', message: 'action must be "subscribe" or "unsubscribe"' };
  }
  const raw = p.topics ?? (typeof p.topic === 'string' ? [p.topic] : void 0);
  if (!Array.isArray(raw))
    return { ok: false, code: 'INVALID_SUBSCRIPTION', message: 'topics must be an array of strings' };
  if (raw.length > maxTopics) {
    return {
      ok: false,
      code: 'TOO_MANY_SUBSCRIPTIONS',
      message: `at most ${maxTopics} topics per connection (request names ${raw.length})`,
    };
  }
  const presence = p.presence;
  const request = { action, topics: raw, recover: p.recover === true };
  if (isObject(presence)) request.presence = presence;
  if (isObject(p.recovery)) request.recovery = p.recovery;
  return { ok: true, request };
}
var MAX_POSITIONS_PER_TOPIC = 32;
function positionsFor(recovery, topic) {
  if (!recovery || !Object.hasOwn(recovery, topic)) return void 0;
  const raw = recovery[topic];
  if (raw === void 0 || raw === null) return void 0;
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) return void 0;
  if (list.length > MAX_POSITIONS_PER_TOPIC) return null;
  const out = [];
  for (const p of list) {
    if (!isObject(p)) return null;
    const { epoch: epoch2, offset } = p;
    if (typeof epoch2 !== 'string' || typeof offset !== 'number' || !Number.isSafeInteger(offset))
      return null;
    out.push({ epoch: epoch2, offset });
  }
  return out;
}
function checkSubscribe(topics, checks) {
  const candidates = [];
  const failed = [];
  const seen = /* @__PURE__ */ new Set();
  let count = checks.currentCount;
  for (const topic of topics) {
    const problem = checks.validateName(topic);
    if (problem !== null) {
      failed.push({ topic: printable(topic), code: 'INVALID_SUBSCRIPTION', message: problem });
      continue;
    }
    const name = topic;
    if (seen.has(name)) continue;
    seen.add(name);
    if (!checks.aclAllows(name)) {
      failed.push({ topic: name, code: 'FORBIDDEN', message: 'topic not allowed by the token (wse_topics)' });
    } else if (!checks.isSubscribed(name) && count >= checks.maxSubscriptions) {
      failed.push({
        topic: name,
        code: 'TOO_MANY_SUBSCRIPTIONS',
        message: `limit is ${checks.maxSubscriptions}`,
      });
    } else {
      if (!checks.isSubscribed(name)) count++;
      candidates.push(name);
    }
  }
  if (!checks.authorize || candidates.length === 0) return { accepted: candidates, failed };
  return authorizeAll(candidates, failed, checks.authorize);
}
async function authorizeAll(candidates, failed, authorize) {
  const verdicts = await Promise.all(
    candidates.map(async (topic) => {
      try {
        return (await authorize(topic)) === true;
      } catch {
        return false;
      }
    }),
  );
  const accepted = [];
  candidates.forEach((topic, i) => {
    if (verdicts[i]) accepted.push(topic);
    else failed.push({ topic, code: 'FORBIDDEN', message: 'not authorized for this topic' });
  });
  return { accepted, failed };
}
function checkUnsubscribe(topics, validateName) {
  const accepted = /* @__PURE__ */ new Set();
  const failed = [];
  for (const topic of topics) {
    const problem = validateName(topic);
    if (problem === null) accepted.add(topic);
    else failed.push({ topic: printable(topic), code: 'INVALID_SUBSCRIPTION', message: problem });
  }
  return { accepted: [...accepted], failed };
}
function printable(topic) {
  if (typeof topic === 'string') return topic.slice(0, 256);
  return `<${topic === null ? 'null' : typeof topic}>`;
}
function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// packages/ref-server/src/session/handshake.ts
async function agreeKey(clientKey, connectionId, identity) {
  const peer = await importPublicKey(clientKey);
  const pair = await generateKeyPair();
  const key = await deriveSessionKey(pair.privateKey, peer);
  const publicKey = await exportPublicKey(pair.publicKey);
  if (!identity) return { key, publicKey };
  const signature = await signIdentity(identity.privateKey, clientKey, publicKey, connectionId);
  return { key, publicKey, signature };
}

// packages/ref-server/src/session/server-codecs.ts
import { inflateSync } from 'node:zlib';

function inflateNode(body, maxBytes) {
  if (body.length === 0) throw new ProtocolError('TRUNCATED_FRAME', 'C: frame without a body');
  let out;
  try {
    out = inflateSync(body, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (cause) {
    const code = cause.code;
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
var nodeZlibCodec = Object.freeze({ inflate: inflateNode, deflate: deflateZlib });
var serverCodecs = Object.freeze({ ...staticCodecs, zlib: nodeZlibCodec });

// packages/ref-server/src/session/message-router.ts
var SUBSCRIPTION_TYPES = /* @__PURE__ */ new Set(['subscription_update', 'subscription', 'subscribe']);
var PRESENCE_TYPES = /* @__PURE__ */ new Set(['presence', 'presence_stats', 'presence_update']);
var MAX_HELLO_BYTES = 16 * 1024;
function frameCost(bytes) {
  return 1 + (bytes >>> 10);
}
var MAX_BATCH = 1e3;
var MessageRouter = class {
  constructor(host) {
    this.host = host;
  }
  host;
  /**
   * Never throws and never rejects: a bug behind a frame is answered `SERVER_ERROR`, logged and
   * emitted as an `error` event (the inbox would otherwise swallow it and the client hear nothing).
   */
  handleFrame(conn, data) {
    try {
      const r = this.decodeAndRoute(conn, data);
      return r instanceof Promise ? r.catch((err) => this.frameError(conn, err)) : r;
    } catch (err) {
      this.frameError(conn, err);
    }
  }
  decodeAndRoute(conn, data) {
    if (conn.closed) return;
    conn.lastActivity = this.host.now();
    this.host.metrics.messageIn(typeof data === 'string' ? data.length : data.byteLength);
    const max = this.host.options.maxMessageSize;
    const maxMessageSize = conn.phase === 'auth' ? Math.min(max, MAX_HELLO_BYTES) : max;
    if (conn.key) {
      return decodeAnyFrameWith(serverCodecs, data, {
        key: conn.key,
        maxMessageSize,
        requireEncryption: true,
      }).then(
        (env2) => this.route(conn, env2, true, true),
        (err) => this.frameError(conn, err),
      );
    }
    let env;
    try {
      env = decodeFrameWith(serverCodecs, data, { maxMessageSize });
    } catch (err) {
      this.frameError(conn, err);
      return;
    }
    return this.route(conn, env, false, true);
  }
  /** Answers a failure behind a frame; `cid` when it belongs to a request that had one. */
  frameError(conn, err, cid) {
    if (conn.closed && err instanceof ProtocolError) return;
    if (conn.phase === 'auth' && err instanceof ProtocolError) {
      this.host.rejectAuth(conn, 'AUTH_REQUIRED', 'the first frame must be a client_hello with a token', {
        reason: err.code,
      });
      return;
    }
    if (err instanceof ProtocolError) {
      conn.sendError(wireCodeOf(err), err.message, { reason: err.code }, cid);
      return;
    }
    this.host.logger.error({ err, connId: conn.id }, 'frame handling failed');
    this.host.events.emit({ type: 'error', error: err, connId: conn.id });
    conn.sendError('SERVER_ERROR', 'internal error', {}, cid);
  }
  /**
   * Charges a frame to the rate limit BEFORE it is queued or decoded (so undecodable, `C:` and
   * `E:` frames cost the same as any other): 1 token plus 1 per KiB on the wire. False = dropped.
   */
  admitFrame(conn, bytes) {
    return this.admit(conn, frameCost(bytes));
  }
  /** One envelope: rate limit (unless the frame was charged already), auth gate, the type switch. */
  route(conn, env, encrypted, charged = false) {
    if (conn.closed || (!charged && !this.admit(conn))) return;
    if (conn.phase === 'auth') return this.inBandAuth(conn, env);
    switch (env.t) {
      case 'client_hello':
        return this.hello(conn, env);
      case 'ping':
        return this.ping(conn, env);
      case 'PONG':
      case 'pong':
        return;
      // activity is already recorded
      case 'auth_refresh':
        return this.refresh(conn, env);
      case 'batch':
        return this.batch(conn, env, encrypted);
    }
    if (this.host.options.requireEncryption && !conn.key) {
      conn.sendError('ENCRYPTION_REQUIRED', 'this server requires end-to-end encryption', {}, env.cid);
      return;
    }
    if (SUBSCRIPTION_TYPES.has(env.t)) return this.subscription(conn, env);
    if (env.t === 'publish') return this.publish(conn, env);
    if (this.host.presence && PRESENCE_TYPES.has(env.t)) return this.presence(conn, env);
    this.host.events.emit({
      type: 'message',
      connId: conn.id,
      userId: conn.identity.userId,
      t: env.t,
      p: env.p,
      cid: env.cid,
      envelope: env,
    });
  }
  /**
   * Token bucket: warn below 20 % (at most once a second), drop when empty. `RATE_LIMITED` goes out
   * at most once a second per connection, with `dropped` = frames dropped since the previous one
   * (this one included): a flood must not double the traffic with one error per frame.
   */
  admit(conn, cost = 1) {
    const bucket = conn.bucket;
    const now = this.host.now();
    if (!bucket.take(Math.min(cost, bucket.capacity))) {
      this.host.metrics.rateLimited();
      this.host.stats.rateLimited++;
      conn.droppedFrames++;
      if (now - conn.lastLimitedAt >= 1e3) {
        conn.lastLimitedAt = now;
        const dropped = conn.droppedFrames;
        conn.droppedFrames = 0;
        conn.sendError('RATE_LIMITED', 'rate limit exceeded', {
          retry_after: bucket.retryAfterSec(),
          dropped,
        });
      }
      return false;
    }
    if (bucket.isLow() && now - conn.lastWarningAt >= 1e3) {
      conn.lastWarningAt = now;
      const { capacity, refillPerSec } = this.host.options.rateLimit;
      conn.sendEvent('rate_limit_warning', {
        limit: capacity,
        remaining: Math.floor(bucket.remaining()),
        retry_after: refillPerSec > 0 ? Math.ceil((capacity * 0.2) / refillPerSec) : null,
      });
    }
    return true;
  }
  /** In-band auth (PROTOCOL §3.1): the first frame must be a client_hello carrying the token. */
  inBandAuth(conn, env) {
    const parsed = env.t === 'client_hello' ? parseClientHello(env.p) : void 0;
    const verify = this.host.verify;
    if (!parsed?.ok || !parsed.hello.token || !verify) {
      this.host.rejectAuth(
        conn,
        'AUTH_REQUIRED',
        'send a token (header, cookie, query or client_hello.p.token)',
      );
      return;
    }
    const hello = parsed.hello;
    if (conn.authTimer) clearTimeout(conn.authTimer);
    conn.authTimer = void 0;
    return verify(hello.token).then(
      (verified) => {
        if (conn.closed) return;
        this.host.authenticate(conn, verified);
        this.host.ready(conn);
        return this.completeHello(conn, hello, env.cid);
      },
      (err) => this.authFailed(conn, err),
    );
  }
  authFailed(conn, err) {
    const code = err instanceof AuthError ? err.code : 'AUTH_FAILED';
    this.host.rejectAuth(conn, code, err instanceof Error ? err.message : 'token rejected');
  }
  hello(conn, env) {
    if (conn.phase === 'ready') {
      conn.sendError('INVALID_MESSAGE', 'client_hello was already received', {}, env.cid);
      return;
    }
    const parsed = parseClientHello(env.p);
    if (!parsed.ok) {
      conn.sendError('INVALID_MESSAGE', parsed.message, {}, env.cid);
      return;
    }
    return this.completeHello(conn, parsed.hello, env.cid);
  }
  /** Key agreement (if asked), then `server_hello`; E2E and msgpack take effect right after it. */
  completeHello(conn, hello, cid) {
    conn.phase = 'ready';
    if (!hello.encryptionPublicKey) {
      this.sendServerHello(conn, hello, cid);
      return;
    }
    return agreeKey(hello.encryptionPublicKey, conn.id, this.host.options.identityKey).then(
      (agreed) => {
        if (conn.closed) return;
        this.sendServerHello(conn, hello, cid, agreed);
      },
      (err) => {
        conn.sendError(
          'KEY_EXCHANGE_FAILED',
          err instanceof Error ? err.message : 'key agreement failed',
          {},
          cid,
        );
        this.sendServerHello(conn, hello, cid);
      },
    );
  }
  sendServerHello(conn, hello, cid, agreed) {
    const o = this.host.options;
    const msgpack = conn.format === 'msgpack' || hello.features.msgpack;
    const features = negotiateFeatures(this.host.features, hello, { encrypted: !!agreed, msgpack });
    const payload = buildServerHello({
      serverVersion: this.host.serverVersion,
      hello,
      features,
      limits: {
        maxMessageSize: o.maxMessageSize,
        rateLimit: o.rateLimit,
        maxSubscriptions: o.maxSubscriptionsPerConnection,
      },
      pingInterval: o.pingInterval,
      connectionId: conn.id,
      now: this.host.now(),
      publicKey: agreed?.publicKey,
      signature: agreed?.signature,
    });
    conn.sendEvent('server_hello', payload, { cid });
    const wasDirect = conn.direct;
    if (agreed) conn.key = agreed.key;
    if (msgpack) conn.format = 'msgpack';
    if (conn.direct && !wasDirect) this.host.topics.makeDirect(conn);
  }
  ping(conn, env) {
    const now = this.host.now();
    const sent = env.p.timestamp ?? env.p.client_timestamp;
    const payload = { client_timestamp: sent ?? null, server_timestamp: now };
    if (typeof sent === 'number' && Number.isFinite(sent)) payload.latency = Math.max(0, now - sent);
    conn.sendEvent('PONG', payload, { cid: env.cid });
  }
  /** Token refresh (PROTOCOL §3.7): same user, new expiry and ACL; failure closes 4401/4403. */
  refresh(conn, env) {
    const verify = this.host.verify;
    if (!verify) {
      conn.sendEvent('auth_refreshed', {}, { cid: env.cid });
      return;
    }
    const token = env.p.token;
    if (typeof token !== 'string' || token === '') {
      this.host.rejectAuth(conn, 'AUTH_FAILED', 'auth_refresh needs p.token');
      return;
    }
    return verify(token).then(
      (verified) => {
        if (conn.closed) return;
        if (verified.userId !== conn.identity.userId) {
          this.host.rejectAuth(conn, 'AUTH_FAILED', 'refreshed token is for another user');
          return;
        }
        this.host.authenticate(conn, verified);
        const revoked = this.host.topics.topicsOf(conn.id).filter((t) => !topicAllowed(verified.topics, t));
        this.host.topics.unsubscribe(conn, revoked);
        const expiresIn =
          verified.expiresAt === void 0 ? void 0 : Math.floor((verified.expiresAt - this.host.now()) / 1e3);
        conn.sendEvent(
          'auth_refreshed',
          { token_expires_in: expiresIn, revoked_topics: revoked },
          { cid: env.cid },
        );
      },
      (err) => this.authFailed(conn, err),
    );
  }
  batch(conn, env, encrypted) {
    const list = env.p.messages;
    if (!Array.isArray(list) || list.length > MAX_BATCH) {
      conn.sendError(
        'INVALID_MESSAGE',
        `batch.messages must be an array of at most ${MAX_BATCH} envelopes`,
        {},
        env.cid,
      );
      return;
    }
    const run = (from) => {
      for (let i = from; i < list.length; i++) {
        let inner;
        try {
          inner = parseEnvelope(list[i]);
        } catch (err) {
          const raw = list[i];
          this.frameError(conn, err, typeof raw?.cid === 'string' ? raw.cid : void 0);
          continue;
        }
        if (inner.t === 'batch') {
          conn.sendError('INVALID_MESSAGE', 'a batch cannot contain a batch', {}, inner.cid);
          continue;
        }
        const r = this.route(conn, inner, encrypted);
        if (r instanceof Promise) return r.then(() => run(i + 1));
      }
    };
    return run(0);
  }
  subscription(conn, env) {
    const parsed = parseSubscriptionRequest(env.p, this.host.options.maxSubscriptionsPerConnection);
    if (!parsed.ok) {
      conn.sendError(parsed.code, parsed.message, {}, env.cid);
      return;
    }
    const req = parsed.request;
    if (req.action === 'unsubscribe') {
      const outcome2 = this.host.topics.handleRequest(conn, req);
      conn.sendEvent('subscription_update', outcome2, { cid: env.cid });
      return;
    }
    const checked = this.host.topics.checkSubscribe(conn, req.topics);
    const run = (r) => {
      if (conn.closed) return;
      const done = this.host.subscribeFlow.run(conn, {
        accepted: r.accepted,
        failed: r.failed,
        recover: req.recover,
        recovery: req.recovery,
        presence: req.presence,
        cid: env.cid,
      });
      if (done instanceof Promise) return done.then(() => void 0);
    };
    if (checked instanceof Promise) return checked.then(run);
    return run(checked);
  }
  /**
   * Presence over the wire (PROTOCOL §5), decided here: queries and updates need the connection
   * to be subscribed to the topic (else `FORBIDDEN`). Replies carry the request's `cid` and the
   * request's type: `presence {topic, members}`, `presence_stats {topic, num_users,
   * num_connections}`. `presence_update {topic, data}` answers nothing on success (subscribers,
   * the sender included, get the `presence_update` event) and `error` on a limit.
   */
  presence(conn, env) {
    const presence = this.host.presence;
    if (!presence) return;
    const topic = env.p.topic;
    if (typeof topic !== 'string' || validateTopicName(topic) !== null) {
      conn.sendError('INVALID_MESSAGE', `${env.t}: p.topic must be a topic name`, {}, env.cid);
      return;
    }
    if (!this.host.topics.isSubscribed(conn.id, topic)) {
      conn.sendError('FORBIDDEN', `${env.t}: subscribe to "${topic}" first`, { topic }, env.cid);
      return;
    }
    if (env.t === 'presence') {
      this.presenceQuery(conn, env, topic);
    } else if (env.t === 'presence_stats') {
      const stats = presence.stats(topic);
      const reply = (value) => conn.sendEvent('presence_stats', { topic, ...value }, { cid: env.cid });
      if (!(stats instanceof Promise)) reply(stats);
      else stats.then(reply, (err) => this.presenceFailed(conn, err, topic, env.cid));
    } else {
      try {
        presence.update(conn.id, conn.identity.userId, topic, env.p.data ?? null);
      } catch (err) {
        if (!(err instanceof PresenceError)) {
          this.frameError(conn, err, env.cid);
          return;
        }
        conn.sendError(err.code, err.message, { ...err.details, topic }, env.cid);
      }
    }
  }
  /**
   * `presence {topic, cursor?, limit?}` → `{topic, members, next_cursor?}` (decided here: pages in
   * user-id order, at most `limit` (default 100, max 1000) users and ~256 KiB each; follow
   * `next_cursor` until it is absent). A page costs its size in rate-limit tokens (1 per KiB), and
   * a connection over `maxBackpressure` gets no reply at all (it would only be dropped or pile up).
   */
  presenceQuery(conn, env, topic) {
    const presence = this.host.presence;
    const limit = env.p.limit;
    const cursor = env.p.cursor ?? void 0;
    if (cursor !== void 0 && (typeof cursor !== 'string' || cursor.length > 1024)) {
      conn.sendError('INVALID_MESSAGE', 'presence: p.cursor must be the next_cursor of a reply', {}, env.cid);
      return;
    }
    if (
      limit !== void 0 &&
      (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > PRESENCE_PAGE.maxLimit)
    ) {
      conn.sendError(
        'INVALID_MESSAGE',
        `presence: p.limit must be 1..${PRESENCE_PAGE.maxLimit}`,
        {},
        env.cid,
      );
      return;
    }
    if (conn.bufferedAmount() > this.host.options.maxBackpressure) return;
    const answer = (source) => {
      const page = presencePage(source, topic, cursor, limit ?? PRESENCE_PAGE.defaultLimit);
      conn.inbox?.charge(page.bytes >>> 10);
      if (!this.admit(conn, page.bytes >>> 10)) return;
      const reply = { topic, members: page.members };
      if (page.next !== void 0) reply.next_cursor = page.next;
      conn.sendEvent('presence', reply, { cid: env.cid });
    };
    if (presence instanceof PresenceService) {
      answer(presence.store);
      return;
    }
    Promise.resolve(presence.members(topic)).then(
      (members) => answer(recordSource(members)),
      (err) => this.presenceFailed(conn, err, topic, env.cid),
    );
  }
  /** A presence read from the engine's store failed: ENGINE_UNAVAILABLE (or a framed error). */
  presenceFailed(conn, err, topic, cid) {
    if (err instanceof EngineUnavailableError) conn.sendError(err.code, err.message, { topic }, cid);
    else this.frameError(conn, err, cid);
  }
  /** Client publish (PROTOCOL §4): topic name, token ACL and the publish policy must all agree. */
  publish(conn, env) {
    const topic = env.p.topic;
    const problem = validateTopicName(topic);
    if (problem !== null) {
      conn.sendError('INVALID_MESSAGE', `publish: ${problem}`, {}, env.cid);
      return;
    }
    const name = topic;
    const policy = this.host.options.publishPolicy;
    if (!topicAllowed(conn.identity.acl, name) || !publishAllowed(policy, name, matchGlob)) {
      conn.sendError('FORBIDDEN', `publishing to "${name}" is not allowed`, { topic: name }, env.cid);
      return;
    }
    const reserved = reservedEventType(env.p.data);
    if (reserved !== void 0) {
      conn.sendError(
        'FORBIDDEN',
        `publish: type "${reserved}" is reserved for the server`,
        { topic: name },
        env.cid,
      );
      return;
    }
    let publication;
    try {
      publication = toPublication(name, env.p.data);
    } catch (err) {
      this.frameError(conn, err, env.cid);
      return;
    }
    const delivered = this.host.publish(name, publication);
    if (!(delivered instanceof Promise)) {
      if (env.cid) conn.sendEvent('publish_ack', { topic: name, delivered }, { cid: env.cid });
      return;
    }
    delivered.then(
      (n) => {
        if (env.cid) conn.sendEvent('publish_ack', { topic: name, delivered: n }, { cid: env.cid });
      },
      (err) => {
        if (err instanceof EngineUnavailableError)
          conn.sendError(err.code, err.message, { topic: name }, env.cid);
        else this.frameError(conn, err, env.cid);
      },
    );
  }
};
function recordSource(members) {
  return {
    userIds: () => Object.keys(members),
    member: (_topic, userId) => {
      const m = Object.hasOwn(members, userId) ? members[userId] : void 0;
      return m ? { ...m, bytes: (JSON.stringify(m.data) ?? 'null').length } : void 0;
    },
  };
}

// packages/ref-server/src/session/serial-inbox.ts
var epoch = 0;
var epochScheduled = false;
function loopTurn() {
  if (!epochScheduled) {
    epochScheduled = true;
    setImmediate(() => {
      epoch++;
      epochScheduled = false;
    });
  }
  return epoch;
}
var SerialInbox = class {
  constructor(owner, handler, limit, budget) {
    this.owner = owner;
    this.handler = handler;
    this.limit = limit;
    this.budget = budget;
  }
  owner;
  handler;
  limit;
  budget;
  /** Allocated on the first item that has to wait. */
  pending = null;
  /** Index of the next waiting item in `pending` (no O(n) shift per item). */
  head = 0;
  busy = false;
  turn = -1;
  used = 0;
  queuedCost = 0;
  get queued() {
    return this.pending === null ? 0 : this.pending.length - this.head;
  }
  /** True while nothing runs or waits (the next item pushed runs at once, budget permitting). */
  get idle() {
    return !this.busy && this.queued === 0;
  }
  push(item, copy) {
    if (!this.busy && this.spend(item)) {
      this.exec(item);
      return;
    }
    if (this.pending === null) this.pending = [];
    const pending = this.pending;
    const cost = this.costOf(item);
    if (this.queued >= this.limit || (this.budget && this.queuedCost + cost > this.budget.maxQueued)) {
      this.handler.overflow(this.owner);
      return;
    }
    pending.push(copy(item));
    this.queuedCost += cost;
    if (!this.busy) this.deferRest();
  }
  /**
   * Charges extra work of the item being run (a reply it built) to this turn's budget, so the
   * next item waits for a later turn when the reply was expensive.
   */
  charge(units) {
    const budget = this.budget;
    if (!budget) return;
    const turn = budget.turn();
    if (turn !== this.turn) {
      this.turn = turn;
      this.used = 0;
    }
    this.used += units;
  }
  clear() {
    this.pending = null;
    this.head = 0;
    this.queuedCost = 0;
  }
  costOf(item) {
    return this.handler.cost ? this.handler.cost(item) : 1;
  }
  /** Charges `item` to this turn's budget; false when the turn's budget is spent. */
  spend(item) {
    const budget = this.budget;
    if (!budget) return true;
    const turn = budget.turn();
    if (turn !== this.turn) {
      this.turn = turn;
      this.used = 0;
    }
    if (this.used >= budget.perTurn) return false;
    this.used += this.costOf(item);
    return true;
  }
  deferRest() {
    this.busy = true;
    this.budget.defer(() => this.next());
  }
  exec(item) {
    let result;
    try {
      result = this.handler.run(this.owner, item);
    } catch {
      return;
    }
    if (result instanceof Promise) {
      this.busy = true;
      result.then(
        () => this.next(),
        () => this.next(),
      );
    }
  }
  next() {
    this.busy = false;
    const pending = this.pending;
    while (!this.busy && pending !== null && this.pending === pending && this.head < pending.length) {
      const item = pending[this.head];
      if (!this.spend(item)) {
        this.deferRest();
        return;
      }
      pending[this.head] = void 0;
      this.head++;
      this.queuedCost -= this.costOf(item);
      this.exec(item);
    }
    if (this.pending === pending && pending !== null && this.head >= pending.length) {
      this.pending = null;
      this.head = 0;
    }
  }
};

// packages/ref-server/src/session/session-manager.ts
var textDecoder = new TextDecoder();
function toIdentity(v) {
  return { userId: v.userId, anonymous: false, claims: v.claims, acl: v.topics, expiresAt: v.expiresAt };
}
var copyFrame = (frame) => (typeof frame === 'string' ? frame : frame.slice(0));
var MAX_PENDING_FRAMES = 4096;
var TURN_BUDGET = { perTurn: 64, maxQueued: 8192, turn: loopTurn, defer: setImmediate };
var frameBytes = (frame) => (typeof frame === 'string' ? frame.length : frame.byteLength);
var SessionManager = class {
  constructor(deps) {
    this.deps = deps;
    this.options = deps.options;
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    this.topics = deps.topics;
    this.events = deps.events;
    this.features = deps.features;
    this.serverVersion = deps.serverVersion;
    this.verify = deps.verify;
    this.now = deps.now ?? Date.now;
    this.subscribeFlow = deps.subscribeFlow;
    this.presence = deps.presence;
    this.router = new MessageRouter(this);
    const { metrics, logger } = deps;
    this.connEnv = {
      compressionThreshold: this.options.compressionThreshold,
      rateLimit: this.options.rateLimit,
      now: this.now,
      onSent: (bytes) => metrics.messageOut(1, bytes),
      onSendError: (err, connId) => logger.warn({ err, connId }, 'send failed'),
    };
    const router = this.router;
    this.inboxHandler = {
      run: (conn, data) => router.handleFrame(conn, data),
      overflow: (conn) => conn.close(4429, 'too many frames in flight'),
      cost: (frame) => frameCost(frameBytes(frame)),
    };
  }
  deps;
  connections = /* @__PURE__ */ new Map();
  options;
  logger;
  metrics;
  topics;
  events;
  features;
  serverVersion;
  verify;
  now;
  subscribeFlow;
  presence;
  /** Upgrades accepted but not yet closed or opened (they count against maxConnections). */
  pending = 0;
  closing = null;
  router;
  /** Shared by every connection: per-connection state stays plain fields, no closures. */
  connEnv;
  inboxHandler;
  sweepTimer;
  /** Counters for the health snapshot (Prometheus has its own). */
  stats = { rateLimited: 0, slowConsumers: 0, authFailures: 0 };
  // ── transport callbacks ────────────────────────────────────────────────────────────────────
  upgrade(info) {
    const ctx = {
      connId: randomUUID(),
      format: /(?:^|&)format=msgpack(?:&|$)/.test(info.query) ? 'msgpack' : 'json',
      remoteAddress: info.remoteAddress,
      // Every field up front: one object shape, no out-of-object property store per connection.
      identity: void 0,
      authError: void 0,
      reject: void 0,
      conn: void 0,
    };
    this.pending++;
    if (this.closing) ctx.reject = this.closing;
    else if (this.connections.size + this.pending > this.options.maxConnections) {
      ctx.reject = { code: 4503, reason: 'server full' };
    }
    if (ctx.reject) return ctx;
    const auth = this.options.auth;
    if (!auth || !this.verify) {
      ctx.identity = { userId: `anon-${ctx.connId.slice(0, 8)}`, anonymous: true, claims: {} };
      return ctx;
    }
    const found = extractToken(
      { authorization: info.headers.authorization, cookie: info.headers.cookie, query: info.query },
      auth,
    );
    if (found.token && !found.rejected) {
      const v = this.options.verifier?.verifyNow(found.token);
      if (v) {
        ctx.identity = toIdentity(v);
        return ctx;
      }
    }
    return this.authenticateUpgrade(ctx, found);
  }
  upgradeAborted(_ctx) {
    this.pending--;
  }
  open(socket, ctx) {
    this.pending--;
    const reject = ctx.reject ?? this.closing;
    if (reject) {
      socket.end(reject.code, reject.reason);
      return;
    }
    const conn = this.createConnection(socket, ctx);
    ctx.conn = conn;
    this.connections.set(conn.id, conn);
    this.metrics.connectionOpened();
    this.topics.attach(conn);
    if (ctx.authError) this.rejectAuth(conn, ctx.authError.code, ctx.authError.message);
    else if (ctx.identity) this.ready(conn);
    else this.awaitInBand(conn);
  }
  message(ctx, data, isBinary) {
    const conn = ctx.conn;
    if (!conn) return;
    if (data.byteLength > this.options.maxMessageSize) {
      conn.close(
        1009,
        `frame of ${data.byteLength} bytes exceeds maxMessageSize ${this.options.maxMessageSize}`,
      );
      return;
    }
    if (conn.phase === 'auth' && conn.inbox?.idle && data.byteLength > MAX_HELLO_BYTES) {
      this.rejectAuth(
        conn,
        'AUTH_REQUIRED',
        `the first frame must be a client_hello of at most ${MAX_HELLO_BYTES} bytes`,
      );
      return;
    }
    if (!this.router.admitFrame(conn, data.byteLength)) return;
    conn.inbox?.push(isBinary ? data : textDecoder.decode(data), copyFrame);
  }
  drain(ctx) {
    const conn = ctx.conn;
    if (!conn || conn.bufferedAmount() > this.options.maxBackpressure) return;
    if (conn.closing) conn.close(conn.closing.code, conn.closing.reason);
    else conn.overSince = void 0;
  }
  close(ctx, code, reason) {
    const conn = ctx.conn;
    if (!conn || conn.phase === 'closed') return;
    const wasConnected = conn.phase !== 'auth';
    if (conn.closing && code === 1006) ({ code, reason } = conn.closing);
    conn.phase = 'closed';
    conn.inbox?.clear();
    if (conn.authTimer) clearTimeout(conn.authTimer);
    this.topics.detach(conn.id);
    this.connections.delete(conn.id);
    this.metrics.connectionClosed();
    if (wasConnected) {
      this.events.emit({ type: 'disconnect', connId: conn.id, userId: conn.identity.userId, code, reason });
    }
  }
  http(request) {
    return this.deps.http(request);
  }
  httpEarly(head2) {
    return this.deps.httpEarly?.(head2) ?? null;
  }
  // ── SessionHost ────────────────────────────────────────────────────────────────────────────
  authenticate(conn, v) {
    conn.identity = toIdentity(v);
    if (conn.authTimer) clearTimeout(conn.authTimer);
    conn.authTimer = void 0;
    if (conn.phase === 'auth') conn.phase = 'open';
  }
  ready(conn) {
    const now = this.now();
    conn.lastPingAt = now;
    conn.sendEvent(
      'server_ready',
      buildServerReady({
        connectionId: conn.id,
        userId: conn.identity.userId,
        now,
        tokenExpiresAt: conn.identity.expiresAt,
        features: this.features,
      }),
    );
    if (!this.events.wants('connect')) return;
    this.events.emit({
      type: 'connect',
      connId: conn.id,
      userId: conn.identity.userId,
      info: this.info(conn),
    });
  }
  rejectAuth(conn, code, message, extra) {
    this.metrics.authFailure();
    this.stats.authFailures++;
    conn.sendError(code, message, extra);
    conn.close(code === 'AUTH_EXPIRED' ? 4403 : 4401, code);
  }
  publish(topic, envelope) {
    return this.deps.publish(topic, envelope);
  }
  // ── queries and lifecycle ──────────────────────────────────────────────────────────────────
  info(conn) {
    const info = {
      id: conn.id,
      userId: conn.identity.userId,
      anonymous: conn.identity.anonymous,
      topics: this.topics.topicsOf(conn.id),
      format: conn.format,
      encrypted: conn.key !== void 0,
      connectedAt: conn.connectedAt,
      claims: conn.identity.claims,
      remoteAddress: conn.remoteAddress,
    };
    if (conn.identity.expiresAt !== void 0) info.tokenExpiresAt = conn.identity.expiresAt;
    return info;
  }
  /** Starts the sweep; its period follows the shortest configured interval so tests stay fast. */
  startSweep() {
    const o = this.options;
    const shortest = Math.min(o.pingInterval, o.idleTimeout, o.slowConsumerGraceMs || 1e3);
    const period = Math.max(10, Math.min(1e3, Math.floor(shortest / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), period);
    this.sweepTimer.unref?.();
  }
  stopSweep() {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = void 0;
  }
  /** Refuses new upgrades with `code` and closes every open connection with it. */
  closeAll(code, reason) {
    this.closing = { code, reason };
    for (const conn of [...this.connections.values()]) conn.close(code, reason);
  }
  /** Accept connections again (after stop → start). */
  reopen() {
    this.closing = null;
  }
  /** Heartbeat, idle close, token expiry and slow consumers, for every connection. */
  sweep() {
    const now = this.now();
    const o = this.options;
    const leewayMs = (o.auth ? (o.auth.leewaySec ?? 30) : 0) * 1e3;
    for (const conn of this.connections.values()) {
      if (conn.phase === 'auth') continue;
      if (conn.closing) {
        this.closeSlowConsumer(conn, now);
        continue;
      }
      if (now - conn.lastActivity >= o.idleTimeout) {
        conn.close(1e3, 'idle timeout');
      } else if (conn.identity.expiresAt !== void 0 && now >= conn.identity.expiresAt + leewayMs) {
        conn.sendError('AUTH_EXPIRED', 'token expired: refresh it and reconnect');
        conn.close(4403, 'token expired');
      } else {
        if (now - conn.lastPingAt >= o.pingInterval) {
          conn.lastPingAt = now;
          conn.sendEvent('ping', { server_time: now });
        }
        this.checkBackpressure(conn, now);
      }
    }
  }
  /** Marks a connection over `maxBackpressure`; past the grace period it is closed with 4008. */
  checkBackpressure(conn, now = this.now()) {
    if (conn.bufferedAmount() <= this.options.maxBackpressure) {
      conn.overSince = void 0;
      return;
    }
    if (conn.overSince === void 0) {
      conn.overSince = now;
      this.stats.slowConsumers++;
      this.metrics.slowConsumer();
      return;
    }
    if (now - conn.overSince >= this.options.slowConsumerGraceMs) this.closeSlowConsumer(conn, now);
  }
  /**
   * 4008 the client can see: uWS drops any frame (the close frame too) while the buffer is over
   * `maxBackpressure`, so the connection stops receiving (topics unsubscribed at uWS, sends
   * suppressed) and the close frame is queued as soon as a drain brings the buffer under the
   * limit. A peer that reads nothing for two more grace periods (at least 2 s) is dropped (it sees
   * 1006; the `disconnect` event still says 4008).
   */
  closeSlowConsumer(conn, now) {
    if (conn.closing) {
      if (now - conn.closing.since >= Math.max(2e3, 2 * this.options.slowConsumerGraceMs)) {
        if (conn.handle?.terminate) conn.handle.terminate();
        else conn.close(conn.closing.code, conn.closing.reason);
      }
      return;
    }
    if (conn.bufferedAmount() <= this.options.maxBackpressure) {
      conn.close(4008, 'slow consumer');
      return;
    }
    conn.closing = { code: 4008, reason: 'slow consumer', since: now };
    for (const topic of this.topics.topicsOf(conn.id)) conn.handle?.unsubscribe(topic);
  }
  // ── internals ──────────────────────────────────────────────────────────────────────────────
  async authenticateUpgrade(ctx, found) {
    const verify = this.verify;
    if (found.rejected) {
      ctx.authError = {
        code: 'AUTH_FAILED',
        message: `token from ${found.source} rejected: ${found.rejected}`,
      };
    } else if (found.token) {
      try {
        ctx.identity = toIdentity(await verify(found.token));
      } catch (err) {
        const code = err instanceof AuthError && err.code === 'AUTH_EXPIRED' ? 'AUTH_EXPIRED' : 'AUTH_FAILED';
        ctx.authError = { code, message: err instanceof Error ? err.message : 'token rejected' };
      }
    }
    return ctx;
  }
  createConnection(socket, ctx) {
    const conn = new Connection(ctx.connId, ctx.identity, ctx.remoteAddress, ctx.format, this.connEnv);
    conn.handle = socket;
    conn.inbox = new SerialInbox(conn, this.inboxHandler, MAX_PENDING_FRAMES, TURN_BUDGET);
    return conn;
  }
  /** PROTOCOL §3.1: no token at the door → wait for `client_hello.p.token`, else AUTH_REQUIRED. */
  awaitInBand(conn) {
    const timeout = (this.options.auth || void 0)?.inBandTimeoutMs ?? 5e3;
    conn.authTimer = setTimeout(() => {
      if (conn.phase === 'auth') this.rejectAuth(conn, 'AUTH_REQUIRED', 'no token received in time');
    }, timeout);
    conn.authTimer.unref?.();
  }
};

// packages/ref-server/src/session/subscribe-flow.ts
var FRAME_OVERHEAD = 64;
var SubscribeFlow = class {
  constructor(deps) {
    this.deps = deps;
  }
  deps;
  /**
   * Runs the plan on `conn`; returns the reply payload it sent. Synchronous with the memory engine;
   * a promise with a shared log ({@link SubscribeFlow.runShared}).
   */
  run(conn, plan) {
    if (this.deps.shared && plan.accepted.length > 0) return this.runShared(conn, plan, this.deps.shared);
    return this.runLocal(conn, plan);
  }
  runLocal(conn, plan) {
    const { topics, log } = this.deps;
    topics.flush();
    topics.subscribe(conn, plan.accepted);
    const reply = {
      action: 'subscribe',
      success: plan.failed.length === 0,
      success_topics: plan.accepted,
      failed_topics: plan.failed,
    };
    const replay = [];
    if (plan.recover) {
      const recovery = /* @__PURE__ */ Object.create(null);
      let budget = this.deps.maxBackpressure - conn.bufferedAmount();
      for (const topic of plan.accepted) {
        const positions = positionsFor(plan.recovery, topic);
        if (positions === void 0) {
          recovery[topic] = { ...log.open(topic), recovered: true, count: 0 };
          continue;
        }
        const r = log.recoverTopic(topic, positions ?? []);
        const head2 = r.positions[0] ?? log.open(topic);
        let { recovered, count } = r;
        if (recovered && count > 0) {
          const cost = replayCost(r.publications);
          if (cost > budget) {
            recovered = false;
            count = 0;
          } else {
            budget -= cost;
            replay.push(r.publications);
          }
        }
        recovery[topic] = { epoch: head2.epoch, offset: head2.offset, recovered, count };
      }
      reply.recovery = recovery;
    }
    const presenceErrors = this.joinPresence(conn, plan);
    conn.cork(() => {
      for (const list of replay) for (const pub of list) conn.sendPublication(pub);
      for (const { err, topic } of presenceErrors) {
        conn.sendError(err.code, err.message, { ...err.details, topic }, plan.cid);
      }
      conn.sendEvent('subscription_update', reply, { cid: plan.cid });
    });
    return reply;
  }
  /**
   * The subscribe step over a shared log (Redis). `prepare` (async) makes the topics' live delivery
   * certain, reads the history and collects what fan-out delivered meanwhile. Then, in ONE
   * synchronous run like the local path: flush the fan-out queue (collected publications reach the
   * existing subscribers, not this connection), subscribe, and send per topic the replay followed by
   * the collected publications past the read's head — the overlap is dropped by offset, so nothing
   * is sent twice and nothing published between the read and the subscribe is missed. If the store
   * is unreachable every accepted topic is refused with the error's code (`ENGINE_UNAVAILABLE`).
   */
  async runShared(conn, plan, shared) {
    const wanted = /* @__PURE__ */ new Map();
    if (plan.recover) {
      for (const topic of plan.accepted) {
        const positions = positionsFor(plan.recovery, topic);
        wanted.set(topic, positions === void 0 ? void 0 : (positions ?? []));
      }
    }
    let prepared;
    try {
      prepared = await shared.prepare(plan.accepted, wanted);
    } catch (err) {
      if (!(err instanceof ServerError)) throw err;
      const refused = plan.accepted.map((topic) => ({ topic, code: err.code, message: err.message }));
      const reply = {
        action: 'subscribe',
        success: false,
        success_topics: [],
        failed_topics: [...plan.failed, ...refused],
      };
      if (!conn.closed) conn.sendEvent('subscription_update', reply, { cid: plan.cid });
      return reply;
    }
    try {
      return this.finishShared(conn, plan, prepared);
    } finally {
      prepared.release();
    }
  }
  finishShared(conn, plan, prepared) {
    const reply = {
      action: 'subscribe',
      success: plan.failed.length === 0,
      success_topics: plan.accepted,
      failed_topics: plan.failed,
    };
    if (conn.closed) return reply;
    this.deps.topics.flush();
    this.deps.topics.subscribe(conn, plan.accepted);
    const sends = [];
    if (plan.recover) {
      const recovery = /* @__PURE__ */ Object.create(null);
      let budget = this.deps.maxBackpressure - conn.bufferedAmount();
      for (const [topic, r] of prepared.results) {
        const head2 = r.positions[0];
        let { recovered, count } = r;
        if (recovered && count > 0) {
          const cost = replayCost(r.publications);
          if (cost > budget) {
            recovered = false;
            count = 0;
          } else {
            budget -= cost;
            sends.push(...r.publications);
          }
        }
        for (const pub of prepared.tapped(topic)) {
          if (pub.epoch !== head2.epoch || pub.offset > head2.offset) sends.push(pub);
        }
        recovery[topic] = { epoch: head2.epoch, offset: head2.offset, recovered, count };
      }
      reply.recovery = recovery;
    }
    const presenceErrors = this.joinPresence(conn, plan);
    conn.cork(() => {
      for (const pub of sends) conn.sendPublication(pub);
      for (const { err, topic } of presenceErrors) {
        conn.sendError(err.code, err.message, { ...err.details, topic }, plan.cid);
      }
      conn.sendEvent('subscription_update', reply, { cid: plan.cid });
    });
    return reply;
  }
  joinPresence(conn, plan) {
    const presence = this.deps.presence;
    if (!presence || plan.presence === void 0) return [];
    const errors2 = [];
    for (const topic of plan.accepted) {
      try {
        presence.join(conn.id, conn.identity.userId, topic, plan.presence);
      } catch (err) {
        if (err instanceof PresenceError) errors2.push({ err, topic });
        else this.deps.onPresenceFailure?.(err, conn.id);
      }
    }
    return errors2;
  }
};
function replayCost(pubs) {
  let bytes = 0;
  for (const p of pubs) bytes += (p.bytes ?? p.json.length * 3) + FRAME_OVERHEAD;
  return bytes;
}

// packages/ref-server/src/topics/topic-registry.ts
var TopicRegistry = class {
  /** A connection's topics: the topic itself while it has one (the common case), a Set from two on. */
  byConn = /* @__PURE__ */ new Map();
  byTopic = /* @__PURE__ */ new Map();
  directConns = /* @__PURE__ */ new Set();
  /** Subscribes; returns false when the connection already had the topic. */
  add(connId, topic, direct) {
    const topics = this.byConn.get(connId);
    if (topics === void 0) this.byConn.set(connId, topic);
    else if (typeof topics === 'string') {
      if (topics === topic) return false;
      this.byConn.set(connId, /* @__PURE__ */ new Set([topics, topic]));
    } else {
      if (topics.has(topic)) return false;
      topics.add(topic);
    }
    let entry = this.byTopic.get(topic);
    if (!entry) {
      entry = { all: /* @__PURE__ */ new Set(), direct: /* @__PURE__ */ new Set() };
      this.byTopic.set(topic, entry);
    }
    entry.all.add(connId);
    if (direct) {
      entry.direct.add(connId);
      this.directConns.add(connId);
    }
    return true;
  }
  /** Unsubscribes; returns false when the connection did not have the topic. */
  remove(connId, topic) {
    const topics = this.byConn.get(connId);
    if (topics === void 0) return false;
    if (typeof topics === 'string') {
      if (topics !== topic) return false;
      this.byConn.delete(connId);
    } else {
      if (!topics.delete(topic)) return false;
      if (topics.size === 0) this.byConn.delete(connId);
    }
    const entry = this.byTopic.get(topic);
    if (entry) {
      entry.all.delete(connId);
      entry.direct.delete(connId);
      if (entry.all.size === 0) this.byTopic.delete(topic);
    }
    return true;
  }
  /** Drops every subscription of a connection (on close); returns the topics it had. */
  removeAll(connId) {
    const topics = this.topicsOf(connId);
    for (const topic of topics) this.remove(connId, topic);
    this.directConns.delete(connId);
    return topics;
  }
  /** Moves a connection's existing subscriptions between the uWS path and the direct path. */
  setDirect(connId, direct) {
    if (direct) this.directConns.add(connId);
    else this.directConns.delete(connId);
    for (const topic of this.topicsOf(connId)) {
      const entry = this.byTopic.get(topic);
      if (!entry) continue;
      if (direct) entry.direct.add(connId);
      else entry.direct.delete(connId);
    }
  }
  topicsOf(connId) {
    const topics = this.byConn.get(connId);
    if (topics === void 0) return [];
    return typeof topics === 'string' ? [topics] : [...topics];
  }
  has(connId, topic) {
    const topics = this.byConn.get(connId);
    return typeof topics === 'string' ? topics === topic : (topics?.has(topic) ?? false);
  }
  count(connId) {
    const topics = this.byConn.get(connId);
    return typeof topics === 'string' ? 1 : (topics?.size ?? 0);
  }
  subscriberCount(topic) {
    return this.byTopic.get(topic)?.all.size ?? 0;
  }
  /** Subscribers that need their own frame; undefined when there are none. */
  directSubscribers(topic) {
    const direct = this.byTopic.get(topic)?.direct;
    return direct && direct.size > 0 ? direct : void 0;
  }
  /** Every direct connection, subscribed or not (broadcastAll reaches them one by one). */
  allDirect() {
    return this.directConns;
  }
  topicCount() {
    return this.byTopic.size;
  }
  topics() {
    return [...this.byTopic.keys()];
  }
};

// packages/ref-server/src/topics/topic-service.ts
var TopicService = class {
  constructor(registry, fanout, limits) {
    this.registry = registry;
    this.fanout = fanout;
    this.limits = limits;
  }
  registry;
  fanout;
  limits;
  /**
   * Called after subscriptions went away: `topics` of a live connection (unsubscribe, revoked on
   * refresh), or every topic of a closed one (`closed: true`). Presence hangs its leaves here, so
   * every path produces them.
   */
  onLeft;
  /**
   * Local interest changed (the engine seam's `interest`): `true` on a topic's first local
   * subscriber, `false` when its last one is gone — once per transition, on every path (subscribe,
   * unsubscribe, close).
   */
  onInterest;
  /** A new connection (msgpack from the query string is direct from the start). */
  attach(sub) {
    if (sub.direct) this.registry.setDirect(sub.id, true);
  }
  /** The connection now needs its own frames (E2E agreed or msgpack chosen in client_hello). */
  makeDirect(sub) {
    for (const topic of this.registry.topicsOf(sub.id)) sub.handle?.unsubscribe(topic);
    this.registry.setDirect(sub.id, true);
  }
  /** Subscribes without checks (server-side API); returns the topics that were new. */
  subscribe(sub, topics) {
    const added = [];
    for (const topic of topics) {
      if (!this.registry.add(sub.id, topic, sub.direct)) continue;
      if (!sub.direct) sub.handle?.subscribe(topic);
      added.push(topic);
      if (this.onInterest && this.registry.subscriberCount(topic) === 1) this.onInterest(topic, true);
    }
    return added;
  }
  /** Unsubscribes from `topics` (all when omitted); returns the topics that were removed. */
  unsubscribe(sub, topics) {
    const list = topics ?? this.registry.topicsOf(sub.id);
    const removed = [];
    for (const topic of list) {
      if (!this.registry.remove(sub.id, topic)) continue;
      if (!sub.direct) sub.handle?.unsubscribe(topic);
      removed.push(topic);
      this.lostInterest(topic);
    }
    if (removed.length > 0) this.onLeft?.(sub.id, removed, false);
    return removed;
  }
  /** Connection closed: uWS already forgot it, the registry must too. */
  detach(connId) {
    const topics = this.registry.removeAll(connId);
    for (const topic of topics) this.lostInterest(topic);
    this.onLeft?.(connId, topics, true);
    return topics;
  }
  lostInterest(topic) {
    if (this.onInterest && this.registry.subscriberCount(topic) === 0) this.onInterest(topic, false);
  }
  /** Every topic with at least one local subscriber. */
  topics() {
    return this.registry.topics();
  }
  subscriberCount(topic) {
    return this.registry.subscriberCount(topic);
  }
  /**
   * The checks of a subscribe request (name, ACL, limit, hook) without subscribing: the caller
   * subscribes the accepted topics itself, in the same turn as it reads the recovery buffers.
   * Sync unless the hook is async.
   */
  checkSubscribe(sub, topics) {
    const authorize = this.limits.authorize;
    return checkSubscribe(topics, {
      validateName: validateTopicName,
      aclAllows: (topic) => topicAllowed(sub.identity.acl, topic),
      authorize: authorize ? (topic) => authorize(sub, topic) : void 0,
      isSubscribed: (topic) => this.registry.has(sub.id, topic),
      currentCount: this.registry.count(sub.id),
      maxSubscriptions: this.limits.maxSubscriptions,
    });
  }
  /** Sends every queued publication now (before a subscribe that replays: no duplicates). */
  flush() {
    this.fanout.flush();
  }
  isSubscribed(connId, topic) {
    return this.registry.has(connId, topic);
  }
  /**
   * Handles a client's request (validation, ACL, hook, limit). Sync unless the hook is async.
   * The caller checks `sub.closed` is still false after an await before trusting the outcome.
   */
  handleRequest(sub, req) {
    if (req.action === 'unsubscribe') {
      const { accepted, failed } = checkUnsubscribe(req.topics, validateTopicName);
      this.unsubscribe(sub, accepted);
      return outcome('unsubscribe', accepted, failed);
    }
    const checked = this.checkSubscribe(sub, req.topics);
    const apply = (r) => {
      if (!sub.closed) this.subscribe(sub, r.accepted);
      return outcome('subscribe', r.accepted, r.failed);
    };
    return checked instanceof Promise ? checked.then(apply) : apply(checked);
  }
  /** Queues a publication; returns how many local subscribers it will reach. */
  publish(topic, envelope) {
    const count = this.registry.subscriberCount(topic);
    this.fanout.enqueue(topic, envelope);
    return count;
  }
  /** Queues a publication stamped already (the engine paths); returns the local subscriber count. */
  deliverStamped(topic, s) {
    const count = this.registry.subscriberCount(topic);
    this.fanout.enqueueStamped(topic, s);
    return count;
  }
  /** Queues a frame for every connection; returns how many it will reach. */
  publishAll(envelope, connectionCount) {
    if (connectionCount > 0) this.fanout.enqueue(ALL_TOPIC, envelope);
    return connectionCount;
  }
  topicsOf(connId) {
    return this.registry.topicsOf(connId);
  }
  topicCount() {
    return this.registry.topicCount();
  }
};
function outcome(action, accepted, failed) {
  return { action, success: failed.length === 0, success_topics: accepted, failed_topics: failed };
}

// packages/ref-server/src/transport/frame-ceiling.ts
var MiB2 = 1024 * 1024;
function frameCeiling(maxMessageSize) {
  return Math.min(Math.max(8 * maxMessageSize, 4 * MiB2), maxMessageSize + 256 * MiB2);
}

// packages/ref-server/src/http/static-files.ts
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

var CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};
async function serveStatic(dir, urlPath) {
  const raw = urlPath.split(/[?#]/, 1)[0] ?? '';
  if (!raw.startsWith('/')) return null;
  let decoded;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s.startsWith('.'))) return null;
  try {
    const root = await realpath(resolve(dir));
    let file = join(root, ...segments);
    let info = await stat(file);
    if (info.isDirectory()) {
      if (!raw.endsWith('/')) {
        const location = `/${segments.map(encodeURIComponent).join('/')}/`;
        return { status: 301, headers: { location, 'content-type': 'text/plain; charset=utf-8' }, body: '' };
      }
      file = join(file, 'index.html');
      info = await stat(file);
    }
    if (!info.isFile()) return null;
    const real = await realpath(file);
    if (real !== root && !real.startsWith(root + sep)) return null;
    const body = new Uint8Array(await readFile(real));
    return {
      status: 200,
      headers: {
        'content-type': CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream',
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      },
      body,
    };
  } catch {
    return null;
  }
}

// packages/ref-server/src/transport/http-bridge.ts
var NOT_FOUND = {
  status: 404,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: 'Not Found',
};
function createHttpHandler(facade, o) {
  const api = { apiKey: o.apiKey, dev: o.dev, maxBodyBytes: o.maxBodyBytes, onError: o.onError };
  return async (req) => {
    const res = await handleHttp(req.method, req.url, req.headers, req.body, facade, api);
    if (res) return res;
    if (o.staticDir && (req.method === 'GET' || req.method === 'HEAD')) {
      const file = await serveStatic(o.staticDir, req.url);
      if (file) return file;
    }
    return NOT_FOUND;
  };
}

// packages/ref-server/src/transport/uws-transport.ts
import uWS from 'uWebSockets.js';

var decoder = new TextDecoder();
var UwsHandle = class {
  constructor(ws) {
    this.ws = ws;
  }
  ws;
  closed = false;
  send(data, binary) {
    if (this.closed) return 2;
    return this.ws.send(data, binary, false);
  }
  cork(fn) {
    if (this.closed) return;
    this.ws.cork(fn);
  }
  end(code, reason) {
    if (this.closed) return;
    this.ws.end(code, reason);
  }
  terminate() {
    if (this.closed) return;
    this.ws.close();
  }
  bufferedAmount() {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }
  subscribe(topic) {
    if (!this.closed) this.ws.subscribe(topic);
  }
  unsubscribe(topic) {
    if (!this.closed) this.ws.unsubscribe(topic);
  }
};
var UwsTransport = class {
  constructor(config, handlers) {
    this.config = config;
    this.handlers = handlers;
    this.app = uWS.App();
    this.app.ws(config.path, this.behavior());
    this.app.any('/*', (res, req) => this.onHttp(res, req));
  }
  config;
  handlers;
  native = typeof uWS.getParts === 'function';
  app;
  listenSocket = null;
  /** Requests whose body is being read (bounded by `maxConcurrentBodies`). */
  bodiesInFlight = 0;
  listen() {
    return new Promise((resolve2, reject) => {
      this.app.listen(this.config.host, this.config.port, (socket) => {
        if (!socket) {
          const where = `${this.config.host}:${this.config.port}`;
          reject(
            new Error(
              `cannot listen on ${where}: the port is in use, or held in TIME_WAIT for up to 60 s after a previous server on it closed live connections (uWebSockets.js does not set SO_REUSEADDR)`,
            ),
          );
          return;
        }
        this.listenSocket = socket;
        resolve2(uWS.us_socket_local_port(socket));
      });
    });
  }
  closeListener() {
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
  }
  publish(topic, data, binary) {
    return this.app.publish(topic, data, binary, false);
  }
  subscriberCount(topic) {
    return this.app.numSubscribers(topic);
  }
  behavior() {
    const h = this.handlers;
    return {
      maxPayloadLength: this.config.maxPayloadLength,
      maxBackpressure: this.config.maxBackpressure,
      // Heartbeat and idle close are the session's (protocol-level pings, close 1000).
      idleTimeout: 0,
      sendPingsAutomatically: false,
      compression: uWS.DISABLED,
      upgrade: (res, req, ctx) => this.onUpgrade(res, req, ctx),
      open: (ws) => {
        const data = ws.getUserData();
        data.handle = new UwsHandle(ws);
        h.open(data.handle, data.context);
      },
      message: (ws, message, isBinary) => h.message(ws.getUserData().context, message, isBinary),
      drain: (ws) => h.drain(ws.getUserData().context),
      close: (ws, code, message) => {
        const data = ws.getUserData();
        if (data.handle) data.handle.closed = true;
        h.close(data.context, code, decoder.decode(message));
      },
    };
  }
  /** Copies what the session needs before the async decision: `req` dies when this returns. */
  onUpgrade(res, req, ctx) {
    const info = {
      url: req.getUrl(),
      query: req.getQuery() ?? '',
      headers: {
        authorization: req.getHeader('authorization'),
        cookie: req.getHeader('cookie'),
        origin: req.getHeader('origin'),
        userAgent: req.getHeader('user-agent'),
      },
      remoteAddress: decoder.decode(res.getRemoteAddressAsText()),
    };
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    let decided;
    try {
      decided = this.handlers.upgrade(info);
    } catch {
      res.cork(() => res.writeStatus('500 Internal Server Error').end());
      return;
    }
    if (!(decided instanceof Promise)) {
      res.cork(() => res.upgrade({ context: decided, handle: void 0 }, key, protocol, extensions, ctx));
      return;
    }
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    decided.then(
      (context) => {
        if (aborted) {
          this.handlers.upgradeAborted(context);
          return;
        }
        res.cork(() => res.upgrade({ context, handle: void 0 }, key, protocol, extensions, ctx));
      },
      () => {
        if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end());
      },
    );
  }
  onHttp(res, req) {
    const query = req.getQuery();
    const headers = {};
    let headerBytes = 0;
    req.forEach((k, v) => {
      headers[k] = v;
      headerBytes += k.length + v.length + 4;
    });
    const method = req.getMethod().toUpperCase();
    const url = query ? `${req.getUrl()}?${query}` : req.getUrl();
    const cfg = this.config;
    if (headerBytes > cfg.maxHeaderBytes) {
      this.reply(res, method, textResult(431, `request headers over ${cfg.maxHeaderBytes} bytes`));
      return;
    }
    const early = this.handlers.httpEarly?.({ method, url, headers });
    if (early) {
      this.reply(res, method, early);
      return;
    }
    const hasBody = method !== 'GET' && method !== 'HEAD';
    if (hasBody && Number(headers['content-length'] ?? 0) > cfg.maxBodyBytes) {
      this.reply(res, method, textResult(413, `body over ${cfg.maxBodyBytes} bytes`));
      return;
    }
    if (hasBody && this.bodiesInFlight >= cfg.maxConcurrentBodies) {
      const busy = textResult(503, 'too many request bodies in flight; retry');
      busy.headers['retry-after'] = '1';
      this.reply(res, method, busy);
      return;
    }
    let aborted = false;
    let counted = hasBody;
    if (counted) this.bodiesInFlight++;
    const release = () => {
      if (counted) this.bodiesInFlight--;
      counted = false;
    };
    res.onAborted(() => {
      aborted = true;
      release();
    });
    this.readBody(res, (body) => {
      release();
      if (body === null) {
        if (!aborted) res.cork(() => res.writeStatus('413 Payload Too Large').end('', true));
        return;
      }
      const request = { method, url, headers, body };
      this.handlers.http(request).then(
        (result) => {
          if (!aborted) this.reply(res, method, result);
        },
        () => {
          if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end());
        },
      );
    });
  }
  /**
   * Writes a result; a HEAD answer carries the headers and Content-Length of the body, not the body.
   * uWS 20.30: `endWithoutBody(length)` closes the keep-alive connection, and `endWithoutBody()`
   * does not count as an answer (hence the abort handler), so the length is a plain header.
   */
  reply(res, method, result) {
    if (method === 'HEAD') res.onAborted(() => {});
    res.cork(() => {
      res.writeStatus(statusLine(result.status));
      for (const [k, v] of Object.entries(result.headers)) res.writeHeader(k, v);
      if (method === 'HEAD') {
        const body = result.body;
        res.writeHeader(
          'content-length',
          String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength),
        );
        res.endWithoutBody();
      } else res.end(result.body);
    });
  }
  /** Buffers the body up to `maxBodyBytes`; null = too large (reading stops there). */
  readBody(res, done) {
    const chunks = [];
    let size = 0;
    let over = false;
    res.onData((chunk, isLast) => {
      if (over) return;
      size += chunk.byteLength;
      if (size > this.config.maxBodyBytes) {
        over = true;
        done(null);
        return;
      }
      chunks.push(new Uint8Array(chunk.slice(0)));
      if (isLast) done(concatBytes(chunks, size));
    });
  }
};
function textResult(status, message) {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: message };
}
var REASONS = {
  200: 'OK',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
function statusLine(status) {
  return `${status} ${REASONS[status] ?? 'Status'}`;
}

// packages/ref-server/src/server.ts
var SERVER_VERSION = '0.1.0';
var MAX_CONCURRENT_BODIES = 64;
var MAX_HEADER_BYTES = 16 * 1024;
var WSEServer = class {
  options;
  logger;
  metrics;
  registry = new TopicRegistry();
  fanout;
  topics;
  hub;
  sessions;
  engine;
  engineMetrics;
  /** This node's id: the origin of its presence entries and recovery streams in a cluster. */
  nodeId = `node-${randomUUID2().slice(0, 8)}`;
  /** Numbers every topic publication (tp/e/o); keeps them for replay when recovery is on. */
  log;
  presenceService;
  redisPresence;
  flow;
  recoverySweep;
  transport = null;
  running = false;
  startedAt = 0;
  boundPort;
  constructor(options = {}) {
    this.options = resolveOptions(options, {
      vitest: typeof process !== 'undefined' && !!process.env.VITEST,
    });
    this.logger = this.options.logger ?? createLogger(this.options.logLevel);
    this.metrics = new ServerMetrics({ defaultMetrics: true });
    const o = this.options;
    this.fanout = new Fanout({
      transport: { publish: (topic, data, binary) => this.transport?.publish(topic, data, binary) ?? false },
      registry: this.registry,
      target: (id) => this.sessions.connections.get(id),
      allConnections: () => this.sessions.connections.keys(),
      compressionThreshold: o.compressionThreshold,
      maxBackpressure: o.maxBackpressure,
      onSkipped: (id) => {
        const conn = this.sessions.connections.get(id);
        if (conn) this.sessions.checkBackpressure(conn);
      },
      onDelivered: (count, bytes, seconds) => {
        this.metrics.messageOut(count, bytes);
        this.metrics.observePublish(seconds);
      },
    });
    this.log = o.recovery.enabled ? new RecoveryStore(o.recovery) : new TopicSequencer(o.recovery);
    this.fanout.stamp = (topic, envelope) => this.log.stamp(topic, envelope);
    this.topics = new TopicService(this.registry, this.fanout, {
      maxSubscriptions: o.maxSubscriptionsPerConnection,
      authorize: o.authorizeSubscribe
        ? (sub, topic) => {
            const conn = this.sessions.connections.get(sub.id);
            return conn ? o.authorizeSubscribe(this.sessions.info(conn), topic) : false;
          }
        : void 0,
    });
    this.hub = new EventHub(o.maxInboundQueueSize, (err, ev) => this.onListenerError(err, ev));
    this.engineMetrics = new EngineMetrics(this.metrics.registry);
    this.engine = createEngine(
      createEngineHost({
        nodeId: this.nodeId,
        log: this.log,
        topics: this.topics,
        onRefused: (origin, topic, reason) =>
          this.logger.warn({ origin, topic, reason }, 'remote publication refused'),
      }),
      o,
      this.engineHooks(),
    );
    this.topics.onInterest = (topic, present) => this.engine.interest(topic, present);
    this.presenceService = o.presence.enabled ? this.createPresence() : null;
    const presence = this.presenceService;
    if (presence) {
      this.topics.onLeft = (connId, topics, closed) =>
        closed ? presence.leaveAll(connId) : presence.leave(connId, topics);
    }
    this.flow = new SubscribeFlow({
      topics: this.topics,
      log: this.log,
      presence,
      maxBackpressure: o.maxBackpressure,
      onPresenceFailure: (err, connId) => this.logger.error({ err, connId }, 'presence join failed'),
      shared: this.engine.shared,
    });
    this.sessions = new SessionManager({
      options: o,
      logger: this.logger,
      metrics: this.metrics,
      topics: this.topics,
      events: this.hub,
      features: serverFeatures({ recovery: o.recovery.enabled, presence: presence !== null }),
      serverVersion: SERVER_VERSION,
      subscribeFlow: this.flow,
      presence,
      verify: o.verifier ? (token) => o.verifier.verify(token) : void 0,
      // The engine's own answer: a promise from redis, so a client publish hears ENGINE_UNAVAILABLE.
      publish: (topic, env) => this.engine.publish(topic, env),
      http: createHttpHandler(this.httpFacade(), {
        apiKey: o.apiKey,
        dev: o.dev,
        staticDir: o.staticDir,
        maxBodyBytes: o.maxMessageSize,
        onError: (err) => this.logger.error({ err }, 'http handler failed'),
      }),
      httpEarly: (head2) => earlyHttpAnswer(head2.method, head2.url, head2.headers, { apiKey: o.apiKey }),
    });
  }
  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────
  /** Listens; resolves with the bound port (useful with `port: 0`). */
  async start() {
    if (this.running) throw new Error('WSEServer is already running');
    const o = this.options;
    this.transport = new UwsTransport(
      {
        host: o.host,
        port: o.port,
        path: o.path,
        // Headroom over maxMessageSize: frames in between are read whole and closed with a clean
        // 1009 by the session; past it uWS drops the connection while the client is still sending.
        maxPayloadLength: frameCeiling(o.maxMessageSize),
        maxBackpressure: o.maxBackpressure,
        maxBodyBytes: o.maxMessageSize,
        maxConcurrentBodies: MAX_CONCURRENT_BODIES,
        maxHeaderBytes: MAX_HEADER_BYTES,
      },
      this.sessions,
    );
    if (!this.transport.native) {
      this.logger.warn(
        'uWebSockets.js has no native build for this Node version: using its slow JS fallback (use Node 20)',
      );
    }
    if (o.auth === void 0) {
      this.logger.warn(
        'NO AUTH CONFIGURED: every client connects anonymously. Set `auth: { secret }` (or --jwt-secret), or `auth: false` to silence this.',
      );
    }
    const secret = o.auth ? o.auth.secret : void 0;
    if (!o.dev && typeof secret === 'string' && Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
      this.logger.error(
        `WEAK JWT SECRET: ${Buffer.byteLength(secret)} bytes; HS256 needs at least ${MIN_SECRET_BYTES} outside dev mode (anyone can brute-force it)`,
      );
    }
    this.sessions.reopen();
    this.hub.reopen();
    this.boundPort = await this.transport.listen();
    try {
      await this.engine.start();
    } catch (err) {
      this.transport.closeListener();
      throw err;
    }
    this.redisPresence?.start();
    this.sessions.startSweep();
    const period = Math.max(1e3, Math.min(6e4, (o.recovery.ttlSec * 1e3) / 4));
    this.recoverySweep = setInterval(() => this.log.sweep(), period);
    this.recoverySweep.unref?.();
    this.running = true;
    this.startedAt = Date.now();
    this.logger.info({ host: o.host, port: this.boundPort, path: o.path }, 'WSE server listening');
    return this.boundPort;
  }
  /** Closes every client with 1001, stops listening, and resolves once the port is free. */
  async stop() {
    if (!this.running) return;
    this.running = false;
    this.transport?.closeListener();
    this.sessions.closeAll(1001, 'server going away');
    this.sessions.stopSweep();
    if (this.recoverySweep) clearInterval(this.recoverySweep);
    this.recoverySweep = void 0;
    this.fanout.flush();
    this.redisPresence?.stop();
    await this.engine.stop();
    this.hub.close();
    await new Promise((resolve2) => setImmediate(resolve2));
    this.logger.info('WSE server stopped');
  }
  /** Stops accepting, closes clients with 4300 (reconnect elsewhere), resolves when none are left. */
  async drain(o = {}) {
    if (!this.running) return;
    this.transport?.closeListener();
    this.sessions.closeAll(4300, 'node draining');
    const deadline = Date.now() + (o.timeoutMs ?? 1e4);
    while (this.sessions.connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve2) => setTimeout(resolve2, 10));
    }
  }
  isRunning() {
    return this.running;
  }
  /** The bound port once started. */
  get port() {
    return this.boundPort;
  }
  // ── events ─────────────────────────────────────────────────────────────────────────────────
  /** Adds a listener; returns a function that removes it. A throwing `message` listener → HANDLER_ERROR. */
  on(name, listener) {
    return this.hub.on(name, listener);
  }
  off(name, listener) {
    this.hub.off(name, listener);
  }
  /** Every event from now on, as an async iterator (ends at `stop()`). Backed by the bounded queue. */
  events() {
    return this.hub.iterate();
  }
  /** Up to `max` queued events, waiting at most `timeoutMs` for the first one. */
  drainInbound(max = 1e3, timeoutMs = 0) {
    return this.hub.drain(max, timeoutMs);
  }
  // ── sending ────────────────────────────────────────────────────────────────────────────────
  /** Sends raw text (encrypted for E2E connections). False when the connection is unknown. */
  send(connId, text) {
    return this.withConn(connId, (c) => c.sendFrame(text));
  }
  /** Sends raw bytes as a binary frame (encrypted for E2E connections). */
  sendBytes(connId, bytes) {
    return this.withConn(connId, (c) => c.sendFrame(bytes));
  }
  /** Sends an event: envelope filled (c, id, ts, seq), compressed over the threshold, per-connection format. */
  sendEvent(connId, event) {
    const type = event.t ?? event.type;
    if (typeof type !== 'string') throw new TypeError('sendEvent: event.t must be a string');
    return this.withConn(connId, (c) => c.sendEvent(type, event.p ?? event.payload ?? {}, event));
  }
  /** Several events in one `batch` frame. */
  sendBatch(connId, events) {
    const messages = events.map((e) => buildEnvelope(e.t ?? e.type ?? '', e.p ?? e.payload ?? {}, e));
    return this.withConn(connId, (c) => c.sendEvent('batch', { messages, count: messages.length }));
  }
  /** Answers a request: same `cid`, type `response` unless given. */
  reply(connId, cid, payload, type = 'response') {
    return this.withConn(connId, (c) => c.sendEvent(type, payload, { cid }));
  }
  /** Closes one connection. */
  disconnect(connId, code = 1e3, reason = '') {
    return this.withConn(connId, (c) => c.close(code, reason));
  }
  // ── publishing ─────────────────────────────────────────────────────────────────────────────
  /** To every connection on this node. Returns the number of connections it will reach. */
  broadcastAll(data) {
    return this.topics.publishAll(toPublication(void 0, data), this.sessions.connections.size);
  }
  /** To the topic's subscribers on this node only. Returns the local delivery count. */
  broadcastLocal(topic, data) {
    return this.topics.publish(topic, toPublication(topic, data));
  }
  /**
   * To the topic's subscribers on every node (the engine decides); returns the local count. With
   * the Redis engine the publication is made asynchronously: a failure (Redis down) is logged,
   * counted and emitted as an `error` event — use {@link WSEServer.publish} to hear it yourself.
   */
  broadcast(topic, data) {
    return this.publishEnvelope(topic, toPublication(topic, data));
  }
  /**
   * {@link WSEServer.broadcast} that tells how it went: resolves with the local delivery count once
   * the engine has made the publication, rejects with `EngineUnavailableError` (code
   * `ENGINE_UNAVAILABLE`) when it could not (Redis down). Same as `broadcast` with the memory engine.
   *
   * @example
   * try { await server.publish('chat', { t: 'msg', p: { text: 'hi' } }); }
   * catch (err) { if (err instanceof EngineUnavailableError) retryLater(); }
   */
  async publish(topic, data) {
    return this.engine.publish(topic, toPublication(topic, data));
  }
  publishEnvelope(topic, envelope) {
    const result = this.engine.publish(topic, envelope);
    if (typeof result === 'number') return result;
    result.catch((error) => {
      this.logger.error({ err: error, topic }, 'engine publish failed');
      this.hub.emit({ type: 'error', error });
    });
    return this.topics.subscriberCount(topic);
  }
  // ── topics ─────────────────────────────────────────────────────────────────────────────────
  /**
   * Server-side subscribe (no ACL check: the app decides). Returns the topics that were new. With
   * `presence` (and presence on) the connection's user joins every given topic; a presence limit
   * throws `PresenceError` (PRESENCE_DATA_TOO_LARGE / PRESENCE_FULL) AFTER subscribing — the
   * subscriptions stay.
   */
  subscribeConnection(connId, topics, o = {}) {
    const conn = this.sessions.connections.get(connId);
    if (!conn || conn.closed) return [];
    const added = this.topics.subscribe(conn, topics);
    if (this.presenceService && o.presence !== void 0) {
      for (const topic of topics) this.presenceService.join(conn.id, conn.identity.userId, topic, o.presence);
    }
    return added;
  }
  /**
   * Server-side subscribe with recovery (PROTOCOL §4), no ACL check. In one synchronous step: the
   * connection is subscribed and the buffers read; the missed publications go out in offset order
   * (the connection's format and encryption), then a `subscription_update` frame (no `cid`) with
   * `recovery`; never a partial replay. `positions[topic]` is the client's last seen `{epoch,
   * offset}` (or an array of them); a topic without one is subscribed from now. Returns the
   * `recovery` entries, `{}` when the connection is unknown. With the Redis engine it throws a
   * TypeError naming {@link WSEServer.subscribeWithRecoveryAsync} (the read is asynchronous there).
   *
   * @example
   * server.subscribeWithRecovery(connId, ['chat'], { chat: { epoch: 'a1b2c3d4', offset: 41 } });
   */
  subscribeWithRecovery(connId, topics, positions = {}) {
    const reply = this.runRecovery(connId, topics, positions);
    if (reply instanceof Promise) {
      void reply.catch(() => {});
      throw new TypeError('the Redis engine reads history asynchronously: use subscribeWithRecoveryAsync');
    }
    return reply;
  }
  /**
   * {@link WSEServer.subscribeWithRecovery} for every engine: with the Redis engine the history is
   * read from Redis first (then the same one-step subscribe + replay + reply). A topic Redis could
   * not be asked about (down) is not subscribed and is missing from the answer.
   *
   * @example
   * const report = await server.subscribeWithRecoveryAsync(connId, ['chat'], { chat: lastSeen });
   */
  async subscribeWithRecoveryAsync(connId, topics, positions = {}) {
    return this.runRecovery(connId, topics, positions);
  }
  runRecovery(connId, topics, positions) {
    const conn = this.sessions.connections.get(connId);
    if (!conn || conn.closed) return {};
    const reply = this.flow.run(conn, {
      accepted: [...new Set(topics)],
      failed: [],
      recover: true,
      recovery: positions,
    });
    const pick = (r) => r.recovery ?? {};
    return reply instanceof Promise ? reply.then(pick) : pick(reply);
  }
  /**
   * New presence data for the connection's user on `topic` (joins when it had not): subscribers get
   * `presence_update` (or `presence_join`). Returns false when the connection is unknown, not
   * subscribed to `topic`, or presence is off; throws `PresenceError` on a limit.
   */
  updatePresence(connId, topic, data) {
    const conn = this.sessions.connections.get(connId);
    if (!this.presenceService || !conn || conn.closed || !this.topics.isSubscribed(connId, topic))
      return false;
    this.presenceService.update(conn.id, conn.identity.userId, topic, data);
    return true;
  }
  /**
   * The members of `topic`: `{[userId]: {data, connections}}` (`{}` when presence is off). With the
   * Redis engine presence lives in Redis: use {@link WSEServer.presenceAsync} (this throws a TypeError).
   */
  presence(topic) {
    return syncOnly(this.presenceService?.members(topic) ?? {}, 'presenceAsync');
  }
  /** `{num_users, num_connections}` of `topic` (Redis engine: {@link WSEServer.presenceStatsAsync}). */
  presenceStats(topic) {
    return syncOnly(
      this.presenceService?.stats(topic) ?? { num_users: 0, num_connections: 0 },
      'presenceStatsAsync',
    );
  }
  /**
   * {@link WSEServer.presence} for every engine (the Redis one reads Redis; rejects with
   * `EngineUnavailableError` while it is down).
   *
   * @example
   * const members = await server.presenceAsync('room');
   */
  async presenceAsync(topic) {
    return (await this.presenceService?.members(topic)) ?? {};
  }
  /** {@link WSEServer.presenceStats} for every engine. @example await server.presenceStatsAsync('room'); */
  async presenceStatsAsync(topic) {
    return (await this.presenceService?.stats(topic)) ?? { num_users: 0, num_connections: 0 };
  }
  /** Recovery buffer counters (`bytes` ≤ `budget` always); zeros when recovery is off. */
  recoveryStats() {
    return { enabled: this.log.retains, ...this.log.stats() };
  }
  /** Server-side unsubscribe; all topics when `topics` is omitted. */
  unsubscribeConnection(connId, topics) {
    const conn = this.sessions.connections.get(connId);
    return conn ? this.topics.unsubscribe(conn, topics) : [];
  }
  // ── queries ────────────────────────────────────────────────────────────────────────────────
  connectionCount() {
    return this.sessions.connections.size;
  }
  connections() {
    return [...this.sessions.connections.values()].map((c) => this.sessions.info(c));
  }
  connectionInfo(connId) {
    const conn = this.sessions.connections.get(connId);
    return conn ? this.sessions.info(conn) : void 0;
  }
  /** What `GET /health` returns. */
  healthSnapshot() {
    const mem = process.memoryUsage();
    const engine = this.engine.health();
    const status = !this.running ? 'stopped' : engine.status === 'degraded' ? 'degraded' : 'ok';
    return {
      status,
      uptime_s: this.running ? Math.round((Date.now() - this.startedAt) / 1e3) : 0,
      connections: this.sessions.connections.size,
      max_connections: this.options.maxConnections,
      topics: this.topics.topicCount(),
      queues: { fanout: this.fanout.queued, inbound: this.hub.queued },
      drops: { inbound_overflow: this.hub.dropped },
      rate_limited: this.sessions.stats.rateLimited,
      slow_consumers: this.sessions.stats.slowConsumers,
      auth_failures: this.sessions.stats.authFailures,
      memory: { rss: mem.rss, heap_used: mem.heapUsed },
      engine: this.engine.name,
      engine_health: engine,
      recovery: this.recoveryStats(),
      presence: { enabled: this.presenceService !== null, ...this.presenceService?.totals() },
      native_transport: this.transport?.native ?? null,
    };
  }
  // ── internals ──────────────────────────────────────────────────────────────────────────────
  withConn(connId, fn) {
    const conn = this.sessions.connections.get(connId);
    if (!conn || conn.closed) return false;
    fn(conn);
    return true;
  }
  /** A throwing/rejecting listener: the connection hears HANDLER_ERROR, the server logs and goes on. */
  onListenerError(err, event) {
    this.logger.error({ err, event: event.type }, 'event listener failed');
    if (event.type === 'message') {
      const conn = this.sessions.connections.get(event.connId);
      conn?.sendError(
        'HANDLER_ERROR',
        'the application failed to handle this message',
        { type: event.t },
        event.cid,
      );
    }
    if (event.type !== 'error')
      this.hub.emit({ type: 'error', error: err, connId: 'connId' in event ? event.connId : void 0 });
  }
  /** In memory (memory/mesh engines) or in Redis (redis engine): same runtime, same events. */
  createPresence() {
    const { presence, redis } = createPresence(this.options, this.engine, {
      nodeId: this.nodeId,
      toSubscribers: (topic, env) => this.fanout.enqueueUnstamped(topic, env),
      emit: (ev) => this.hub.emit(ev),
      ids: () => envelopeIds(),
      localTopics: () => this.topics.topics(),
      sendError: (connId, topic, err) =>
        this.sessions.connections.get(connId)?.sendError(err.code, err.message, { ...err.details, topic }),
    });
    this.redisPresence = redis;
    return presence;
  }
  /** What an engine with an external store reports back: link state and failed operations. */
  engineHooks() {
    return {
      onStatus: (up, reason) => {
        this.engineMetrics.setUp(up);
        if (up) this.logger.info({ engine: this.engine.name }, 'engine store reachable again');
        else this.logger.warn({ reason }, 'engine store unreachable: publishes fail until it is back');
      },
      onFailure: (op, err) => {
        this.engineMetrics.failure(op);
        this.logger.debug({ err, op }, 'engine operation failed');
      },
    };
  }
  httpFacade() {
    const auth = this.options.auth || void 0;
    const facade = {
      healthSnapshot: () => this.healthSnapshot(),
      publish: (topic, data) => this.publish(topic, data),
      broadcastAll: (data) => this.broadcastAll(data),
      metricsText: () => this.metrics.render(),
      metricsContentType: this.metrics.contentType,
    };
    if (this.options.dev && auth?.secret) {
      const secret = auth.secret;
      const ttl = 3600;
      facade.mintDevToken = async (sub) => ({
        token: await mintDevToken(secret, sub, ttl, { issuer: auth.issuer, audience: auth.audience }),
        expires_in: ttl,
      });
    }
    return facade;
  }
};
function syncOnly(value, asyncName) {
  if (!(value instanceof Promise)) return value;
  void value.catch(() => {});
  throw new TypeError(`the Redis engine keeps presence in Redis: use ${asyncName}`);
}

// packages/ref-server/src/cli.ts
void runCli(process.argv.slice(2), process.env, {
  createServer: (options) => new WSEServer(options),
  out: (line) =>
    process.stdout.write(`${line}
`),
  err: (line) =>
    process.stderr.write(`${line}
`),
  onSignal: (signal, handler) => process.on(signal, handler),
  exit: (code) => process.exit(code),
});
