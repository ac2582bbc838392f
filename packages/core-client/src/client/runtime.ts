/**
 * The client's insides: builds the parts and gives `WSEClient` one intent-level method per public
 * method; the driver's hooks keep the snapshot and emit events. Data flows one way: driver →
 * inbound routing (`inbound-router.ts`) → recovery filter → events.
 *
 * @module
 */

import { ConnectionDriver, type DriverHooks } from '../connection/driver';
import type { ConnectionState } from '../connection/machine';
import type { EndpointPool } from '../endpoints/endpoint-pool';
import type { Clock } from '../env/clock';
import type { OfflineQueue } from '../offline/offline-queue';
import { PresenceManager } from '../presence/presence-manager';
import type { PresenceMembers } from '../presence/presence-state';
import type { ErrorCodeValue } from '../protocol/codes';
import { buildEnvelope, type Envelope, uuidv7 } from '../protocol/envelope';
import { AuthError, type ClientErrorCodeValue, TransportError, WSEError } from '../protocol/errors';
import type { QualityMonitor } from '../quality/quality-monitor';
import { authCloseError } from './auth-close-error';
import { ConnectWaiters } from './connect-waiters';
import { createOfflineQueue } from './create-offline-queue';
import { driverConfig } from './driver-config';
import { Emitter, type EmitterListener } from './emitter';
import { EventStream } from './event-stream';
import { IDLE_SNAPSHOT } from './idle-snapshot';
import { InboundRouter } from './inbound-router';
import { DEFAULT_LINGER_MS, Leases, type RetainOptions } from './leases';
import { CLIENT_DEFAULTS, resolveOptions } from './options';
import { Outbound } from './outbound';
import { RequestManager } from './request-manager';
import { sessionInfo } from './session-info';
import { SnapshotStore, type StoreListener } from './snapshot-store';
import { TopicManager } from './topic-manager';
import type {
  ClientMessage,
  ClientOptions,
  ClientSnapshot,
  ConnectOptions,
  RequestOptions,
  SendOptions,
  SessionInfo,
  SubscribeOptions,
  SubscriptionResult,
} from './types';

const ignore = (): void => {};

// The public entry and older imports take it from here.
export { IDLE_SNAPSHOT } from './idle-snapshot';

/**
 * Internal composition root of a client: one intent-level method per public method of
 * `WSEClient` (which documents them), its parts private. It is the client's event emitter.
 *
 * @example
 * ```ts
 * const rt = new ClientRuntime({ endpoints: ['ws://127.0.0.1:5007/wse'] });
 * await rt.connect();
 * ```
 */
export class ClientRuntime extends Emitter {
  /** What the server said at the last `server_hello` (`null` before the first). */
  session: SessionInfo | null = null;
  readonly #options: ClientOptions;
  readonly #clock: Clock;
  readonly #store: SnapshotStore<ClientSnapshot>;
  readonly #stream = new EventStream<ClientMessage>();
  readonly #driver: ConnectionDriver;
  readonly #pool: EndpointPool;
  readonly #topics: TopicManager;
  readonly #presence: PresenceManager;
  readonly #requests: RequestManager<Envelope>;
  readonly #outbound: Outbound;
  readonly #queue: OfflineQueue | null;
  /**
   * Connection quality, a lazy chunk fetched when a session comes up (its first input is a PONG a
   * ping interval later); a sample that beats it, or a failed fetch (retried next session), is lost.
   */
  #quality?: QualityMonitor;
  #adaptive?: typeof import('../quality/quality-monitor').adaptiveSettings;
  #loadingQuality = false;
  #compressionAsked = false;
  readonly #inbound: InboundRouter;
  readonly #waiters: ConnectWaiters;
  readonly #leases: Leases;

