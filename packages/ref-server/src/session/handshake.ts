import {
  deriveDirectionalKeys,
  deriveSessionKey,
  type E2EKeys,
  type E2EVersion,
  exportPublicKey,
  generateKeyPair,
  importPublicKey,
  signIdentity,
} from '@wse/core-client/protocol';

/** The server's half of the E2E key agreement for one connection (or one rotation). */
export interface AgreedKey {
  /** As the server uses them: `send` = server → client, `recv` = client → server (v1: one key). */
  keys: E2EKeys;
  publicKey: string;
  signature?: string;
}

/**
 * docs-site/protocol §6: a fresh ECDH P-256 pair per connection (and per rotation), HKDF to one AES-256-GCM
 * key (version 1) or one per direction (version 2), and — with a long-term identity key — a
 * signature over client_key ‖ server_key ‖ connection_id. Throws `ProtocolError` INVALID_KEY for a
 * bad client key.
 *
 * @example
 * const { keys, publicKey } = await agreeKey(hello.encryptionPublicKey, conn.id, undefined, 2);
 */
export async function agreeKey(
  clientKey: string,
  connectionId: string,
  identity?: CryptoKeyPair,
  version: E2EVersion = 1,
): Promise<AgreedKey> {
  const peer = await importPublicKey(clientKey);
  const pair = await generateKeyPair();
  let keys: E2EKeys;
  if (version === 2) {
    const d = await deriveDirectionalKeys(pair.privateKey, peer);
    keys = { send: d.s2c, recv: d.c2s };
  } else {
    const key = await deriveSessionKey(pair.privateKey, peer);
    keys = { send: key, recv: key };
  }
  const publicKey = await exportPublicKey(pair.publicKey);
  if (!identity) return { keys, publicKey };
  const signature = await signIdentity(identity.privateKey, clientKey, publicKey, connectionId);
  return { keys, publicKey, signature };
}
