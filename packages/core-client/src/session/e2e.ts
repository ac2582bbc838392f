/**
 * The E2E steps of a negotiation (docs-site/protocol §6): our key offer, the server identity check and
 * the session key. A chunk of its own with the WebCrypto helpers, fetched (through
 * `negotiation.ts`) only when an E2E session starts.
 *
 * @module
 */

import type { Clock } from '../env/clock';
import {
  deriveDirectionalKeys,
  deriveSessionKey,
  exportPublicKey,
  generateKeyPair,
  importIdentityPublicKey,
  importPublicKey,
  verifyIdentity,
} from '../protocol/crypto';
import { E2EChannel, type E2EKeys, type E2EVersion } from '../protocol/e2e-channel';
import type { Envelope } from '../protocol/envelope';
import { WSEError } from '../protocol/errors';
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
 * The server's answer to a key offer: its public key and, with identity, the signature.
 *
 * @example
 * ```ts
 * const answer: E2EAnswer = { encryptionPublicKey: p.encryption_public_key, encryptionSignature: null };
 * ```
 */
export interface E2EAnswer {
  readonly encryptionPublicKey: string | null;
  readonly encryptionSignature: string | null;
}

/**
 * Checks the pinned identity (when given) and derives our keys for `version`: one key both ways
 * (1), or `send` = client → server and `recv` = server → client (2). Rejects with `WSEError`
 * `KEY_EXCHANGE_FAILED` when the server sent no key, a bad key, or a signature that does not verify.
 *
 * @example
 * ```ts
 * const keys = await agreeE2EKeys(offer, { encryptionPublicKey, encryptionSignature: null }, connId, 2);
 * ```
 */
export async function agreeE2EKeys(
  offer: E2EOffer,
  answer: E2EAnswer,
  connectionId: string | null,
  version: E2EVersion,
  identityKey?: CryptoKey,
): Promise<E2EKeys> {
  const serverKey = answer.encryptionPublicKey;
  if (!serverKey) throw keyExchangeFailed('the server sent no encryption_public_key');
  if (identityKey) {
    const sig = answer.encryptionSignature;
    const ok =
      sig !== null &&
      connectionId !== null &&
      (await verifyIdentity(identityKey, sig, offer.publicKey, serverKey, connectionId));
    if (!ok) throw keyExchangeFailed('server identity signature missing or invalid');
  }
  try {
    const peer = await importPublicKey(serverKey);
    if (version === 1) {
      const key = await deriveSessionKey(offer.keyPair.privateKey, peer);
      return { send: key, recv: key };
    }
    const d = await deriveDirectionalKeys(offer.keyPair.privateKey, peer);
    return { send: d.c2s, recv: d.s2c };
  } catch (cause) {
    throw keyExchangeFailed('cannot derive the session key', cause);
  }
}

/**
 * Completes the agreement from `server_hello`: the E2E channel of the version the server chose.
 * Rejects like {@link agreeE2EKeys}.
 *
 * @example
 * ```ts
 * const channel = await completeE2E(offer, readServerHello(env.p), connectionId, pinned);
 * ```
 */
export async function completeE2E(
  offer: E2EOffer,
  hello: ServerHello,
  connectionId: string | null,
  identityKey?: CryptoKey,
): Promise<E2EChannel> {
  // The scheme the server chose: 2 only when its features say so (docs-site/protocol §6).
  const version = hello.features.encryption_version === 2 ? 2 : 1;
  return new E2EChannel(version, await agreeE2EKeys(offer, hello, connectionId, version, identityKey));
}

// ── key rotation ──────────────────────────────────────────────────────────────────────────────
/*
 * E2E key rotation on a live session (docs-site/protocol §6), client side: every `intervalMs`, or when the
 * server sends `e2e_rekey_request`, make a fresh key pair and send `e2e_rekey` (encrypted with the
 * current keys); on `e2e_rekeyed` check the server identity (when pinned), derive the new keys and
 * switch both directions at once (version 2 counters restart at 0).
 *
 * Why the switch is exact: the server sends everything after `e2e_rekeyed` under its new key, and
 * the session handles inbound frames strictly in order, awaiting this step; outbound frames are
 * sealed in send order on one chain, so every frame sealed after the switch uses the new key and
 * reaches the server after every frame sealed before it (the server takes its new receive key at
 * the first frame under it).
 *
 */

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * One session's rotations.
 *
 * @example
 * ```ts
 * const rotation = new KeyRotation(clock, 3_600_000, channel, connectionId, identityKey, sendRekey, fatal);
 * rotation.start();
 * // on e2e_rekey_request: rotation.begin(); on e2e_rekeyed: await rotation.complete(env.p)
 * ```
 */
