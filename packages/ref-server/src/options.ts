import type { Logger } from 'pino';
import { type SignatureRequirement, signatureOptionProblem } from './auth/signature';
import { type AuthOptions, TokenVerifier } from './auth/token-verifier';
import {
  type ClusterOptions,
  type ResolvedClusterOptions,
  resolveClusterOptions,
} from './cluster/cluster-options';
import {
  type EngineOptions,
  type ResolvedEngineOptions,
  resolveEngineOptions,
} from './engine/engine-options';
import { type RecoveryOptions, resolveRecoveryOptions } from './recovery/recovery-options';
import { type Clock, serverClock } from './server-clock';
import { checkPublishPolicy, type PublishPolicy } from './topics/publish-policy';

/**
 * Bytes an HS256 secret needs outside dev mode (RFC 7518 §3.2: a key at least as long as the
 * hash). The CLI refuses a shorter one; the API logs an error at start.
 *
 * @example
 * Buffer.byteLength(secret) >= MIN_SECRET_BYTES;
 */
export const MIN_SECRET_BYTES = 32;

/** What the server knows about a connection; handed to hooks and returned by `connectionInfo`. */
export interface ConnectionInfo {
  id: string;
  userId: string;
  /** True when the user id was generated (no auth). */
  anonymous: boolean;
  topics: string[];
  format: 'json' | 'msgpack';
  encrypted: boolean;
  /** With E2E: the scheme version (docs-site/protocol §6) and how many key rotations completed. */
  e2e?: { version: 1 | 2; rotations: number };
  /** Epoch ms. */
  connectedAt: number;
  /** Token expiry, epoch ms. */
  tokenExpiresAt?: number;
  claims: Record<string, unknown>;
  remoteAddress: string;
}

/** Presence option group (implemented by the presence store). */
export interface PresenceOptions {
  enabled?: boolean;
  /** [4096] largest presence data, UTF-8 bytes of its JSON → PRESENCE_DATA_TOO_LARGE */
  maxDataSize?: number;
  /** [0 = unlimited] distinct users per topic → PRESENCE_FULL */
  maxMembers?: number;
}

/**
 * Options of `new WSEServer(options)`. Every field is optional; defaults are in brackets.
 *
 * @example
 * new WSEServer({ port: 0, auth: { secret: process.env.JWT_SECRET }, publishPolicy: [{ topics: 'chat.*', allow: true }] });
 */
