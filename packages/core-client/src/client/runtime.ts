/**
 * The client's insides: builds the parts (driver, topics, presence, requests, outbound, quality),
 * routes inbound envelopes, keeps the snapshot and emits events. `WSEClient` is the public face
 * over it. Data flows one way: driver → inbound routing → recovery filter → events.
 *
 * @module
 */

import { ConnectionDriver, type DriverHooks } from '../connection/driver';
import { AUTH_FAILED_CLOSE, type ConnectionState, TOKEN_EXPIRED_CLOSE } from '../connection/machine';
import { EndpointPool } from '../endpoints/endpoint-pool';
import { OfflineQueue } from '../offline/offline-queue';
import { PresenceManager } from '../presence/presence-manager';
import type { ErrorCodeValue } from '../protocol/codes';
import { type Envelope, uuidv7 } from '../protocol/envelope';
import {
  AuthError,
  type AuthErrorCode,
  type ClientErrorCodeValue,
  ServerError,
  TransportError,
  WSEError,
} from '../protocol/errors';
import type { QualityMonitor } from '../quality/quality-monitor';
import { TokenProvider } from '../session/token-provider';
import { Emitter } from './emitter';
import { EventStream } from './event-stream';
import { CLIENT_DEFAULTS, type ResolvedOptions, resolveOptions } from './options';
import { Outbound } from './outbound';
import { RequestManager } from './request-manager';
import { signingHook } from './signing-hook';
import { SnapshotStore } from './snapshot-store';
import { TopicManager } from './topic-manager';
import type { ClientMessage, ClientOptions, ClientSnapshot, SessionInfo } from './types';

const ignore = (): void => {};

/** Event names of the client itself: application messages of these types go to `'*'` only. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  'state',
  'error',
  'presence',
  'recovery_failed',
  'quality',
  'queue_drop',
  'connected',
  'disconnected',
  '*',
]);

/** Protocol frames handled inside the client, never delivered as application messages. */
const INTERNAL = new Set(['server_ready', 'server_hello', 'client_hello', 'auth_refreshed', 'config_update']);

const AUTH_CODES = new Set(['AUTH_FAILED', 'AUTH_REQUIRED', 'AUTH_EXPIRED']);

function toMessage(env: Envelope): ClientMessage {
  return {
    type: env.t,
    payload: env.p,
    topic: env.tp,
    id: env.id,
    ts: env.ts,
    cid: env.cid,
    category: env.c,
    priority: env.pri,
    epoch: env.e,
    offset: env.o,
  };
}

/**
 * The snapshot of a client that has not connected: what a new client starts with, and what
 * bindings render on the server (`getServerSnapshot`) so server HTML and hydration agree.
 *
 * @example
 * ```ts
 * useSyncExternalStore(client.subscribe, client.getSnapshot, () => IDLE_SNAPSHOT);
 * ```
 */
export const IDLE_SNAPSHOT: ClientSnapshot = Object.freeze({
  state: 'idle',
  endpoint: null,
  connectionId: null,
  userId: null,
  topics: Object.freeze([]) as readonly string[],
  quality: 'unknown',
  latency: Object.freeze({ last: null, avg: null, p95: null }),
  queued: 0,
  circuit: 'closed',
  lastError: null,
  encrypted: false,
});

/**
 * Internal composition root of a client.
 *
 * @example
 * ```ts
 * const rt = new ClientRuntime({ endpoints: ['ws://127.0.0.1:5007/wse'] });
 * rt.driver.dispatch({ type: 'CONNECT' });
 * ```
 */
export class ClientRuntime {
  readonly emitter = new Emitter();
  readonly store: SnapshotStore<ClientSnapshot>;
  readonly resolved: ResolvedOptions;
  readonly driver: ConnectionDriver;
  readonly pool: EndpointPool;
  readonly topics: TopicManager;
  readonly presence: PresenceManager;
  readonly requests: RequestManager<Envelope>;
  readonly outbound: Outbound;
  readonly queue: OfflineQueue | null;
  /**
   * RTT, jitter and loss → quality level → adaptive settings: a lazy chunk. Its first input is a
   * PONG, a ping interval after `server_hello`, so it is fetched when a session comes up; the
   * odd sample that beats it (or a failed fetch, retried on the next session) is not counted.
   */
  #quality?: QualityMonitor;
  #adaptive?: typeof import('../quality/quality-monitor').adaptiveSettings;
  #loadingQuality = false;
  readonly stream = new EventStream<ClientMessage>();
  readonly restored: Promise<void>;
  session: SessionInfo | null = null;
  #compressionAsked = false;

