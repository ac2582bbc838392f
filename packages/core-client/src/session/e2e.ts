/**
 * The E2E steps of a negotiation (PROTOCOL.md §6): our key offer, the server identity check and
 * the session key. A chunk of its own with the WebCrypto helpers, fetched (through
 * `negotiation.ts`) only when an E2E session starts.
 *
 * @module
 */

import { WSEError } from '../errors';
import {
  deriveSessionKey,
  exportPublicKey,
  generateKeyPair,
  importIdentityPublicKey,
  importPublicKey,
  verifyIdentity,
} from '../protocol/crypto';
import type { ServerHello } from './negotiation';

/**
 * Our side of the key agreement for one connection (a fresh pair every time).
 *
 * @example
 * ```ts
 * const offer: E2EOffer = await createE2EOffer();
 * hello.p.encryption_public_key = offer.publicKey;
 * ```
 */
export interface E2EOffer {
  readonly keyPair: CryptoKeyPair;
  readonly publicKey: string;
}

/**
 * Makes a fresh ECDH P-256 key pair and its base64 public key.
 *
 * @example
 * ```ts
 * const { publicKey } = await createE2EOffer(); // base64 of 65 bytes
 * ```
 */
export async function createE2EOffer(): Promise<E2EOffer> {
  const keyPair = await generateKeyPair();
  return { keyPair, publicKey: await exportPublicKey(keyPair.publicKey) };
}

/**
 * Imports a pinned server identity key (base64 of the raw P-256 point, or a CryptoKey as is).
 *
 * @example
 * ```ts
 * const pinned = await resolveIdentityKey('BCx…');
 * ```
 */
export async function resolveIdentityKey(key: string | CryptoKey): Promise<CryptoKey> {
  return typeof key === 'string' ? importIdentityPublicKey(key) : key;
}

function keyExchangeFailed(message: string, cause?: unknown): WSEError {
  return new WSEError('KEY_EXCHANGE_FAILED', message, cause === undefined ? undefined : { cause });
}

/**
 * Completes the agreement from `server_hello`: checks the pinned identity when given, then derives
 * the AES-256-GCM session key. Rejects with a `WSEError` code `KEY_EXCHANGE_FAILED` when the server
 * sent no key, a bad key, or a signature that does not verify.
 *
 * @example
 * ```ts
 * const key = await completeE2E(offer, readServerHello(env.p), connectionId, pinned);
 * ```
 */
export async function completeE2E(
  offer: E2EOffer,
  hello: ServerHello,
  connectionId: string | null,
  identityKey?: CryptoKey,
): Promise<CryptoKey> {
  const serverKey = hello.encryptionPublicKey;
  if (!serverKey) throw keyExchangeFailed('server_hello carries no encryption_public_key');
  if (identityKey) {
    const sig = hello.encryptionSignature;
    const ok =
      sig !== null &&
      connectionId !== null &&
      (await verifyIdentity(identityKey, sig, offer.publicKey, serverKey, connectionId));
    if (!ok) throw keyExchangeFailed('server identity signature missing or invalid');
  }
  try {
    return await deriveSessionKey(offer.keyPair.privateKey, await importPublicKey(serverKey));
  } catch (cause) {
    throw keyExchangeFailed('cannot derive the session key', cause);
  }
}