export interface WSEServerOptions {
  /** ['0.0.0.0'; --dev forces 127.0.0.1] */
  host?: string;
  /** [5007; 0 = any free port, read back with `server.port`] */
  port?: number;
  /** WebSocket path [/wse] */
  path?: string;
  /** [10 000] upgrades past it are closed with 4503 */
  maxConnections?: number;
  /** bytes [1 MiB] larger frames close with 1009 */
  maxMessageSize?: number;
  /** undefined = anonymous with a loud warning; false = anonymous, explicitly */
  auth?: AuthOptions | false;
  /** ms [25 000] */
  pingInterval?: number;
  /** ms [60 000] a connection silent this long is closed with 1000 */
  idleTimeout?: number;
  /** inbound token bucket per connection [100 000 / 10 000 per s] */
  rateLimit?: { capacity?: number; refillPerSec?: number };
  /** bytes [1 MiB] unsent bytes past which publications are skipped */
  maxBackpressure?: number;
  /** ms [5000] how long a connection may stay over `maxBackpressure` before 4008 */
  slowConsumerGraceMs?: number;
  /** [128] */
  maxSubscriptionsPerConnection?: number;
  /** [100 000] topics with subscribers on this node; a client subscribe past it → TOO_MANY_SUBSCRIPTIONS */
  maxTopics?: number;
  /** bytes [1024] JSON larger than this goes out as `C:` */
  compressionThreshold?: number;
  /** [131 072] bound of the queue behind `events()` / `drainInbound()` */
  maxInboundQueueSize?: number;
  /** client `publish` ['deny'] */
  publishPolicy?: PublishPolicy;
  /** extra per-topic check after the token's `wse_topics` ACL */
  authorizeSubscribe?: (conn: ConnectionInfo, topic: string) => boolean | Promise<boolean>;
  /** refuse application frames from connections without E2E [false] */
  requireEncryption?: boolean;
  /** long-term ECDSA P-256 key that signs the E2E handshake (and every rotation's new key) */
  identityKey?: CryptoKeyPair;
  /** message signing (docs-site/protocol §6): these types need a valid `sig` before the app sees them [off] */
  requireSignatures?: SignatureRequirement;
  /** ms [0 = off]: ask E2E clients to rotate their keys (`e2e_rekey_request`) this often */
  keyRotationIntervalMs?: number;
  recovery?: Partial<RecoveryOptions>;
  presence?: PresenceOptions;
  /** guards POST /api/publish and /api/broadcast */
  apiKey?: string;
  staticDir?: string;
  /** local-only mode: binds 127.0.0.1, serves POST /dev/token */
  dev?: boolean;
  /** ['silent' under vitest, else 'info'] */
  logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  logger?: Logger;
  // ── engine (Redis engine, issue 14) ──
  /** exactly one per server [{ type: 'memory' }]; `{ type: 'redis', url, prefix? ['wse'] }` */
  engine?: EngineOptions;
  // ── cluster (issue 12) ──
  /** turns on the mesh engine: node-to-node links, interest routing, gossip (see README "Cluster") */
  cluster?: ClusterOptions;
  /**
   * [false] share the port with other processes (SO_REUSEPORT). Only `--workers` sets it: a single
   * server binds its port exclusively, so a second server on a used port fails instead of silently
   * splitting the connections.
   */
  reusePort?: boolean;
  /**
   * [real time] every timer and timestamp of the server (sweeps, auth deadline, drain); tests pass
   * `ManualClock` from `@wse/core-client/testing` to run them on simulated time.
   */
  clock?: Clock;
}

/** Options after defaults; what the runtime reads. */
export interface ResolvedOptions {
  host: string;
  port: number;
  path: string;
  maxConnections: number;
  maxMessageSize: number;
  auth: AuthOptions | false | undefined;
  /** Built from `auth` at construction (so a bad key fails early); undefined = anonymous. */
  verifier?: TokenVerifier;
  pingInterval: number;
  idleTimeout: number;
  rateLimit: { capacity: number; refillPerSec: number };
  maxBackpressure: number;
  slowConsumerGraceMs: number;
  maxSubscriptionsPerConnection: number;
  maxTopics: number;
  compressionThreshold: number;
  maxInboundQueueSize: number;
  publishPolicy: PublishPolicy;
  authorizeSubscribe?: WSEServerOptions['authorizeSubscribe'];
  requireEncryption: boolean;
  identityKey?: CryptoKeyPair;
  requireSignatures?: SignatureRequirement;
  keyRotationIntervalMs: number;
  recovery: RecoveryOptions;
  presence: Required<PresenceOptions>;
  apiKey?: string;
  staticDir?: string;
  dev: boolean;
  logLevel: NonNullable<WSEServerOptions['logLevel']>;
  logger?: Logger;
  // ── engine (Redis engine, issue 14) ──
  engine: ResolvedEngineOptions;
  // ── cluster (issue 12) ──
  cluster?: ResolvedClusterOptions;
  reusePort: boolean;
  clock: Clock;
}

/** Thrown by `new WSEServer()` for a bad option; `option` names it. */
export class InvalidOptionError extends Error {
  readonly code = 'INVALID_OPTION';
  constructor(
    readonly option: string,
    problem: string,
  ) {
    super(`Invalid option "${option}": ${problem}`);
    this.name = 'InvalidOptionError';
  }
}

/** Recovery when no `recovery` group is given: off, with the store's defaults otherwise. */
export const DEFAULT_RECOVERY: RecoveryOptions = { ...resolveRecoveryOptions({}), enabled: false };

