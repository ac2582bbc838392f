/**
 * Golden test vectors: exact bytes per frame kind, made with fixed keys and a fixed IV. The codec's
 * own tests and the server's tests run the same file (`fixtures/vectors.json`), so neither side
 * can drift from the wire contract.
 */
import { hexToBytes } from './base64';
import { importSessionKey } from './crypto';
import type { Envelope } from './envelope';
import signatureRaw from './fixtures/signature.json';
import raw from './fixtures/vectors.json';
import type { EncodeOptions, FrameKind } from './frame';

/** One valid frame: decoding `hex` gives `envelope`; encoding `envelope` with `options` gives `hex`. */
export interface GoldenFrame {
  name: string;
  kind: FrameKind;
  /** `text`: the frame goes out as a text frame (hex is its UTF-8); `binary`: as bytes. */
  wire: 'text' | 'binary';
  options: EncodeOptions;
  /** For `E:` frames: the fixed IV, hex (version 2: the counter IV). */
  iv?: string;
  /** For E2E version 2 frames: whose key sealed it (`keys.c2sKeyHex` or `keys.s2cKeyHex`). */
  direction?: 'c2s' | 's2c';
  envelope: Envelope;
  hex: string;
  /** True when re-encoding is not expected to reproduce `hex` (alias input, extra fields). */
  decodeOnly?: boolean;
}

/** One hostile frame and the ProtocolError code decoding it must throw. */
export interface GoldenInvalid {
  name: string;
  wire: 'text' | 'binary';
  hex: string;
  code: string;
  /** Decode with the fixture session key (decodeAnyFrame). */
  withKey?: boolean;
}

/** Key material of the vectors (test keys: never use them for anything else). */
export interface GoldenKeys {
  client: { privateJwk: JsonWebKey; publicKey: string };
  server: { privateJwk: JsonWebKey; publicKey: string };
  sessionKeyHex: string;
  /** E2E version 2 keys of the same agreement (HKDF info `wse-encryption/c2s` and `…/s2c`). */
  c2sKeyHex: string;
  s2cKeyHex: string;
  identity: { privateJwk: JsonWebKey; publicKey: string; connectionId: string; signature: string };
}

/** The whole fixture file. */
export interface GoldenVectors {
  description: string;
  keyOrder: string[];
  keys: GoldenKeys;
  frames: GoldenFrame[];
  invalid: GoldenInvalid[];
}

/**
 * The golden vectors (parsed `fixtures/vectors.json`).
 *
 * @example
 * for (const v of loadVectors().frames) expect(decode(hexToBytes(v.hex))).toEqual(v.envelope);
 */
export function loadVectors(): GoldenVectors {
  return raw as unknown as GoldenVectors;
}

/**
 * The fixture session key as a CryptoKey (AES-256-GCM), for decoding the `E:` vectors: the
 * version 1 key, or with `direction` the version 2 key of that direction.
 *
 * @example
 * const key = await loadVectorSessionKey();
 */
export async function loadVectorSessionKey(direction?: 'c2s' | 's2c'): Promise<CryptoKey> {
  const keys = loadVectors().keys;
  const hex =
    direction === 'c2s' ? keys.c2sKeyHex : direction === 's2c' ? keys.s2cKeyHex : keys.sessionKeyHex;
  return importSessionKey(hexToBytes(hex));
}

/** The message-signature golden vector (`fixtures/signature.json`, docs-site/protocol §6). */
export interface GoldenSignature {
  description: string;
  key: string;
  p: Record<string, unknown>;
  signedAt: number;
  nonce: string;
  /** {@link canonicalJson} of `p`. */
  canonical: string;
  hash: string;
  sig: string;
}

/**
 * The signature vector, made with Python's json/hashlib/hmac: both the client's signer and the
 * server's verifier are tested against it.
 *
 * @example
 * const v = loadSignatureVector();
 * expect(canonicalJson(v.p)).toBe(v.canonical);
 */
export function loadSignatureVector(): GoldenSignature {
  return signatureRaw as GoldenSignature;
}
