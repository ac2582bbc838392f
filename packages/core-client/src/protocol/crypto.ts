/**
 * End-to-end encryption (docs-site/protocol §6) over WebCrypto only (`globalThis.crypto.subtle`), so the
 * same code runs in browsers and Node 20 with no native module.
 *
 * ECDH P-256 → shared x-coordinate → HKDF-SHA256 (empty salt, info "wse-encryption/aes-gcm-key")
 * → AES-256-GCM key. `E:` frames are 'E:' ‖ IV(12) ‖ ciphertext ‖ tag(16).
 * Identity signatures are ECDSA P-256 / SHA-256 in IEEE P1363 form (r ‖ s, 64 bytes), which is
 * what WebCrypto produces; `verifyIdentity` also accepts DER (what OpenSSL-based servers emit).
 */
import { base64Decode, base64Encode } from './base64';
import { ProtocolError } from './errors';
// Shared with the frame rules (an `E:` frame's minimum length), which check it without this
// module: the browser client loads it only for E2E sessions.
import { IV_LENGTH, TAG_LENGTH } from './limits';

export { IV_LENGTH, TAG_LENGTH } from './limits';

/** HKDF info string of E2E version 1 (one key for both directions), UTF-8. */
export const HKDF_INFO = 'wse-encryption/aes-gcm-key';
/** HKDF info of the E2E version 2 client → server key. */
export const HKDF_INFO_C2S = 'wse-encryption/c2s';
/** HKDF info of the E2E version 2 server → client key. */
export const HKDF_INFO_S2C = 'wse-encryption/s2c';
const PREFIX_E = new Uint8Array([0x45, 0x3a]); // 'E:'
const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

// WebCrypto's types want ArrayBuffer-backed views; copy only when the input is backed otherwise.
function own(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u.buffer instanceof ArrayBuffer ? (u as Uint8Array<ArrayBuffer>) : new Uint8Array(u);
}

function invalidKey(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError('INVALID_KEY', message, cause === undefined ? undefined : { cause });
}

function decodeRawPoint(b64: string): Uint8Array<ArrayBuffer> {
  let raw: Uint8Array;
  try {
    raw = base64Decode(b64);
  } catch (cause) {
    throw invalidKey('public key is not base64', cause);
  }
  if (raw.length !== 65 || raw[0] !== 0x04)
    throw invalidKey('public key must be a 65-byte uncompressed P-256 point');
  return own(raw);
}

/**
 * A fresh ECDH P-256 key pair for one connection (private key not extractable).
 *
 * @example
 * const pair = await generateKeyPair();
 * hello.p.encryption_public_key = await exportPublicKey(pair.publicKey);
 */
export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return subtle().generateKey(ECDH, false, ['deriveBits']);
}

/**
 * Base64 of the 65-byte uncompressed point of a P-256 public key (ECDH or ECDSA).
 *
 * @example
 * await exportPublicKey(pair.publicKey); // 'BP…' (88 chars)
 */
export async function exportPublicKey(key: CryptoKey): Promise<string> {
  return base64Encode(new Uint8Array(await subtle().exportKey('raw', key)));
}

/**
 * Imports a peer's ECDH public key from base64 of the raw point. Throws `ProtocolError`
 * INVALID_KEY on bad base64, a wrong length/format, or a point not on the curve.
 *
 * @example
 * const peer = await importPublicKey(hello.p.encryption_public_key);
 */
export async function importPublicKey(base64: string): Promise<CryptoKey> {
  const raw = decodeRawPoint(base64);
  try {
    return await subtle().importKey('raw', raw, ECDH, true, []);
  } catch (cause) {
    throw invalidKey('public key is not a valid P-256 point', cause);
  }
}

/**
 * The 32 raw bytes of the session key (ECDH → HKDF-SHA256). Exposed for test vectors and other
 * language ports; production code should use {@link deriveSessionKey}.
 *
 * @example
 * bytesToHex(await deriveSessionKeyBytes(mine.privateKey, peer));
 */
