var __defProp = Object.defineProperty;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// packages/core-client/src/protocol/errors.ts
var WSEError, ProtocolError, TransportError, AuthError, TimeoutError, ServerError;
var init_errors = __esm({
  "packages/core-client/src/protocol/errors.ts"() {
    "use strict";
    WSEError = class extends Error {
      name = "WSEError";
      code;
      constructor(code, message, options) {
        super(message, options);
        this.code = code;
      }
    };
    ProtocolError = class extends WSEError {
      name = "ProtocolError";
      constructor(code, message, options) {
        super(code, message, options);
      }
    };
    TransportError = class extends WSEError {
      name = "TransportError";
    };
    AuthError = class extends WSEError {
      name = "AuthError";
      constructor(code, message, options) {
        super(code, message, options);
      }
    };
    TimeoutError = class extends WSEError {
      name = "TimeoutError";
    };
    ServerError = class _ServerError extends WSEError {
      name = "ServerError";
      details;
      constructor(code, message, details = {}, options) {
        super(code, message, options);
        this.details = details;
      }
      /** Builds a ServerError from an `error` frame payload `{ code, message, ... }`. */
      static fromPayload(payload) {
        const { code, message, ...details } = payload;
        return new _ServerError(
          typeof code === "string" ? code : "SERVER_ERROR",
          typeof message === "string" ? message : "server error",
          details
        );
      }
    };
  }
});

// packages/core-client/src/errors.ts
var init_errors2 = __esm({
  "packages/core-client/src/errors.ts"() {
    "use strict";
    init_errors();
  }
});

// packages/core-client/src/protocol/base64.ts
function base64Encode(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}
function base64Decode(s) {
  if (typeof s !== "string" || !BASE64_RE.test(s) || s.length % 4 === 1) {
    throw new ProtocolError("INVALID_FIELD", "not a base64 string");
  }
  let binary;
  try {
    binary = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  } catch (cause) {
    throw new ProtocolError("INVALID_FIELD", "not a base64 string", { cause });
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
var BASE64_RE, CHUNK;
var init_base64 = __esm({
  "packages/core-client/src/protocol/base64.ts"() {
    "use strict";
    init_errors();
    BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;
    CHUNK = 32768;
  }
});

// packages/core-client/src/protocol/limits.ts
var MAX_DEPTH, IV_LENGTH, TAG_LENGTH;
var init_limits = __esm({
  "packages/core-client/src/protocol/limits.ts"() {
    "use strict";
    MAX_DEPTH = 64;
    IV_LENGTH = 12;
    TAG_LENGTH = 16;
  }
});

// packages/core-client/src/protocol/crypto.ts
var crypto_exports = {};
__export(crypto_exports, {
  HKDF_INFO: () => HKDF_INFO,
  IV_LENGTH: () => IV_LENGTH,
  TAG_LENGTH: () => TAG_LENGTH,
  decryptBytes: () => decryptBytes,
  deriveSessionKey: () => deriveSessionKey,
  deriveSessionKeyBytes: () => deriveSessionKeyBytes,
  encryptBytes: () => encryptBytes,
  exportPublicKey: () => exportPublicKey,
  generateIdentityKeyPair: () => generateIdentityKeyPair,
  generateKeyPair: () => generateKeyPair,
  importIdentityPublicKey: () => importIdentityPublicKey,
  importPublicKey: () => importPublicKey,
  importSessionKey: () => importSessionKey,
  signIdentity: () => signIdentity,
  verifyIdentity: () => verifyIdentity
});
function own(u) {
  return u.buffer instanceof ArrayBuffer ? u : new Uint8Array(u);
}
function invalidKey(message, cause) {
  return new ProtocolError("INVALID_KEY", message, cause === void 0 ? void 0 : { cause });
}
function decodeRawPoint(b64) {
  let raw;
  try {
    raw = base64Decode(b64);
  } catch (cause) {
    throw invalidKey("public key is not base64", cause);
  }
  if (raw.length !== 65 || raw[0] !== 4)
    throw invalidKey("public key must be a 65-byte uncompressed P-256 point");
  return own(raw);
}
async function generateKeyPair() {
  return subtle().generateKey(ECDH, false, ["deriveBits"]);
}
async function exportPublicKey(key) {
  return base64Encode(new Uint8Array(await subtle().exportKey("raw", key)));
}
async function importPublicKey(base64) {
  const raw = decodeRawPoint(base64);
  try {
    return await subtle().importKey("raw", raw, ECDH, true, []);
  } catch (cause) {
    throw invalidKey("public key is not a valid P-256 point", cause);
  }
}
async function deriveSessionKeyBytes(privateKey, peerPublic) {
  try {
    const shared = await subtle().deriveBits({ name: "ECDH", public: peerPublic }, privateKey, 256);
    const ikm = await subtle().importKey("raw", shared, "HKDF", false, ["deriveBits"]);
    const info = new TextEncoder().encode(HKDF_INFO);
    const params = { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info };
    return new Uint8Array(await subtle().deriveBits(params, ikm, 256));
  } catch (cause) {
    throw invalidKey("key agreement failed (wrong key types or curves?)", cause);
  }
}
async function importSessionKey(raw) {
  if (raw.length !== 32) throw invalidKey("session key must be 32 bytes");
  return subtle().importKey("raw", own(raw), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
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
  if (nonce.length !== IV_LENGTH) throw new ProtocolError("INVALID_FIELD", "IV must be 12 bytes");
  let sealed;
  try {
    sealed = await subtle().encrypt({ name: "AES-GCM", iv: own(nonce) }, key, own(inner));
  } catch (cause) {
    throw invalidKey("encryption failed (not an AES-GCM key?)", cause);
  }
  const out = new Uint8Array(2 + IV_LENGTH + sealed.byteLength);
  out.set(PREFIX_E);
  out.set(nonce, 2);
  out.set(new Uint8Array(sealed), 2 + IV_LENGTH);
  return out;
}
async function decryptBytes(key, frame) {
  if (frame.length < 2 || frame[0] !== 69 || frame[1] !== 58) {
    throw new ProtocolError("UNKNOWN_PREFIX", "not an E: frame");
  }
  if (frame.length < 2 + IV_LENGTH + TAG_LENGTH) {
    throw new ProtocolError("ENCRYPTED_TOO_SHORT", "E: body shorter than IV (12) + tag (16)");
  }
  const iv = own(frame.slice(2, 2 + IV_LENGTH));
  try {
    const plain = await subtle().decrypt({ name: "AES-GCM", iv }, key, own(frame.subarray(2 + IV_LENGTH)));
    return new Uint8Array(plain);
  } catch (cause) {
    throw new ProtocolError("DECRYPT_FAILED", "E: frame failed authentication", { cause });
  }
}
async function generateIdentityKeyPair() {
  return subtle().generateKey(ECDSA, true, ["sign", "verify"]);
}
async function importIdentityPublicKey(base64) {
  const raw = decodeRawPoint(base64);
  try {
    return await subtle().importKey("raw", raw, ECDSA, true, ["verify"]);
  } catch (cause) {
    throw invalidKey("identity key is not a valid P-256 point", cause);
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
  const sig = await subtle().sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, data);
  return base64Encode(new Uint8Array(sig));
}
function derToP1363(der) {
  if (der.length < 8 || der[0] !== 48 || der[1] !== der.length - 2) return void 0;
  const out = new Uint8Array(64);
  let at = 2;
  for (let i = 0; i < 2; i++) {
    if (der[at] !== 2) return void 0;
    const len = der[at + 1];
    let int = der.subarray(at + 2, at + 2 + len);
    if (int.length !== len) return void 0;
    while (int.length > 32 && int[0] === 0) int = int.subarray(1);
    if (int.length > 32) return void 0;
    out.set(int, i * 32 + 32 - int.length);
    at += 2 + len;
  }
  return at === der.length ? out : void 0;
}
async function verifyIdentity(publicKey, signatureB64, clientKeyB64, serverKeyB64, connectionId) {
  try {
    const raw = base64Decode(signatureB64);
    const sig = raw.length === 64 ? own(raw) : derToP1363(raw);
    if (!sig) return false;
    const data = signedBytes(clientKeyB64, serverKeyB64, connectionId);
    return await subtle().verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, sig, data);
  } catch {
    return false;
  }
}
var HKDF_INFO, PREFIX_E, ECDH, ECDSA, subtle;
var init_crypto = __esm({
  "packages/core-client/src/protocol/crypto.ts"() {
    "use strict";
    init_base64();
    init_errors();
    init_limits();
    init_limits();
    HKDF_INFO = "wse-encryption/aes-gcm-key";
    PREFIX_E = new Uint8Array([69, 58]);
    ECDH = { name: "ECDH", namedCurve: "P-256" };
    ECDSA = { name: "ECDSA", namedCurve: "P-256" };
    subtle = () => globalThis.crypto.subtle;
  }
});

// packages/core-client/src/session/e2e.ts
var e2e_exports = {};
__export(e2e_exports, {
  completeE2E: () => completeE2E,
  createE2EOffer: () => createE2EOffer,
  resolveIdentityKey: () => resolveIdentityKey
});
async function createE2EOffer() {
  const keyPair = await generateKeyPair();
  return { keyPair, publicKey: await exportPublicKey(keyPair.publicKey) };
}
async function resolveIdentityKey(key) {
  return typeof key === "string" ? importIdentityPublicKey(key) : key;
}
function keyExchangeFailed(message, cause) {
  return new WSEError("KEY_EXCHANGE_FAILED", message, cause === void 0 ? void 0 : { cause });
}
async function completeE2E(offer, hello, connectionId, identityKey) {
  const serverKey = hello.encryptionPublicKey;
  if (!serverKey) throw keyExchangeFailed("server_hello carries no encryption_public_key");
  if (identityKey) {
    const sig = hello.encryptionSignature;
    const ok = sig !== null && connectionId !== null && await verifyIdentity(identityKey, sig, offer.publicKey, serverKey, connectionId);
    if (!ok) throw keyExchangeFailed("server identity signature missing or invalid");
  }
  try {
    return await deriveSessionKey(offer.keyPair.privateKey, await importPublicKey(serverKey));
  } catch (cause) {
    throw keyExchangeFailed("cannot derive the session key", cause);
  }
}
var init_e2e = __esm({
  "packages/core-client/src/session/e2e.ts"() {
    "use strict";
    init_errors2();
    init_crypto();
  }
});

// packages/core-client/src/protocol/zlib.ts
var zlib_exports = {};
__export(zlib_exports, {
  concatBytes: () => concatBytes,
  deflateZlib: () => deflateZlib,
  inflateBounded: () => inflateBounded,
  zlibCodec: () => zlibCodec
});
import { Unzlib, zlibSync } from "fflate";
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
  if (body.length === 0) throw new ProtocolError("TRUNCATED_FRAME", "C: frame without a body");
  const chunks = [];
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
        throw new ProtocolError("FRAME_TOO_LARGE", `C: body inflates past ${maxBytes} bytes`);
      }
    }
  } catch (cause) {
    if (cause instanceof ProtocolError) throw cause;
    throw new ProtocolError("INFLATE_FAILED", "C: body is not valid zlib", { cause });
  }
  if (!ended) throw new ProtocolError("TRUNCATED_FRAME", "C: body ends before the zlib stream does");
  return concatBytes(chunks, total);
}
var MAX_RATIO, MIN_SLICE, MAX_SLICE, zlibCodec;
var init_zlib = __esm({
  "packages/core-client/src/protocol/zlib.ts"() {
    "use strict";
    init_errors();
    MAX_RATIO = 1032;
    MIN_SLICE = 64;
    MAX_SLICE = 16 * 1024;
    zlibCodec = Object.freeze({ inflate: inflateBounded, deflate: deflateZlib });
  }
});

// packages/core-client/src/protocol/msgpack.ts
var msgpack_exports = {};
__export(msgpack_exports, {
  MAX_DEPTH: () => MAX_DEPTH,
  decodeMsgpack: () => decodeMsgpack,
  encodeMsgpack: () => encodeMsgpack,
  msgpackCodec: () => msgpackCodec,
  packWithPrefix: () => packWithPrefix,
  scanMsgpack: () => scanMsgpack
});
import { Packr, Unpackr } from "msgpackr";
function fail(code, message) {
  throw new ProtocolError(code, message);
}
function readLen(b, at, width) {
  if (at + width > b.length) fail("TRUNCATED_FRAME", "msgpack value cut short");
  let n = 0;
  for (let i = 0; i < width; i++) n = n * 256 + b[at + i];
  return n;
}
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
      return fail("MSGPACK_INVALID", `msgpack type 0x${x.toString(16)} is not allowed in an envelope`);
  }
}
function scanMsgpack(b, maxDepth = MAX_DEPTH) {
  if (b.length === 0) fail("TRUNCATED_FRAME", "empty msgpack body");
  if (head(b, 0).kind !== Kind.Map)
    throw new ProtocolError("NOT_AN_OBJECT", "msgpack envelope must be a map");
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
    if (pos >= b.length) fail("TRUNCATED_FRAME", "msgpack value cut short");
    const h = head(b, pos);
    const isKey = isMap[depth] === 1 && left[depth] % 2 === 0;
    if (isKey && h.kind !== Kind.Str) fail("MSGPACK_INVALID", "msgpack map keys must be strings");
    left[depth]--;
    pos += h.size;
    if (h.kind === Kind.Array || h.kind === Kind.Map) {
      if (depth + 1 > maxDepth)
        throw new ProtocolError("MSGPACK_TOO_DEEP", `msgpack nesting exceeds ${maxDepth}`);
      const items = h.kind === Kind.Map ? h.n * 2 : h.n;
      if (items > b.length - pos) fail("TRUNCATED_FRAME", "msgpack container longer than its frame");
      depth++;
      left[depth] = items;
      isMap[depth] = h.kind === Kind.Map ? 1 : 0;
    } else {
      pos += h.n;
      if (pos > b.length) fail("TRUNCATED_FRAME", "msgpack value cut short");
    }
  }
  if (pos !== b.length) fail("MSGPACK_INVALID", "trailing bytes after the msgpack value");
}
function decodeMsgpack(b) {
  scanMsgpack(b);
  try {
    return unpackr.unpack(b);
  } catch (cause) {
    throw new ProtocolError("MSGPACK_INVALID", "msgpack decoding failed", { cause });
  }
}
function encodeMsgpack(value) {
  return packWithPrefix(value, new Uint8Array(0));
}
function packWithPrefix(value, prefix) {
  let packed;
  try {
    packed = packr.pack(value);
  } catch (cause) {
    throw new ProtocolError("INVALID_FIELD", "value cannot be encoded as msgpack", { cause });
  }
  const out = new Uint8Array(prefix.length + packed.length);
  out.set(prefix);
  out.set(packed, prefix.length);
  return out;
}
var packr, unpackr, Kind, FIXED_SIZE, msgpackCodec;
var init_msgpack = __esm({
  "packages/core-client/src/protocol/msgpack.ts"() {
    "use strict";
    init_errors();
    init_limits();
    init_limits();
    packr = new Packr({ useRecords: false, variableMapSize: true, encodeUndefinedAsNil: true });
    unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" });
    Kind = { Scalar: 0, Str: 1, Array: 2, Map: 3 };
    FIXED_SIZE = {
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
      211: 8
    };
    msgpackCodec = Object.freeze({ decode: decodeMsgpack, packWithPrefix });
  }
});