  constructor(readonly options: ClientOptions) {
    const r = resolveOptions(options);
    this.resolved = r;
    this.store = new SnapshotStore(IDLE_SNAPSHOT, (e) => this.emitError(e, 'HANDLER_ERROR'));
    const D = CLIENT_DEFAULTS;
    const breaker = { ...options.circuitBreaker };
    // One endpoint: there is nowhere else to go, so an open breaker would only stall recovery.
    // Its wait never exceeds the backoff's max delay.
    if (new Set(r.endpoints).size === 1) {
      const { maxMs = D.backoffMaxMs } = options.reconnect || {};
      breaker.resetTimeoutMs = Math.min(breaker.resetTimeoutMs ?? D.breakerResetTimeoutMs, maxMs);
    }
    this.pool = new EndpointPool(
      r.endpoints,
      { strategy: options.endpointStrategy ?? 'priority', breaker },
      r.clock,
      r.random,
    );
    if (!this.pool.ready) void this.pool.load(); // fetched early: the first attempt waits for it
    this.requests = new RequestManager(r.clock, () => uuidv7(r.clock.now()));
    this.queue = this.#createQueue(r);
    this.restored = this.queue ? this.queue.restore().catch(() => {}) : Promise.resolve();
    this.outbound = new Outbound(this.queue, r.clock, {
      canSend: () => this.driver.canSend,
      transmit: (env, lost) => this.driver.send(env, lost),
      onQueued: (queued) => this.store.update({ queued }),
      onError: (err) => this.emitError(err),
    });
    this.topics = new TopicManager({
      send: (env) => this.trySend(env),
      newId: () => uuidv7(r.clock.now()),
      onTopics: (topics) => this.store.update({ topics }),
      onRecoveryFailed: (ev) => this.emitSafe('recovery_failed', ev),
      onSubscribed: (topics) => {
        for (const t of topics) if (this.presence.isTracked(t)) this.presence.sync(t);
      },
      timer: (fn, ms) => {
        const handle = r.clock.setTimeout(fn, ms);
        return () => r.clock.clearTimeout(handle);
      },
      recoveryTimeoutMs: () => this.requestTimeout(),
      maxTopicsPerRequest: () => this.session?.limits.max_subscriptions,
    });
    this.presence = new PresenceManager({
      query: (topic, cursor) => this.query('presence', { topic, cursor }),
      emit: (ev) => this.emitSafe('presence', ev),
      onError: (err) => this.emitError(err, 'SERVER_ERROR'),
    });
    this.driver = this.#createDriver(r);
    void this.restored.then(() => this.outbound.flush());
  }

