/**
 * Public option, event and snapshot types of the client.
 *
 * @module
 */

import type { ConnectionState } from '../connection/machine';
import type { CircuitState } from '../endpoints/circuit-breaker';
import type { EndpointStrategy } from '../endpoints/endpoint-pool';
import type { Clock } from '../env/clock';
import type { EnvironmentSource } from '../env/environment';
import type { Random } from '../env/random';
import type { QueueDropEvent } from '../offline/offline-queue';
import type { QueueStorage } from '../offline/queue-storage';
import type { ClientPresenceEvent } from '../presence/presence-manager';
import type { Envelope } from '../protocol/envelope';
import type { WSEError } from '../protocol/errors';
import type { LatencyStats, QualityEvent, QualityLevel } from '../quality/quality-monitor';
import type { RecoveryFailedEvent } from '../recovery/recovery-tracker';
import type { TokenSource } from '../session/token-provider';
import type { SigningOptions } from '../signing/signing-options';
import type { TransportFactory } from '../transport/transport';
import type { WebSocketConstructor } from '../transport/websocket-transport';

export type { ConnectionState } from '../connection/machine';
export type { LatencyStats } from '../quality/quality-monitor';

/**
 * A pluggable frame codec for the `M:` format, so `msgpackr` is bundled only by apps that use it.
 *
 * @example
 * ```ts
 * import { msgpackCodec } from '@wse/core-client/msgpack';
 * createClient({ endpoints, format: 'msgpack', msgpack: msgpackCodec });
 * ```
 */
export type FrameFormat = 'json' | 'msgpack';

/**
 * Options of {@link createClient}. Only `endpoints` is required.
 *
 * @example
 * ```ts
 * const options: ClientOptions = {
 *   endpoints: ['wss://a.example.com/wse', 'wss://b.example.com/wse'],
 *   token: () => getJwt(),
 *   topics: ['updates'],
 *   reconnect: { baseMs: 500, maxMs: 20_000 },
 * };
 * ```
 */
export interface ClientOptions {
  /** One URL or several (failover through the endpoint pool). */
  endpoints: string | readonly string[];
  /** The access token (string or function). Omit for anonymous servers. */
  token?: TokenSource;
  /**
   * How the token travels: `header` (`Authorization: Bearer`, Node only), `hello` (in-band in
   * `client_hello`, browsers), `auto` (default: header in Node with the default WebSocket, else
   * in-band).
   */
  tokenTransport?: 'auto' | 'header' | 'hello';
  /** Refresh the token this long before `token_expires_in` runs out; default 30 000 ms (capped at 20 % of the lifetime). */
  tokenRefreshAheadMs?: number;
  /** Topics subscribed on every connect. */
  topics?: readonly string[];
  /** Connect on the first `send`/`subscribe`/`request` when idle; default `true`. */
  lazyConnect?: boolean;
  /** `json` (default) or `msgpack` (`M:` frames after `server_hello`). */
  format?: FrameFormat;
  /** `true` for E2E encryption; `{ serverIdentityKey }` (base64 raw P-256 ECDSA key or a CryptoKey) to pin the server. */
  encryption?: boolean | { serverIdentityKey: string | CryptoKey };
  /**
   * With `encryption`: rotate the E2E keys of a live connection this often (`e2e_rekey`,
   * docs-site/protocol §6); default 3 600 000 ms (1 h), `0` = never (the server may still ask).
   */
  keyRotationIntervalMs?: number;
  /** Reconnect backoff; `false` disables reconnecting. Defaults: 500 ms base, 20 s max, unlimited attempts. */
  reconnect?: false | { baseMs?: number; maxMs?: number; maxAttempts?: number };
  /**
   * Time from opening a socket to `server_hello` for one attempt; default 10 000 ms. After it the
   * client retries: to bound the whole `connect()`, use `connect({ timeoutMs })`.
   */
  connectTimeoutMs?: number;
  /** Own ping interval (default: the server's `ping_interval`) and the dead-socket grace (default 10 000 ms). */
  heartbeat?: { pingIntervalMs?: number; deadGraceMs?: number };
  /** Endpoint selection; default `priority`. */
  endpointStrategy?: EndpointStrategy;
  /** Per-endpoint breaker; defaults: open after 5 failures, probe after 30 000 ms. */
  circuitBreaker?: { failureThreshold?: number; resetTimeoutMs?: number };
  /** Offline queue; `false` disables it (sends while disconnected then reject). */
  offline?:
    | false
    | {
        maxSize?: number /* 1000 */;
        maxAgeMs?: number /* 24 h */;
        storage?: QueueStorage | 'memory' | 'indexeddb';
      };
  /** Outbound frames above this many bytes are sent `C:` (zlib); default 1024; `Infinity` = never. */
  compressionThreshold?: number;
  /** Inbound frames (and what they inflate to) above this are rejected; default 1 MiB. */
  maxMessageSize?: number;
  /** Default `request()` timeout; default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Reported in `client_hello.p.client_version`. */
  clientVersion?: string;
  /**
   * Message signing (docs-site/protocol §6): adds `sig` (HMAC-SHA256 over the canonical JSON of `p`, a
   * timestamp and a nonce) to the listed types, or to every application message with `'all'`.
   * The WebCrypto code is a lazy chunk fetched with the first signed message.
   */
  signing?: SigningOptions;
  /** Injected environment (tests, exotic platforms). */
  env?: ClientEnvironment;
}

