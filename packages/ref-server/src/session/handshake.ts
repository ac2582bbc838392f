import {
  deriveSessionKey,
  exportPublicKey,
  generateKeyPair,
  importPublicKey,
  signIdentity,
} from '@wse/core-client/protocol';

/** The server's half of the E2E key agreement for one connection. */
export interface AgreedKey {
  key: CryptoKey;
  publicKey: string;
  signature?: string;
}

/**
 * PROTOCOL §6: a fresh ECDH P-256 pair per connection, HKDF to an AES-256-GCM key, and — with a
 * long-term identity key — a signature over client_key ‖ server_key ‖ connection_id. Throws
 * `ProtocolError` INVALID_KEY for a bad client key.
 *
 * @example
 * const { key, publicKey } = await agreeKey(hello.encryptionPublicKey, conn.id);
 */
export async function agreeKey(
  clientKey: string,
  connectionId: string,
  identity?: CryptoKeyPair,
): Promise<AgreedKey> {
  const peer = await importPublicKey(clientKey);
  const pair = await generateKeyPair();
  const key = await deriveSessionKey(pair.privateKey, peer);
  const publicKey = await exportPublicKey(pair.publicKey);
  if (!identity) return { key, publicKey };
  const signature = await signIdentity(identity.privateKey, clientKey, publicKey, connectionId);
  return { key, publicKey, signature };
}