  #createQueue(r: ResolvedOptions): OfflineQueue | null {
    const o = this.options.offline;
    if (o === false || r.storage === null) return null;
    return new OfflineQueue(
      {
        maxSize: o?.maxSize ?? CLIENT_DEFAULTS.queueMaxSize,
        maxAgeMs: o?.maxAgeMs ?? CLIENT_DEFAULTS.queueMaxAgeMs,
        storage: r.storage,
        onDrop: (message, reason) => this.emitSafe('queue_drop', { message, reason }),
        onError: (err) => this.emitError(err, 'STORAGE_ERROR'),
      },
      r.clock,
    );
  }

  #createDriver(r: ResolvedOptions): ConnectionDriver {
    const o = this.options;
    const D = CLIENT_DEFAULTS;
    const reconnect = o.reconnect === false ? undefined : o.reconnect;
    const encryption = o.encryption;
    return new ConnectionDriver(
      {
        clock: r.clock,
        random: r.random,
        pool: this.pool,
        tokens: new TokenProvider(o.token),
        environment: r.environment,
        tokenInHeader: r.tokenInHeader,
        connectTimeoutMs: o.connectTimeoutMs ?? D.connectTimeoutMs,
        backoff: { baseMs: reconnect?.baseMs ?? D.backoffBaseMs, maxMs: reconnect?.maxMs ?? D.backoffMaxMs },
        reconnect: o.reconnect !== false,
        maxAttempts: reconnect?.maxAttempts,
        identityKey: typeof encryption === 'object' ? encryption.serverIdentityKey : undefined,
        session: {
          transport: r.transport,
          clientVersion: o.clientVersion ?? D.clientVersion,
          msgpack: o.format === 'msgpack',
          compressionThreshold: o.compressionThreshold ?? D.compressionThreshold,
          maxMessageSize: o.maxMessageSize ?? D.maxMessageSize,
          encryption: encryption ? {} : null,
          keyRotationIntervalMs: o.keyRotationIntervalMs,
          pingIntervalMs: o.heartbeat?.pingIntervalMs,
          deadGraceMs: o.heartbeat?.deadGraceMs ?? D.deadGraceMs,
          tokenRefreshAheadMs: o.tokenRefreshAheadMs ?? D.tokenRefreshAheadMs,
          sign: o.signing && signingHook(o.signing, () => r.clock.now()),
        },
      },
      {
        onState: (state) => this.#onState(state),
        onUp: (info) => this.#onUp(info),
        onDown: (code, reason) => this.#onDown(code, reason),
        onEnvelope: (env) => this.route(env),
        onError: (err) => this.emitError(err),
        onClose: (code, reason) => this.#onSocketClose(code, reason),
        onEndpoint: (endpoint) => this.store.update({ endpoint, circuit: this.#circuitOf(endpoint) }),
        onRtt: (ms) => this.#feedQuality((q) => q.recordRtt(ms)),
        onLoss: () => this.#feedQuality((q) => q.recordLoss()),
        onTokenRefreshed: (tokenExpiresIn) => {
          if (this.session) this.session = { ...this.session, tokenExpiresIn };
        },
      },
    );
  }

  #circuitOf(endpoint: string | null): ClientSnapshot['circuit'] {
    return (endpoint && this.pool.circuit(endpoint)) || 'closed';
  }

  /** Sends a protocol envelope when connected; `false` otherwise. */
  trySend(env: Envelope): boolean {
    if (!this.driver.canSend) return false;
    try {
      this.driver.send(env);
      return true;
    } catch (err) {
      this.emitError(err);
      return false;
    }
  }

  /** A request that is never queued (protocol queries). */
  query(type: string, payload: Record<string, unknown>, timeoutMs?: number): Promise<Envelope> {
    const { cid, promise } = this.requests.create(timeoutMs ?? this.requestTimeout(), type);
    if (!this.trySend({ c: 'WSE', t: type, p: payload, cid, id: uuidv7(this.resolved.clock.now()) })) {
      this.requests.reject(cid, new TransportError('NOT_CONNECTED', `cannot send ${type}: not connected`));
    }
    return promise;
  }

  requestTimeout(): number {
    return this.options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs;
  }

  #onState(state: ConnectionState): void {
    const endpoint = this.driver.currentEndpoint;
    this.store.update({ state, circuit: this.#circuitOf(endpoint) });
    if (state === 'failed' && this.driver.context.failReason === 'auth' && !this.#isAuthError()) {
      this.store.update({ lastError: new AuthError('AUTH_FAILED', 'authentication failed') });
    }
    this.emitSafe('state', state, this.store.getSnapshot());
  }

  #onUp(info: Parameters<DriverHooks['onUp']>[0]): void {
    const { ready, hello } = info;
    this.session = {
      endpoint: info.endpoint,
      connectionId: hello.connectionId ?? ready.connectionId,
      userId: ready.userId,
      serverVersion: hello.serverVersion,
      protocolVersion: hello.protocolVersion,
      features: { ...ready.features, ...hello.features },
      limits: hello.limits,
      pingIntervalMs: hello.pingIntervalMs,
      tokenExpiresIn: ready.tokenExpiresIn,
      encrypted: info.encrypted,
    };
    this.#compressionAsked = false;
    this.#quality?.reset();
    if (!this.#quality && !this.#loadingQuality) {
      this.#loadingQuality = true;
      import('../quality/quality-monitor')
        .then((m) => {
          this.#quality = new m.QualityMonitor();
          this.#adaptive = m.adaptiveSettings;
        }, ignore)
        .finally(() => {
          this.#loadingQuality = false;
        });
    }
    this.store.update({
      connectionId: this.session.connectionId,
      userId: this.session.userId,
      encrypted: info.encrypted,
      lastError: null,
    });
    this.topics.resubscribeAll();
    this.outbound.resume(); // rate limits are per connection
    this.emitSafe('connected', this.session);
  }

  #onDown(code: number, reason: string): void {
    this.topics.sessionDown();
    this.presence.sessionDown();
    this.emitSafe('disconnected', { code, reason });
  }

  /**
   * An auth close keeps what the server said: its `error` frame (code and message, e.g.
   * `AUTH_REQUIRED` / `token is malformed`) arrived just before the close and is already
   * `lastError`. Without one, the close reason names the code when it is one (our server sends
   * `AUTH_REQUIRED` as the reason), else the close code decides.
   */
  #onSocketClose(code: number, reason: string): void {
    if ((code !== AUTH_FAILED_CLOSE && code !== TOKEN_EXPIRED_CLOSE) || this.#isAuthError()) return;
    const named = AUTH_CODES.has(reason) ? (reason as AuthErrorCode) : undefined;
    const c = named ?? (code === AUTH_FAILED_CLOSE ? 'AUTH_FAILED' : 'AUTH_EXPIRED');
    this.store.update({ lastError: new AuthError(c, reason || `closed with ${code}`) });
  }

  /** `lastError` is an auth error from this attempt (cleared when a session comes up). */
  #isAuthError(): boolean {
    return this.store.getSnapshot().lastError instanceof AuthError;
  }

  #feedQuality(record: (q: QualityMonitor) => void): void {
    const q = this.#quality;
    if (!q || !this.#adaptive) return;
    record(q);
    const before = this.store.getSnapshot();
    const level = q.level;
    const l = q.latency();
    const same =
      l.last === before.latency.last && l.avg === before.latency.avg && l.p95 === before.latency.p95;
    this.store.update({ quality: level, ...(same ? {} : { latency: l }) });
    if (level === before.quality) return;
    const s = this.#adaptive(level);
    this.outbound.setBatching(s.batchIntervalMs, s.maxBatchSize);
    if (s.requestCompression && !this.#compressionAsked && this.session?.features.compression !== false) {
      this.#compressionAsked = this.trySend({ c: 'WSE', t: 'config_update', p: { compression: true } });
    }
    this.emitSafe('quality', { level, previous: before.quality, latency: l });
  }

  /** Routes one inbound envelope (after decoding, before events). */
  route(env: Envelope): void {
    if (INTERNAL.has(env.t)) return;
    switch (env.t) {
      case 'error':
        this.#onServerError(env);
        return;
      case 'subscription_update':
      case 'subscription':
        this.topics.handleReply(env);
        return;
      case 'rate_limit_warning':
        this.#onRateWarning(env.p);
        return;
      case 'presence_join':
      case 'presence_leave':
      case 'presence_update':
        this.presence.handleEvent(env);
        return;
    }
    if (this.requests.resolve(env.cid, env)) return;
    if (this.topics.filter(env) !== 'deliver') return;
    this.#deliver(toMessage(env));
  }

  #deliver(msg: ClientMessage): void {
    if (!RESERVED_EVENTS.has(msg.type)) this.emitSafe(msg.type, msg);
    this.emitSafe('*', msg);
    this.stream.push(msg);
  }

  #onServerError(env: Envelope): void {
    const err = ServerError.fromPayload(env.p);
    if (err.code === 'RATE_LIMITED') this.outbound.hold(seconds(env.p.retry_after, 1) * 1000);
    // An auth error is reported as an AuthError with the server's own code and message, and it
    // stays `lastError` through the close that follows (see #onSocketClose).
    const reported = AUTH_CODES.has(err.code)
      ? new AuthError(err.code as AuthErrorCode, err.message, { cause: err })
      : err;
    if (env.cid && !this.requests.reject(env.cid, err)) this.topics.fail(env.cid, err);
    this.emitError(reported);
  }

  #onRateWarning(p: Record<string, unknown>): void {
    const refill = this.session?.limits.rate_limit_refill ?? 100;
    this.outbound.pace(Math.max(1000, seconds(p.retry_after, 1) * 1000), refill * 0.8);
  }

  /** Emits to listeners; a throwing listener becomes an `'error'` event, never a broken loop. */
  emitSafe(event: string, ...args: unknown[]): void {
    for (const listener of this.emitter.take(event)) {
      try {
        listener(...args);
      } catch (error) {
        if (event === 'error') continue; // an error listener that throws is not re-reported
        this.emitError(error, 'HANDLER_ERROR');
      }
    }
  }

  /** Records `lastError` and emits `'error'`; anything not a `WSEError` is wrapped with `code`. */
  emitError(error: unknown, code: ClientErrorCodeValue | ErrorCodeValue = 'CLIENT_ERROR'): void {
    const err = error instanceof WSEError ? error : new WSEError(code, String(error), { cause: error });
    this.store.update({ lastError: err });
    this.emitSafe('error', err);
  }
}

/** A `retry_after` in seconds, at most 60: a hostile `1e308` must not hold sends forever. */
function seconds(v: unknown, fallback: number): number {
  return typeof v === 'number' && v >= 0 ? Math.min(v, 60) : fallback;
}