/**
 * Everything the client would otherwise take from the platform.
 *
 * @example
 * ```ts
 * const env: ClientEnvironment = { clock: new ManualClock(), random: () => 0.5, environment: new ManualEnvironment() };
 * ```
 */
export interface ClientEnvironment {
  clock?: Clock;
  random?: Random;
  /** A WebSocket constructor (default `isomorphic-ws`). */
  WebSocket?: WebSocketConstructor;
  /** A full transport factory; wins over `WebSocket`. */
  transport?: TransportFactory;
  /** Online/visibility source (default: browser events when `window` exists, else always online). */
  environment?: EnvironmentSource;
  /** `true` when the platform lets the upgrade carry headers (default: detected: Node). */
  supportsHeaders?: boolean;
}

/**
 * An application message as delivered to listeners.
 *
 * @example
 * ```ts
 * client.on('chat_message', (ev: ClientMessage<{ text: string }>) => console.log(ev.topic, ev.payload.text));
 * ```
 */
export interface ClientMessage<P = Record<string, unknown>> {
  readonly type: string;
  readonly payload: P;
  /** The topic of a publication (`tp`). */
  readonly topic?: string;
  readonly id?: string;
  readonly ts?: string;
  readonly cid?: string;
  readonly category: Envelope['c'];
  readonly priority?: number;
  /** Recovery stamp of a topic publication. */
  readonly epoch?: string;
  readonly offset?: number;
}

/**
 * The immutable client snapshot: a new object on every change, the same object otherwise.
 *
 * @example
 * ```ts
 * const { state, topics, queued } = client.getSnapshot();
 * ```
 */
export interface ClientSnapshot {
  readonly state: ConnectionState;
  readonly endpoint: string | null;
  readonly connectionId: string | null;
  readonly userId: string | null;
  readonly topics: readonly string[];
  readonly quality: QualityLevel;
  readonly latency: LatencyStats;
  readonly queued: number;
  readonly circuit: CircuitState;
  readonly lastError: WSEError | null;
  readonly encrypted: boolean;
}

/**
 * What the server said in `server_ready` and `server_hello`.
 *
 * @example
 * ```ts
 * client.on('connected', (info: SessionInfo) => console.log(info.connectionId, info.limits));
 * ```
 */
