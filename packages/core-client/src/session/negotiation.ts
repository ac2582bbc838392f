/**
 * The handshake, as data: build `client_hello`, read `server_ready` and `server_hello`
 * (docs-site/protocol §3), and the E2E key agreement (§6) through the codec's WebCrypto helpers.
 * Readers are lenient about missing fields (defaults) and strict about types (a field of the
 * wrong type is treated as absent), so a hostile server cannot make the client throw here.
 *
 * @module
 */

import { buildEnvelope, type Envelope, PROTOCOL_VERSION } from '../protocol/envelope';
import { WSEError } from '../protocol/errors';

/**
 * Loads the E2E steps (`e2e.ts`: key offer, identity check, session key) and the WebCrypto
 * helpers: a separate chunk, fetched only when an E2E session starts. A failed fetch rejects
 * with `KEY_EXCHANGE_FAILED`.
 *
 * @example
 * ```ts
 * const offer = await (await loadE2E()).createE2EOffer();
 * ```
 */
export const loadE2E = (): Promise<typeof import('./e2e')> =>
  import('./e2e').catch((cause: unknown) => {
    throw new WSEError('KEY_EXCHANGE_FAILED', 'cannot load the WebCrypto helpers', { cause });
  });

/** Default server ping interval when the hello omits it (docs-site/protocol §3.6). */
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
      // docs-site/protocol §6: we ask for the replay-proof scheme (a server that does not answer 2 gets 1).
      encryption_version: input.encryptionPublicKey && 2,
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