const MiB = 1024 * 1024;
const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'];

type NumberRule = { min: number; max?: number; integer?: boolean; allowInfinity?: boolean };

function num(name: string, value: unknown, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (Number.isFinite(value) || (rule.allowInfinity && value === Infinity)) &&
    (!rule.integer || !Number.isFinite(value) || Number.isInteger(value)) &&
    value >= rule.min &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const range = rule.max === undefined ? `>= ${rule.min}` : `between ${rule.min} and ${rule.max}`;
    throw new InvalidOptionError(name, `must be ${kind} ${range} (got ${String(value)})`);
  }
  return value;
}

function str(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '')
    throw new InvalidOptionError(name, 'must be a non-empty string');
  return value;
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new InvalidOptionError(name, `must be true or false (got ${String(value)})`);
  return value;
}

function objectOrUndefined(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(name, 'must be an object');
  }
  return value as Record<string, unknown>;
}

function resolveAuth(value: unknown): { auth: AuthOptions | false | undefined; verifier?: TokenVerifier } {
  if (value === undefined || value === false) return { auth: value };
  const auth = objectOrUndefined('auth', value) as AuthOptions;
  num('auth.inBandTimeoutMs', auth.inBandTimeoutMs, 5000, { min: 1 });
  try {
    return { auth, verifier: new TokenVerifier(auth) };
  } catch (err) {
    throw new InvalidOptionError('auth', (err as Error).message);
  }
}

/** A given `recovery` group turns recovery on unless it says `enabled: false`; absent = off. */
function resolveRecovery(value: unknown): RecoveryOptions {
  if (value === undefined) return { ...DEFAULT_RECOVERY };
  const given = objectOrUndefined('recovery', value) as Partial<RecoveryOptions>;
  try {
    return resolveRecoveryOptions({ ...given, enabled: given.enabled ?? true });
  } catch (err) {
    const message = (err as Error).message;
    const option = /^(recovery\.\w+)/.exec(message)?.[1] ?? 'recovery';
    throw new InvalidOptionError(option, message.replace(/^recovery\.\w+ /, ''));
  }
}

/** Like recovery: a given `presence` group turns presence on unless it says `enabled: false`. */
function resolvePresence(value: unknown): Required<PresenceOptions> {
  const p = objectOrUndefined('presence', value);
  return {
    enabled: bool('presence.enabled', p.enabled, value !== undefined),
    // The store's rules: data ≥ 4 bytes (`null`), members 0 = unlimited (the default, issue 5).
    maxDataSize: num('presence.maxDataSize', p.maxDataSize, 4096, { min: 4, integer: true }),
    maxMembers: num('presence.maxMembers', p.maxMembers, 0, { min: 0, integer: true }),
  };
}

function resolveFunctions(o: WSEServerOptions): void {
  if (o.authorizeSubscribe !== undefined && typeof o.authorizeSubscribe !== 'function') {
    throw new InvalidOptionError(
      'authorizeSubscribe',
      'must be a function (conn, topic) => boolean | Promise<boolean>',
    );
  }
  const key = o.identityKey as Partial<CryptoKeyPair> | undefined;
  if (key !== undefined && (typeof key !== 'object' || !key?.privateKey || !key.publicKey)) {
    throw new InvalidOptionError('identityKey', 'must be an ECDSA P-256 CryptoKeyPair');
  }
}

/**
 * Applies defaults and validates; throws `InvalidOptionError` naming the first bad option.
 *
 * @example
 * resolveOptions({ port: 0 }).path; // '/wse'
 */