export interface SessionInfo {
  readonly endpoint: string;
  readonly connectionId: string | null;
  readonly userId: string | null;
  readonly serverVersion: string | null;
  readonly protocolVersion: number;
  readonly features: Readonly<Record<string, unknown>>;
  readonly limits: Readonly<Record<string, number>>;
  readonly pingIntervalMs: number;
  /** Seconds until the token expires, as of `server_ready` (or the last `auth_refreshed`). */
  readonly tokenExpiresIn: number | null;
  readonly encrypted: boolean;
}

/**
 * The client's own events (application messages are delivered under their `type`).
 *
 * @example
 * ```ts
 * const onState: ClientEvents['state'] = (state) => console.log(state);
 * ```
 */
export interface ClientEvents {
  /** The connection state changed. */
  state: (state: ConnectionState, snapshot: ClientSnapshot) => void;
  /** Any error: server `error` frames, decode failures, throwing listeners, transport failures. */
  error: (error: WSEError) => void;
  presence: (event: ClientPresenceEvent) => void;
  recovery_failed: (event: RecoveryFailedEvent) => void;
  quality: (event: QualityEvent) => void;
  queue_drop: (event: QueueDropEvent) => void;
  /** `server_hello` received: the session is up. */
  connected: (info: SessionInfo) => void;
  /** The session ended (the client may reconnect). */
  disconnected: (event: { code: number; reason: string }) => void;
  /** Every application message, whatever its type. */
  '*': (message: ClientMessage) => void;
}

/**
 * Options of {@link WSEClient.send}.
 *
 * @example
 * ```ts
 * client.send('chat_message', { text: 'hi' }, { priority: 8 });
 * ```
 */
export interface SendOptions {
  /** 1 background · 3 low · 5 normal (default) · 8 high · 10 critical. */
  priority?: number;
}

/**
 * Options of {@link WSEClient.request}.
 *
 * @example
 * ```ts
 * await client.request('get_profile', { id: 7 }, { timeoutMs: 5000 });
 * ```
 */
export interface RequestOptions extends SendOptions {
  timeoutMs?: number;
}

/**
 * Options of a topic subscription.
 *
 * @example
 * ```ts
 * await client.subscribe(['room:1'], { presence: { name: 'Ada' } });
 * ```
 */
export interface SubscribeOptions {
  /** Presence data to join with (makes this connection a member). */
  presence?: Record<string, unknown>;
  /** Keep `client.presence(topic)` current without joining; implied by `presence`. */
  trackPresence?: boolean;
  /**
   * Join this queue group on the topics (docs-site/protocol §4): each publication goes to ONE member of the
   * group (round-robin), not to all; such topics are not tracked for recovery (group deliveries
   * are never replayed).
   */
  queueGroup?: string;
}

/**
 * The server's reply to a subscribe/unsubscribe.
 *
 * @example
 * ```ts
 * const reply: SubscriptionResult = await client.subscribe(['a', 'b']);
 * reply.failed.forEach((f) => console.warn(f.topic, f.code));
 * ```
 */
export interface SubscriptionResult {
  readonly success: boolean;
  readonly topics: readonly string[];
  readonly failed: ReadonlyArray<{ topic: string; code: string; message: string }>;
  readonly recovery?: Readonly<
    Record<string, { epoch: string; offset: number; recovered: boolean; count: number }>
  >;
}

/**
 * Options of `client.connect()`: a bounded way to fail when the server is down. Without them,
 * `connect()` waits through every retry (it settles only on `server_hello`, `failed` or `close()`).
 * When a bounded connect rejects, the client stops retrying, as after `close()`.
 *
 * @example
 * ```ts
 * await client.connect({ timeoutMs: 5_000 });   // TimeoutError CONNECT_TIMEOUT after 5 s
 * await client.connect({ failFast: true });     // rejects with the first attempt's error
 * ```
 */
export interface ConnectOptions {
  /** Reject with `TimeoutError` (code `CONNECT_TIMEOUT`) when not connected within this many ms. */
  timeoutMs?: number;
  /** Reject at the first failed attempt (refused, unreachable, closed before `server_hello`). */
  failFast?: boolean;
}
