/**
 * The handshake, as data: build `client_hello`, read `server_ready` and `server_hello`
 * (PROTOCOL.md §3), and the E2E key agreement (§6) through the codec's WebCrypto helpers.
 * Readers are lenient about missing fields (defaults) and strict about types (a field of the
 * wrong type is treated as absent), so a hostile server cannot make the client throw here.
 *
 * @module
 */

import { WSEError } from '../errors';
import { buildEnvelope, type Envelope, PROTOCOL_VERSION } from '../protocol/envelope';

// The WebCrypto helpers are only for E2E sessions: a separate chunk, fetched when one starts.
const loadCrypto = () => import('../protocol/crypto');

/** Default server ping interval when the hello omits it (PROTOCOL §3.6). */
export const DEFAULT_PING_INTERVAL_MS = 25_000;

type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function numbers(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isDict(v)) return out;
  for (const [k, x] of Object.entries(v)) if (num(x) !== null) out[k] = x as number;
  return out;
}

/**
 * What the client offers in `client_hello`.
 *
 * @example
 * ```ts
 * const input: ClientHelloInput = { clientVersion: '0.1.0', msgpack: false, compression: true };
 * ```
 */
export interface ClientHelloInput {
  readonly clientVersion: string;
  readonly msgpack: boolean;
  readonly compression: boolean;
  readonly batching?: boolean;
  /** base64 of our ephemeral ECDH public key (E2E). */
  readonly encryptionPublicKey?: string;
  /** In-band token (browsers). */
  readonly token?: string;
}

/**
 * Builds the `client_hello` envelope.
 *
 * @example
 * ```ts
 * socket.send(encodeFrame(buildClientHello({ clientVersion: '0.1.0', msgpack: false, compression: true })));
 * ```
 */
export function buildClientHello(input: ClientHelloInput, now?: number): Envelope {
  const p: Dict = {
    client_version: input.clientVersion,
    protocol_version: PROTOCOL_VERSION,
    features: {
      compression: input.compression,
      encryption: input.encryptionPublicKey !== undefined,
      msgpack: input.msgpack,
      batching: input.batching ?? true,
    },
  };
  if (input.encryptionPublicKey !== undefined) p.encryption_public_key = input.encryptionPublicKey;
  if (input.token !== undefined) p.token = input.token;
  return buildEnvelope('client_hello', p, now === undefined ? {} : { now });
}

/**
 * The useful part of `server_ready`.
 *
 * @example
 * ```ts
 * const ready: ServerReady = readServerReady(env.p);
 * ```
 */
export interface ServerReady {
  readonly connectionId: string | null;
  readonly userId: string | null;
  readonly serverTime: number | null;
  /** Seconds until the token expires, when the server knows. */
  readonly tokenExpiresIn: number | null;
  readonly features: Readonly<Dict>;
}

/**
 * Reads `server_ready.p` (`{ message, details: {...} }`).
 *
 * @example
 * ```ts
 * readServerReady({ details: { connection_id: 'c1', token_expires_in: 3600 } }).tokenExpiresIn; // 3600
 * ```
 */
export function readServerReady(payload: unknown): ServerReady {
  const p = isDict(payload) ? payload : {};
  const d = isDict(p.details) ? p.details : p;
  return {
    connectionId: str(d.connection_id),
    userId: str(d.user_id),
    serverTime: num(d.server_time),
    tokenExpiresIn: num(d.token_expires_in),
    features: isDict(d.features) ? d.features : {},
  };
}

/**
 * The useful part of `server_hello`.
 *
 * @example
 * ```ts
 * const hello: ServerHello = readServerHello(env.p);
 * ```
 */
export interface ServerHello {
  readonly serverVersion: string | null;
  readonly protocolVersion: number;
  readonly features: Readonly<Dict>;
  readonly limits: Readonly<Record<string, number>>;
  readonly pingIntervalMs: number;
  readonly connectionId: string | null;
  readonly encryptionPublicKey: string | null;
  readonly encryptionSignature: string | null;
}

/**
 * Reads `server_hello.p`, with defaults for what is missing.
 *
 * @example
 * ```ts
 * readServerHello({ ping_interval: 10_000 }).pingIntervalMs; // 10000
 * ```
 */
export function readServerHello(payload: unknown): ServerHello {
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
    encryptionSignature: str(p.encryption_signature),
  };
}

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
  const { generateKeyPair, exportPublicKey } = await loadCrypto();
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
  return typeof key === 'string' ? (await loadCrypto()).importIdentityPublicKey(key) : key;
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
  let crypto: Awaited<ReturnType<typeof loadCrypto>>;
  try {
    crypto = await loadCrypto();
  } catch (cause) {
    throw keyExchangeFailed('cannot load the WebCrypto helpers', cause);
  }
  const { deriveSessionKey, importPublicKey, verifyIdentity } = crypto;
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
