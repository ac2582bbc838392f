/**
 * The server's E2E rules (docs-site/protocol §6) around the shared `E2EChannel`: when each direction
 * switches, which plaintext frames are still accepted, how a failed `E:` frame is answered, and key
 * rotation. Kept apart from the message router so the router stays a type switch.
 *
 * Decisions:
 * - Server → client switches at `server_hello` (the channel is set right after sending it).
 *   Client → server switches at the client's first `E:` frame: plaintext frames before it (pipelined
 *   behind `client_hello`) are processed; after it, plaintext application frames get
 *   `ENCRYPTION_REQUIRED` (sent encrypted) and are dropped. `client_hello` and the heartbeat
 *   (`ping`, `PONG`) are accepted in plaintext at any time. `requireEncryption` refuses every
 *   plaintext application frame, before and after.
 * - A frame that fails to open is `DECRYPTION_FAILED`; on version 2 the connection is then closed
 *   with 1008 (the counter stream is broken; the client reconnects with fresh keys). Version 1
 *   connections stay open (the frame is dropped).
 * - Rotation: `e2e_rekey` must arrive encrypted and one at a time (a second one while the first
 *   still waits for the client's first frame under the new key is `INVALID_MESSAGE`).
 *
 * @module
 */
import {
  CloseCode,
  E2EChannel,
  type E2EVersion,
  type Envelope,
  ProtocolError,
} from '@wse/core-client/protocol';
import type { Connection } from './connection';
import { type AgreedKey, agreeKey } from './handshake';

/** IVs a version 1 connection remembers to refuse replays (≈ 18.6 KB when full, allocated at its first v1 frame). */
export const E2E_REPLAY_CACHE = 1024;
/** Plaintext types accepted from a client at any time (docs-site/protocol §6). */
const PLAINTEXT_ANYTIME = new Set(['client_hello', 'ping', 'PONG', 'pong']);
/** Base64 of a 65-byte point is 88 characters. */
const MAX_KEY_CHARS = 128;

/**
 * True for a binary frame that starts with `E:`.
 *
 * @example
 * if (conn.e2e && isEncryptedFrame(data)) return openAndRoute(conn, data);
 */
export function isEncryptedFrame(data: ArrayBuffer | string): boolean {
  if (typeof data === 'string' || data.byteLength < 2) return false;
  const b = new Uint8Array(data, 0, 2);
  return b[0] === 0x45 && b[1] === 0x3a;
}

/**
 * Whether a plaintext envelope must be refused with `ENCRYPTION_REQUIRED`.
 *
 * @example
 * if (!encrypted && plaintextRefused(conn, env, options.requireEncryption)) refuse();
 */
export function plaintextRefused(conn: Connection, env: Envelope, requireEncryption: boolean): boolean {
  return (requireEncryption || conn.clientEncrypted) && !PLAINTEXT_ANYTIME.has(env.t);
}

/**
 * Turns E2E on after `server_hello` went out: every later frame to the client is `E:`.
 *
 * @example
 * conn.sendEvent('server_hello', payload); startE2E(conn, 2, agreed, Date.now());
 */
export function startE2E(conn: Connection, version: E2EVersion, agreed: AgreedKey, now: number): void {
  conn.e2e = new E2EChannel(version, agreed.keys, E2E_REPLAY_CACHE);
  conn.keysSince = now;
}

/**
 * Answers an `E:` frame that did not open: `DECRYPTION_FAILED`, and on version 2 close 1008.
 * False when `err` is not an E2E failure (the caller answers it as usual).
 *
 * @example
 * if (!e2eFailure(conn, err)) conn.sendError(wireCodeOf(err), err.message);
 */
export function e2eFailure(conn: Connection, err: unknown): boolean {
  if (!(err instanceof ProtocolError) || (err.code !== 'DECRYPT_FAILED' && err.code !== 'REPLAYED_FRAME'))
    return false;
  conn.sendError('DECRYPTION_FAILED', err.message, { reason: err.code });
  if (conn.e2e?.version === 2) conn.close(CloseCode.POLICY_VIOLATION, 'E2E frame refused');
  return true;
}

/**
 * `e2e_rekey {encryption_public_key}` (docs-site/protocol §6): a fresh server key pair, `e2e_rekeyed` sent
 * under the current keys, then the new send key; the new receive key is taken at the client's
 * first frame under it. Returns a promise (the inbox holds later frames until the answer is out).
 *
 * @example
 * case 'e2e_rekey': return rekey(conn, env, encrypted, identityKey, now);
 */
export function rekey(
  conn: Connection,
  env: Envelope,
  encrypted: boolean,
  identity: CryptoKeyPair | undefined,
  now: () => number,
): void | Promise<void> {
  const e2e = conn.e2e;
  if (!e2e) {
    conn.sendError('INVALID_MESSAGE', 'e2e_rekey: this connection has no E2E session', {}, env.cid);
    return;
  }
  if (!encrypted) {
    conn.sendError('ENCRYPTION_REQUIRED', 'e2e_rekey must be sent encrypted', {}, env.cid);
    return;
  }
  if (e2e.rotating) {
    conn.sendError('INVALID_MESSAGE', 'e2e_rekey: the previous rotation is not finished', {}, env.cid);
    return;
  }
  const key = env.p.encryption_public_key;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_CHARS) {
    conn.sendError(
      'INVALID_MESSAGE',
      'e2e_rekey.encryption_public_key must be a base64 P-256 point',
      {},
      env.cid,
    );
    return;
  }
  return agreeKey(key, conn.id, identity, e2e.version).then(
    (agreed) => {
      if (conn.closed || conn.e2e !== e2e) return;
      const p: Record<string, unknown> = { encryption_public_key: agreed.publicKey };
      if (agreed.signature) p.encryption_signature = agreed.signature;
      conn.sendEvent('e2e_rekeyed', p, { cid: env.cid }); // sealed now, under the current key
      e2e.rotateSend(agreed.keys.send);
      e2e.expectRecv(agreed.keys.recv);
      conn.keysSince = now();
    },
    (err: unknown) => {
      const message = err instanceof Error ? err.message : 'key agreement failed';
      conn.sendError('KEY_EXCHANGE_FAILED', message, {}, env.cid);
    },
  );
}

/**
 * Asks the client to rotate (`e2e_rekey_request {}`). False when the connection has no E2E or a
 * rotation is already under way.
 *
 * @example
 * if (now - conn.keysSince >= interval) requestRekey(conn, now);
 */
export function requestRekey(conn: Connection, now: number): boolean {
  if (!conn.e2e || conn.e2e.rotating || conn.closed) return false;
  conn.sendEvent('e2e_rekey_request', {});
  conn.keysSince = now;
  return true;
}