export async function deriveSessionKeyBytes(
  privateKey: CryptoKey,
  peerPublic: CryptoKey,
): Promise<Uint8Array> {
  const [bytes] = await deriveKeyBytes(privateKey, peerPublic, [HKDF_INFO]);
  return bytes as Uint8Array;
}

/**
 * One ECDH, then one HKDF-SHA256 (empty salt) per `infos` entry: 32 raw key bytes each. Throws
 * `ProtocolError` INVALID_KEY when the agreement fails.
 *
 * @example
 * const [c2s, s2c] = await deriveKeyBytes(mine.privateKey, peer, [HKDF_INFO_C2S, HKDF_INFO_S2C]);
 */
export async function deriveKeyBytes(
  privateKey: CryptoKey,
  peerPublic: CryptoKey,
  infos: readonly string[],
): Promise<Uint8Array[]> {
  try {
    const shared = await subtle().deriveBits({ name: 'ECDH', public: peerPublic }, privateKey, 256);
    const ikm = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveBits']);
    const out: Uint8Array[] = [];
    for (const label of infos) {
      const info = new TextEncoder().encode(label);
      const params = { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info };
      out.push(new Uint8Array(await subtle().deriveBits(params, ikm, 256)));
    }
    return out;
  } catch (cause) {
    throw invalidKey('key agreement failed (wrong key types or curves?)', cause);
  }
}

/** The two AES-256-GCM keys of E2E version 2 (docs-site/protocol §6). */
export interface DirectionalKeys {
  /** Client → server (HKDF info `wse-encryption/c2s`). */
  readonly c2s: CryptoKey;
  /** Server → client (HKDF info `wse-encryption/s2c`). */
  readonly s2c: CryptoKey;
}

/**
 * E2E version 2: one ECDH, two HKDF keys, one per direction.
 *
 * @example
 * const { c2s, s2c } = await deriveDirectionalKeys(pair.privateKey, await importPublicKey(peerB64));
 */
export async function deriveDirectionalKeys(
  privateKey: CryptoKey,
  peerPublic: CryptoKey,
): Promise<DirectionalKeys> {
  const raw = await deriveKeyBytes(privateKey, peerPublic, [HKDF_INFO_C2S, HKDF_INFO_S2C]);
  try {
    return { c2s: await importSessionKey(raw[0]!), s2c: await importSessionKey(raw[1]!) };
  } finally {
    for (const r of raw) r.fill(0);
  }
}

/**
 * Imports 32 raw bytes as a non-extractable AES-256-GCM key.
 *
 * @example
 * const key = await importSessionKey(hexToBytes(vectors.keys.sessionKeyHex));
 */