// packages/core-client/src/offline/indexeddb-store.ts
var indexeddb_store_exports = {};
__export(indexeddb_store_exports, {
  IndexedDBStore: () => IndexedDBStore
});
function requestToPromise(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
function transactionDone(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}
var STORE, IndexedDBStore;
var init_indexeddb_store = __esm({
  "packages/core-client/src/offline/indexeddb-store.ts"() {
    "use strict";
    STORE = "kv";
    IndexedDBStore = class {
      constructor(dbName, factory) {
        this.dbName = dbName;
        this.factory = factory;
      }
      dbName;
      factory;
      db;
      /** The value under `key`, or `undefined`. */
      async get(key) {
        const db = await this.open();
        const tx = db.transaction(STORE, "readonly");
        return requestToPromise(tx.objectStore(STORE).get(key));
      }
      /** Stores `value` (structured-cloneable) under `key`. */
      async set(key, value) {
        const db = await this.open();
        const tx = db.transaction(STORE, "readwrite");
        const done = transactionDone(tx);
        tx.objectStore(STORE).put(value, key);
        await done;
      }
      /** Removes `key`. */
      async delete(key) {
        const db = await this.open();
        const tx = db.transaction(STORE, "readwrite");
        const done = transactionDone(tx);
        tx.objectStore(STORE).delete(key);
        await done;
      }
      /** Closes the connection (it reopens on the next call). */
      async close() {
        const pending = this.db;
        this.db = void 0;
        if (pending) (await pending.catch(() => void 0))?.close();
      }
      open() {
        if (!this.db) {
          const opening = this.openFresh(() => {
            if (this.db === opening) this.db = void 0;
          });
          this.db = opening;
          opening.catch(() => {
            if (this.db === opening) this.db = void 0;
          });
        }
        return this.db;
      }
      async openFresh(onGone) {
        const factory = this.factory ?? globalThis.indexedDB;
        if (!factory) {
          throw new Error("IndexedDB is not available here: pass { indexedDB } or use MemoryQueueStorage");
        }
        let db = await this.request(factory, void 0, onGone);
        if (!db.objectStoreNames.contains(STORE)) {
          const next = db.version + 1;
          db.close();
          db = await this.request(factory, next, onGone);
        }
        return db;
      }
      request(factory, version, onGone) {
        return new Promise((resolve, reject) => {
          const req = version === void 0 ? factory.open(this.dbName) : factory.open(this.dbName, version);
          req.onupgradeneeded = () => {
            if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
          };
          req.onsuccess = () => {
            const db = req.result;
            db.onversionchange = () => {
              db.close();
              onGone();
            };
            db.onclose = onGone;
            resolve(db);
          };
          req.onerror = () => reject(req.error);
        });
      }
    };
  }
});

// packages/core-client/src/quality/quality-monitor.ts
var quality_monitor_exports = {};
__export(quality_monitor_exports, {
  DEFAULT_QUALITY_THRESHOLDS: () => DEFAULT_QUALITY_THRESHOLDS,
  QualityMonitor: () => QualityMonitor,
  adaptiveSettings: () => adaptiveSettings
});
function adaptiveSettings(level) {
  return SETTINGS[level] ?? NORMAL;
}
var DEFAULT_QUALITY_THRESHOLDS, QualityMonitor, NORMAL, SETTINGS;
var init_quality_monitor = __esm({
  "packages/core-client/src/quality/quality-monitor.ts"() {
    "use strict";
    DEFAULT_QUALITY_THRESHOLDS = Object.freeze({
      excellentMs: 50,
      goodMs: 150,
      fairMs: 400,
      maxLoss: 0.1
    });
    QualityMonitor = class {
      #windowSize;
      #lossWindow;
      #thresholds;
      #samples = [];
      #outcomes = [];
      constructor(options = {}) {
        this.#windowSize = Math.max(1, options.windowSize ?? 20);
        this.#lossWindow = Math.max(1, options.lossWindow ?? 20);
        this.#thresholds = { ...DEFAULT_QUALITY_THRESHOLDS, ...options.thresholds };
      }
      /** Records one round trip (ignored unless a finite number ≥ 0). */
      recordRtt(ms) {
        if (!Number.isFinite(ms) || ms < 0) return;
        this.#samples.push(ms);
        if (this.#samples.length > this.#windowSize) this.#samples.shift();
        this.#pushOutcome(true);
      }
      /** Records a pong that did not arrive in time. */
      recordLoss() {
        this.#pushOutcome(false);
      }
      /** Forgets everything (e.g. on a new connection). */
      reset() {
        this.#samples = [];
        this.#outcomes = [];
      }
      /** Number of RTT samples in the window. */
      get sampleCount() {
        return this.#samples.length;
      }
      /** The level now (see {@link QualityThresholds}). */
      get level() {
        const loss = this.lossRatio();
        if (loss > this.#thresholds.maxLoss) return "poor";
        const { avg } = this.latency();
        if (avg === null) return "unknown";
        if (avg < this.#thresholds.excellentMs && loss === 0) return "excellent";
        if (avg < this.#thresholds.goodMs) return "good";
        if (avg < this.#thresholds.fairMs) return "fair";
        return "poor";
      }
      /** Last, average and p95 RTT of the window. */
      latency() {
        const n = this.#samples.length;
        if (n === 0) return { last: null, avg: null, p95: null };
        const sorted = [...this.#samples].sort((a, b) => a - b);
        const p95 = sorted[Math.max(0, Math.ceil(0.95 * n) - 1)];
        const avg = this.#samples.reduce((a, b) => a + b, 0) / n;
        return { last: this.#samples[n - 1], avg, p95 };
      }
      /** Mean absolute difference between consecutive RTT samples; `null` below two samples. */
      jitter() {
        if (this.#samples.length < 2) return null;
        let sum = 0;
        for (let i = 1; i < this.#samples.length; i++) {
          sum += Math.abs(this.#samples[i] - this.#samples[i - 1]);
        }
        return sum / (this.#samples.length - 1);
      }
      /** Missed pongs / pong outcomes in the loss window; 0 without outcomes. */
      lossRatio() {
        if (this.#outcomes.length === 0) return 0;
        return this.#outcomes.filter((ok) => !ok).length / this.#outcomes.length;
      }
      #pushOutcome(ok) {
        this.#outcomes.push(ok);
        if (this.#outcomes.length > this.#lossWindow) this.#outcomes.shift();
      }
    };
    NORMAL = Object.freeze({
      batchIntervalMs: 0,
      maxBatchSize: 1,
      compressionThreshold: 1024,
      requestCompression: false
    });
    SETTINGS = Object.freeze({
      excellent: NORMAL,
      good: NORMAL,
      unknown: NORMAL,
      fair: Object.freeze({
        batchIntervalMs: 20,
        maxBatchSize: 20,
        compressionThreshold: 1024,
        requestCompression: false
      }),
      poor: Object.freeze({
        batchIntervalMs: 100,
        maxBatchSize: 50,
        compressionThreshold: 256,
        requestCompression: true
      })
    });
  }
});

// test/hardening/run-soak.ts
import { writeFileSync as writeFileSync2 } from "node:fs";

// test/hardening/support/paths.ts
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
function findRoot(from) {
  let dir = from;
  while (!existsSync(join(dir, "packages", "ref-server", "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${from}`);
    dir = up;
  }
  return dir;
}
var ROOT = `${findRoot(dirname(fileURLToPath(import.meta.url)))}/`;
var HARDENING = `${ROOT}test/hardening/`;

// test/hardening/support/results.ts
import { existsSync as existsSync2, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
var RESULTS = `${HARDENING}results/`;
var PARTS = `${RESULTS}parts/`;
function record(suite, check, figures, o) {
  mkdirSync(PARTS, { recursive: true });
  const file = `${PARTS}${suite}.json`;
  const part = existsSync2(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  part[check] = { figures, ...o, at: (/* @__PURE__ */ new Date()).toISOString() };
  writeFileSync(file, `${JSON.stringify(part, null, 2)}
`);
}
function writeSummary() {
  if (!existsSync2(PARTS)) return void 0;
  const suites = {};
  for (const name of readdirSync(PARTS).sort()) {
    if (!name.endsWith(".json")) continue;
    suites[name.slice(0, -5)] = JSON.parse(readFileSync(`${PARTS}${name}`, "utf8"));
  }
  if (Object.keys(suites).length === 0) return void 0;
  const summary = {
    generatedAt: (/* @__PURE__ */ new Date()).toISOString(),
    node: process.version,
    cpus: cpus().length,
    suites
  };
  writeFileSync(`${RESULTS}summary.json`, `${JSON.stringify(summary, null, 2)}
`);
  writeFileSync(`${RESULTS}summary.md`, toMarkdown(summary));
  return summary;
}
var fmt = (v) => typeof v === "number" ? String(Math.round(v * 100) / 100) : String(v);
function toMarkdown(s) {
  const lines = [
    `Last run: ${s.generatedAt.slice(0, 16).replace("T", " ")} UTC \xB7 Node ${s.node} \xB7 ${s.cpus} CPU cores \xB7 server in its own process on 127.0.0.1`,
    ""
  ];
  for (const [suite, entries] of Object.entries(s.suites)) {
    lines.push(`#### ${suite}`, "", "| check | figures | bound | held |", "|---|---|---|---|");
    for (const [check, e] of Object.entries(entries)) {
      const figures = Object.entries(e.figures).map(([k, v]) => `${k} ${fmt(v)}`).join(" \xB7 ");
      const name = e.item ? `${check} (issue 18 item ${e.item})` : check;
      lines.push(`| ${name} | ${figures} | ${e.bound ?? ""} | ${e.passed ? "yes" : "**no**"} |`);
    }
    lines.push("");
  }
  return `${lines.join("\n")}`;
}

// packages/core-client/src/client/leases.ts
var Leases = class {
  #all = /* @__PURE__ */ new Map();
  #clock;
  constructor(clock) {
    this.#clock = clock;
  }
  /**
   * Takes a lease on `key`. `start` runs for the first user (`started: true`); the function it
   * returns runs `lingerMs` after the last release. `release` is idempotent.
   */
  take(key, lingerMs, start) {
    const l = this.#all.get(key) ?? { users: 0, timer: null, joined: "" };
    this.#all.set(key, l);
    if (l.timer !== null) this.#clock.clearTimeout(l.timer);
    l.timer = null;
    const started = !l.stop;
    if (started) l.stop = start();
    l.users += 1;
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      if (--l.users > 0) return;
      l.timer = this.#clock.setTimeout(() => {
        l.timer = null;
        this.#all.delete(key);
        l.stop?.();
      }, lingerMs);
    };
    return { lease: l, started, release };
  }
};

// packages/core-client/src/client/runtime.ts
import EventEmitter from "eventemitter3";

// packages/core-client/src/session/negotiation.ts
init_errors2();

// packages/core-client/src/protocol/envelope.ts
init_errors();
var PROTOCOL_VERSION = 1;
var PROTOCOL_TYPES = /* @__PURE__ */ new Set([
  "server_ready",
  "client_hello",
  "server_hello",
  "ping",
  "PONG",
  "error",
  "auth_refresh",
  "auth_refreshed",
  "subscription_update",
  "subscription",
  "subscribe",
  "publish",
  "presence",
  "presence_join",
  "presence_leave",
  "presence_update",
  "presence_stats",
  "rate_limit_warning",
  "batch",
  "config_update"
]);
function categoryOf(type) {
  if (type.endsWith("_snapshot") || type.startsWith("snapshot_")) return "S";
  return PROTOCOL_TYPES.has(type) ? "WSE" : "U";
}
var HEX = "0123456789abcdef";
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
  b[6] = 112 | b[6] & 15;
  b[8] = 128 | b[8] & 63;
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
    s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  }
  return s;
}
function buildEnvelope(type, payload, options = {}) {
  const now = options.now ?? Date.now();
  const env2 = parseEnvelope({
    c: options.c ?? (typeof type === "string" ? categoryOf(type) : void 0),
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
    o: options.stamp?.offset
  });
  return env2;
}
function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}
function invalid(field, expected) {
  throw new ProtocolError("INVALID_FIELD", `envelope field "${field}" must be ${expected}`);
}
var EPOCH_RE = /^[0-9a-f]{8}$/;
var isNonNegInt = (x) => Number.isSafeInteger(x) && x >= 0;
function optString(src, out, key) {
  const v = src[key];
  if (v === void 0) return;
  if (typeof v !== "string") invalid(key, "a string");
  out[key] = v;
}
function readType(src) {
  const t = src.t ?? src.type;
  if (t === void 0 || t === null || t === "")
    throw new ProtocolError("MISSING_TYPE", 'envelope has no "t"');
  if (typeof t !== "string") invalid("t", "a string");
  return t;
}
function readPayload(src) {
  const p = src.p ?? src.payload;
  if (p === void 0 || p === null) return {};
  if (!isPlainObject(p)) invalid("p", "an object");
  return p;
}
function readCategory(src, t) {
  const c = src.c;
  if (c === void 0) return categoryOf(t);
  if (c !== "WSE" && c !== "S" && c !== "U") invalid("c", '"WSE", "S" or "U"');
  return c;
}
function readNumbers(src, out, key) {
  const x = src[key];
  if (x === void 0) return;
  if (key === "seq" && !isNonNegInt(x)) invalid("seq", "a non-negative integer");
  if (key === "v" && !(isNonNegInt(x) && x >= 1)) invalid("v", "a positive integer");
  out[key] = x;
}
function readPriority(src, out) {
  const pri = src.pri;
  if (pri === void 0) return;
  if (!Number.isInteger(pri) || pri < 1 || pri > 10)
    invalid("pri", "an integer 1..10");
  out.pri = pri;
}
function readStamp(src, out) {
  const { tp, e, o } = src;
  if (tp === void 0 && e === void 0 && o === void 0) return;
  if (typeof tp !== "string" || tp === "") invalid("tp", "a non-empty string (tp, e, o go together)");
  if (typeof e !== "string" || !EPOCH_RE.test(e))
    invalid("e", "8 lower-case hex chars (tp, e, o go together)");
  if (!isNonNegInt(o)) invalid("o", "a non-negative safe integer (tp, e, o go together)");
  out.tp = tp;
  out.e = e;
  out.o = o;
}
function parseEnvelope(value) {
  if (!isPlainObject(value)) throw new ProtocolError("NOT_AN_OBJECT", "envelope must be a JSON object");
  const t = readType(value);
  const out = { c: readCategory(value, t), t, p: readPayload(value) };
  optString(value, out, "id");
  optString(value, out, "ts");
  readNumbers(value, out, "seq");
  readNumbers(value, out, "v");
  optString(value, out, "cid");
  readPriority(value, out);
  readStamp(value, out);
  return out;
}

// packages/core-client/src/session/negotiation.ts
var loadE2E = () => Promise.resolve().then(() => (init_e2e(), e2e_exports)).catch((cause) => {
  throw new WSEError("KEY_EXCHANGE_FAILED", "cannot load the WebCrypto helpers", { cause });
});
var DEFAULT_PING_INTERVAL_MS = 25e3;
var isDict = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
var str = (v) => typeof v === "string" && v.length > 0 ? v : null;
var num = (v) => typeof v === "number" && Number.isFinite(v) ? v : null;
function numbers(v) {
  const out = {};
  if (!isDict(v)) return out;
  for (const [k, x] of Object.entries(v)) if (num(x) !== null) out[k] = x;
  return out;
}
function buildClientHello(input, now) {
  const p = {
    client_version: input.clientVersion,
    protocol_version: PROTOCOL_VERSION,
    features: {
      compression: input.compression,
      encryption: input.encryptionPublicKey !== void 0,
      msgpack: input.msgpack,
      batching: input.batching ?? true
    }
  };
  if (input.encryptionPublicKey !== void 0) p.encryption_public_key = input.encryptionPublicKey;
  if (input.token !== void 0) p.token = input.token;
  return buildEnvelope("client_hello", p, now === void 0 ? {} : { now });
}
function readServerReady(payload) {
  const p = isDict(payload) ? payload : {};
  const d = isDict(p.details) ? p.details : p;
  return {
    connectionId: str(d.connection_id),
    userId: str(d.user_id),
    serverTime: num(d.server_time),
    tokenExpiresIn: num(d.token_expires_in),
    features: isDict(d.features) ? d.features : {}
  };
}
function readServerHello(payload) {
  const p = isDict(payload) ? payload : {};
  const ping = num(p.ping_interval);
  return {
    serverVersion: str(p.server_version),
    protocolVersion: num(p.protocol_version) ?? PROTOCOL_VERSION,
    features: isDict(p.features) ? p.features : {},
    limits: numbers(p.limits),
    pingIntervalMs: ping !== null && ping >= 100 ? ping : DEFAULT_PING_INTERVAL_MS,
    connectionId: str(p.connection_id),
    encryptionPublicKey: str(p.encryption_public_key),
    encryptionSignature: str(p.encryption_signature)
  };
}

// packages/core-client/src/session/session.ts
init_errors2();

// packages/core-client/src/protocol/frame-core.ts
init_errors();
init_limits();
var DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
var DEFAULT_COMPRESSION_THRESHOLD = 1024;
var C = 67;
var M = 77;
var E = 69;
var COLON = 58;
var BRACE = 123;
var PREFIX_C = new Uint8Array([C, COLON]);
var PREFIX_M = new Uint8Array([M, COLON]);
var utf8Decoder = new TextDecoder("utf-8", { fatal: true });
var utf8Encoder = new TextEncoder();
function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ProtocolError("INVALID_FIELD", "a frame must be a string, Uint8Array or ArrayBuffer");
}
function toBytes(frame) {
  return typeof frame === "string" ? utf8Encoder.encode(frame) : frame;
}
function frameKind(data) {
  if (typeof data === "string") {
    if (data.length === 0) throw new ProtocolError("EMPTY_FRAME", "empty text frame");
    return "json";
  }
  const b = asBytes(data);
  if (b.length === 0) throw new ProtocolError("EMPTY_FRAME", "empty binary frame");
  const first = b[0];
  if (first === BRACE) return "json";
  if (first !== C && first !== M && first !== E)
    throw new ProtocolError("UNKNOWN_PREFIX", "unknown frame prefix");
  if (b.length < 2) throw new ProtocolError("TRUNCATED_FRAME", "frame prefix without its colon");
  if (b[1] !== COLON) throw new ProtocolError("UNKNOWN_PREFIX", "unknown frame prefix");
  return first === C ? "zlib" : first === M ? "msgpack" : "encrypted";
}
function partOf(kind) {
  return kind === "zlib" || kind === "msgpack" ? kind : void 0;
}
var MISSING = { zlib: "INFLATE_FAILED", msgpack: "MSGPACK_INVALID", crypto: "DECRYPT_FAILED" };
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
      if (ch === 92)
        i++;
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > MAX_DEPTH) throw new ProtocolError("JSON_TOO_DEEP", `JSON nesting exceeds ${MAX_DEPTH}`);
    } else if (ch === 125 || ch === 93) depth--;
  }
}
function parseJsonText(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ProtocolError("INVALID_JSON", "frame is not valid JSON", { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError("NOT_AN_OBJECT", "envelope must be a JSON object");
  }
  checkDepth(text);
  return parseEnvelope(value);
}
function parseJsonBytes(bytes) {
  let text;
  try {
    text = utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new ProtocolError("INVALID_UTF8", "JSON frame is not valid UTF-8", { cause });
  }
  return parseJsonText(text);
}
function tooLarge(size, max) {
  return new ProtocolError("FRAME_TOO_LARGE", `frame of ${size} bytes exceeds ${max}`);
}
function decodePlain(codecs, b, kind, max) {
  switch (kind) {
    case "json":
      return parseJsonBytes(b);
    case "zlib":
      return parseJsonBytes(need(codecs, "zlib").inflate(b.subarray(2), max));
    case "msgpack":
      return parseEnvelope(need(codecs, "msgpack").decode(b.subarray(2)));
    default:
      throw new ProtocolError("KEY_REQUIRED", "E: frame needs a session key (use decodeAnyFrame)");
  }
}
function checkedBytes(data, max) {
  const b = asBytes(data);
  if (b.length > max) throw tooLarge(b.length, max);
  const kind = frameKind(b);
  if (kind === "encrypted" && b.length < 2 + IV_LENGTH + TAG_LENGTH) {
    throw new ProtocolError("ENCRYPTED_TOO_SHORT", "E: body shorter than IV (12) + tag (16)");
  }
  return { b, kind };
}
function decodeText(s, max) {
  if (s.length > max || s.length * 3 > max && utf8Encoder.encode(s).length > max)
    throw tooLarge(s.length, max);
  if (s.length === 0) throw new ProtocolError("EMPTY_FRAME", "empty text frame");
  return parseJsonText(s);
}
function guard(fn) {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError("INVALID_FIELD", "frame could not be decoded", { cause: err });
  }
}
function decodeFrameWith(codecs, data, options = {}) {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  return guard(() => {
    if (typeof data === "string") return decodeText(data, max);
    const { b, kind } = checkedBytes(data, max);
    return decodePlain(codecs, b, kind, max);
  });
}
async function decodeAnyFrameWith(codecs, data, options = {}) {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const outer = typeof data === "string" ? void 0 : guard(() => checkedBytes(data, max));
  if (outer?.kind !== "encrypted") {
    if (options.requireEncryption)
      throw new ProtocolError("NOT_ENCRYPTED", "plaintext frame on an encrypted connection");
    const loading2 = outer && ensure(codecs, partOf(outer.kind));
    if (loading2) await loading2;
    return Object.assign(decodeFrameWith(codecs, data, options), { encrypted: false });
  }
  if (!options.key) throw new ProtocolError("KEY_REQUIRED", "E: frame but no session key");
  const loadingCrypto = ensure(codecs, "crypto");
  if (loadingCrypto) await loadingCrypto;
  const inner = await need(codecs, "crypto").decryptBytes(options.key, outer.b);
  const { b, kind } = guard(() => checkedBytes(inner, max));
  if (kind === "encrypted") throw new ProtocolError("UNKNOWN_PREFIX", "nested E: frame");
  const loading = ensure(codecs, partOf(kind));
  if (loading) await loading;
  return Object.assign(
    guard(() => decodePlain(codecs, b, kind, max)),
    { encrypted: true }
  );
}
function stringify(env2) {
  try {
    return JSON.stringify(env2);
  } catch (cause) {
    throw new ProtocolError("INVALID_FIELD", "payload is not JSON-serialisable", { cause });
  }
}
function compress(zlib, json) {
  const z = zlib.deflate(json);
  const out = new Uint8Array(2 + z.length);
  out.set(PREFIX_C);
  out.set(z, 2);
  return out;
}
function startEncoding(env2, options) {
  const canonical = parseEnvelope(env2);
  if (options.format === "msgpack")
    return { part: "msgpack", finish: (c) => need(c, "msgpack").packWithPrefix(canonical, PREFIX_M) };
  const text = stringify(canonical);
  const threshold = options.compressionThreshold ?? DEFAULT_COMPRESSION_THRESHOLD;
  if (text.length * 3 <= threshold) return text;
  const bytes = utf8Encoder.encode(text);
  if (bytes.length <= threshold) return text;
  return { part: "zlib", finish: (c) => compress(need(c, "zlib"), bytes) };
}
function encodeFrameWhenReady(codecs, env2, options = {}) {
  const started = startEncoding(env2, options);
  if (typeof started === "string") return started;
  const loading = ensure(codecs, started.part);
  return loading ? loading.then(() => started.finish(codecs)) : started.finish(codecs);
}
async function encryptFrameWith(codecs, key, frame, iv) {
  const loading = ensure(codecs, "crypto");
  if (loading) await loading;
  return need(codecs, "crypto").encryptBytes(key, toBytes(frame), iv);
}

// packages/core-client/src/protocol/lazy-codecs.ts
var defaultImporters = {
  zlib: () => Promise.resolve().then(() => (init_zlib(), zlib_exports)).then((m) => m.zlibCodec),
  msgpack: () => Promise.resolve().then(() => (init_msgpack(), msgpack_exports)).then((m) => m.msgpackCodec),
  crypto: () => Promise.resolve().then(() => (init_crypto(), crypto_exports)).then((m) => ({ encryptBytes: m.encryptBytes, decryptBytes: m.decryptBytes }))
};
var LazyCodecs = class {
  zlib;
  msgpack;
  crypto;
  #pending = {};
  #importers;
  constructor(importers = defaultImporters) {
    this.#importers = importers;
  }
  /** Makes `part` available; resolves at once when it already is. */
  load(part) {
    if (this[part]) return Promise.resolve();
    this.#pending[part] ??= this.#importers[part]().then((codec) => {
      Object.assign(this, { [part]: codec });
    }).finally(() => {
      this.#pending[part] = void 0;
    });
    return this.#pending[part];
  }
};
var lazyCodecs = new LazyCodecs();

// packages/core-client/src/connection/heartbeat.ts
function initialHeartbeat(now) {
  return { lastReceivedAt: now, lastPingAt: null, outstanding: null, pongWindowStart: now, pongsInWindow: 0 };
}
function heartbeatReceived(state, now) {
  return { ...state, lastReceivedAt: now };
}
function heartbeatTick(state, config, now) {
  const deadAt = state.lastReceivedAt + config.deadAfterMs;
  if (now >= deadAt) return { action: "dead", lost: state.outstanding !== null, nextCheckInMs: 0 };
  const pingAt = (state.lastPingAt ?? now - config.pingIntervalMs) + config.pingIntervalMs;
  if (now >= pingAt) {
    return {
      action: "ping",
      lost: state.outstanding !== null,
      nextCheckInMs: Math.max(1, Math.min(config.pingIntervalMs, deadAt - now))
    };
  }
  return { action: "none", lost: false, nextCheckInMs: Math.max(1, Math.min(pingAt, deadAt) - now) };
}
function heartbeatPinged(state, now) {
  return { ...state, lastPingAt: now, outstanding: now };
}
function heartbeatPong(state, payload, now) {
  const sent = payload.client_timestamp;
  if (typeof sent !== "number" || !Number.isFinite(sent) || sent > now) return { rtt: null, state };
  if (state.lastPingAt !== null && sent < state.lastPingAt - 36e5) return { rtt: null, state };
  const next = state.outstanding === sent ? { ...state, outstanding: null } : state;
  return { rtt: now - sent, state: next };
}
function heartbeatServerPing(state, config, now) {
  const fresh = now - state.pongWindowStart >= 1e3;
  const start = fresh ? now : state.pongWindowStart;
  const count = fresh ? 0 : state.pongsInWindow;
  if (count >= config.maxPongsPerSecond) return { answer: false, state };
  return { answer: true, state: { ...state, pongWindowStart: start, pongsInWindow: count + 1 } };
}

// packages/core-client/src/session/session-heartbeat.ts
var SessionHeartbeat = class {
  #state;
  #config = null;
  #timer = null;
  #clock;
  #actions;
  constructor(clock, actions) {
    this.#clock = clock;
    this.#actions = actions;
    this.#state = initialHeartbeat(clock.now());
  }
  /** Starts pinging and watching for silence. */
  start(config) {
    this.#config = config;
    this.#state = heartbeatReceived(this.#state, this.#clock.now());
    this.#tick();
  }
  /** Stops the timer; idempotent. */
  stop() {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#config = null;
  }
  /** Any frame arrived. */
  received() {
    this.#state = heartbeatReceived(this.#state, this.#clock.now());
  }
  /** A server `ping`: answer with PONG unless the flood guard says no. */
  serverPing(payload) {
    const config = this.#config ?? { pingIntervalMs: 25e3, deadAfterMs: 35e3, maxPongsPerSecond: 10 };
    const now = this.#clock.now();
    const r2 = heartbeatServerPing(this.#state, config, now);
    this.#state = r2.state;
    if (r2.answer) this.#actions.sendPong({ server_time: payload.server_time, client_timestamp: now });
  }
  /** A `PONG` to our ping. */
  pong(payload) {
    const r2 = heartbeatPong(this.#state, payload, this.#clock.now());
    this.#state = r2.state;
    if (r2.rtt !== null) this.#actions.onRtt(r2.rtt);
  }
  #tick() {
    this.#timer = null;
    const config = this.#config;
    if (!config) return;
    const now = this.#clock.now();
    const d = heartbeatTick(this.#state, config, now);
    if (d.lost) this.#actions.onLoss();
    if (d.action === "dead") {
      this.stop();
      this.#actions.onDead();
      return;
    }
    if (d.action === "ping") {
      this.#state = heartbeatPinged(this.#state, now);
      this.#actions.sendPing(now);
    }
    if (this.#config) this.#timer = this.#clock.setTimeout(() => this.#tick(), d.nextCheckInMs);
  }
};

// packages/core-client/src/session/token-provider.ts
init_errors2();
var TokenProvider = class {
  #lastToken;
  #source;
  constructor(source) {
    this.#source = source;
  }
  /** `true` when the source is a function (it may return a new token). */
  get canRefresh() {
    return typeof this.#source === "function";
  }
  /** The last token handed out. */
  get last() {
    return this.#lastToken;
  }
  /**
   * Gets the current token (calling the function). Rejects with `AuthError('AUTH_REQUIRED')` when
   * the function throws.
   */
  async fetch() {
    const source = this.#source;
    if (source === void 0) return void 0;
    if (typeof source === "string") {
      this.#lastToken = source;
      return source;
    }
    try {
      const token = await source() ?? void 0;
      this.#lastToken = token;
      return token;
    } catch (cause) {
      throw new AuthError("AUTH_REQUIRED", "the token function failed", { cause });
    }
  }
  /** Fetches again and says whether the token differs from the one used before. */
  async isFresh() {
    if (!this.canRefresh) return false;
    const before = this.#lastToken;
    try {
      const next = await this.fetch();
      return next !== void 0 && next !== before;
    } catch {
      return false;
    }
  }
};
function refreshDelayMs(expiresInSec, aheadMs) {
  const lifetime = expiresInSec * 1e3;
  const ahead = Math.min(aheadMs, lifetime * 0.2);
  return Math.max(1e3, lifetime - ahead);
}

// packages/core-client/src/session/session.ts
var Session = class {
  #transport = null;
  #alive = true;
  #ready = null;
  #helloSent = false;
  #established = false;
  #offer = null;
  #key = null;
  #format = "json";
  #inbound = Promise.resolve();
  #outbound = Promise.resolve();
  /** Frames on the `outbound` chain not yet handed to the transport. */
  #queued = 0;
  #refreshTimer = null;
  #heartbeat;
  #config;
  #events;
  constructor(config, events) {
    this.#config = config;
    this.#events = events;
    this.#heartbeat = new SessionHeartbeat(config.clock, {
      sendPing: (ts) => this.#trySend(buildEnvelope("ping", { timestamp: ts })),
      sendPong: (p) => this.#trySend(buildEnvelope("PONG", p)),
      onDead: () => this.#alive && events.onDead(),
      onRtt: (ms) => events.onRtt(ms),
      onLoss: () => events.onLoss()
    });
  }
  /** `true` once `server_hello` was handled. */
  get isReady() {
    return this.#established;
  }
  /** Bytes buffered in the socket. */
  get bufferedAmount() {
    return this.#transport?.bufferedAmount ?? 0;
  }
  /** Opens the transport. Errors while opening are reported as a close (1006). */
  open() {
    if (this.#config.encryption) this.#offer = loadE2E().then((e2e) => e2e.createE2EOffer());
    this.#offer?.catch(() => {
    });
    if (this.#config.msgpack) lazyCodecs.load("msgpack").catch(() => {
    });
    try {
      this.#transport = this.#config.transport(
        { url: this.#config.url, headers: this.#config.headers },
        {
          onOpen: () => this.#handleOpen(),
          onMessage: (frame) => this.#receive(frame),
          onClose: (code, reason) => this.#handleClose(code, reason),
          onError: (err) => this.#alive && this.#events.onError(err)
        }
      );
    } catch (cause) {
      this.#events.onError(
        new TransportError("TRANSPORT_FAILED", `cannot open ${this.#config.url}`, { cause })
      );
      queueMicrotask(() => this.#handleClose(1006, "open failed"));
    }
  }
  /**
   * Sends an envelope. Throws synchronously when it cannot be encoded or the socket is gone, so
   * the caller can keep the message queued. A frame that waits (encryption, a codec loading) and
   * finds the session gone is not sent: `onLost` is called, so the caller can queue it again.
   */
  send(env2, onLost2) {
    const transport = this.#transport;
    if (!this.#alive || !transport) throw new TransportError("TRANSPORT_CLOSED", "session closed");
    const frame = this.#encode(env2);
    const key = this.#key;
    if (!key && this.#queued === 0 && !(frame instanceof Promise)) {
      transport.send(frame);
      return;
    }
    this.#queued++;
    this.#outbound = this.#outbound.then(() => frame).then((plain) => key ? encryptFrameWith(lazyCodecs, key, plain) : plain).then((out) => {
      if (this.#alive) transport.send(out);
      else onLost2?.();
    }).catch((err) => {
      if (this.#alive) this.#events.onError(err);
    }).finally(() => {
      this.#queued--;
    });
  }
  // Validates synchronously (an invalid envelope throws here). A promise only while the zlib
  // codec loads; if it cannot be loaded, the frame goes out as plain JSON, which is always valid.
  #encode(env2) {
    const options = {
      format: this.#format,
      compressionThreshold: this.#config.compressionThreshold
    };
    const frame = encodeFrameWhenReady(lazyCodecs, env2, options);
    if (!(frame instanceof Promise)) return frame;
    return frame.catch(
      () => encodeFrameWhenReady(lazyCodecs, env2, { ...options, compressionThreshold: Number.POSITIVE_INFINITY })
    );
  }
  /** Closes the socket; no event is reported afterwards. Idempotent. */
  close(code, reason) {
    if (!this.#alive) return;
    this.#stop();
    this.#transport?.close(code, reason);
  }
  #stop() {
    this.#alive = false;
    this.#heartbeat.stop();
    if (this.#refreshTimer !== null) this.#config.clock.clearTimeout(this.#refreshTimer);
    this.#refreshTimer = null;
  }
  #trySend(env2) {
    try {
      this.send(env2);
    } catch (err) {
      this.#events.onError(err);
    }
  }
  #handleOpen() {
    if (!this.#alive) return;
    this.#events.onOpen();
    if (this.#config.helloFirst) void this.#sendHello();
  }
  #handleClose(code, reason) {
    if (!this.#alive) return;
    this.#stop();
    this.#events.onClosed(code, reason);
  }
  async #sendHello() {
    if (this.#helloSent) return;
    this.#helloSent = true;
    let publicKey;
    try {
      publicKey = this.#offer ? (await this.#offer).publicKey : void 0;
    } catch (cause) {
      this.#fatal(new ProtocolError("INVALID_KEY", "cannot create the E2E key pair", { cause }));
      return;
    }
    const hello = buildClientHello({
      clientVersion: this.#config.clientVersion,
      msgpack: this.#config.msgpack,
      compression: Number.isFinite(this.#config.compressionThreshold),
      encryptionPublicKey: publicKey,
      token: this.#config.helloToken
    });
    if (this.#alive) this.#trySend(hello);
  }
  #fatal(error) {
    if (!this.#alive) return;
    this.close(1e3, "handshake failed");
    this.#events.onFatal(error);
  }
  #receive(frame) {
    if (!this.#alive) return;
    this.#heartbeat.received();
    this.#inbound = this.#inbound.then(() => this.#decode(frame)).catch((err) => {
      if (this.#alive) this.#events.onError(err);
    });
  }
  async #decode(frame) {
    if (!this.#alive) return;
    let env2;
    try {
      env2 = await decodeAnyFrameWith(lazyCodecs, frame, {
        key: this.#key ?? void 0,
        requireEncryption: this.#key !== null,
        maxMessageSize: this.#config.maxMessageSize
      });
    } catch (err) {
      if (this.#alive) this.#events.onError(err);
      return;
    }
    if (this.#alive) await this.#dispatch(env2);
  }
  async #dispatch(env2) {
    switch (env2.t) {
      case "server_ready":
        this.#ready = readServerReady(env2.p);
        if (!this.#helloSent) await this.#sendHello();
        return;
      case "server_hello":
        if (!this.#established) await this.#establish(env2);
        return;
      case "ping":
        this.#heartbeat.serverPing(env2.p);
        return;
      case "PONG":
      case "pong":
        this.#heartbeat.pong(env2.p);
        return;
      case "auth_refreshed": {
        const sec = env2.p.token_expires_in;
        const expiresIn = typeof sec === "number" ? sec : null;
        this.#scheduleRefresh(expiresIn);
        this.#events.onTokenRefreshed(expiresIn);
        return;
      }
      case "batch":
        await this.#unbatch(env2.p.messages);
        return;
      default:
        this.#events.onEnvelope(env2);
    }
  }
  async #unbatch(messages) {
    if (!Array.isArray(messages)) return;
    for (const m of messages) {
      if (!this.#alive) return;
      let env2;
      try {
        env2 = parseEnvelope(m);
      } catch (err) {
        this.#events.onError(err);
        continue;
      }
      await this.#dispatch(env2);
    }
  }
  async #establish(env2) {
    const hello = readServerHello(env2.p);
    const ready = this.#ready ?? readServerReady({ details: { connection_id: hello.connectionId } });
    if (this.#offer) {
      try {
        const connId = hello.connectionId ?? ready.connectionId;
        const e2e = await loadE2E();
        this.#key = await e2e.completeE2E(
          await this.#offer,
          hello,
          connId,
          this.#config.encryption?.identityKey
        );
      } catch (err) {
        this.#fatal(err);
        return;
      }
    }
    if (this.#config.msgpack && hello.features.msgpack === true) {
      if (lazyCodecs.msgpack || await this.#loadMsgpack()) this.#format = "msgpack";
    }
    if (!this.#alive) return;
    this.#established = true;
    this.#heartbeat.start({
      pingIntervalMs: this.#config.pingIntervalMs ?? hello.pingIntervalMs,
      deadAfterMs: hello.pingIntervalMs + this.#config.deadGraceMs,
      maxPongsPerSecond: 10
    });
    this.#scheduleRefresh(ready.tokenExpiresIn);
    this.#events.onReady({ ready, hello, encrypted: this.#key !== null });
  }
  // `false` (and an error report) when the msgpack codec cannot be loaded: the session then keeps
  // sending JSON, which the server always accepts.
  async #loadMsgpack() {
    try {
      await lazyCodecs.load("msgpack");
      return true;
    } catch (cause) {
      if (this.#alive)
        this.#events.onError(
          new ProtocolError("MSGPACK_INVALID", "the msgpack codec could not be loaded", { cause })
        );
      return false;
    }
  }
  #scheduleRefresh(expiresInSec) {
    const refresh = this.#config.refreshToken;
    if (this.#refreshTimer !== null) this.#config.clock.clearTimeout(this.#refreshTimer);
    this.#refreshTimer = null;
    if (!refresh || expiresInSec === null || expiresInSec <= 0 || !this.#alive) return;
    const delay = refreshDelayMs(expiresInSec, this.#config.tokenRefreshAheadMs);
    this.#refreshTimer = this.#config.clock.setTimeout(() => {
      this.#refreshTimer = null;
      refresh().then(
        (token) => token && this.#alive && this.#trySend(buildEnvelope("auth_refresh", { token })),
        (err) => this.#alive && this.#events.onError(err)
      );
    }, delay);
  }
};

// packages/core-client/src/env/random.ts
var defaultRandom2 = () => Math.random();

// packages/core-client/src/connection/backoff.ts
var DEFAULT_BACKOFF = Object.freeze({ baseMs: 500, maxMs: 2e4 });
function backoffCeiling(attempt, options = {}) {
  const { baseMs, maxMs } = { ...DEFAULT_BACKOFF, ...options };
  const n = attempt > 0 ? Math.floor(attempt) : 0;
  return Math.max(0, Math.min(maxMs, baseMs * 2 ** n));
}
function backoffDelay(attempt, options = DEFAULT_BACKOFF, random = defaultRandom2) {
  const r2 = Math.min(1, Math.max(0, random() || 0));
  return r2 * backoffCeiling(attempt, options);
}

// packages/core-client/src/connection/machine.ts
var AUTH_FAILED = 4401;
var TOKEN_EXPIRED = 4403;
var ENDPOINT_FAILURE_CODES = /* @__PURE__ */ new Set([1011, 4300, 4503]);
var CLIENT_CLOSE_CODE = 1e3;
var CLIENT_ABORT_CODE = 4e3;
function initialContext(online = true) {
  return { state: "idle", attempt: 0, online };
}
var ACTIVE = /* @__PURE__ */ new Set(["connecting", "negotiating", "connected"]);
function hasSocket(state) {
  return ACTIVE.has(state);
}
function to(ctx, patch, effects = []) {
  return { context: { ...ctx, ...patch }, effects };
}
function same(ctx) {
  return { context: ctx, effects: [] };
}
function startAttempt(ctx, extra = []) {
  if (!ctx.online) return to(ctx, { state: "offline", failReason: void 0 }, extra);
  return to(ctx, { state: "connecting", failReason: void 0 }, [
    ...extra,
    { type: "start_connect_timer" },
    { type: "open" }
  ]);
}
function retryLater(ctx, config, effects) {
  const attempt = ctx.attempt + 1;
  if (config.maxAttempts !== void 0 && attempt >= config.maxAttempts) {
    return to(ctx, { state: "failed", attempt, failReason: "max_attempts" }, effects);
  }
  if (!ctx.online) return to(ctx, { state: "offline", attempt }, effects);
  return to(ctx, { state: "reconnecting", attempt }, [...effects, { type: "schedule_retry", attempt }]);
}
function onLost(ctx, config, code, reason) {
  const wasUp = ctx.state === "connected";
  const effects = [{ type: "clear_connect_timer" }];
  if (wasUp) effects.push({ type: "session_down", code, reason });
  if (!wasUp || ENDPOINT_FAILURE_CODES.has(code)) effects.push({ type: "report_failure" });
  if (code === AUTH_FAILED) {
    if (!config.canRefreshToken) return to(ctx, { state: "failed", failReason: "auth" }, effects);
    return to(ctx, { state: "reconnecting" }, [...effects, { type: "check_token" }]);
  }
  if (code === TOKEN_EXPIRED && config.canRefreshToken) effects.push({ type: "refresh_token" });
  return retryLater(ctx, config, effects);
}
function abort(ctx, config, reason) {
  const t = onLost(ctx, config, 1006, reason);
  return {
    context: t.context,
    effects: [{ type: "close_socket", code: CLIENT_ABORT_CODE, reason }, ...t.effects]
  };
}
function drop(ctx, reason, downCode = CLIENT_CLOSE_CODE) {
  const effects = [{ type: "clear_connect_timer" }, { type: "cancel_retry" }];
  if (hasSocket(ctx.state)) effects.push({ type: "close_socket", code: CLIENT_CLOSE_CODE, reason });
  if (ctx.state === "connected") effects.push({ type: "session_down", code: downCode, reason });
  return effects;
}
function onOffline(ctx) {
  const offline = { ...ctx, online: false };
  if (ctx.state === "reconnecting") return to(offline, { state: "offline" }, [{ type: "cancel_retry" }]);
  if (!hasSocket(ctx.state)) return same(offline);
  const effects = [
    { type: "clear_connect_timer" },
    { type: "close_socket", code: CLIENT_CLOSE_CODE, reason: "offline" }
  ];
  if (ctx.state === "connected") effects.push({ type: "session_down", code: 1006, reason: "offline" });
  return to(offline, { state: "offline" }, effects);
}
function onWake(ctx, online) {
  const next = { ...ctx, online };
  if (next.state === "offline" && online) return startAttempt(next);
  if (next.state === "reconnecting" && online) return startAttempt(next, [{ type: "cancel_retry" }]);
  return same(next);
}
function transition(ctx, event, config) {
  switch (event.type) {
    case "CONNECT":
      if (hasSocket(ctx.state) || ctx.state === "reconnecting" || ctx.state === "offline") return same(ctx);
      return startAttempt({ ...ctx, attempt: 0 });
    case "OPENED":
      return ctx.state === "connecting" ? to(ctx, { state: "negotiating" }) : same(ctx);
    case "READY":
      if (ctx.state !== "negotiating" && ctx.state !== "connecting") return same(ctx);
      return to(ctx, { state: "connected", attempt: 0 }, [
        { type: "clear_connect_timer" },
        { type: "report_success" },
        { type: "session_up" }
      ]);
    case "CLOSED":
      return hasSocket(ctx.state) ? onLost(ctx, config, event.code, event.reason) : same(ctx);
    case "TIMEOUT":
      return ctx.state === "connecting" || ctx.state === "negotiating" ? abort(ctx, config, "connect timeout") : same(ctx);
    case "DEAD":
      return ctx.state === "connected" ? abort(ctx, config, "heartbeat timeout") : same(ctx);
    case "NO_ENDPOINT":
      return ctx.state === "connecting" ? retryLater(ctx, config, [{ type: "clear_connect_timer" }]) : same(ctx);
    case "RETRY":
      return ctx.state === "reconnecting" ? startAttempt(ctx) : same(ctx);
    case "TOKEN_CHECKED":
      if (ctx.state !== "reconnecting") return same(ctx);
      return event.fresh ? retryLater(ctx, config, []) : to(ctx, { state: "failed", failReason: "auth" });
    case "FATAL":
      if (ctx.state === "closed") return same(ctx);
      return to(ctx, { state: "failed", failReason: "fatal" }, drop(ctx, "fatal", 1006));
    case "OFFLINE":
      return onOffline(ctx);
    case "ONLINE":
      return onWake(ctx, true);
    case "WAKE":
      return onWake(ctx, ctx.online);
    case "CLOSE":
      return ctx.state === "closed" ? same(ctx) : to(ctx, { state: "closed", attempt: 0 }, drop(ctx, "client close"));
    case "RECONNECT":
      return startAttempt({ ...ctx, attempt: 0 }, drop(ctx, "reconnect"));
    default:
      return same(ctx);
  }
}

// packages/core-client/src/connection/driver.ts
var ConnectionDriver = class {
  #ctx;
  #machine;
  #queue = [];
  #running = false;
  #session = null;
  #endpoint = null;
  #connectTimer = null;
  #retryTimer = null;
  #pendingReady = null;
  #stopEnvironment = null;
  /** Bumped whenever an attempt is abandoned, so late async results are ignored. */
  #generation = 0;
  #identity = null;
  #config;
  #hooks;
  constructor(config, hooks) {
    this.#config = config;
    this.#hooks = hooks;
    this.#ctx = initialContext(config.environment.isOnline());
    this.#machine = {
      canRefreshToken: config.tokens.canRefresh,
      maxAttempts: config.reconnect ? config.maxAttempts : 0
    };
  }
  /** The current machine state. */
  get state() {
    return this.#ctx.state;
  }
  /** The current context (attempt count, online flag, fail reason). */
  get context() {
    return this.#ctx;
  }
  /** The endpoint of the current or last attempt. */
  get currentEndpoint() {
    return this.#endpoint;
  }
  /** `true` when a session is up and can take frames. */
  get canSend() {
    return this.#ctx.state === "connected" && this.#session?.isReady === true;
  }
  /** Bytes buffered in the socket (0 when none). */
  get bufferedAmount() {
    return this.#session?.bufferedAmount ?? 0;
  }
  /** Sends over the live session; throws when there is none or encoding fails (see `Session.send`). */
  send(env2, onLost2) {
    if (!this.canSend) throw new Error("not connected");
    this.#session.send(env2, onLost2);
  }
  /** Feeds one event to the machine (queued when called from inside an effect). */
  dispatch(event) {
    this.#queue.push(event);
    if (this.#running) return;
    this.#running = true;
    try {
      for (let ev = this.#queue.shift(); ev; ev = this.#queue.shift()) this.#step(ev);
    } finally {
      this.#running = false;
    }
  }
  #step(event) {
    if (event.type === "CONNECT" || event.type === "RECONNECT") this.#watchEnvironment();
    const before = this.#ctx.state;
    const { context, effects } = transition(this.#ctx, event, this.#machine);
    this.#ctx = context;
    for (const fx of effects) this.#run(fx);
    if (context.state === "closed" || context.state === "failed") this.#unwatchEnvironment();
    if (context.state !== before) this.#hooks.onState(context.state, context);
  }
  #run(fx) {
    const { clock } = this.#config;
    switch (fx.type) {
      case "open":
        this.#open();
        return;
      case "close_socket":
        this.#generation += 1;
        this.#session?.close(fx.code, fx.reason);
        this.#session = null;
        return;
      case "start_connect_timer":
        this.#clearConnectTimer();
        this.#connectTimer = clock.setTimeout(
          () => this.dispatch({ type: "TIMEOUT" }),
          this.#config.connectTimeoutMs
        );
        return;
      case "clear_connect_timer":
        this.#clearConnectTimer();
        return;
      case "schedule_retry":
        this.#scheduleRetry(fx.attempt);
        return;
      case "cancel_retry":
        if (this.#retryTimer !== null) clock.clearTimeout(this.#retryTimer);
        this.#retryTimer = null;
        return;
      case "session_up":
        if (this.#pendingReady) this.#hooks.onUp(this.#pendingReady);
        this.#pendingReady = null;
        return;
      case "session_down":
        this.#hooks.onDown(fx.code, fx.reason);
        return;
      case "report_failure":
        if (this.#endpoint) this.#config.pool.reportFailure(this.#endpoint);
        return;
      case "report_success":
        if (this.#endpoint) this.#config.pool.reportSuccess(this.#endpoint);
        return;
      case "check_token":
        this.#checkToken();
        return;
      case "refresh_token":
        return;
    }
  }
  #clearConnectTimer() {
    if (this.#connectTimer !== null) this.#config.clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
  }
  #scheduleRetry(attempt) {
    const { clock, backoff, random, pool } = this.#config;
    if (this.#retryTimer !== null) clock.clearTimeout(this.#retryTimer);
    let delay = backoffDelay(attempt - 1, backoff, random);
    const availableAt = pool.nextAvailableAt();
    if (availableAt !== void 0) delay = Math.max(delay, availableAt - clock.now());
    this.#retryTimer = clock.setTimeout(() => {
      this.#retryTimer = null;
      this.dispatch({ type: "RETRY" });
    }, delay);
  }
  #checkToken() {
    const gen = this.#generation;
    void this.#config.tokens.isFresh().then((fresh) => {
      if (gen === this.#generation) this.dispatch({ type: "TOKEN_CHECKED", fresh });
    });
  }
  #open() {
    const url = this.#config.pool.next();
    if (url === void 0) {
      this.dispatch({ type: "NO_ENDPOINT" });
      return;
    }
    this.#endpoint = url;
    this.#hooks.onEndpoint(url);
    const gen = ++this.#generation;
    const pinned = this.#identityKey();
    this.#config.tokens.fetch().then(
      async (token) => {
        let identityKey;
        try {
          identityKey = await pinned;
        } catch (err) {
          if (gen !== this.#generation) return;
          this.#hooks.onError(err);
          this.dispatch({ type: "FATAL" });
          return;
        }
        if (gen === this.#generation && this.#ctx.state === "connecting")
          this.#startSession(url, token, gen, identityKey);
      },
      (err) => {
        if (gen !== this.#generation) return;
        this.#hooks.onError(err);
        this.dispatch({ type: "CLOSED", code: 4401, reason: "token unavailable" });
      }
    );
  }
  #identityKey() {
    const key = this.#config.identityKey;
    if (key === void 0) return Promise.resolve(void 0);
    this.#identity ??= loadE2E().then((e2e) => e2e.resolveIdentityKey(key));
    return this.#identity;
  }
  #startSession(url, token, gen, identityKey) {
    const inHeader = this.#config.tokenInHeader && token !== void 0;
    const config = {
      ...this.#config.session,
      encryption: this.#config.session.encryption ? { identityKey } : null,
      url,
      clock: this.#config.clock,
      headers: inHeader ? { Authorization: `Bearer ${token}` } : void 0,
      helloToken: inHeader ? void 0 : token,
      helloFirst: !inHeader && token !== void 0,
      refreshToken: this.#config.tokens.canRefresh ? () => this.#config.tokens.fetch() : void 0
    };
    const live2 = () => gen === this.#generation;
    const session = new Session(config, {
      onOpen: () => live2() && this.dispatch({ type: "OPENED" }),
      onReady: (r2) => {
        if (!live2()) return;
        this.#pendingReady = { endpoint: url, ...r2 };
        this.dispatch({ type: "READY" });
      },
      onEnvelope: (env2) => live2() && this.#hooks.onEnvelope(env2),
      onClosed: (code, reason) => {
        if (!live2()) return;
        this.#session = null;
        this.#hooks.onClose(code, reason);
        this.dispatch({ type: "CLOSED", code, reason });
      },
      onDead: () => live2() && this.dispatch({ type: "DEAD" }),
      onError: (err) => live2() && this.#hooks.onError(err),
      onFatal: (err) => {
        if (!live2()) return;
        this.#hooks.onError(err);
        this.dispatch({ type: "FATAL" });
      },
      onRtt: (ms) => {
        if (!live2()) return;
        this.#config.pool.reportSuccess(url, ms);
        this.#hooks.onRtt(ms);
      },
      onLoss: () => live2() && this.#hooks.onLoss(),
      onTokenRefreshed: (sec) => live2() && this.#hooks.onTokenRefreshed(sec)
    });
    this.#session = session;
    session.open();
  }
  #watchEnvironment() {
    if (this.#stopEnvironment) return;
    this.#ctx = { ...this.#ctx, online: this.#config.environment.isOnline() };
    this.#stopEnvironment = this.#config.environment.subscribe((ev) => {
      if (ev === "online") this.dispatch({ type: "ONLINE" });
      else if (ev === "offline") this.dispatch({ type: "OFFLINE" });
      else this.dispatch({ type: "WAKE" });
    });
  }
  #unwatchEnvironment() {
    this.#stopEnvironment?.();
    this.#stopEnvironment = null;
  }
};