  constructor(options: ClientOptions) {
    super((e) => this.#emitError(e, 'HANDLER_ERROR')); // a throwing listener becomes an 'error' event
    const r = resolveOptions(options);
    const config = driverConfig(options, r);
    this.#options = options;
    this.#clock = r.clock;
    this.#store = new SnapshotStore(IDLE_SNAPSHOT, (e) => this.#emitError(e, 'HANDLER_ERROR'));
    this.#pool = config.pool;
    this.#requests = new RequestManager(r.clock, () => uuidv7(r.clock.now()));
    this.#queue = createOfflineQueue(options, r, this, (err) => this.#emitError(err, 'STORAGE_ERROR'));
    const restored = this.#queue ? this.#queue.restore().catch(ignore) : Promise.resolve();
    this.#outbound = new Outbound(this.#queue, r.clock, {
      canSend: () => this.#driver.canSend,
      transmit: (env, lost) => this.#driver.send(env, lost),
      onQueued: (queued) => this.#store.update({ queued }),
      onError: (err) => this.#emitError(err),
    });
    this.#topics = new TopicManager({
      send: (env) => this.#trySend(env),
      newId: () => uuidv7(r.clock.now()),
      onTopics: (topics) => this.#store.update({ topics }),
      onRecoveryFailed: (ev) => this.emit('recovery_failed', ev),
      onSubscribed: (topics) => {
        for (const t of topics) if (this.#presence.isTracked(t)) this.#presence.sync(t);
      },
      timer: (fn, ms) => {
        const handle = r.clock.setTimeout(fn, ms);
        return () => r.clock.clearTimeout(handle);
      },
      recoveryTimeoutMs: () => this.#requestTimeout(),
      maxTopicsPerRequest: () => this.session?.limits.max_subscriptions,
    });
    this.#presence = new PresenceManager({
      query: (topic, cursor) => this.#query('presence', { topic, cursor }),
      emit: (ev) => this.emit('presence', ev),
      onError: (err) => this.#emitError(err, 'SERVER_ERROR'),
    });
    this.#inbound = new InboundRouter(
      this.#topics,
      this.#presence,
      this.#requests,
      this.#outbound,
      this.#stream,
      this,
    );
    this.#driver = new ConnectionDriver(config, {
      onState: (state) => this.#onState(state),
      onUp: (info) => this.#onUp(info),
      onDown: (code, reason) => this.#onDown(code, reason),
      onEnvelope: (env) => {
        const error = this.#inbound.route(env);
        if (error) this.#emitError(error);
      },
      onError: (err) => this.#emitError(err),
      onClose: (code, reason) => {
        // An auth `error` frame just before the close is already `lastError`, and says more.
        const lastError = this.#isAuthError() ? null : authCloseError(code, reason);
        if (lastError) this.#store.update({ lastError });
      },
      onEndpoint: (endpoint) => this.#store.update({ endpoint, circuit: this.#circuitOf(endpoint) }),
      onRtt: (ms) => this.#feedQuality((q) => q.recordRtt(ms)),
      onLoss: () => this.#feedQuality((q) => q.recordLoss()),
      onTokenRefreshed: (tokenExpiresIn) => {
        if (this.session) this.session = { ...this.session, tokenExpiresIn };
      },
    });
    void restored.then(() => this.#outbound.flush());
    this.#leases = new Leases(r.clock);
    this.#waiters = new ConnectWaiters(this.#store, this);
    if (options.topics && options.topics.length > 0)
      void this.#topics.subscribe(options.topics).catch(ignore);
  }

  /** Calls `handler` for the application messages stamped with `topic`; returns the stop. */
  onTopic<P>(topic: string, handler: (message: ClientMessage<P>) => void): () => void {
    const listener: EmitterListener = (m) => {
      if ((m as ClientMessage).topic === topic) handler(m as ClientMessage<P>);
    };
    this.on('*', listener);
    return () => void this.off('*', listener);
  }

  listen(listener: StoreListener<ClientSnapshot>): () => void {
    return this.#store.subscribe(listener);
  }

  getSnapshot(): ClientSnapshot {
    return this.#store.getSnapshot();
  }

  iterate(): AsyncIterator<ClientMessage> {
    return this.#stream.iterate();
  }

  connect(options: ConnectOptions = {}): Promise<void> {
    if (this.#driver.state === 'connected') return Promise.resolve();
    const done = this.#until('CONNECT');
    if (options.timeoutMs === undefined && !options.failFast) return done;
    // A lazy chunk: only bounded connects need it (keeps the initial browser load small).
    const stop = () => void this.close();
    const clock = this.#clock;
    const started = clock.now(); // the time limit counts from here, not from the chunk's arrival
    done.catch(ignore); // observed by boundConnect once its chunk is in
    return import('./connect-bound').then((m) =>
      m.boundConnect(done, options, clock, this.#store, stop, started),
    );
  }

  reconnect(): Promise<void> {
    return this.#until('RECONNECT');
  }

  #until(type: 'CONNECT' | 'RECONNECT'): Promise<void> {
    this.#stream.reopen();
    const done = this.#waiters.wait();
    this.#driver.dispatch({ type });
    return done;
  }

  async close(): Promise<void> {
    this.#driver.dispatch({ type: 'CLOSE' });
    const err = new TransportError('CLIENT_CLOSED', 'client closed');
    const rejected = this.#requests.cids();
    this.#requests.rejectAll(err);
    this.#outbound.stop();
    // Nobody awaits a rejected request any more: it must not go out after the next connect.
    this.#outbound.discardRequests(rejected);
    this.#stream.end();
    this.#waiters.settle('closed');
    await this.#queue?.flush().catch(ignore);
  }

  retain(options: RetainOptions = {}): () => void {
    return this.#leases.take('', options.lingerMs ?? DEFAULT_LINGER_MS, () => {
      this.connect().catch(ignore);
      return () => void this.close();
    }).release;
  }

  retainTopic(topic: string, options: SubscribeOptions & RetainOptions = {}): () => void {
    const { lingerMs = DEFAULT_LINGER_MS, ...sub } = options;
    const wanted = sub.presence === undefined ? '' : JSON.stringify(sub.presence);
    const { lease, started, release } = this.#leases.take(`t:${topic}`, lingerMs, () => () => {
      this.unsubscribe([topic]).catch(ignore);
    });
    if (started || (wanted !== '' && wanted !== lease.joined)) {
      if (wanted !== '') lease.joined = wanted;
      this.subscribeTopics([topic], sub).catch(ignore);
    } else if (sub.trackPresence) this.trackPresence(topic);
    return release;
  }

  subscribeTopics(topics: readonly string[], options: SubscribeOptions = {}): Promise<SubscriptionResult> {
    const track = options.presence !== undefined || options.trackPresence === true;
    for (const t of topics) if (track) this.#presence.track(t);
    this.#lazyConnect();
    return this.#topics.subscribe(topics, options);
  }

  unsubscribe(topics: readonly string[]): Promise<SubscriptionResult> {
    for (const t of topics) this.#presence.untrack(t);
    return this.#topics.unsubscribe(topics);
  }

  send(type: string, payload: unknown, options: SendOptions = {}): string {
    const id = uuidv7(this.#clock.now());
    this.#outbound.send({ id, type, payload, priority: options.priority ?? 5 });
    this.#lazyConnect();
    return id;
  }

  request<R>(type: string, payload: unknown, options: RequestOptions = {}): Promise<R> {
    const { cid, promise } = this.#requests.create(options.timeoutMs ?? this.#requestTimeout(), type);
    const id = uuidv7(this.#clock.now());
    try {
      this.#outbound.send({ id, type, payload, priority: options.priority ?? 5, cid });
    } catch (err) {
      this.#requests.reject(cid, err as WSEError);
    }
    this.#lazyConnect();
    return promise.then((env) => env.p as R);
  }

  presence(topic: string): PresenceMembers {
    return this.#presence.members(topic);
  }

  trackPresence(topic: string): void {
    const p = this.#presence;
    if (p.isTracked(topic)) return;
    p.track(topic);
    if (this.#topics.topics.includes(topic) && this.#driver.canSend) p.sync(topic);
  }

  updatePresence(topic: string, data: Record<string, unknown>): void {
    this.#topics.setPresence(topic, data);
    this.#trySend(buildEnvelope('presence_update', { topic, data }));
  }

  async presenceStats(topic: string): Promise<{ num_users: number; num_connections: number }> {
    const reply = await this.#query('presence_stats', { topic });
    return {
      num_users: Number(reply.p.num_users) || 0,
      num_connections: Number(reply.p.num_connections) || 0,
    };
  }

  #lazyConnect(): void {
    if (this.#options.lazyConnect === false || this.#driver.state !== 'idle') return;
    this.connect().catch(ignore);
  }

  #circuitOf(endpoint: string | null): ClientSnapshot['circuit'] {
    return (endpoint && this.#pool.circuit(endpoint)) || 'closed';
  }

  /** Sends a protocol envelope when connected; `false` otherwise. */
  #trySend(env: Envelope): boolean {
    if (!this.#driver.canSend) return false;
    try {
      this.#driver.send(env);
      return true;
    } catch (err) {
      this.#emitError(err);
      return false;
    }
  }

  /** A request that is never queued (protocol queries). */
  #query(type: string, payload: Record<string, unknown>): Promise<Envelope> {
    const { cid, promise } = this.#requests.create(this.#requestTimeout(), type);
    if (!this.#trySend({ c: 'WSE', t: type, p: payload, cid, id: uuidv7(this.#clock.now()) })) {
      this.#requests.reject(cid, new TransportError('NOT_CONNECTED', `cannot send ${type}: not connected`));
    }
    return promise;
  }

  #requestTimeout(): number {
    return this.#options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs;
  }

  #onState(state: ConnectionState): void {
    this.#store.update({ state, circuit: this.#circuitOf(this.#driver.currentEndpoint) });
    if (state === 'failed' && this.#driver.context.failReason === 'auth' && !this.#isAuthError()) {
      this.#store.update({ lastError: new AuthError('AUTH_FAILED', 'authentication failed') });
    }
    this.emit('state', state, this.#store.getSnapshot());
  }

  #onUp(info: Parameters<DriverHooks['onUp']>[0]): void {
    this.session = sessionInfo(info);
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
    this.#store.update({
      connectionId: this.session.connectionId,
      userId: this.session.userId,
      encrypted: info.encrypted,
      lastError: null,
    });
    this.#topics.resubscribeAll();
    this.#outbound.resume(); // rate limits are per connection
    this.emit('connected', this.session);
  }

  #onDown(code: number, reason: string): void {
    this.#topics.sessionDown();
    this.#presence.sessionDown();
    this.emit('disconnected', { code, reason });
  }

  /** `lastError` is an auth error from this attempt (cleared when a session comes up). */
  #isAuthError(): boolean {
    return this.#store.getSnapshot().lastError instanceof AuthError;
  }

  #feedQuality(record: (q: QualityMonitor) => void): void {
    const q = this.#quality;
    if (!q || !this.#adaptive) return;
    record(q);
    const before = this.#store.getSnapshot();
    const level = q.level;
    const l = q.latency();
    const same =
      l.last === before.latency.last && l.avg === before.latency.avg && l.p95 === before.latency.p95;
    this.#store.update({ quality: level, ...(same ? {} : { latency: l }) });
    if (level === before.quality) return;
    const s = this.#adaptive(level);
    this.#outbound.setBatching(s.batchIntervalMs, s.maxBatchSize);
    if (s.requestCompression && !this.#compressionAsked && this.session?.features.compression !== false) {
      this.#compressionAsked = this.#trySend({ c: 'WSE', t: 'config_update', p: { compression: true } });
    }
    this.emit('quality', { level, previous: before.quality, latency: l });
  }

  /** Records `lastError` and emits `'error'`; anything not a `WSEError` is wrapped with `code`. */
  #emitError(error: unknown, code: ClientErrorCodeValue | ErrorCodeValue = 'CLIENT_ERROR'): void {
    const err = error instanceof WSEError ? error : new WSEError(code, String(error), { cause: error });
    this.#store.update({ lastError: err });
    this.emit('error', err);
  }
}