export async function importSessionKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== 32) throw invalidKey('session key must be 32 bytes');
  return subtle().importKey('raw', own(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/**
 * The connection's AES-256-GCM key from our private key and the peer's public key.
 *
 * @example
 * const key = await deriveSessionKey(pair.privateKey, await importPublicKey(peerB64));
 */
export async function deriveSessionKey(privateKey: CryptoKey, peerPublic: CryptoKey): Promise<CryptoKey> {
  const raw = await deriveSessionKeyBytes(privateKey, peerPublic);
  try {
    return await importSessionKey(raw);
  } finally {
    raw.fill(0); // do not leave key material in a GC'd buffer longer than needed
  }
}

/**
 * 'E:' ‖ IV ‖ AES-GCM(inner) ‖ tag. The IV is 12 random bytes unless given (tests only: reusing an
 * IV with the same key breaks GCM).
 *
 * @example
 * const frame = await encryptBytes(key, toBytes(encodeFrame(env)));
 */
export async function encryptBytes(key: CryptoKey, inner: Uint8Array, iv?: Uint8Array): Promise<Uint8Array> {
  const nonce = iv ?? globalThis.crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  if (nonce.length !== IV_LENGTH) throw new ProtocolError('INVALID_FIELD', 'IV must be 12 bytes');
  let sealed: ArrayBuffer;
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

/**
 * Opens an 'E:' frame and returns the inner frame bytes. Throws `ProtocolError`
 * UNKNOWN_PREFIX, ENCRYPTED_TOO_SHORT or DECRYPT_FAILED (wrong key, IV or tag).
 *
 * @example
 * const inner = await decryptBytes(key, frame);
 */
export async function decryptBytes(key: CryptoKey, frame: Uint8Array): Promise<Uint8Array> {
  if (frame.length < 2 || frame[0] !== 0x45 || frame[1] !== 0x3a) {
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

/**
 * A long-term ECDSA P-256 identity key pair for the server (extractable, so it can be stored).
 *
 * @example
 * const id = await generateIdentityKeyPair();
 */
export async function generateIdentityKeyPair(): Promise<CryptoKeyPair> {
  return subtle().generateKey(ECDSA, true, ['sign', 'verify']);
}

/**
 * Imports a pinned identity public key from base64 of its 65-byte raw point.
 *
 * @example
 * const pinned = await importIdentityPublicKey(options.serverIdentityKey);
 */
export async function importIdentityPublicKey(base64: string): Promise<CryptoKey> {
  const raw = decodeRawPoint(base64);
  try {
    return await subtle().importKey('raw', raw, ECDSA, true, ['verify']);
  } catch (cause) {
    throw invalidKey('identity key is not a valid P-256 point', cause);
  }
}

function signedBytes(
  clientKeyB64: string,
  serverKeyB64: string,
  connectionId: string,
): Uint8Array<ArrayBuffer> {
  const a = decodeRawPoint(clientKeyB64);
  const b = decodeRawPoint(serverKeyB64);
  const c = new TextEncoder().encode(connectionId);
  const out = new Uint8Array(a.length + b.length + c.length);
  out.set(a);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  return out;
}

/**
 * base64 ECDSA-SHA256 (P1363 r ‖ s) over client_key ‖ server_key ‖ utf8(connection_id).
 *
 * @example
 * hello.p.encryption_signature = await signIdentity(id.privateKey, clientB64, serverB64, connId);
 */
export async function signIdentity(
  privateKey: CryptoKey,
  clientKeyB64: string,
  serverKeyB64: string,
  connectionId: string,
): Promise<string> {
  const data = signedBytes(clientKeyB64, serverKeyB64, connectionId);
  const sig = await subtle().sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, data);
  return base64Encode(new Uint8Array(sig));
}

// DER `SEQUENCE { INTEGER r, INTEGER s }` → 64-byte r ‖ s; undefined when malformed.
function derToP1363(der: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const out = new Uint8Array(64);
  let at = 2;
  for (let i = 0; i < 2; i++) {
    if (der[at] !== 0x02) return undefined;
    const len = der[at + 1]!;
    let int = der.subarray(at + 2, at + 2 + len);
    if (int.length !== len) return undefined;
    while (int.length > 32 && int[0] === 0) int = int.subarray(1);
    if (int.length > 32) return undefined;
    out.set(int, i * 32 + 32 - int.length);
    at += 2 + len;
  }
  return at === der.length ? out : undefined;
}

/**
 * Checks a server identity signature. Returns false (never throws) for a bad signature or
 * malformed inputs: the caller refuses the hello either way.
 *
 * @example
 * if (!(await verifyIdentity(pinned, sigB64, clientB64, serverB64, connId))) refuse();
 */
export async function verifyIdentity(
  publicKey: CryptoKey,
  signatureB64: string,
  clientKeyB64: string,
  serverKeyB64: string,
  connectionId: string,
): Promise<boolean> {
  try {
    const raw = base64Decode(signatureB64);
    const sig = raw.length === 64 ? own(raw) : derToP1363(raw);
    if (!sig) return false;
    const data = signedBytes(clientKeyB64, serverKeyB64, connectionId);
    return await subtle().verify({ name: 'ECDSA', hash: 'SHA-256' }, publicKey, sig, data);
  } catch {
    return false;
  }
}