// packages/core-client/src/env/clock.ts
var systemClock = {
  now: () => Date.now(),
  // Beyond 2^31-1 ms timers fire at once (Node: after 1 ms), so a long token lifetime or a
  // hostile ping_interval would loop: clamp to ~24.8 days.
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, Math.min(ms, 2 ** 31 - 1)),
  clearTimeout: (handle) => globalThis.clearTimeout(handle)
};

// packages/core-client/src/connection/circuit-breaker.ts
var DEFAULT_CIRCUIT_BREAKER = Object.freeze({
  failureThreshold: 5,
  resetTimeoutMs: 3e4
});
var CircuitBreaker = class {
  #options;
  #consecutive = 0;
  #openedAt;
  #probeAt;
  #clock;
  constructor(options = {}, clock = systemClock) {
    this.#clock = clock;
    this.#options = { ...DEFAULT_CIRCUIT_BREAKER, ...options };
    if (!(this.#options.failureThreshold >= 1)) {
      throw new RangeError(`failureThreshold must be >= 1, got ${this.#options.failureThreshold}`);
    }
  }
  /** The state now (time-based: an open circuit reads `half-open` once its timeout passed). */
  get state() {
    if (this.#openedAt === void 0) return "closed";
    return this.#clock.now() >= this.#openedAt + this.#options.resetTimeoutMs ? "half-open" : "open";
  }
  /** Consecutive failures since the last success. */
  get failures() {
    return this.#consecutive;
  }
  /** When an open circuit turns half-open (absolute clock time), or `undefined` if not open. */
  get halfOpensAt() {
    return this.#openedAt === void 0 ? void 0 : this.#openedAt + this.#options.resetTimeoutMs;
  }
  /**
   * The earliest clock time at which {@link CircuitBreaker.isAvailable} turns true: now when it
   * already is, the half-open time when open, or the end of the probe's lease when a probe is
   * in flight.
   */
  availableAt() {
    const now = this.#clock.now();
    if (this.isAvailable()) return now;
    const halfOpen = this.halfOpensAt ?? now;
    if (now < halfOpen) return halfOpen;
    return (this.#probeAt ?? now) + this.#options.resetTimeoutMs;
  }
  /**
   * Whether an attempt would be allowed now, without claiming the half-open probe slot. Use
   * it to rank candidates; call {@link CircuitBreaker.canAttempt} for the one you try.
   */
  isAvailable() {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open") return false;
    return this.#probeAt === void 0 || this.#clock.now() >= this.#probeAt + this.#options.resetTimeoutMs;
  }
  /**
   * Whether to attempt now. In half-open this claims the single probe slot: call it only when
   * you are about to try.
   */
  canAttempt() {
    if (!this.isAvailable()) return false;
    if (this.state === "half-open") this.#probeAt = this.#clock.now();
    return true;
  }
  /** An attempt succeeded: close the circuit and clear the failure count. */
  recordSuccess() {
    this.#consecutive = 0;
    this.#openedAt = void 0;
    this.#probeAt = void 0;
  }
  /** An attempt failed: count it; open (or re-open after a failed probe) when due. */
  recordFailure() {
    this.#consecutive += 1;
    const state = this.state;
    if (state === "half-open") {
      this.#open();
    } else if (state === "closed" && this.#consecutive >= this.#options.failureThreshold) {
      this.#open();
    }
  }
  /** Back to closed with no history. */
  reset() {
    this.recordSuccess();
  }
  #open() {
    this.#openedAt = this.#clock.now();
    this.#probeAt = void 0;
  }
};

// packages/core-client/src/endpoints/endpoint-pool.ts
var EndpointPool = class {
  #entries;
  #strategy;
  #decayMs;
  #alpha;
  #latencyRefMs;
  #healthyScore;
  #cursor = -1;
  #clock;
  #random;
  constructor(urls, options = {}, clock = systemClock, random = defaultRandom2) {
    this.#clock = clock;
    this.#random = random;
    this.#strategy = options.strategy ?? "priority";
    this.#decayMs = options.decayMs ?? 3e4;
    this.#alpha = options.latencyAlpha ?? 0.3;
    this.#latencyRefMs = options.latencyRefMs ?? 1e3;
    this.#healthyScore = options.healthyScore ?? 0.5;
    const now = clock.now();
    this.#entries = [...new Set(urls)].map((url) => ({
      url,
      breaker: new CircuitBreaker(options.breaker, clock),
      successes: 0,
      failures: 0,
      consecutive: 0,
      consecutiveWeight: 0,
      decayedAt: now,
      latency: null,
      lastSuccessAt: null,
      lastFailureAt: null
    }));
  }
  /** The endpoints, in priority order (duplicates removed). */
  get urls() {
    return this.#entries.map((e) => e.url);
  }
  /** The endpoint to try now, or `undefined` when every breaker is open (or the pool is empty). */
  next() {
    const available = this.#entries.filter((e) => e.breaker.isAvailable());
    if (available.length === 0) return void 0;
    const healthy = available.filter((e) => this.#scoreOf(e) >= this.#healthyScore);
    const chosen = this.#pick(healthy.length > 0 ? healthy : available, healthy.length > 0);
    chosen.breaker.canAttempt();
    this.#cursor = this.#entries.indexOf(chosen);
    return chosen.url;
  }
  /** When `next()` will return an endpoint again (now if it already would); `undefined` if empty. */
  nextAvailableAt() {
    let soonest;
    for (const e of this.#entries) {
      const at = e.breaker.availableAt();
      if (soonest === void 0 || at < soonest) soonest = at;
    }
    return soonest;
  }
  /** A connection to `url` succeeded (optionally with its latency, e.g. time to `server_hello`). */
  reportSuccess(url, latencyMs) {
    const e = this.#find(url);
    if (!e) return;
    this.#decay(e);
    e.successes += 1;
    e.consecutive = 0;
    e.consecutiveWeight = 0;
    e.lastSuccessAt = this.#clock.now();
    if (latencyMs !== void 0 && Number.isFinite(latencyMs) && latencyMs >= 0) {
      e.latency = e.latency === null ? latencyMs : this.#alpha * latencyMs + (1 - this.#alpha) * e.latency;
    }
    e.breaker.recordSuccess();
  }
  /** A connection to `url` failed (refused, timed out, closed before `server_hello`, …). */
  reportFailure(url) {
    const e = this.#find(url);
    if (!e) return;
    this.#decay(e);
    e.failures += 1;
    e.consecutive += 1;
    e.consecutiveWeight += 1;
    e.lastFailureAt = this.#clock.now();
    e.breaker.recordFailure();
  }
  /** The health score of `url` now, in (0, 1]; 0 for an unknown URL. */
  score(url) {
    const e = this.#find(url);
    return e ? this.#scoreOf(e) : 0;
  }
  /** The circuit state of `url`, or `undefined` for an unknown URL. */
  circuit(url) {
    return this.#find(url)?.breaker.state;
  }
  /** A fresh array of plain objects describing every endpoint, in list order. */
  snapshot() {
    return this.#entries.map((e) => {
      const d = this.#decayed(e);
      const score = this.#scoreOf(e);
      return {
        url: e.url,
        score,
        healthy: e.breaker.isAvailable() && score >= this.#healthyScore,
        circuit: e.breaker.state,
        successes: d.successes,
        failures: d.failures,
        consecutiveFailures: e.consecutive,
        latencyMs: e.latency,
        lastSuccessAt: e.lastSuccessAt,
        lastFailureAt: e.lastFailureAt,
        halfOpensAt: e.breaker.halfOpensAt ?? null
      };
    });
  }
  #pick(candidates, allHealthy) {
    const first = candidates[0];
    switch (this.#strategy) {
      case "round-robin": {
        const after = candidates.find((e) => this.#entries.indexOf(e) > this.#cursor);
        return after ?? first;
      }
      case "weighted-random":
        return this.#weighted(candidates);
      case "least-latency":
        return this.#best(candidates, (e) => -(e.latency ?? Number.POSITIVE_INFINITY));
      default:
        return allHealthy ? first : this.#best(candidates, (e) => this.#scoreOf(e));
    }
  }
  /** The candidate with the highest key; ties go to the earlier one in list order. */
  #best(candidates, key) {
    let best = candidates[0];
    let bestKey = key(best);
    for (const e of candidates.slice(1)) {
      const k = key(e);
      if (k > bestKey) {
        best = e;
        bestKey = k;
      }
    }
    return best;
  }
  #weighted(candidates) {
    const weights = candidates.map((e) => Math.max(this.#scoreOf(e), 1e-6));
    const total = weights.reduce((a, b) => a + b, 0);
    let r2 = Math.min(Math.max(this.#random(), 0), 1 - Number.EPSILON) * total;
    for (let i = 0; i < candidates.length; i++) {
      r2 -= weights[i];
      if (r2 < 0) return candidates[i];
    }
    return candidates[candidates.length - 1];
  }
  #scoreOf(e) {
    const d = this.#decayed(e);
    const rate = (d.successes + 1) / (d.successes + d.failures + 1);
    const penalty = 1 / (1 + d.consecutive);
    const latency = e.latency === null ? 1 : this.#latencyRefMs / (this.#latencyRefMs + e.latency);
    return rate * penalty * latency;
  }
  #decayed(e) {
    const elapsed = Math.max(0, this.#clock.now() - e.decayedAt);
    const k = this.#decayMs > 0 ? 0.5 ** (elapsed / this.#decayMs) : 1;
    return { successes: e.successes * k, failures: e.failures * k, consecutive: e.consecutiveWeight * k };
  }
  /** Folds the decay so far into the stored weights (the raw consecutive count is kept). */
  #decay(e) {
    const d = this.#decayed(e);
    e.successes = d.successes;
    e.failures = d.failures;
    e.consecutiveWeight = d.consecutive;
    e.decayedAt = this.#clock.now();
  }
  #find(url) {
    return this.#entries.find((e) => e.url === url);
  }
};

