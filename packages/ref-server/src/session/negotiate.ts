/** Feature flags as docs-site/protocol §3 names them. */
export interface Features {
  compression: boolean;
  encryption: boolean;
  recovery: boolean;
  presence: boolean;
  msgpack: boolean;
  batching: boolean;
  cluster: boolean;
  /** E2E scheme (docs-site/protocol §6): present in `server_hello` when encryption is on; 2 when both sides asked. */
  encryption_version?: 1 | 2;
}

/** A validated `client_hello` payload. */
export interface ClientHello {
  clientVersion?: string;
  protocolVersion: number;
  features: { compression: boolean; encryption: boolean; msgpack: boolean; batching: boolean };
  /** `features.encryption_version` (docs-site/protocol §6): 2 asks for the replay-proof scheme; else 1. */
  encryptionVersion: 1 | 2;
  encryptionPublicKey?: string;
  token?: string;
}

/** Base64 of a 65-byte point is 88 characters; anything much longer is not a key. */
const MAX_KEY_CHARS = 128;
const MAX_TOKEN_CHARS = 8192;

/**
 * Validates a `client_hello` payload. Missing features default to off except compression and
 * batching, which every client must decode anyway (docs-site/protocol §2, §7). Returns a message on error.
 *
 * @example
 * parseClientHello({ protocol_version: 1, features: { msgpack: true } }); // { ok: true, hello: {...} }
 */
export function parseClientHello(
  p: Record<string, unknown>,
): { ok: true; hello: ClientHello } | { ok: false; message: string } {
  const version = p.protocol_version ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { ok: false, message: 'client_hello.protocol_version must be an integer >= 1' };
  }
  const f = p.features ?? {};
  if (typeof f !== 'object' || f === null || Array.isArray(f)) {
    return { ok: false, message: 'client_hello.features must be an object' };
  }
  const features = f as Record<string, unknown>;
  const key = p.encryption_public_key;
  if (key !== undefined && key !== null && (typeof key !== 'string' || key.length > MAX_KEY_CHARS)) {
    return { ok: false, message: 'client_hello.encryption_public_key must be a base64 P-256 point' };
  }
  const token = p.token;
  if (token !== undefined && (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS)) {
    return { ok: false, message: 'client_hello.token must be a string' };
  }
  const hello: ClientHello = {
    protocolVersion: version,
    features: {
      compression: features.compression !== false,
      encryption: features.encryption === true || typeof key === 'string',
      msgpack: features.msgpack === true,
      batching: features.batching !== false,
    },
    encryptionVersion: features.encryption_version === 2 ? 2 : 1,
  };
  if (typeof p.client_version === 'string') hello.clientVersion = p.client_version.slice(0, 64);
  if (typeof key === 'string' && key.length > 0) hello.encryptionPublicKey = key;
  if (typeof token === 'string') hello.token = token;
  return { ok: true, hello };
}

/** What the server offers (`server_ready.details.features`). */
export function serverFeatures(o: { recovery: boolean; presence: boolean; cluster?: boolean }): Features {
  return {
    compression: true,
    encryption: true,
    recovery: o.recovery,
    presence: o.presence,
    msgpack: true,
    batching: true,
    cluster: o.cluster ?? false,
  };
}

/** The features both sides use on this connection (`server_hello.features`). */
export function negotiateFeatures(
  server: Features,
  hello: ClientHello,
  state: { encrypted: boolean; msgpack: boolean },
): Features {
  const features: Features = {
    ...server,
    compression: server.compression && hello.features.compression,
    encryption: state.encrypted,
    msgpack: state.msgpack,
    batching: server.batching && hello.features.batching,
  };
  if (state.encrypted) features.encryption_version = hello.encryptionVersion;
  return features;
}

export interface HelloLimits {
  maxMessageSize: number;
  rateLimit: { capacity: number; refillPerSec: number };
  maxSubscriptions: number;
}

/**
 * Builds the `server_hello` payload (docs-site/protocol §3.5).
 *
 * @example
 * buildServerHello({ serverVersion: '0.1.0', hello, features, limits, pingInterval: 25000, connectionId: 'c1', now: Date.now() });
 */
export function buildServerHello(a: {
  serverVersion: string;
  hello: ClientHello;
  features: Features;
  limits: HelloLimits;
  pingInterval: number;
  connectionId: string;
  now: number;
  publicKey?: string;
  signature?: string;
}): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    server_version: a.serverVersion,
    protocol_version: Math.min(1, a.hello.protocolVersion),
    features: a.features,
    limits: {
      max_message_size: a.limits.maxMessageSize,
      rate_limit_capacity: a.limits.rateLimit.capacity,
      rate_limit_refill: a.limits.rateLimit.refillPerSec,
      max_subscriptions: a.limits.maxSubscriptions,
    },
    ping_interval: a.pingInterval,
    connection_id: a.connectionId,
    server_time: a.now,
  };
  if (a.publicKey) payload.encryption_public_key = a.publicKey;
  if (a.signature) payload.encryption_signature = a.signature;
  return payload;
}

/** `server_ready.p` (docs-site/protocol §3.3). */
export function buildServerReady(a: {
  connectionId: string;
  userId?: string;
  now: number;
  tokenExpiresAt?: number;
  features: Features;
}): Record<string, unknown> {
  const details: Record<string, unknown> = {
    version: 1,
    connection_id: a.connectionId,
    server_time: a.now,
    features: a.features,
  };
  if (a.userId) details.user_id = a.userId;
  if (a.tokenExpiresAt !== undefined) {
    details.token_expires_in = Math.max(0, Math.floor((a.tokenExpiresAt - a.now) / 1000));
  }
  return { message: 'Connected', details };
}