export function resolveOptions(
  input: WSEServerOptions = {},
  env: { vitest?: boolean } = {},
): ResolvedOptions {
  const o = objectOrUndefined('options', input) as WSEServerOptions;
  // Exactly one engine per server: the mesh routes between nodes itself, Redis orders through the store.
  if (o.cluster !== undefined && o.engine?.type === 'redis')
    throw new InvalidOptionError(
      'engine',
      'choose one engine: `cluster` (mesh) or `engine: redis`, not both',
    );
  const dev = bool('dev', o.dev, false);
  const path = str('path', o.path, '/wse');
  if (!path.startsWith('/')) throw new InvalidOptionError('path', `must start with "/" (got ${path})`);
  const rate = objectOrUndefined('rateLimit', o.rateLimit);
  const policyProblem = o.publishPolicy === undefined ? null : checkPublishPolicy(o.publishPolicy);
  if (policyProblem) throw new InvalidOptionError('publishPolicy', policyProblem);
  const logLevel = o.logLevel ?? (env.vitest ? 'silent' : 'info');
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new InvalidOptionError(
      'logLevel',
      `must be one of ${LOG_LEVELS.join(', ')} (got ${String(logLevel)})`,
    );
  }
  resolveFunctions(o);
  const sigProblem = o.requireSignatures === undefined ? null : signatureOptionProblem(o.requireSignatures);
  if (sigProblem) throw new InvalidOptionError('requireSignatures', sigProblem);
  return {
    host: dev ? '127.0.0.1' : str('host', o.host, '0.0.0.0'),
    port: num('port', o.port, 5007, { min: 0, max: 65535, integer: true }),
    path,
    maxConnections: num('maxConnections', o.maxConnections, 10_000, { min: 1, integer: true }),
    maxMessageSize: num('maxMessageSize', o.maxMessageSize, MiB, { min: 64, max: 256 * MiB, integer: true }),
    ...resolveAuth(o.auth),
    pingInterval: num('pingInterval', o.pingInterval, 25_000, { min: 10 }),
    idleTimeout: num('idleTimeout', o.idleTimeout, 60_000, { min: 10 }),
    rateLimit: {
      capacity: num('rateLimit.capacity', rate.capacity, 100_000, { min: 1 }),
      refillPerSec: num('rateLimit.refillPerSec', rate.refillPerSec, 10_000, { min: 0 }),
    },
    maxBackpressure: num('maxBackpressure', o.maxBackpressure, MiB, { min: 1024, integer: true }),
    slowConsumerGraceMs: num('slowConsumerGraceMs', o.slowConsumerGraceMs, 5000, { min: 0 }),
    maxSubscriptionsPerConnection: num(
      'maxSubscriptionsPerConnection',
      o.maxSubscriptionsPerConnection,
      128,
      {
        min: 1,
        integer: true,
      },
    ),
    maxTopics: num('maxTopics', o.maxTopics, 100_000, { min: 1, integer: true }),
    compressionThreshold: num('compressionThreshold', o.compressionThreshold, 1024, {
      min: 0,
      allowInfinity: true,
    }),
    maxInboundQueueSize: num('maxInboundQueueSize', o.maxInboundQueueSize, 131_072, {
      min: 1,
      integer: true,
    }),
    publishPolicy: o.publishPolicy ?? 'deny',
    authorizeSubscribe: o.authorizeSubscribe,
    requireEncryption: bool('requireEncryption', o.requireEncryption, false),
    identityKey: o.identityKey,
    requireSignatures: o.requireSignatures,
    keyRotationIntervalMs: num('keyRotationIntervalMs', o.keyRotationIntervalMs, 0, { min: 0 }),
    recovery: resolveRecovery(o.recovery),
    presence: resolvePresence(o.presence),
    apiKey: o.apiKey === undefined ? undefined : str('apiKey', o.apiKey, ''),
    staticDir: o.staticDir === undefined ? undefined : str('staticDir', o.staticDir, ''),
    dev,
    logLevel,
    logger: o.logger,
    // ── engine (Redis engine, issue 14) ──
    engine: resolveEngineOptions(o.engine, (option, problem) => new InvalidOptionError(option, problem)),
    // ── cluster (issue 12) ──
    cluster: resolveClusterOptions(o.cluster, (option, problem) => new InvalidOptionError(option, problem)),
    reusePort: bool('reusePort', o.reusePort, false),
    clock: o.clock ?? serverClock,
  };
}