export class KeyRotation {
  #timer: unknown = null;
  #pending: E2EOffer | null = null;
  #starting = false;
  #completing = false;
  #stopped = false;
  /** Rotations completed on this session. */
  completed = 0;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    readonly channel: E2EChannel,
    private readonly connectionId: string | null,
    private readonly identityKey: CryptoKey | undefined,
    /** Sends `e2e_rekey` with this payload (the session builds and seals the envelope). */
    private readonly sendRekey: (payload: Record<string, unknown>) => void,
    /** The new server key did not verify: the session must end. */
    private readonly fatal: (error: WSEError) => void,
  ) {}

  /** `e2e_rekeyed` completes our rotation; `e2e_rekey_request` starts one. */
  handle(env: Envelope): Promise<void> | undefined {
    if (env.t === 'e2e_rekeyed') return this.complete(env.p);
    void this.begin();
    return undefined;
  }

  /** Arms the timer (nothing when the interval is 0). */
  start(): void {
    this.stop();
    if (this.intervalMs > 0) this.#timer = this.clock.setTimeout(() => void this.begin(), this.intervalMs);
  }

  /** The session ended: nothing more is sent. */
  close(): void {
    this.#stopped = true;
    this.stop();
  }

  /** Disarms the timer. */
  stop(): void {
    if (this.#timer !== null) this.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Starts a rotation unless one is under way. */
  async begin(): Promise<void> {
    this.#timer = null;
    if (this.#pending || this.#starting || this.#stopped) return;
    this.#starting = true;
    try {
      const offer = await createE2EOffer();
      if (this.#stopped) return;
      this.#pending = offer;
      this.sendRekey({ encryption_public_key: offer.publicKey });
    } catch {
      this.start(); // could not make a key pair now: try again at the next interval
    } finally {
      this.#starting = false;
    }
  }

  /**
   * `e2e_rekeyed`: derive and switch. An answer we did not ask for is ignored. The offer stays
   * pending until the switch is done, so no new rotation (timer or server request) can start in
   * between and seal its `e2e_rekey` under the keys being replaced.
   */
  async complete(payload: Record<string, unknown>): Promise<void> {
    const offer = this.#pending;
    if (!offer || this.#completing) return;
    this.#completing = true;
    const answer = {
      encryptionPublicKey: str(payload.encryption_public_key),
      encryptionSignature: str(payload.encryption_signature),
    };
    try {
      const { connectionId, identityKey } = this;
      const keys = await agreeE2EKeys(offer, answer, connectionId, this.channel.version, identityKey);
      this.channel.rotateRecv(keys.recv);
      this.channel.rotateSend(keys.send);
      this.completed++;
      this.#pending = null;
      this.start();
    } catch (err) {
      this.#pending = null;
      this.fatal(err as WSEError);
    } finally {
      this.#completing = false;
    }
  }
}

/** Default of the client's `keyRotationIntervalMs`: 1 h. */
export const DEFAULT_KEY_ROTATION_MS = 60 * 60 * 1000;

/**
 * Completes the handshake ({@link completeE2E}) and returns the session's rotation, which holds the
 * channel: one call, so the session's own (initial) chunk stays small.
 *
 * @example
 * ```ts
 * const rotation = await startE2E(offer, hello, connId, { encryption: {}, clock }, sendRekey, fatal);
 * rotation.channel.seal(bytes);
 * ```
 */
export async function startE2E(
  offer: E2EOffer,
  hello: ServerHello,
  connectionId: string | null,
  config: { encryption: { identityKey?: CryptoKey } | null; keyRotationIntervalMs?: number; clock: Clock },
  sendRekey: (payload: Record<string, unknown>) => void,
  fatal: (error: WSEError) => void,
): Promise<KeyRotation> {
  const identityKey = config.encryption?.identityKey;
  const channel = await completeE2E(offer, hello, connectionId, identityKey);
  const interval = config.keyRotationIntervalMs ?? DEFAULT_KEY_ROTATION_MS;
  return new KeyRotation(config.clock, interval, channel, connectionId, identityKey, sendRekey, fatal);
}