// packages/core-client/src/client/runtime.ts
init_errors2();

// packages/core-client/src/offline/queue-storage.ts
var copyItems = (items) => items.map((m) => ({ ...m }));
var MemoryQueueStorage = class {
  #items = [];
  async load() {
    return copyItems(this.#items);
  }
  async save(items) {
    this.#items = copyItems(items);
  }
  async clear() {
    this.#items = [];
  }
};

// packages/core-client/src/offline/offline-queue.ts
var bySendOrder = (a, b) => b.message.priority - a.message.priority || a.seq - b.seq;
var OfflineQueue = class {
  #slots = [];
  #seq = 0;
  #maxSize;
  #maxAgeMs;
  #storage;
  #restored = false;
  #saveScheduled = false;
  #saving = Promise.resolve();
  #saveError;
  #options;
  #clock;
  constructor(options = {}, clock = systemClock) {
    this.#options = options;
    this.#clock = clock;
    this.#maxSize = Math.max(1, options.maxSize ?? 1e3);
    this.#maxAgeMs = options.maxAgeMs ?? 24 * 60 * 60 * 1e3;
    this.#storage = options.storage ?? new MemoryQueueStorage();
  }
  /** Messages held (waiting and in flight). */
  get size() {
    return this.#slots.length;
  }
  /** Messages handed out by `drain` and not yet removed or released. */
  get inFlight() {
    return this.#slots.filter((s) => s.inFlight).length;
  }
  /** Adds a message, making room if full (see {@link EnqueueResult}). */
  enqueue(input) {
    const message = this.#toMessage(input);
    const slot = { message, seq: this.#seq++, inFlight: false };
    const result = { accepted: true, message };
    if (this.#slots.length >= this.#maxSize) {
      const expired = this.#dropExpired();
      if (expired.length > 0) result.expired = expired;
    }
    if (this.#slots.length >= this.#maxSize) {
      const victim = this.#victim(slot);
      result.dropped = victim.message;
      this.#report(victim.message, "overflow");
      if (victim === slot) return { ...result, accepted: false };
      this.#slots = this.#slots.filter((s) => s !== victim);
    }
    this.#insert(slot);
    this.#changed();
    return result;
  }
  /**
   * Hands out waiting messages in send order (priority desc, then FIFO), at most `max`, and
   * marks them in flight; also returns the waiting messages it dropped as expired (reported
   * through `onDrop` too).
   */
  drainAll(max = Number.POSITIVE_INFINITY) {
    const expired = this.#dropExpired();
    const messages = [];
    for (const s of this.#slots) {
      if (messages.length >= max) break;
      if (s.inFlight) continue;
      s.inFlight = true;
      messages.push(s.message);
    }
    return { messages, expired };
  }
  /** Every held message in send order, without changing anything. */
  peekAll() {
    return this.#slots.map((s) => s.message);
  }
  /** The runtime sent these: forget them (also in storage). Returns how many were held. */
  remove(ids) {
    const gone = new Set(ids);
    const before = this.#slots.length;
    this.#slots = this.#slots.filter((s) => !gone.has(s.message.id));
    const removed = before - this.#slots.length;
    if (removed > 0) this.#changed();
    return removed;
  }
  /** Sending failed: put these in-flight messages (default: all) back in line for `drain`. */
  release(ids) {
    const only = ids ? new Set(ids) : void 0;
    for (const s of this.#slots) if (!only || only.has(s.message.id)) s.inFlight = false;
  }
  /** Drops everything, reporting nothing, and saves the empty queue. */
  clear() {
    this.#slots = [];
    this.#changed();
  }
  /**
   * Loads what storage holds and merges it before the messages enqueued since startup (stored
   * ones are older). Duplicates by id are kept once; expired and overflowing messages are
   * dropped and reported. Enables saving. A failed load is reported through `onError` and
   * rethrown; saving is enabled anyway so the session's own messages persist.
   */
  async restore() {
    let loaded = [];
    try {
      loaded = await this.#storage.load();
    } catch (error) {
      this.#restored = true;
      this.#options.onError?.(error);
      this.#changed();
      throw error;
    }
    const held = new Set(this.#slots.map((s) => s.message.id));
    const older = loaded.filter((m) => !held.has(m.id)).map((m) => ({ ...m }));
    const current = [...this.#slots].sort((a, b) => a.seq - b.seq);
    this.#seq = 0;
    this.#slots = [
      ...older.map((message) => ({ message, seq: this.#seq++, inFlight: false })),
      ...current.map((s) => ({ ...s, seq: this.#seq++ }))
    ].sort(bySendOrder);
    this.#dropExpired();
    while (this.#slots.length > this.#maxSize) {
      const victim = this.#victim();
      this.#slots = this.#slots.filter((s) => s !== victim);
      this.#report(victim.message, "overflow");
    }
    this.#restored = true;
    this.#changed();
  }
  /** Resolves once every change so far is saved; rejects if the latest save failed. */
  async flush() {
    await this.#saving;
    if (this.#saveError !== void 0) throw this.#saveError;
  }
  #toMessage(input) {
    const priority = Number.isFinite(input.priority) ? input.priority : 5;
    const message = {
      id: input.id ?? this.#options.createId?.() ?? uuidv7(this.#clock.now()),
      type: input.type,
      payload: input.payload ?? null,
      priority,
      enqueuedAt: this.#clock.now()
    };
    if (input.cid !== void 0) message.cid = input.cid;
    return message;
  }
  #insert(slot) {
    let i = this.#slots.length;
    while (i > 0 && bySendOrder(this.#slots[i - 1], slot) > 0) i -= 1;
    this.#slots.splice(i, 0, slot);
  }
  /** The oldest waiting slot of the lowest priority, `incoming` included as the newest. */
  #victim(incoming) {
    let victim = incoming;
    for (const s of this.#slots) {
      if (s.inFlight) continue;
      if (!victim || s.message.priority < victim.message.priority) victim = s;
      else if (s.message.priority === victim.message.priority && s.seq < victim.seq) victim = s;
    }
    return victim ?? this.#slots[this.#slots.length - 1];
  }
  #dropExpired() {
    const now = this.#clock.now();
    const expired = [];
    this.#slots = this.#slots.filter((s) => {
      if (s.inFlight || now - s.message.enqueuedAt <= this.#maxAgeMs) return true;
      expired.push(s.message);
      return false;
    });
    for (const m of expired) this.#report(m, "expired");
    if (expired.length > 0) this.#changed();
    return expired;
  }
  #report(message, reason) {
    try {
      this.#options.onDrop?.(message, reason);
    } catch (error) {
      this.#options.onError?.(error);
    }
  }
  /** Schedules one save of the whole queue after the current synchronous work. */
  #changed() {
    if (!this.#restored || this.#saveScheduled) return;
    this.#saveScheduled = true;
    this.#saving = this.#saving.then(async () => {
      this.#saveScheduled = false;
      try {
        await this.#storage.save(this.#slots.map((s) => s.message));
        this.#saveError = void 0;
      } catch (error) {
        this.#saveError = error;
        this.#options.onError?.(error);
      }
    });
  }
};

// packages/core-client/src/store.ts
function shallowEqual(a, b) {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.is(a[k], b[k]));
}
function freeze(value) {
  return Object.freeze(value);
}
var SnapshotStore = class {
  #snapshot;
  #listeners = /* @__PURE__ */ new Set();
  #onListenerError;
  constructor(initial, onListenerError = () => {
  }) {
    this.#onListenerError = onListenerError;
    this.#snapshot = freeze({ ...initial });
  }
  /** The current snapshot; the same object until something changes. */
  getSnapshot = () => this.#snapshot;
  /** Adds a listener; returns the function that removes it (idempotent). */
  subscribe = (listener) => {
    const entry = (s) => listener(s);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  };
  /** Number of listeners (bindings use it to start/stop resources). */
  get size() {
    return this.#listeners.size;
  }
  /** Merges `patch`; replaces the snapshot and notifies only when a field changed. */
  update(patch) {
    const next = { ...this.#snapshot, ...patch };
    if (shallowEqual(next, this.#snapshot)) return;
    this.#snapshot = freeze(next);
    for (const l of [...this.#listeners]) {
      try {
        l(this.#snapshot);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
};

// packages/core-client/src/client/event-stream.ts
var EventStream = class {
  #readers = /* @__PURE__ */ new Set();
  #ended = false;
  /** Delivers a value to every live iterator. */
  push(value) {
    for (const r2 of this.#readers) {
      if (r2.wake) {
        const wake = r2.wake;
        r2.wake = null;
        wake({ value, done: false });
      } else {
        r2.buffer.push(value);
      }
    }
  }
  /** Ends every iterator (after they drain their buffers). New iterators end at once. */
  end() {
    this.#ended = true;
    for (const r2 of this.#readers) {
      if (r2.wake) {
        const wake = r2.wake;
        r2.wake = null;
        this.#readers.delete(r2);
        wake({ value: void 0, done: true });
      }
    }
  }
  /** Allows iteration again after {@link EventStream.end} (a client reopened with `connect()`). */
  reopen() {
    this.#ended = false;
  }
  /** A new iterator; `return()` (a `break` in `for await`) detaches it. */
  iterate() {
    const reader = { buffer: [], wake: null };
    if (!this.#ended) this.#readers.add(reader);
    const done = () => ({ value: void 0, done: true });
    const iterator = {
      next: () => {
        if (reader.buffer.length > 0)
          return Promise.resolve({ value: reader.buffer.shift(), done: false });
        if (this.#ended || !this.#readers.has(reader)) {
          this.#readers.delete(reader);
          return Promise.resolve(done());
        }
        return new Promise((resolve) => {
          reader.wake = resolve;
        });
      },
      return: () => {
        this.#readers.delete(reader);
        reader.wake?.(done());
        reader.wake = null;
        return Promise.resolve(done());
      },
      [Symbol.asyncIterator]: () => iterator
    };
    return iterator;
  }
};

// packages/core-client/src/env/environment.ts
var nodeEnvironment = {
  isOnline: () => true,
  subscribe: () => () => {
  }
};
function createBrowserEnvironment(getGlobals = () => globalThis) {
  return {
    isOnline: () => getGlobals().navigator?.onLine !== false,
    subscribe(listener) {
      const { window: win, document: doc } = getGlobals();
      const online = () => listener("online");
      const offline = () => listener("offline");
      const pageshow = () => listener("pageshow");
      const visibility = () => {
        if (doc?.visibilityState === "visible") listener("visible");
      };
      win?.addEventListener("online", online);
      win?.addEventListener("offline", offline);
      win?.addEventListener("pageshow", pageshow);
      doc?.addEventListener("visibilitychange", visibility);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        win?.removeEventListener("online", online);
        win?.removeEventListener("offline", offline);
        win?.removeEventListener("pageshow", pageshow);
        doc?.removeEventListener("visibilitychange", visibility);
      };
    }
  };
}
function defaultEnvironment(globals = globalThis) {
  return globals.window && globals.document ? createBrowserEnvironment() : nodeEnvironment;
}

// packages/core-client/src/offline/indexeddb-queue-storage.ts
function isQueuedMessage(v) {
  if (!v || typeof v !== "object") return false;
  const m = v;
  return typeof m.id === "string" && typeof m.type === "string" && typeof m.priority === "number" && typeof m.enqueuedAt === "number";
}
var IndexedDBQueueStorage = class {
  #dbName;
  #queueKey;
  #factory;
  #store;
  constructor(options = {}) {
    this.#dbName = options.dbName ?? "wse-client";
    this.#queueKey = options.queueKey ?? "queue";
    this.#factory = options.indexedDB;
  }
  async load() {
    const value = await this.get(this.#queueKey);
    return Array.isArray(value) ? value.filter(isQueuedMessage) : [];
  }
  save(items) {
    return this.set(this.#queueKey, items);
  }
  clear() {
    return this.delete(this.#queueKey);
  }
  async get(key) {
    return (await this.#backend()).get(key);
  }
  async set(key, value) {
    await (await this.#backend()).set(key, value);
  }
  async delete(key) {
    await (await this.#backend()).delete(key);
  }
  /** Closes the connection (it reopens on the next call). */
  async close() {
    const store = await this.#store?.catch(() => void 0);
    await store?.close();
  }
  // A failed import is not cached: the next call tries again.
  #backend() {
    if (!this.#store) {
      const loading = Promise.resolve().then(() => (init_indexeddb_store(), indexeddb_store_exports)).then(
        (m) => new m.IndexedDBStore(this.#dbName, this.#factory)
      );
      this.#store = loading;
      loading.catch(() => {
        if (this.#store === loading) this.#store = void 0;
      });
    }
    return this.#store;
  }
};

// packages/core-client/src/transport/websocket-transport.ts
init_errors2();
import DefaultWebSocket from "isomorphic-ws";
var OPEN = 1;
function toFrame(data) {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((d) => ArrayBuffer.isView(d)))
    return concat(data);
  return null;
}
function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return out;
}
var WebSocketTransport = class {
  #closed = false;
  #ws;
  #handlers;
  constructor(ws, handlers) {
    this.#ws = ws;
    this.#handlers = handlers;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      if (!this.#closed) handlers.onOpen();
    };
    ws.onmessage = (ev) => this.#receive(ev.data);
    ws.onerror = (ev) => {
      if (this.#closed) return;
      const cause = ev?.error ?? ev;
      handlers.onError(new TransportError("TRANSPORT_FAILED", "websocket error", { cause }));
    };
    ws.onclose = (ev) => this.#finish(ev?.code ?? 1006, ev?.reason ?? "");
  }
  get bufferedAmount() {
    return this.#ws.bufferedAmount ?? 0;
  }
  send(frame) {
    if (this.#closed || this.#ws.readyState !== OPEN) {
      throw new TransportError("TRANSPORT_CLOSED", "socket is not open");
    }
    this.#ws.send(frame);
  }
  close(code = 1e3, reason = "") {
    if (this.#closed) return;
    try {
      this.#ws.close(code, reason);
    } catch {
      try {
        this.#ws.close();
      } catch {
      }
    }
    this.#finish(code, reason);
  }
  #receive(data) {
    if (this.#closed) return;
    const frame = toFrame(data);
    if (frame === null) {
      this.#handlers.onError(new TransportError("TRANSPORT_FRAME", "unsupported frame data type"));
      return;
    }
    this.#handlers.onMessage(frame);
  }
  #finish(code, reason) {
    if (this.#closed) return;
    this.#closed = true;
    this.#ws.onopen = null;
    this.#ws.onmessage = null;
    this.#handlers.onClose(code, reason);
  }
};
function createWebSocketTransportFactory(WebSocketImpl = DefaultWebSocket) {
  return (request, handlers) => {
    const headers = request.headers && Object.keys(request.headers).length > 0 ? { ...request.headers } : void 0;
    const ws = headers ? new WebSocketImpl(request.url, { headers }) : new WebSocketImpl(request.url);
    return new WebSocketTransport(ws, handlers);
  };
}

// packages/core-client/src/client/options.ts
var CLIENT_DEFAULTS = Object.freeze({
  connectTimeoutMs: 1e4,
  requestTimeoutMs: 1e4,
  compressionThreshold: 1024,
  maxMessageSize: 1024 * 1024,
  tokenRefreshAheadMs: 3e4,
  deadGraceMs: 1e4,
  backoffBaseMs: 500,
  backoffMaxMs: 2e4,
  breakerFailureThreshold: 5,
  breakerResetTimeoutMs: 3e4,
  queueMaxSize: 1e3,
  queueMaxAgeMs: 24 * 60 * 60 * 1e3,
  clientVersion: "@wse/core-client/0.1.0"
});
function isNode() {
  const g = globalThis;
  return typeof g.process?.versions?.node === "string" && g.document === void 0;
}
function resolveStorage(offline) {
  if (offline === false) return null;
  const wanted = offline?.storage;
  if (wanted !== void 0 && typeof wanted === "object") return wanted;
  const hasIndexedDB = globalThis.indexedDB !== void 0;
  if (wanted === "indexeddb" || wanted === void 0 && hasIndexedDB && !isNode())
    return new IndexedDBQueueStorage();
  return new MemoryQueueStorage();
}
function resolveOptions(options) {
  const endpoints = typeof options.endpoints === "string" ? [options.endpoints] : [...options.endpoints];
  if (endpoints.length === 0) throw new TypeError("createClient: `endpoints` needs at least one URL");
  const env2 = options.env ?? {};
  const custom = env2.transport !== void 0 || env2.WebSocket !== void 0;
  const supportsHeaders = env2.supportsHeaders ?? (!custom && isNode());
  const mode = options.tokenTransport ?? "auto";
  return {
    endpoints,
    clock: env2.clock ?? systemClock,
    random: env2.random ?? defaultRandom2,
    environment: env2.environment ?? defaultEnvironment(),
    transport: env2.transport ?? createWebSocketTransportFactory(env2.WebSocket),
    tokenInHeader: mode === "header" || mode === "auto" && supportsHeaders,
    storage: resolveStorage(options.offline)
  };
}

// packages/core-client/src/client/outbound.ts
init_errors2();
var PACE_TICK_MS = 100;
var Outbound = class {
  #heldUntil = 0;
  #pacedUntil = 0;
  #pacePerTick = Number.POSITIVE_INFINITY;
  #flushTimer = null;
  #batchIntervalMs = 0;
  #batchMax = 1;
  #batch = [];
  #batchTimer = null;
  #queue;
  #clock;
  #hooks;
  constructor(queue, clock, hooks) {
    this.#queue = queue;
    this.#clock = clock;
    this.#hooks = hooks;
  }
  /** Messages waiting in the queue. */
  get queued() {
    return this.#queue?.size ?? 0;
  }
  /** Batching of sends (from the quality level): collect for `intervalMs`, at most `maxSize`; 0 = off. */
  setBatching(intervalMs, maxSize) {
    this.#batchIntervalMs = maxSize > 1 ? Math.max(0, intervalMs) : 0;
    this.#batchMax = Math.max(1, maxSize);
    if (this.#batchIntervalMs === 0) this.#flushBatch();
  }
  /**
   * Sends now or queues. Throws `TransportError('NOT_CONNECTED')` when neither is possible, and
   * the codec's `ProtocolError` when the message cannot be encoded (never queued then).
   */
  send(msg) {
    const env2 = toEnvelope(msg);
    if (this.#direct() && this.#trySend(env2)) return;
    if (!this.#queue) throw new TransportError("NOT_CONNECTED", `cannot send ${msg.type}: not connected`);
    this.#queue.enqueue(msg);
    this.#changed();
    this.#scheduleFlush(0);
  }
  /** `RATE_LIMITED`: hold every send for `ms`, keeping them queued. */
  hold(ms) {
    this.#heldUntil = Math.max(this.#heldUntil, this.#clock.now() + ms);
    this.#scheduleFlush(ms);
  }
  /** `rate_limit_warning`: for `ms`, flush at most `perSecond` messages per second. */
  pace(ms, perSecond) {
    this.#pacedUntil = Math.max(this.#pacedUntil, this.#clock.now() + ms);
    this.#pacePerTick = Math.max(1, Math.floor(perSecond * PACE_TICK_MS / 1e3));
  }
  /** A new session (after `server_hello`): the old one's rate-limit hold and pace end; flush. */
  resume() {
    this.#heldUntil = this.#pacedUntil = 0;
    this.flush();
  }
  /** Sends what waits, in order, as far as the pace allows. */
  flush() {
    if (!this.#queue || !this.#hooks.canSend()) return;
    const now = this.#clock.now();
    if (now < this.#heldUntil) {
      this.#scheduleFlush(this.#heldUntil - now);
      return;
    }
    const paced = now < this.#pacedUntil;
    const { messages } = this.#queue.drainAll(paced ? this.#pacePerTick : Number.POSITIVE_INFINITY);
    const sent = [];
    for (const m of messages) {
      try {
        if (!this.#trySend(toEnvelope(m))) break;
      } catch (err) {
        this.#hooks.onError(err);
      }
      sent.push(m.id);
    }
    this.#queue.remove(sent);
    if (sent.length < messages.length) this.#queue.release();
    this.#changed();
    if (paced && this.#queue.size > 0 && sent.length === messages.length) this.#scheduleFlush(PACE_TICK_MS);
  }
  /** Stops timers (on `close()`); queued messages stay queued. */
  stop() {
    if (this.#flushTimer !== null) this.#clock.clearTimeout(this.#flushTimer);
    if (this.#batchTimer !== null) this.#clock.clearTimeout(this.#batchTimer);
    this.#flushTimer = null;
    this.#batchTimer = null;
    this.#requeue(this.#batch);
    this.#batch = [];
  }
  #direct() {
    const now = this.#clock.now();
    const waiting = (this.#queue?.size ?? 0) > 0;
    return this.#hooks.canSend() && !waiting && now >= this.#heldUntil && now >= this.#pacedUntil;
  }
  #trySend(env2) {
    if (this.#batchIntervalMs > 0 && env2.t !== "batch") {
      this.#batch.push(env2);
      if (this.#batch.length >= this.#batchMax) this.#flushBatch();
      else if (this.#batchTimer === null) {
        this.#batchTimer = this.#clock.setTimeout(() => this.#flushBatch(), this.#batchIntervalMs);
      }
      return true;
    }
    try {
      this.#hooks.transmit(env2, () => this.#requeue([env2]));
      return true;
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      return false;
    }
  }
  #flushBatch() {
    if (this.#batchTimer !== null) this.#clock.clearTimeout(this.#batchTimer);
    this.#batchTimer = null;
    const items = this.#batch;
    this.#batch = [];
    if (items.length === 0) return;
    const env2 = items.length === 1 ? items[0] : buildEnvelope("batch", { messages: items, count: items.length });
    try {
      this.#hooks.transmit(env2, () => this.#requeue(items));
    } catch {
      this.#requeue(items);
    }
  }
  #requeue(items) {
    if (!this.#queue) return;
    for (const e of items) {
      this.#queue.enqueue({ id: e.id, type: e.t, payload: e.p, priority: e.pri ?? 5, cid: e.cid });
    }
    if (items.length > 0) this.#changed();
  }
  #scheduleFlush(ms) {
    if (this.#flushTimer !== null) return;
    this.#flushTimer = this.#clock.setTimeout(() => {
      this.#flushTimer = null;
      this.flush();
    }, ms);
  }
  #changed() {
    this.#hooks.onQueued(this.queued);
  }
};
function toEnvelope(msg) {
  return buildEnvelope(msg.type, msg.payload, {
    id: msg.id,
    cid: msg.cid,
    pri: msg.priority
  });
}

// packages/core-client/src/presence/presence-state.ts
function setOwn(target, key, value) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
function applyPresenceEvent(state, ev) {
  const current = Object.hasOwn(state, ev.user_id) ? state[ev.user_id] : void 0;
  if (ev.action === "leave") {
    if (!current) return state;
    const { [ev.user_id]: _gone, ...rest } = state;
    return rest;
  }
  const connections = current ? current.connections : 1;
  const next = { ...state };
  setOwn(next, ev.user_id, { data: ev.data ?? null, connections });
  return next;
}
function presenceFromReply(members) {
  const out = {};
  if (!members || typeof members !== "object" || Array.isArray(members)) return out;
  for (const [userId, raw] of Object.entries(members)) {
    if (!raw || typeof raw !== "object") continue;
    const { data, connections } = raw;
    const n = typeof connections === "number" && Number.isInteger(connections) && connections > 0 ? connections : 1;
    setOwn(out, userId, { data: data ?? null, connections: n });
  }
  return out;
}
function presenceEventFrom(type, payload) {
  const action = type === "presence_join" ? "join" : type === "presence_leave" ? "leave" : type === "presence_update" ? "update" : void 0;
  if (!action || !payload || typeof payload !== "object") return void 0;
  const p = payload;
  if (typeof p.user_id !== "string" || p.user_id === "") return void 0;
  const ev = { action, user_id: p.user_id, data: p.data ?? null };
  if (typeof p.topic === "string") ev.topic = p.topic;
  return ev;
}
var MAX_PENDING_PRESENCE_EVENTS = 1e3;
function createPresenceBuffer() {
  return { synced: false, members: {}, pending: [] };
}
function pushPresenceEvent(buffer, ev) {
  const members = applyPresenceEvent(buffer.members, ev);
  if (buffer.synced) return members === buffer.members ? buffer : { ...buffer, members };
  const pending = [...buffer.pending, ev];
  if (pending.length > MAX_PENDING_PRESENCE_EVENTS) pending.shift();
  return { synced: false, members, pending };
}
function applyPresenceState(buffer, members) {
  let next = members;
  for (const ev of buffer.pending) next = applyPresenceEvent(next, ev);
  return { synced: true, members: next, pending: [] };
}
function unsyncPresence(buffer) {
  return buffer.synced ? { synced: false, members: buffer.members, pending: [] } : buffer;
}

// packages/core-client/src/client/presence-manager.ts
var EMPTY = Object.freeze({});
var PresenceManager = class {
  #buffers = /* @__PURE__ */ new Map();
  #querying = /* @__PURE__ */ new Set();
  #hooks;
  constructor(hooks) {
    this.#hooks = hooks;
  }
  /** The current members of `topic` (`{}` when untracked). Replaced, never mutated. */
  members(topic2) {
    return this.#buffers.get(topic2)?.members ?? EMPTY;
  }
  /** Whether `topic` is tracked. */
  isTracked(topic2) {
    return this.#buffers.has(topic2);
  }
  /** Starts tracking `topic` (no query yet: call {@link PresenceManager.sync}). */
  track(topic2) {
    if (!this.#buffers.has(topic2)) this.#buffers.set(topic2, createPresenceBuffer());
  }
  /** Stops tracking `topic`. */
  untrack(topic2) {
    this.#buffers.delete(topic2);
  }
  /** The connection dropped: keep members on display, wait for a fresh full state. */
  sessionDown() {
    for (const [t, b] of this.#buffers) this.#buffers.set(t, unsyncPresence(b));
    this.#querying.clear();
  }
  /** Queries the full state of `topic` (once at a time) and applies it. */
  sync(topic2) {
    if (!this.#buffers.has(topic2) || this.#querying.has(topic2)) return;
    this.#querying.add(topic2);
    this.#hooks.query(topic2).then(
      (reply) => {
        this.#querying.delete(topic2);
        const buffer = this.#buffers.get(topic2);
        if (!buffer) return;
        const next = applyPresenceState(buffer, presenceFromReply(reply.p.members));
        this.#buffers.set(topic2, next);
        this.#hooks.emit({ topic: topic2, action: "sync", userId: null, members: next.members });
      },
      (err) => {
        this.#querying.delete(topic2);
        this.#hooks.onError(err);
      }
    );
  }
  /** Handles a presence event frame; returns `false` when it is not one. */
  handleEvent(env2) {
    const ev = presenceEventFrom(env2.t, env2.p);
    if (!ev) return false;
    const topic2 = typeof ev.topic === "string" ? ev.topic : env2.tp;
    if (typeof topic2 !== "string") return true;
    const buffer = this.#buffers.get(topic2);
    let members = EMPTY;
    if (buffer) {
      const next = pushPresenceEvent(buffer, ev);
      this.#buffers.set(topic2, next);
      members = next.members;
    }
    this.#hooks.emit({ topic: topic2, action: ev.action, userId: ev.user_id, data: ev.data, members });
    return true;
  }
};

// packages/core-client/src/client/request-manager.ts
init_errors2();
var RequestManager = class {
  #pending = /* @__PURE__ */ new Map();
  #clock;
  #newId;
  constructor(clock, newId) {
    this.#clock = clock;
    this.#newId = newId;
  }
  /** Number of requests in flight. */
  get size() {
    return this.#pending.size;
  }
  /** `true` when `cid` is waiting for a reply. */
  has(cid) {
    return cid !== void 0 && this.#pending.has(cid);
  }
  /** Registers a request; `label` goes into the timeout message. */
  create(timeoutMs, label) {
    const cid = this.#newId();
    const promise = new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#pending.delete(cid);
        reject(new TimeoutError("TIMEOUT", `no reply to ${label} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(cid, { resolve, reject, timer });
    });
    return { cid, promise };
  }
  /** Settles `cid` with a reply; `false` when it was not pending. */
  resolve(cid, value) {
    const p = this.#take(cid);
    p?.resolve(value);
    return p !== void 0;
  }
  /** Fails `cid`; `false` when it was not pending. */
  reject(cid, error) {
    const p = this.#take(cid);
    p?.reject(error);
    return p !== void 0;
  }
  /** Fails every pending request (on `close()`). */
  rejectAll(error) {
    for (const cid of [...this.#pending.keys()]) this.reject(cid, error);
  }
  #take(cid) {
    if (cid === void 0) return void 0;
    const p = this.#pending.get(cid);
    if (!p) return void 0;
    this.#pending.delete(cid);
    this.#clock.clearTimeout(p.timer);
    return p;
  }
};

// packages/core-client/src/client/topic-manager.ts
init_errors2();

// packages/core-client/src/recovery/recovery-tracker.ts
var isOffset = (o) => typeof o === "number" && Number.isSafeInteger(o) && o >= -1;
var isEpoch = (e) => typeof e === "string" && e.length > 0;
var RecoveryTracker = class {
  #streams = /* @__PURE__ */ new Map();
  #recovering = /* @__PURE__ */ new Set();
  #maxEpochs;
  #tick = 0;
  constructor(options = {}) {
    this.#maxEpochs = Math.max(1, options.maxEpochsPerTopic ?? 8);
  }
  /** Decides what to do with a publication stamped (`tp`, `e`, `o`) and advances on `deliver`. */
  observe(topic2, epoch, offset) {
    if (!isEpoch(epoch) || !isOffset(offset) || offset < 0) return "deliver";
    const stream = this.#streams.get(topic2)?.get(epoch);
    if (!stream) {
      this.#set(topic2, epoch, offset);
      return "deliver";
    }
    if (offset <= stream.offset) return "duplicate";
    if (offset > stream.offset + 1) return "gap";
    stream.offset = offset;
    stream.touched = ++this.#tick;
    return "deliver";
  }
  /** The last delivered offset of one stream, or `undefined` when unknown. */
  position(topic2, epoch) {
    return this.#streams.get(topic2)?.get(epoch)?.offset;
  }
  /** Topics with at least one position. */
  topics() {
    return [...this.#streams.keys()];
  }
  /**
   * Positions per topic, most recently advanced stream first; only topics that have positions
   * (restricted to `topics` when given). Fresh arrays.
   */
  positions(topics) {
    const out = {};
    for (const topic2 of topics ?? this.#streams.keys()) {
      const streams = this.#streams.get(topic2);
      if (!streams || streams.size === 0) continue;
      out[topic2] = [...streams.entries()].sort((a, b) => b[1].touched - a[1].touched).map(([epoch, s]) => ({ epoch, offset: s.offset }));
    }
    return out;
  }
  /**
   * The `recovery` field of `subscription_update` exactly as it goes on the wire: a single
   * `{epoch, offset}` for a topic with one stream, an array for several; topics without a
   * position are left out (the server then subscribes them from now).
   */
  recoveryField(topics) {
    const out = {};
    for (const [topic2, list] of Object.entries(this.positions(topics))) {
      out[topic2] = list.length === 1 ? list[0] : list;
    }
    return out;
  }
  /**
   * Sets a stream's position, e.g. from a `recovered: false` reply (`offset` -1 = empty
   * stream). By default the topic's other streams are dropped: after a failed recovery their
   * epochs are presumed dead, and sending them again would fail every later recovery too. Pass
   * `keepOtherEpochs: true` to only set this one (a cluster reply about one of several streams).
   * Does not touch the in-flight flag.
   */
  rebaseline(topic2, epoch, offset, options = {}) {
    if (!isEpoch(epoch) || !isOffset(offset)) {
      throw new RangeError(`rebaseline needs an epoch and an offset >= -1, got ${epoch}/${offset}`);
    }
    if (!options.keepOtherEpochs) this.#streams.delete(topic2);
    this.#set(topic2, epoch, offset);
  }
  /** Whether a recovery request for `topic` is awaiting its reply. */
  recoveryInFlight(topic2) {
    return this.#recovering.has(topic2);
  }
  /** Marks a recovery request for `topic` as sent (`true`) or answered (`false`). */
  markRecovering(topic2, on) {
    if (on) this.#recovering.add(topic2);
    else this.#recovering.delete(topic2);
  }
  /** Clears every in-flight flag (the socket closed: those requests will never be answered). */
  clearRecovering() {
    this.#recovering.clear();
  }
  /** Drops a topic's positions and in-flight flag (after unsubscribing). */
  forget(topic2) {
    this.#streams.delete(topic2);
    this.#recovering.delete(topic2);
  }
  #set(topic2, epoch, offset) {
    let streams = this.#streams.get(topic2);
    if (!streams) {
      streams = /* @__PURE__ */ new Map();
      this.#streams.set(topic2, streams);
    }
    streams.set(epoch, { offset, touched: ++this.#tick });
    if (streams.size > this.#maxEpochs) {
      let oldest;
      let oldestTick = Number.POSITIVE_INFINITY;
      for (const [e, s] of streams) {
        if (s.touched < oldestTick) {
          oldest = e;
          oldestTick = s.touched;
        }
      }
      if (oldest !== void 0) streams.delete(oldest);
    }
  }
};

// packages/core-client/src/client/topic-manager.ts
var strArray = (v) => Array.isArray(v) ? v.filter((x) => typeof x === "string") : [];
function readFailed(v) {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (f) => typeof f === "object" && f !== null && typeof f.topic === "string"
  ).map((f) => ({
    topic: f.topic,
    code: typeof f.code === "string" ? f.code : "INVALID_SUBSCRIPTION",
    message: typeof f.message === "string" ? f.message : ""
  }));
}
function readRecovery(v) {
  if (typeof v !== "object" || v === null) return void 0;
  const out = {};
  for (const [topic2, r2] of Object.entries(v)) {
    if (typeof r2 !== "object" || r2 === null) continue;
    const x = r2;
    if (typeof x.epoch !== "string" || !x.epoch || !(Number.isSafeInteger(x.offset) && x.offset >= -1))
      continue;
    out[topic2] = {
      epoch: x.epoch,
      offset: x.offset,
      recovered: x.recovered === true,
      count: Number(x.count) || 0
    };
  }
  return out;
}
var TopicManager = class {
  tracker = new RecoveryTracker();
  #wanted = /* @__PURE__ */ new Map();
  #pending = [];
  #hooks;
  constructor(hooks) {
    this.#hooks = hooks;
  }
  /** The wanted topics, in subscription order. */
  get topics() {
    return [...this.#wanted.keys()];
  }
  /** Adds topics and asks the server (now, or on the next connect). */
  subscribe(topics, options = {}) {
    for (const t of topics) this.#wanted.set(t, { presence: options.presence });
    this.#hooks.onTopics(this.topics);
    const p = { action: "subscribe", topics: [...topics] };
    if (options.presence !== void 0) p.presence = options.presence;
    const recovery = this.tracker.recoveryField(topics);
    if (Object.keys(recovery).length > 0) Object.assign(p, { recover: true, recovery });
    return this.#request("subscribe", topics, p);
  }
  /** New presence data for a wanted topic: what later re-subscribes join with. */
  setPresence(topic2, presence) {
    const w = this.#wanted.get(topic2);
    if (w) w.presence = presence;
  }
  /** Removes topics (and their positions) and tells the server. */
  unsubscribe(topics) {
    for (const t of topics) {
      this.#wanted.delete(t);
      this.tracker.forget(t);
    }
    this.#hooks.onTopics(this.topics);
    this.#settleMatching("subscribe", void 0, { success: true, topics: [], failed: [] });
    return this.#request("unsubscribe", topics, { action: "unsubscribe", topics: [...topics] });
  }
  #request(action, topics, p) {
    return new Promise((resolve, reject) => {
      const op = { action, topics: [...topics], resolve, reject };
      this.#pending.push(op);
      const cid = this.#hooks.newId();
      if (this.#hooks.send(buildEnvelope("subscription_update", p, { cid }))) op.cid = cid;
      else if (action === "unsubscribe") this.#settle(op, { success: true, topics, failed: [] });
    });
  }
  /** After `server_hello`: re-subscribe every wanted topic with `recover: true` and positions. */
  resubscribeAll() {
    this.tracker.clearRecovering();
    for (const op of this.#pending) op.cid = void 0;
    const groups = /* @__PURE__ */ new Map();
    for (const [topic2, w] of this.#wanted) {
      const key = w.presence === void 0 ? "" : JSON.stringify(w.presence);
      const g = groups.get(key) ?? { presence: w.presence, topics: [] };
      g.topics.push(topic2);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      const p = { action: "subscribe", topics: g.topics, recover: true };
      p.recovery = this.tracker.recoveryField(g.topics);
      if (g.presence !== void 0) p.presence = g.presence;
      this.#hooks.send(buildEnvelope("subscription_update", p, { cid: this.#hooks.newId() }));
    }
  }
  /** The session ended: in-flight recoveries will never be answered. */
  sessionDown() {
    this.tracker.clearRecovering();
    for (const op of this.#pending.filter((o) => o.action === "unsubscribe")) {
      this.#settle(op, { success: true, topics: op.topics, failed: [] });
    }
  }
  /**
   * Dedup and gap detection for a stamped publication. On a gap, sends one recovery request per
   * topic (the replay will include this message, so it is dropped now).
   */
  filter(env2) {
    if (typeof env2.tp !== "string" || typeof env2.e !== "string" || typeof env2.o !== "number")
      return "deliver";
    const decision = this.tracker.observe(env2.tp, env2.e, env2.o);
    if (decision === "gap" && !this.tracker.recoveryInFlight(env2.tp)) this.#recover(env2.tp);
    return decision;
  }
  #recover(topic2) {
    const p = {
      action: "subscribe",
      topics: [topic2],
      recover: true,
      recovery: this.tracker.recoveryField([topic2])
    };
    if (this.#hooks.send(buildEnvelope("subscription_update", p, { cid: this.#hooks.newId() }))) {
      this.tracker.markRecovering(topic2, true);
    }
  }
  /** Handles a `subscription_update` reply; returns the parsed result. */
  handleReply(env2) {
    const action = env2.p.action === "unsubscribe" ? "unsubscribe" : "subscribe";
    const result = {
      success: env2.p.success !== false,
      topics: strArray(env2.p.success_topics),
      failed: readFailed(env2.p.failed_topics),
      recovery: readRecovery(env2.p.recovery)
    };
    if (action === "subscribe") this.#applySubscribed(result);
    this.#settleMatching(action, env2.cid, result);
    return result;
  }
  #applySubscribed(result) {
    for (const f of result.failed) this.#wanted.delete(f.topic);
    if (result.failed.length > 0) this.#hooks.onTopics(this.topics);
    for (const [topic2, r2] of Object.entries(result.recovery ?? {})) {
      this.tracker.markRecovering(topic2, false);
      if (!this.#wanted.has(topic2)) continue;
      if (r2.recovered) {
        const known = this.tracker.positions([topic2])[topic2] !== void 0;
        if (!known) this.tracker.rebaseline(topic2, r2.epoch, r2.offset);
        continue;
      }
      this.tracker.rebaseline(
        topic2,
        r2.epoch,
        Math.max(r2.offset, this.tracker.position(topic2, r2.epoch) ?? -1)
      );
      this.#hooks.onRecoveryFailed({ topic: topic2, epoch: r2.epoch, offset: r2.offset });
    }
    const ok = result.topics.filter((t) => this.#wanted.has(t));
    if (ok.length > 0) this.#hooks.onSubscribed(ok);
  }
  #settleMatching(action, cid, result) {
    const covered = /* @__PURE__ */ new Set([...result.topics, ...result.failed.map((f) => f.topic)]);
    for (const op of [...this.#pending]) {
      if (op.action !== action) continue;
      const byCid = cid !== void 0 && op.cid === cid;
      const byTopics = op.cid === void 0 && op.topics.every((t) => covered.has(t) || !this.#wanted.has(t));
      if (byCid || byTopics) this.#settle(op, result);
    }
  }
  #settle(op, result) {
    this.#pending = this.#pending.filter((p) => p !== op);
    const mine = new Set(op.topics);
    const own2 = {
      ...result,
      topics: result.topics.filter((t) => mine.has(t)),
      failed: result.failed.filter((f) => mine.has(f.topic))
    };
    if (own2.topics.length === 0 && own2.failed.length > 0) {
      const first = own2.failed[0];
      op.reject(
        new ServerError(first.code, first.message || `cannot ${op.action} ${first.topic}`, {
          failed: own2.failed
        })
      );
      return;
    }
    op.resolve({ ...own2, success: own2.failed.length === 0 });
  }
  /**
   * An `error` frame carries `cid`: the call sent with it fails (a subscribe's topics are dropped,
   * like refused ones); recovery requests may be the ones refused, so none counts as in flight.
   */
  fail(cid, error) {
    this.tracker.clearRecovering();
    for (const op of this.#pending) {
      if (op.cid !== cid) continue;
      if (op.action === "subscribe") for (const t of op.topics) this.#wanted.delete(t);
      this.#hooks.onTopics(this.topics);
      this.#pending = this.#pending.filter((p) => p !== op);
      op.reject(error);
    }
  }
  /** Fails every pending call (on `close()`). */
  rejectAll(error) {
    for (const op of this.#pending) op.reject(error);
    this.#pending = [];
  }
};

// packages/core-client/src/client/runtime.ts
var ignore = () => {
};
var RESERVED_EVENTS = /* @__PURE__ */ new Set([
  "state",
  "error",
  "presence",
  "recovery_failed",
  "quality",
  "queue_drop",
  "connected",
  "disconnected",
  "*"
]);
var INTERNAL = /* @__PURE__ */ new Set(["server_ready", "server_hello", "client_hello", "auth_refreshed", "config_update"]);
var AUTH_CODES = /* @__PURE__ */ new Set(["AUTH_FAILED", "AUTH_REQUIRED", "AUTH_EXPIRED"]);
function toMessage(env2) {
  return {
    type: env2.t,
    payload: env2.p,
    topic: env2.tp,
    id: env2.id,
    ts: env2.ts,
    cid: env2.cid,
    category: env2.c,
    priority: env2.pri,
    epoch: env2.e,
    offset: env2.o
  };
}
var IDLE_SNAPSHOT = Object.freeze({
  state: "idle",
  endpoint: null,
  connectionId: null,
  userId: null,
  topics: Object.freeze([]),
  quality: "unknown",
  latency: Object.freeze({ last: null, avg: null, p95: null }),
  queued: 0,
  circuit: "closed",
  lastError: null,
  encrypted: false
});
var ClientRuntime = class {
  constructor(options) {
    this.options = options;
    const r2 = resolveOptions(options);
    this.resolved = r2;
    this.store = new SnapshotStore(IDLE_SNAPSHOT, (e) => this.emitError(e, "HANDLER_ERROR"));
    const D = CLIENT_DEFAULTS;
    const breaker = { ...options.circuitBreaker };
    if (new Set(r2.endpoints).size === 1) {
      const { maxMs = D.backoffMaxMs } = options.reconnect || {};
      breaker.resetTimeoutMs = Math.min(breaker.resetTimeoutMs ?? D.breakerResetTimeoutMs, maxMs);
    }
    this.pool = new EndpointPool(
      r2.endpoints,
      { strategy: options.endpointStrategy ?? "priority", breaker },
      r2.clock,
      r2.random
    );
    this.requests = new RequestManager(r2.clock, () => uuidv7(r2.clock.now()));
    this.queue = this.#createQueue(r2);
    this.restored = this.queue ? this.queue.restore().catch(() => {
    }) : Promise.resolve();
    this.outbound = new Outbound(this.queue, r2.clock, {
      canSend: () => this.driver.canSend,
      transmit: (env2, lost) => this.driver.send(env2, lost),
      onQueued: (queued) => this.store.update({ queued }),
      onError: (err) => this.emitError(err)
    });
    this.topics = new TopicManager({
      send: (env2) => this.trySend(env2),
      newId: () => uuidv7(r2.clock.now()),
      onTopics: (topics) => this.store.update({ topics }),
      onRecoveryFailed: (ev) => this.emitSafe("recovery_failed", ev),
      onSubscribed: (topics) => {
        for (const t of topics) if (this.presence.isTracked(t)) this.presence.sync(t);
      }
    });
    this.presence = new PresenceManager({
      query: (topic2) => this.query("presence", { topic: topic2 }),
      emit: (ev) => this.emitSafe("presence", ev),
      onError: (err) => this.emitError(err, "SERVER_ERROR")
    });
    this.driver = this.#createDriver(r2);
    void this.restored.then(() => this.outbound.flush());
  }
  options;
  emitter = new EventEmitter();
  store;
  resolved;
  driver;
  pool;
  topics;
  presence;
  requests;
  outbound;
  queue;
  /**
   * RTT, jitter and loss → quality level → adaptive settings: a lazy chunk. Its first input is a
   * PONG, a ping interval after `server_hello`, so it is fetched when a session comes up; the
   * odd sample that beats it (or a failed fetch, retried on the next session) is not counted.
   */
  #quality;
  #adaptive;
  #loadingQuality = false;
  stream = new EventStream();
  restored;
  session = null;
  #compressionAsked = false;
  #createQueue(r2) {
    const o = this.options.offline;
    if (o === false || r2.storage === null) return null;
    return new OfflineQueue(
      {
        maxSize: o?.maxSize ?? CLIENT_DEFAULTS.queueMaxSize,
        maxAgeMs: o?.maxAgeMs ?? CLIENT_DEFAULTS.queueMaxAgeMs,
        storage: r2.storage,
        onDrop: (message, reason) => this.emitSafe("queue_drop", { message, reason }),
        onError: (err) => this.emitError(err, "STORAGE_ERROR")
      },
      r2.clock
    );
  }
  #createDriver(r2) {
    const o = this.options;
    const D = CLIENT_DEFAULTS;
    const reconnect = o.reconnect === false ? void 0 : o.reconnect;
    const encryption = o.encryption;
    return new ConnectionDriver(
      {
        clock: r2.clock,
        random: r2.random,
        pool: this.pool,
        tokens: new TokenProvider(o.token),
        environment: r2.environment,
        tokenInHeader: r2.tokenInHeader,
        connectTimeoutMs: o.connectTimeoutMs ?? D.connectTimeoutMs,
        backoff: { baseMs: reconnect?.baseMs ?? D.backoffBaseMs, maxMs: reconnect?.maxMs ?? D.backoffMaxMs },
        reconnect: o.reconnect !== false,
        maxAttempts: reconnect?.maxAttempts,
        identityKey: typeof encryption === "object" ? encryption.serverIdentityKey : void 0,
        session: {
          transport: r2.transport,
          clientVersion: o.clientVersion ?? D.clientVersion,
          msgpack: o.format === "msgpack",
          compressionThreshold: o.compressionThreshold ?? D.compressionThreshold,
          maxMessageSize: o.maxMessageSize ?? D.maxMessageSize,
          encryption: encryption ? {} : null,
          pingIntervalMs: o.heartbeat?.pingIntervalMs,
          deadGraceMs: o.heartbeat?.deadGraceMs ?? D.deadGraceMs,
          tokenRefreshAheadMs: o.tokenRefreshAheadMs ?? D.tokenRefreshAheadMs
        }
      },
      {
        onState: (state) => this.#onState(state),
        onUp: (info) => this.#onUp(info),
        onDown: (code, reason) => this.#onDown(code, reason),
        onEnvelope: (env2) => this.route(env2),
        onError: (err) => this.emitError(err),
        onClose: (code, reason) => this.#onSocketClose(code, reason),
        onEndpoint: (endpoint) => this.store.update({ endpoint, circuit: this.#circuitOf(endpoint) }),
        onRtt: (ms) => this.#feedQuality((q) => q.recordRtt(ms)),
        onLoss: () => this.#feedQuality((q) => q.recordLoss()),
        onTokenRefreshed: (tokenExpiresIn) => {
          if (this.session) this.session = { ...this.session, tokenExpiresIn };
        }
      }
    );
  }
  #circuitOf(endpoint) {
    return endpoint && this.pool.circuit(endpoint) || "closed";
  }
  /** Sends a protocol envelope when connected; `false` otherwise. */
  trySend(env2) {
    if (!this.driver.canSend) return false;
    try {
      this.driver.send(env2);
      return true;
    } catch (err) {
      this.emitError(err);
      return false;
    }
  }
  /** A request that is never queued (protocol queries). */
  query(type, payload, timeoutMs) {
    const { cid, promise } = this.requests.create(timeoutMs ?? this.requestTimeout(), type);
    if (!this.trySend({ c: "WSE", t: type, p: payload, cid, id: uuidv7(this.resolved.clock.now()) })) {
      this.requests.reject(cid, new TransportError("NOT_CONNECTED", `cannot send ${type}: not connected`));
    }
    return promise;
  }
  requestTimeout() {
    return this.options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs;
  }
  #onState(state) {
    const endpoint = this.driver.currentEndpoint;
    this.store.update({ state, circuit: this.#circuitOf(endpoint) });
    if (state === "failed" && this.driver.context.failReason === "auth" && !this.store.getSnapshot().lastError) {
      this.store.update({ lastError: new AuthError("AUTH_FAILED", "authentication failed") });
    }
    this.emitSafe("state", state, this.store.getSnapshot());
  }
  #onUp(info) {
    const { ready, hello } = info;
    this.session = {
      endpoint: info.endpoint,
      connectionId: hello.connectionId ?? ready.connectionId,
      userId: ready.userId,
      serverVersion: hello.serverVersion,
      protocolVersion: hello.protocolVersion,
      features: { ...ready.features, ...hello.features },
      limits: hello.limits,
      pingIntervalMs: hello.pingIntervalMs,
      tokenExpiresIn: ready.tokenExpiresIn,
      encrypted: info.encrypted
    };
    this.#compressionAsked = false;
    this.#quality?.reset();
    if (!this.#quality && !this.#loadingQuality) {
      this.#loadingQuality = true;
      Promise.resolve().then(() => (init_quality_monitor(), quality_monitor_exports)).then((m) => {
        this.#quality = new m.QualityMonitor();
        this.#adaptive = m.adaptiveSettings;
      }, ignore).finally(() => {
        this.#loadingQuality = false;
      });
    }
    this.store.update({
      connectionId: this.session.connectionId,
      userId: this.session.userId,
      encrypted: info.encrypted,
      lastError: null
    });
    this.topics.resubscribeAll();
    this.outbound.resume();
    this.emitSafe("connected", this.session);
  }
  #onDown(code, reason) {
    this.topics.sessionDown();
    this.presence.sessionDown();
    this.emitSafe("disconnected", { code, reason });
  }
  #onSocketClose(code, reason) {
    if (code === 4401 || code === 4403) {
      const c = code === 4401 ? "AUTH_FAILED" : "AUTH_EXPIRED";
      this.store.update({ lastError: new AuthError(c, reason || `closed with ${code}`) });
    }
  }
  #feedQuality(record2) {
    const q = this.#quality;
    if (!q || !this.#adaptive) return;
    record2(q);
    const before = this.store.getSnapshot();
    const level = q.level;
    const l = q.latency();
    const same2 = l.last === before.latency.last && l.avg === before.latency.avg && l.p95 === before.latency.p95;
    this.store.update({ quality: level, ...same2 ? {} : { latency: l } });
    if (level === before.quality) return;
    const s = this.#adaptive(level);
    this.outbound.setBatching(s.batchIntervalMs, s.maxBatchSize);
    if (s.requestCompression && !this.#compressionAsked && this.session?.features.compression !== false) {
      this.#compressionAsked = this.trySend({ c: "WSE", t: "config_update", p: { compression: true } });
    }
    this.emitSafe("quality", { level, previous: before.quality, latency: l });
  }
  /** Routes one inbound envelope (after decoding, before events). */
  route(env2) {
    if (INTERNAL.has(env2.t)) return;
    switch (env2.t) {
      case "error":
        this.#onServerError(env2);
        return;
      case "subscription_update":
      case "subscription":
        this.topics.handleReply(env2);
        return;
      case "rate_limit_warning":
        this.#onRateWarning(env2.p);
        return;
      case "presence_join":
      case "presence_leave":
      case "presence_update":
        this.presence.handleEvent(env2);
        return;
    }
    if (this.requests.resolve(env2.cid, env2)) return;
    if (this.topics.filter(env2) !== "deliver") return;
    this.#deliver(toMessage(env2));
  }
  #deliver(msg) {
    if (!RESERVED_EVENTS.has(msg.type)) this.emitSafe(msg.type, msg);
    this.emitSafe("*", msg);
    this.stream.push(msg);
  }
  #onServerError(env2) {
    const err = ServerError.fromPayload(env2.p);
    if (err.code === "RATE_LIMITED") this.outbound.hold(seconds(env2.p.retry_after, 1) * 1e3);
    if (AUTH_CODES.has(err.code)) {
      this.store.update({ lastError: new AuthError(err.code, err.message, { cause: err }) });
    }
    if (env2.cid && !this.requests.reject(env2.cid, err)) this.topics.fail(env2.cid, err);
    this.emitError(err);
  }
  #onRateWarning(p) {
    const refill = this.session?.limits.rate_limit_refill ?? 100;
    this.outbound.pace(Math.max(1e3, seconds(p.retry_after, 1) * 1e3), refill * 0.8);
  }
  /** Emits to listeners; a throwing listener becomes an `'error'` event, never a broken loop. */
  emitSafe(event, ...args) {
    for (const listener of this.emitter.listeners(event)) {
      try {
        listener(...args);
      } catch (error) {
        if (event === "error") continue;
        this.emitError(error, "HANDLER_ERROR");
      } finally {
        this.emitter.off(event, listener, void 0, true);
      }
    }
  }
  /** Records `lastError` and emits `'error'`; anything not a `WSEError` is wrapped with `code`. */
  emitError(error, code = "CLIENT_ERROR") {
    const err = error instanceof WSEError ? error : new WSEError(code, String(error), { cause: error });
    this.store.update({ lastError: err });
    this.emitSafe("error", err);
  }
};
function seconds(v, fallback) {
  return typeof v === "number" && v >= 0 ? Math.min(v, 60) : fallback;
}

// packages/core-client/src/client.ts
init_errors2();
var DEFAULT_LINGER_MS = 1e3;
var ignore2 = () => {
};
var WSEClient = class {
  #rt;
  #waiters = /* @__PURE__ */ new Set();
  #leases;
  constructor(options) {
    this.#rt = new ClientRuntime(options);
    this.#leases = new Leases(this.#rt.resolved.clock);
    this.subscribe = this.subscribe.bind(this);
    let last2 = this.#rt.store.getSnapshot().state;
    this.#rt.store.subscribe((s) => {
      if (s.state === last2) return;
      last2 = s.state;
      this.#settleWaiters(s.state);
    });
    if (options.topics && options.topics.length > 0)
      void this.#rt.topics.subscribe(options.topics).catch(() => {
      });
  }
  on(event, listener) {
    this.#rt.emitter.on(event, listener);
    return this;
  }
  once(event, listener) {
    this.#rt.emitter.once(event, listener);
    return this;
  }
  off(event, listener) {
    this.#rt.emitter.off(event, listener);
    return this;
  }
  /**
   * Connects (or reconnects after `close()`); resolves when `server_hello` is in. Rejects when
   * the client ends in `failed` (auth rejected, attempts exhausted) or is closed first. While
   * the server is unreachable it keeps retrying and the promise stays pending.
   */
  connect() {
    return this.#rt.driver.state === "connected" ? Promise.resolve() : this.#until("CONNECT");
  }
  /**
   * Drops the socket (if any) and connects again at once, with no backoff; resolves on the next
   * `server_hello`. Unlike `close()` + `connect()`, nothing is rejected: pending requests keep
   * their timeouts, queued sends flush after the new `server_hello`, topics are re-subscribed
   * (with recovery).
   *
   * @example
   * ```ts
   * await client.reconnect();
   * ```
   */
  reconnect() {
    return this.#until("RECONNECT");
  }
  #until(type) {
    this.#rt.stream.reopen();
    const done = new Promise((resolve, reject) => this.#waiters.add({ resolve, reject }));
    this.#rt.driver.dispatch({ type });
    return done;
  }
  /**
   * Keeps the client connected while at least one lease is held: the first `retain()` connects,
   * the client closes `lingerMs` after the last release — unless it is retained again in between
   * (a StrictMode remount keeps the one socket). Returns the release function (idempotent).
   *
   * @example
   * ```ts
   * const release = client.retain({ lingerMs: 1000 });
   * // … later
   * release(); // closes a second later unless someone retains again
   * ```
   */
  retain(options = {}) {
    return this.#leases.take("", options.lingerMs ?? DEFAULT_LINGER_MS, () => {
      this.connect().catch(ignore2);
      return () => void this.close();
    }).release;
  }
  /**
   * A ref-counted topic subscription: the first lease subscribes, the unsubscribe goes out
   * `lingerMs` after the last release. A later lease that brings presence data the subscription
   * lacks re-subscribes with it (joins); one with `trackPresence` starts presence tracking.
   * Returns the release function (idempotent).
   *
   * @example
   * ```ts
   * const release = client.retainTopic('room:1', { presence: { name: 'Ada' } });
   * const off = client.onTopic('room:1', (m) => console.log(m.payload));
   * // on unmount
   * off();
   * release();
   * ```
   */
  retainTopic(topic2, options = {}) {
    const { lingerMs = DEFAULT_LINGER_MS, ...sub } = options;
    const wanted = sub.presence === void 0 ? "" : JSON.stringify(sub.presence);
    const { lease, started, release } = this.#leases.take(`t:${topic2}`, lingerMs, () => () => {
      this.unsubscribe([topic2]).catch(ignore2);
    });
    if (started || wanted !== "" && wanted !== lease.joined) {
      if (wanted !== "") lease.joined = wanted;
      this.subscribeTopics([topic2], sub).catch(ignore2);
    } else if (sub.trackPresence) this.trackPresence(topic2);
    return release;
  }
  /**
   * Calls `handler` for every application message published to `topic` (routed by its `tp`
   * stamp); returns the function that stops it.
   *
   * @example
   * ```ts
   * const off = client.onTopic('room:1', (m) => console.log(m.type, m.payload));
   * ```
   */
  onTopic(topic2, handler) {
    const listener = (m) => {
      if (m.topic === topic2) handler(m);
    };
    this.#rt.emitter.on("*", listener);
    return () => void this.#rt.emitter.off("*", listener);
  }
  /**
   * Closes with 1000 and stops reconnecting; pending requests reject, iterators end, queued
   * messages stay queued (and stored) for the next `connect()`.
   */
  async close() {
    this.#rt.driver.dispatch({ type: "CLOSE" });
    const err = new TransportError("CLIENT_CLOSED", "client closed");
    this.#rt.requests.rejectAll(err);
    this.#rt.outbound.stop();
    this.#rt.stream.end();
    this.#settleWaiters("closed");
    await this.#rt.queue?.flush().catch(() => {
    });
  }
  subscribe(arg2, options) {
    if (typeof arg2 === "function") return this.#rt.store.subscribe(arg2);
    return this.subscribeTopics(arg2, options);
  }
  /**
   * Subscribes to topics; resolves with the server's reply (rejects with `ServerError` when every
   * topic failed). Topics stay subscribed across reconnects (re-subscribed with `recover: true`
   * and the recovery positions). Connects first when idle and `lazyConnect` is on.
   */
  subscribeTopics(topics, options = {}) {
    const track = options.presence !== void 0 || options.trackPresence === true;
    for (const t of topics) if (track) this.#rt.presence.track(t);
    this.#lazyConnect();
    return this.#rt.topics.subscribe(topics, options);
  }
  /** Unsubscribes; forgets the topics' recovery positions and presence. */
  unsubscribe(topics) {
    for (const t of topics) this.#rt.presence.untrack(t);
    return this.#rt.topics.unsubscribe(topics);
  }
  /**
   * Sends an application message; returns its id. Not connected: queued (offline queue) and
   * flushed in order after the next `server_hello`. Throws `TransportError('NOT_CONNECTED')` when
   * the queue is disabled, `ProtocolError` when the payload cannot be encoded.
   */
  send(type, payload, options = {}) {
    const id = uuidv7(this.#rt.resolved.clock.now());
    this.#rt.outbound.send({ id, type, payload, priority: options.priority ?? 5 });
    this.#lazyConnect();
    return id;
  }
  /**
   * Sends a message with a fresh `cid` and resolves with the payload of the reply that carries
   * it; rejects with `ServerError` (an `error` frame with that `cid`) or `TimeoutError`.
   */
  request(type, payload, options = {}) {
    const { cid, promise } = this.#rt.requests.create(options.timeoutMs ?? this.#rt.requestTimeout(), type);
    try {
      this.#rt.outbound.send({
        id: uuidv7(this.#rt.resolved.clock.now()),
        type,
        payload,
        priority: options.priority ?? 5,
        cid
      });
    } catch (err) {
      this.#rt.requests.reject(cid, err);
    }
    this.#lazyConnect();
    return promise.then((env2) => env2.p);
  }
  /** Publishes to a topic (`publish {topic, data}`); the server's publish policy decides. */
  publish(topic2, data, options = {}) {
    return this.send("publish", { topic: topic2, data }, options);
  }
  /**
   * The current members of `topic` (`{}` when not tracked): a read with no side effect, the same
   * object until the members change. Tracking starts with `subscribe(topics, { presence })`,
   * `subscribe(topics, { trackPresence: true })` or {@link WSEClient.trackPresence}.
   *
   * @example
   * ```ts
   * Object.keys(client.presence('room:1')); // ['ada', 'bob']
   * ```
   */
  presence(topic2) {
    return this.#rt.presence.members(topic2);
  }
  /**
   * Starts keeping `presence(topic)` current (idempotent): the full state is queried now when the
   * topic is subscribed and connected, else after its subscribe reply; `'presence'` events follow.
   *
   * @example
   * ```ts
   * client.trackPresence('room:1');
   * client.on('presence', (ev) => ev.topic === 'room:1' && render(ev.members));
   * ```
   */
  trackPresence(topic2) {
    const p = this.#rt.presence;
    if (p.isTracked(topic2)) return;
    p.track(topic2);
    if (this.#rt.topics.topics.includes(topic2) && this.#rt.driver.canSend) p.sync(topic2);
  }
  /**
   * Replaces this user's presence data on a subscribed topic (`presence_update {topic, data}`);
   * subscribers, this client included, get a `presence_update`. The data is also what later
   * re-subscribes join with. Not connected: the next re-subscribe carries it.
   *
   * @example
   * ```ts
   * client.updatePresence('room:1', { name: 'Ada', typing: true });
   * ```
   */
  updatePresence(topic2, data) {
    this.#rt.topics.setPresence(topic2, data);
    this.#rt.trySend(buildEnvelope("presence_update", { topic: topic2, data }));
  }
  /** Asks the server for `{ num_users, num_connections }` of a topic. */
  async presenceStats(topic2) {
    const reply = await this.#rt.query("presence_stats", { topic: topic2 });
    return {
      num_users: Number(reply.p.num_users) || 0,
      num_connections: Number(reply.p.num_connections) || 0
    };
  }
  /** Store contract: the current immutable snapshot (same object until something changes). */
  getSnapshot = () => this.#rt.store.getSnapshot();
  /** What the server said at the last `server_hello` (`null` before the first). */
  get session() {
    return this.#rt.session;
  }
  /** Async iteration over every application message until `close()`. */
  [Symbol.asyncIterator]() {
    return this.#rt.stream.iterate();
  }
  #lazyConnect() {
    if (this.#rt.options.lazyConnect === false || this.#rt.driver.state !== "idle") return;
    this.connect().catch(() => {
    });
  }
  #settleWaiters(state) {
    if (state !== "connected" && state !== "closed" && state !== "failed") return;
    const error = this.#rt.store.getSnapshot().lastError ?? new TransportError("CLIENT_CLOSED", `client ${state}`);
    for (const w of this.#waiters) {
      if (state === "connected") w.resolve();
      else w.reject(state === "closed" ? new TransportError("CLIENT_CLOSED", "client closed") : error);
    }
    this.#waiters.clear();
  }
};
function createClient(options) {
  return new WSEClient(options);
}

// packages/core-client/src/protocol/index.ts
init_base64();
init_crypto();
init_errors();

// packages/core-client/src/protocol/frame.ts
init_crypto();
init_msgpack();
init_zlib();
var staticCodecs = Object.freeze({
  zlib: zlibCodec,
  msgpack: msgpackCodec,
  crypto: Object.freeze({ encryptBytes, decryptBytes })
});
function decodeFrame(data, options = {}) {
  return decodeFrameWith(staticCodecs, data, options);
}

// packages/core-client/src/protocol/index.ts
init_msgpack();

// test/hardening/support/clients.ts
import { SignJWT } from "jose";
import WebSocket from "ws";
var sleep = (ms) => new Promise((r2) => setTimeout(r2, ms));
async function waitFor(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
function decode(data, isBinary) {
  try {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data);
    return decodeFrame(isBinary ? new Uint8Array(bytes) : bytes.toString("utf8"), {
      maxMessageSize: 64 * 1024 * 1024
    });
  } catch {
    return void 0;
  }
}
function openSocket(url, headers) {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}
var PingProbe = class _PingProbe {
  constructor(ws) {
    this.ws = ws;
    ws.on("message", (data, isBinary) => {
      const env2 = decode(data, isBinary);
      if (env2?.t !== "PONG" || typeof env2.cid !== "string") return;
      const t0 = this.sentAt.get(env2.cid);
      if (t0 === void 0) return;
      this.sentAt.delete(env2.cid);
      this.rtts.push(performance.now() - t0);
    });
    ws.on("error", () => {
    });
  }
  ws;
  rtts = [];
  sentAt = /* @__PURE__ */ new Map();
  timer;
  n = 0;
  static async start(url, intervalMs = 50, headers) {
    const ws = await openSocket(url, headers);
    const probe = new _PingProbe(ws);
    ws.send(JSON.stringify({ t: "client_hello", p: { client_version: "probe", protocol_version: 1 } }));
    probe.timer = setInterval(() => probe.ping(), intervalMs);
    await waitFor(() => probe.rtts.length > 0, 1e4, "the first PONG of the probe");
    return probe;
  }
  ping() {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.sentAt.size > 0) return;
    const cid = `probe-${++this.n}`;
    this.sentAt.set(cid, performance.now());
    this.ws.send(JSON.stringify({ t: "ping", p: { timestamp: Date.now() }, cid }));
  }
  /** Drops the samples so far (e.g. the warm-up). */
  reset() {
    this.rtts.length = 0;
  }
  /** Largest RTT so far, counting an unanswered ping by its age. */
  maxMs() {
    const now = performance.now();
    const pending = [...this.sentAt.values()].map((t0) => now - t0);
    return Math.max(0, ...this.rtts, ...pending);
  }
  /** Stops pinging and closes; returns the figures (an unanswered ping counts by its age). */
  async stop() {
    if (this.timer) clearInterval(this.timer);
    const maxMs = this.maxMs();
    const sorted = [...this.rtts].sort((a, b) => a - b);
    const p50Ms = sorted[Math.floor(sorted.length / 2)] ?? maxMs;
    this.ws.terminate();
    return { maxMs: Math.round(maxMs), p50Ms: Math.round(p50Ms * 10) / 10, samples: this.rtts.length };
  }
};
var HostileSocket = class _HostileSocket {
  constructor(ws) {
    this.ws = ws;
    ws.on("message", (data, isBinary) => {
      const env2 = decode(data, isBinary);
      if (!env2) return;
      this.types.push(env2.t);
      if (typeof env2.cid === "string") this.cids.add(env2.cid);
      if (env2.t === "error") this.errors.push(String(env2.p.code));
      if (env2.t !== "ping" && env2.t !== "PONG") this.frames.push(env2);
    });
    ws.on("error", () => {
    });
    this.closed = new Promise(
      (resolve) => ws.once("close", (code) => {
        this.closeCode = code;
        resolve(code);
      })
    );
  }
  ws;
  errors = [];
  types = [];
  /** Every decoded frame but heartbeats. */
  frames = [];
  cids = /* @__PURE__ */ new Set();
  closeCode;
  closed;
  static async open(url, headers) {
    return new _HostileSocket(await openSocket(url, headers));
  }
  send(frame) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }
  /** Sends a JSON envelope. */
  sendJson(env2) {
    this.send(JSON.stringify(env2));
  }
  /** Resolves when a frame with `cid` arrived (or the socket closed); false after `ms`. */
  async waitCid(cid, ms) {
    const deadline = Date.now() + ms;
    while (!this.cids.has(cid) && this.closeCode === void 0 && Date.now() < deadline) await sleep(10);
    return this.cids.has(cid);
  }
  /** Closes the socket (if still open) and waits at most `ms` for the close to be seen. */
  async end(ms = 2e3) {
    if (this.closeCode === void 0) this.ws.close();
    await Promise.race([this.closed, sleep(ms)]);
    if (this.closeCode === void 0) this.ws.terminate();
  }
  /** Got an `error` frame, or a close code the protocol defines (not a silent drop, 1006). */
  answered() {
    return this.errors.length > 0 || this.closeCode !== void 0 && this.closeCode !== 1006;
  }
};
async function recordClient(url, topic2, extra = {}) {
  const client = createClient({
    endpoints: url,
    reconnect: { baseMs: 20, maxMs: 250 },
    offline: false,
    ...extra
  });
  const rec = { offsets: [], epochs: [], failed: [] };
  client.on("error", () => {
  });
  client.on("item", (m) => {
    if (m.topic !== void 0 && m.topic !== topic2) return;
    rec.offsets.push(m.offset);
    rec.epochs.push(m.epoch);
  });
  client.on("recovery_failed", (ev) => rec.failed.push(ev));
  await client.connect();
  await client.subscribe([topic2]);
  return { client, rec };
}

// test/hardening/support/fuzz-frames.ts
import { deflateSync } from "node:zlib";
import fc from "fast-check";
var topic = fc.oneof(
  fc.constantFrom(
    "news",
    "pub:a",
    "pub:b",
    "room",
    "__proto__",
    "constructor",
    "",
    "x".repeat(300),
    "secret:1"
  ),
  fc.string({ maxLength: 12 })
);
var nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, -1, 1e308, "\0", "\uD800", [], {})
);
var env = (t, p, extra = {}) => fc.record(
  { t: fc.constant(t), p, cid: fc.string({ maxLength: 6 }), ...extra },
  { requiredKeys: ["t", "p"] }
);
var envelope = fc.oneof(
  env(
    "client_hello",
    fc.record(
      {
        client_version: fc.string(),
        protocol_version: fc.oneof(fc.constant(1), fc.integer()),
        features: fc.dictionary(
          fc.constantFrom("compression", "msgpack", "encryption", "batching", "__proto__"),
          nasty
        ),
        token: fc.oneof(fc.string({ maxLength: 40 }), nasty)
      },
      { requiredKeys: [] }
    )
  ),
  env(
    "subscription_update",
    fc.record(
      {
        action: fc.constantFrom("subscribe", "unsubscribe", "subscribe", "x", ""),
        topics: fc.oneof(fc.array(topic, { maxLength: 24 }), nasty),
        presence: nasty,
        recover: fc.boolean(),
        recovery: fc.dictionary(
          topic,
          fc.record({ epoch: fc.string({ maxLength: 9 }), offset: fc.integer() })
        ),
        queue_group: fc.string({ maxLength: 8 })
      },
      { requiredKeys: ["action"] }
    )
  ),
  env("subscribe", fc.record({ topics: fc.array(topic, { maxLength: 5 }) })),
  env("publish", fc.record({ topic, data: fc.oneof(nasty, fc.record({ t: fc.string(), p: nasty })) })),
  env("ping", fc.record({ timestamp: nasty }, { requiredKeys: [] })),
  env("PONG", fc.record({ server_time: nasty, client_timestamp: nasty }, { requiredKeys: [] })),
  env("presence", fc.record({ topic })),
  env("presence_stats", fc.record({ topic })),
  env("presence_update", fc.record({ topic, data: nasty })),
  env("auth_refresh", fc.record({ token: fc.string({ maxLength: 30 }) })),
  env(
    "batch",
    fc.record({
      messages: fc.array(fc.record({ t: fc.constantFrom("ping", "chat", "batch"), p: nasty }), {
        maxLength: 8
      }),
      count: nasty
    })
  ),
  env("e2e_rekey", fc.record({ encryption_public_key: fc.string() })),
  fc.record({
    t: fc.constantFrom("chat", "server_hello", "error", "presence_join"),
    p: nasty,
    cid: fc.string()
  }),
  fc.record({ type: fc.constantFrom("chat", "publish", "ping"), payload: nasty })
);
function encode(value, encoding) {
  const json = JSON.stringify(value) ?? "null";
  if (encoding === "text") return json;
  if (encoding === "legacy") return `WSE${json}`;
  if (encoding === "binary") return new TextEncoder().encode(json);
  if (encoding === "zlib") return new Uint8Array(Buffer.concat([Buffer.from("C:"), deflateSync(json)]));
  try {
    return new Uint8Array(Buffer.concat([Buffer.from("M:"), encodeMsgpack(JSON.parse(json))]));
  } catch {
    return json;
  }
}
function mangle(frame, ops) {
  let b = Buffer.from(typeof frame === "string" ? Buffer.from(frame) : frame);
  for (const o of ops) {
    const at = b.length === 0 ? 0 : o.at % b.length;
    if (o.kind === "flip") b[at] = (b[at] ?? 0) ^ (o.byte || 1);
    else b = b.subarray(0, at);
  }
  return new Uint8Array(b);
}
var shaped = fc.tuple(envelope, fc.constantFrom("text", "text", "binary", "zlib", "msgpack", "legacy")).map(([e, enc]) => encode(e, enc));
var mutated = fc.tuple(
  shaped,
  fc.array(
    fc.record({
      at: fc.nat(),
      kind: fc.constantFrom("flip", "truncate"),
      byte: fc.nat(255)
    }),
    {
      minLength: 1,
      maxLength: 3
    }
  )
).map(([f, ops]) => mangle(f, ops));
var prefixed = fc.tuple(fc.constantFrom("C:", "M:", "E:", "WSE{", "{", ""), fc.uint8Array({ maxLength: 160 })).map(([p, b]) => new Uint8Array(Buffer.concat([Buffer.from(p), b])));
var deepJson = (depth) => `{"t":"chat","p":{"d":${"[".repeat(depth)}1${"]".repeat(depth)}}}`;
var zlibBomb = (bytes) => new Uint8Array(Buffer.concat([Buffer.from("C:"), deflateSync(Buffer.alloc(bytes), { level: 9 })]));

// test/hardening/support/server-process.ts
import { fork } from "node:child_process";
import { mkdirSync as mkdirSync2, readFileSync as readFileSync2, rmSync } from "node:fs";
import { build } from "esbuild";
var CACHE = `${HARDENING}.cache/`;
var CHILD = `${HARDENING}support/server-child.mjs`;
var CLK_TCK = 100;
var bundle;
var live = /* @__PURE__ */ new Set();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});
function serverModule() {
  bundle ??= (async () => {
    mkdirSync2(CACHE, { recursive: true });
    const out = `${CACHE}ref-server.${process.pid}.mjs`;
    await build({
      entryPoints: [`${ROOT}packages/ref-server/src/index.ts`],
      outfile: out,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      conditions: ["wse-source"],
      logLevel: "error",
      plugins: [
        {
          name: "external-npm",
          setup(b) {
            b.onResolve(
              { filter: /^[^./]/ },
              (args) => args.path.startsWith("@wse/") ? void 0 : { path: args.path, external: true }
            );
          }
        }
      ],
      banner: {
        js: "import { createRequire as __wseCreateRequire } from 'node:module'; const require = __wseCreateRequire(import.meta.url);"
      }
    });
    process.once("exit", () => rmSync(out, { force: true }));
    return out;
  })();
  return bundle;
}
var ServerProcess = class _ServerProcess {
  constructor(child, port, options) {
    this.child = child;
    this.port = port;
    this.options = options;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve(String(signal ?? code)));
    });
    child.on("message", (m) => {
      const p = m.id === void 0 ? void 0 : this.pending.get(m.id);
      if (!p || m.id === void 0) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    child.once("exit", () => {
      live.delete(child);
      for (const p of this.pending.values()) p.reject(new Error("server process exited"));
      this.pending.clear();
    });
  }
  child;
  port;
  options;
  nextId = 0;
  pending = /* @__PURE__ */ new Map();
  /** Resolves with the exit code or signal when the child ends. */
  exited;
  /** Starts a server (port 0 unless `options.port`); rejects if it cannot listen in `timeoutMs`. */
  static async start(options = {}, timeoutMs = 2e4) {
    const module = await serverModule();
    const json = JSON.stringify(options, (_k, v) => v === Infinity ? "Infinity" : v);
    const child = fork(CHILD, [json], {
      execArgv: ["--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: { ...process.env, WSE_HARDENING_SERVER_MODULE: module, NODE_ENV: "production" }
    });
    live.add(child);
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms`)), timeoutMs);
      child.once("message", (m) => {
        clearTimeout(timer);
        if (m.ev === "started" && m.port) resolve(m.port);
        else reject(new Error(`server failed to start: ${m.error}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code} before starting`));
      });
    });
    return new _ServerProcess(child, port, options);
  }
  get pid() {
    return this.child.pid ?? 0;
  }
  get url() {
    return `ws://127.0.0.1:${this.port}/wse`;
  }
  get httpUrl() {
    return `http://127.0.0.1:${this.port}`;
  }
  /** Still running (not exited, not killed)? */
  alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  /** An IPC command (see server-child.mjs); rejects after `timeoutMs` (a frozen server cannot answer). */
  call(cmd, args = {}, timeoutMs = 15e3) {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`server: '${cmd}' got no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        }
      });
      this.child.send({ ...args, id, cmd });
    });
  }
  mem() {
    return this.call("mem");
  }
  stats() {
    return this.call("stats");
  }
  /** Resident set size now, from /proc (bytes). */
  rss() {
    return statusField(this.pid, "VmRSS");
  }
  /** Peak resident set size since the process started, from /proc (bytes): catches short spikes. */
  peakRss() {
    return statusField(this.pid, "VmHWM");
  }
  /** CPU seconds (user + system, all threads) from /proc. */
  cpuSeconds() {
    const s = readFileSync2(`/proc/${this.pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  }
  /** SIGKILL, no goodbye: sockets die with the process, in-memory state (recovery buffers) is lost. */
  async kill9() {
    if (!this.alive()) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }
  /** Ends the process (SIGKILL: the suite never needs a graceful drain, and a frozen one ignores it). */
  stop() {
    return this.kill9();
  }
};
function statusField(pid, field) {
  const text = readFileSync2(`/proc/${pid}/status`, "utf8");
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}
var mib = (bytes) => Math.round(bytes / 1048576 * 10) / 10;

// test/hardening/support/soak.ts
function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num2 = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num2 += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num2 / den;
}
function judge(samples, durationS, maxRssTrendMiB = 24) {
  const half = samples.slice(Math.floor(samples.length / 2));
  const first = samples.slice(0, Math.floor(samples.length / 2));
  const t = half.map((s) => s.t);
  const span = durationS / 2;
  const rssTrendMiB = slope(
    t,
    half.map((s) => s.rssMiB)
  ) * span;
  const heapTrendMiB = slope(
    t,
    half.map((s) => s.heapMiB)
  ) * span;
  const handlesFirstHalfMax = Math.max(0, ...first.map((s) => s.handles));
  const handlesSecondHalfMax = Math.max(0, ...half.map((s) => s.handles));
  const loopDelayMaxMs = Math.max(0, ...samples.map((s) => s.loopDelayMaxMs));
  const pingMaxMs = Math.max(0, ...samples.map((s) => s.pingMaxMs));
  const failures = [];
  if (rssTrendMiB >= maxRssTrendMiB)
    failures.push(`RSS trend ${rssTrendMiB.toFixed(1)} MiB \u2265 ${maxRssTrendMiB}`);
  if (heapTrendMiB >= 4) failures.push(`heap trend ${heapTrendMiB.toFixed(1)} MiB \u2265 4`);
  if (handlesSecondHalfMax > handlesFirstHalfMax + 10)
    failures.push(`handles grew: ${handlesFirstHalfMax} \u2192 ${handlesSecondHalfMax}`);
  if (loopDelayMaxMs >= 2e3) failures.push(`event-loop delay ${loopDelayMaxMs.toFixed(0)} ms \u2265 2000`);
  if (pingMaxMs >= 2e3) failures.push(`probe ping ${pingMaxMs.toFixed(0)} ms \u2265 2000`);
  return {
    durationS,
    rssTrendMiB,
    heapTrendMiB,
    handlesFirstHalfMax,
    handlesSecondHalfMax,
    loopDelayMaxMs,
    pingMaxMs,
    failures
  };
}
var API_KEY = "soak-api-key-0123456789abcdef-0123";
async function runSoak(o) {
  const sampleMs = o.sampleMs ?? o.durationMs / 60;
  const log2 = o.log ?? (() => {
  });
  const srv = await ServerProcess.start({
    auth: false,
    recovery: { enabled: true, memoryBudget: 32 * 1024 * 1024 },
    presence: { enabled: true },
    publishPolicy: "allow",
    apiKey: API_KEY,
    maxMessageSize: 256 * 1024
  });
  const clients = [];
  const timers = [];
  try {
    const subs = [];
    for (let i = 0; i < 20; i++) subs.push(await recordClient(srv.url, "feed"));
    for (let i = 0; i < 5; i++) {
      const m = await recordClient(srv.url, "lobby");
      await m.client.subscribe(["room"], { presence: { member: i } });
      clients.push(m.client);
    }
    clients.push(...subs.map((s) => s.client));
    await srv.call("pump", { topic: "feed", count: 1e9, perTick: 2, intervalMs: 10 });
    timers.push(setInterval(() => void churn(srv.url), 400));
    timers.push(setInterval(() => void httpPublish(srv.httpUrl), 200));
    const bomb = zlibBomb(8 * 1024 * 1024);
    const deep = deepJson(6e4);
    timers.push(setInterval(() => void hostile(srv.url, bomb, deep), 300));
    const probe = await PingProbe.start(srv.url, 200);
    const samples = [];
    const t0 = performance.now();
    while (performance.now() - t0 < o.durationMs) {
      await sleep(sampleMs);
      const stats = await srv.stats();
      const pingMaxMs = Math.round(probe.maxMs());
      const mem = await srv.mem();
      await srv.call("resetLoopDelay");
      probe.reset();
      const sample = {
        t: Math.round((performance.now() - t0) / 100) / 10,
        rssMiB: mib(mem.rss),
        heapMiB: mib(mem.heapUsed),
        externalMiB: mib(mem.external),
        handles: stats.handles,
        connections: stats.connections,
        loopDelayMaxMs: Math.round(stats.loopDelayMaxMs),
        pingMaxMs,
        delivered: subs.reduce((a, s) => a + s.rec.offsets.length, 0)
      };
      samples.push(sample);
      log2(
        `t=${sample.t}s rss=${sample.rssMiB}MiB heap=${sample.heapMiB}MiB ext=${sample.externalMiB}MiB handles=${sample.handles} conns=${sample.connections} loop=${sample.loopDelayMaxMs}ms ping=${sample.pingMaxMs}ms delivered=${sample.delivered}`
      );
    }
    await probe.stop();
    return { samples, ...judge(samples, o.durationMs / 1e3, o.maxRssTrendMiB) };
  } finally {
    for (const t of timers) clearInterval(t);
    await Promise.all(clients.map((c) => c.close().catch(() => {
    })));
    await srv.stop();
  }
}
var churned = 0;
async function churn(url) {
  const n = churned++;
  const topic2 = `churn:${n % 50}`;
  try {
    const { client } = await recordClient(url, topic2);
    await client.subscribe(["room"], { presence: { churn: n } });
    client.send("publish", { topic: topic2, data: { t: "item", p: { n } } });
    await sleep(1e3);
    await client.close();
  } catch {
  }
}
async function httpPublish(base) {
  await fetch(`${base}/api/publish`, {
    method: "POST",
    headers: { authorization: `apikey ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ topic: "http", data: { t: "item", p: { at: Date.now() } } }),
    signal: AbortSignal.timeout(5e3)
  }).catch(() => {
  });
}
async function hostile(url, bomb, deep) {
  const h = await HostileSocket.open(url).catch(() => void 0);
  if (!h) return;
  h.send("not json");
  h.send(new Uint8Array([67, 58, 1, 2, 3]));
  h.send(bomb);
  h.send(deep);
  await sleep(100);
  h.ws.terminate();
}

// test/hardening/run-soak.ts
var arg = process.argv.indexOf("--minutes");
var minutes = arg > 0 ? Number(process.argv[arg + 1]) : 10;
if (!(minutes > 0)) {
  process.stderr.write("usage: npm run soak -- --minutes <N>\n");
  process.exit(2);
}
var log = (line) => process.stdout.write(`${line}
`);
log(`soak: ${minutes} min of mixed load, a sample every ${minutes * 60 / 60} s`);
var r = await runSoak({ durationMs: minutes * 6e4, log });
writeFileSync2(`${HARDENING}results/soak-${minutes}min.json`, `${JSON.stringify(r, null, 2)}
`);
var last = r.samples[r.samples.length - 1];
record(
  "soak",
  `${minutes} min (npm run soak)`,
  {
    samples: r.samples.length,
    rssTrendMiB: r.rssTrendMiB,
    heapTrendMiB: r.heapTrendMiB,
    rssEndMiB: last?.rssMiB ?? 0,
    handles: `${r.handlesFirstHalfMax}\u2192${r.handlesSecondHalfMax}`,
    loopDelayMaxMs: r.loopDelayMaxMs,
    pingMaxMs: r.pingMaxMs,
    delivered: last?.delivered ?? 0
  },
  {
    bound: "2nd-half trend: RSS < 24 MiB, heap < 4 MiB; handles +\u226410; loop & ping < 2 s",
    passed: r.failures.length === 0
  }
);
writeSummary();
log(r.failures.length === 0 ? "soak: passed" : `soak: FAILED
  ${r.failures.join("\n  ")}`);
process.exit(r.failures.length === 0 ? 0 : 1);
