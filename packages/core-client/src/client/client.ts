/**
 * `WSEClient`: the public face of the client. Composition and routing live in
 * `client/runtime.ts`; this file is the API and its documentation.
 *
 * @module
 */

import type { ConnectionState } from '../connection/machine';
import type { PresenceMembers } from '../presence/presence-state';
import { buildEnvelope, type Priority, uuidv7 } from '../protocol/envelope';
import { TransportError } from '../protocol/errors';
import { isDevelopment } from './dev-warning';
import { Leases } from './leases';
import { ClientRuntime } from './runtime';
import type { StoreListener } from './snapshot-store';
import type {
  ClientEvents,
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

/**
 * Application message types → payload types, for typed `on`/`send`. The default accepts any
 * type with an object payload.
 *
 * @example
 * ```ts
 * interface Chat extends MessageMap { chat_message: { text: string; from: string } }
 * const client = createClient<Chat>({ endpoints });
 * client.on('chat_message', (ev) => ev.payload.text);
 * ```
 */
export type MessageMap = Record<string, object>;

/** The default map: any type, payload an object with unknown fields. */
export type AnyMessages = Record<string, Record<string, unknown>>;

/**
 * What `client.publish` accepts for a message map: an event of the map (with its payload), or
 * plain data — a primitive, an array, or an object with no `p`/`payload` (sent whole, wrapped as
 * `publication`). An object with a payload that is not an event of the map is a type error.
 *
 * @example
 * ```ts
 * const ok: PublishData<{ chat: { text: string } }> = { t: 'chat', p: { text: 'hi' } };
 * const data: PublishData<{ chat: { text: string } }> = { t: 'tick', n: 1 }; // plain data
 * ```
 */
export type PublishData<M extends MessageMap, T extends keyof M & string = keyof M & string> =
  | { t: T; p: M[T]; pri?: Priority }
  | { type: T; payload: M[T]; pri?: Priority }
  | string
  | number
  | boolean
  | null
  | readonly unknown[]
  | { readonly [key: string]: unknown; p?: never; payload?: never };

/**
 * How long a connection or topic lease outlives its last user, in ms (see {@link WSEClient.retain}).
 *
 * @example
 * ```ts
 * const release = client.retain({ lingerMs: DEFAULT_LINGER_MS });
 * ```
 */
export const DEFAULT_LINGER_MS = 1000;

/**
 * Options of {@link WSEClient.retain}.
 *
 * @example
 * ```ts
 * const options: RetainOptions = { lingerMs: 500 };
 * ```
 */
export interface RetainOptions {
  /** Delay between the last release and the stop; default {@link DEFAULT_LINGER_MS}. */
  lingerMs?: number;
}

const ignore = (): void => {};

type AnyListener = (...args: never[]) => void;
type EmitterListener = (...args: unknown[]) => void;

/**
 * The WSE client. Create it with {@link createClient}.
 *
 * Name clash, on purpose: `subscribe(listener)` (a function) is the store contract of the
 * framework bindings; `subscribe(topics, options)` (an array) subscribes to topics. The call
 * dispatches on the argument type; {@link WSEClient.subscribeTopics} is the unambiguous form.
 *
 * @example
 * ```ts
 * const client = createClient({ endpoints: ['wss://a/wse', 'wss://b/wse'], token: () => getJwt() });
 * client.on('chat_message', (ev) => console.log(ev.payload));
 * await client.connect();
 * await client.subscribe(['room:1'], { presence: { name: 'Ada' } });
 * client.send('chat_message', { text: 'hi' }, { priority: 8 });
 * await client.close();
 * ```
 */
export class WSEClient<M extends MessageMap = AnyMessages> implements AsyncIterable<ClientMessage> {
  readonly #rt: ClientRuntime;
  readonly #waiters = new Set<{ resolve(): void; reject(e: unknown): void }>();
  readonly #leases: Leases;
  #warned = false;

  constructor(options: ClientOptions) {
    this.#rt = new ClientRuntime(options);
    this.#leases = new Leases(this.#rt.resolved.clock);
    // Bound, so `useSyncExternalStore(client.subscribe, client.getSnapshot)` works unbound.
    this.subscribe = this.subscribe.bind(this) as this['subscribe'];
    let last = this.#rt.store.getSnapshot().state;
    this.#rt.store.subscribe((s) => {
      if (s.state === last) return;
      const attemptFailed =
        (last === 'connecting' || last === 'negotiating') &&
        (s.state === 'reconnecting' || s.state === 'failed');
      last = s.state;
      if (attemptFailed) this.#warnUnhandledFailure(s);
      this.#settleWaiters(s.state);
    });
    if (options.topics && options.topics.length > 0)
      void this.#rt.topics.subscribe(options.topics).catch(() => {});
  }

  /** Listens to a client event (`state`, `error`, `presence`, …) or an application message type. */
  on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this;
  on<T extends keyof M & string>(type: T, listener: (message: ClientMessage<M[T]>) => void): this;
  on(event: string, listener: AnyListener): this {
    this.#rt.emitter.on(event, listener as EmitterListener);
    return this;
  }

  /** Like {@link WSEClient.on}, for one call. */
  once<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this;
  once<T extends keyof M & string>(type: T, listener: (message: ClientMessage<M[T]>) => void): this;
  once(event: string, listener: AnyListener): this {
    this.#rt.emitter.on(event, listener as EmitterListener, true);
    return this;
  }

  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this;
  off<T extends keyof M & string>(type: T, listener: (message: ClientMessage<M[T]>) => void): this;
  off(event: string, listener: AnyListener): this {
    this.#rt.emitter.off(event, listener as EmitterListener);
    return this;
  }

  /**
   * Connects (or reconnects after `close()`); resolves when `server_hello` is in. Rejects when
   * the client ends in `failed` (auth rejected, attempts exhausted) or is closed first. While
   * the server is unreachable it keeps retrying and the promise stays pending — unless bounded
   * with `timeoutMs` or `failFast` (see {@link ConnectOptions}; the client then stops retrying).
   *
   * @example
   * ```ts
   * await client.connect({ timeoutMs: 5_000 }); // TimeoutError CONNECT_TIMEOUT when the server is down
   * ```
   */
  connect(options: ConnectOptions = {}): Promise<void> {
    if (this.#rt.driver.state === 'connected') return Promise.resolve();
    const done = this.#until('CONNECT');
    if (options.timeoutMs === undefined && !options.failFast) return done;
    // A lazy chunk: only bounded connects need it (keeps the initial browser load small).
    const stop = () => void this.close();
    const clock = this.#rt.resolved.clock;
    const started = clock.now(); // the time limit counts from here, not from the chunk's arrival
    done.catch(() => {}); // observed by boundConnect once its chunk is in
    return import('./connect-bound').then((m) =>
      m.boundConnect(done, options, clock, this.#rt.store, stop, started),
    );
  }

  /**
   * Drops the socket (if any) and connects again at once, with no backoff; resolves on the next
   * `server_hello`. Unlike `close()` + `connect()`, nothing is rejected: pending requests keep
   * their timeouts, queued sends flush after the new `server_hello`, topics are re-subscribed
   * (with recovery).
   *
   * @example
   * ```ts
   * await client.reconnect();
   * ```
   */
  reconnect(): Promise<void> {
    return this.#until('RECONNECT');
  }

  #until(type: 'CONNECT' | 'RECONNECT'): Promise<void> {
    this.#rt.stream.reopen();
    const done = new Promise<void>((resolve, reject) => this.#waiters.add({ resolve, reject }));
    this.#rt.driver.dispatch({ type });
    return done;
  }

  /**
   * Keeps the client connected while at least one lease is held: the first `retain()` connects,
   * the client closes `lingerMs` after the last release — unless it is retained again in between
   * (a StrictMode remount keeps the one socket). Returns the release function (idempotent).
   *
   * @example
   * ```ts
   * const release = client.retain({ lingerMs: 1000 });
   * // … later
   * release(); // closes a second later unless someone retains again
   * ```
   */
  retain(options: RetainOptions = {}): () => void {
    return this.#leases.take('', options.lingerMs ?? DEFAULT_LINGER_MS, () => {
      this.connect().catch(ignore);
      return () => void this.close();
    }).release;
  }

  /**
   * A ref-counted topic subscription: the first lease subscribes, the unsubscribe goes out
   * `lingerMs` after the last release. A later lease that brings presence data the subscription
   * lacks re-subscribes with it (joins); one with `trackPresence` starts presence tracking.
   * Returns the release function (idempotent).
   *
   * @example
   * ```ts
   * const release = client.retainTopic('room:1', { presence: { name: 'Ada' } });
   * const off = client.onTopic('room:1', (m) => console.log(m.payload));
   * // on unmount
   * off();
   * release();
   * ```
   */
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

  /**
   * Calls `handler` for every application message published to `topic` (routed by its `tp`
   * stamp); returns the function that stops it.
   *
   * @example
   * ```ts
   * const off = client.onTopic('room:1', (m) => console.log(m.type, m.payload));
   * ```
   */
  onTopic<P = Record<string, unknown>>(
    topic: string,
    handler: (message: ClientMessage<P>) => void,
  ): () => void {
    const listener: EmitterListener = (m) => {
      if ((m as ClientMessage).topic === topic) handler(m as ClientMessage<P>);
    };
    this.#rt.emitter.on('*', listener);
    return () => void this.#rt.emitter.off('*', listener);
  }

  /**
   * Closes with 1000 and stops reconnecting; pending requests reject, iterators end, queued
   * messages stay queued (and stored) for the next `connect()`.
   */
  async close(): Promise<void> {
    this.#rt.driver.dispatch({ type: 'CLOSE' });
    const err = new TransportError('CLIENT_CLOSED', 'client closed');
    const rejected = this.#rt.requests.cids();
    this.#rt.requests.rejectAll(err);
    this.#rt.outbound.stop();
    // Nobody awaits a rejected request any more: it must not go out after the next connect.
    this.#rt.outbound.discardRequests(rejected);
    this.#rt.stream.end();
    this.#settleWaiters('closed');
    await this.#rt.queue?.flush().catch(() => {});
  }

  /** Store contract: listen to snapshot changes; returns the unsubscribe function. */
  subscribe(listener: StoreListener<ClientSnapshot>): () => void;
  /** Subscribes to topics (see {@link WSEClient.subscribeTopics}). */
  subscribe(topics: readonly string[], options?: SubscribeOptions): Promise<SubscriptionResult>;
  subscribe(
    arg: StoreListener<ClientSnapshot> | readonly string[],
    options?: SubscribeOptions,
  ): (() => void) | Promise<SubscriptionResult> {
    if (typeof arg === 'function') return this.#rt.store.subscribe(arg);
    return this.subscribeTopics(arg, options);
  }

  /**
   * Subscribes to topics; resolves with the server's reply (rejects with `ServerError` when every
   * topic failed). Topics stay subscribed across reconnects (re-subscribed with `recover: true`
   * and the recovery positions). Connects first when idle and `lazyConnect` is on.
   */
  subscribeTopics(topics: readonly string[], options: SubscribeOptions = {}): Promise<SubscriptionResult> {
    const track = options.presence !== undefined || options.trackPresence === true;
    for (const t of topics) if (track) this.#rt.presence.track(t);
    this.#lazyConnect();
    return this.#rt.topics.subscribe(topics, options);
  }

  /** Unsubscribes; forgets the topics' recovery positions and presence. */
  unsubscribe(topics: readonly string[]): Promise<SubscriptionResult> {
    for (const t of topics) this.#rt.presence.untrack(t);
    return this.#rt.topics.unsubscribe(topics);
  }

  /**
   * Sends an application message; returns its id. Not connected: queued (offline queue) and
   * flushed in order after the next `server_hello`. Throws `TransportError('NOT_CONNECTED')` when
   * the queue is disabled, `ProtocolError` when the payload cannot be encoded.
   */
  send<T extends keyof M & string>(type: T, payload: M[T], options: SendOptions = {}): string {
    const id = uuidv7(this.#rt.resolved.clock.now());
    this.#rt.outbound.send({ id, type, payload, priority: options.priority ?? 5 });
    this.#lazyConnect();
    return id;
  }

  /**
   * Sends a message with a fresh `cid` and resolves with the payload of the reply that carries
   * it; rejects with `ServerError` (an `error` frame with that `cid`) or `TimeoutError`.
   */
  request<R = Record<string, unknown>, T extends keyof M & string = keyof M & string>(
    type: T,
    payload: M[T],
    options: RequestOptions = {},
  ): Promise<R> {
    const { cid, promise } = this.#rt.requests.create(options.timeoutMs ?? this.#rt.requestTimeout(), type);
    try {
      this.#rt.outbound.send({
        id: uuidv7(this.#rt.resolved.clock.now()),
        type,
        payload,
        priority: options.priority ?? 5,
        cid,
      });
    } catch (err) {
      this.#rt.requests.reject(cid, err as TransportError);
    }
    this.#lazyConnect();
    return promise.then((env) => env.p as R);
  }

  /**
   * Publishes to a topic (`publish {topic, data}`); the server's publish policy decides. Typed from
   * the message map like `send`: an event (`{t, p}` or `{type, payload}`) must be one of the map's
   * types with its payload; anything without a payload is plain data, delivered whole as
   * `publication {topic, data}` (docs-site/protocol §4).
   *
   * @example
   * ```ts
   * const chat = createClient<{ chat: { text: string } }>({ endpoints });
   * chat.publish('room:1', { t: 'chat', p: { text: 'hi' } }); // subscribers get a `chat` event
   * chat.publish('room:1', { text: 'hi' });                   // subscribers get `publication`
   * ```
   */
  publish<T extends keyof M & string>(
    topic: string,
    data: PublishData<M, T>,
    options: SendOptions = {},
  ): string {
    return (this as unknown as WSEClient<AnyMessages>).send('publish', { topic, data }, options);
  }

  /**
   * The current members of `topic` (`{}` when not tracked): a read with no side effect, the same
   * object until the members change. Tracking starts with `subscribe(topics, { presence })`,
   * `subscribe(topics, { trackPresence: true })` or {@link WSEClient.trackPresence}.
   *
   * @example
   * ```ts
   * Object.keys(client.presence('room:1')); // ['ada', 'bob']
   * ```
   */
  presence(topic: string): PresenceMembers {
    return this.#rt.presence.members(topic);
  }

  /**
   * Starts keeping `presence(topic)` current (idempotent): the full state is queried now when the
   * topic is subscribed and connected, else after its subscribe reply; `'presence'` events follow.
   *
   * @example
   * ```ts
   * client.trackPresence('room:1');
   * client.on('presence', (ev) => ev.topic === 'room:1' && render(ev.members));
   * ```
   */
  trackPresence(topic: string): void {
    const p = this.#rt.presence;
    if (p.isTracked(topic)) return;
    p.track(topic);
    if (this.#rt.topics.topics.includes(topic) && this.#rt.driver.canSend) p.sync(topic);
  }

  /**
   * Replaces this user's presence data on a subscribed topic (`presence_update {topic, data}`);
   * subscribers, this client included, get a `presence_update`. The data is also what later
   * re-subscribes join with. Not connected: the next re-subscribe carries it.
   *
   * @example
   * ```ts
   * client.updatePresence('room:1', { name: 'Ada', typing: true });
   * ```
   */
  updatePresence(topic: string, data: Record<string, unknown>): void {
    this.#rt.topics.setPresence(topic, data);
    this.#rt.trySend(buildEnvelope('presence_update', { topic, data }));
  }

  /** Asks the server for `{ num_users, num_connections }` of a topic. */
  async presenceStats(topic: string): Promise<{ num_users: number; num_connections: number }> {
    const reply = await this.#rt.query('presence_stats', { topic });
    return {
      num_users: Number(reply.p.num_users) || 0,
      num_connections: Number(reply.p.num_connections) || 0,
    };
  }

  /** Store contract: the current immutable snapshot (same object until something changes). */
  getSnapshot = (): ClientSnapshot => this.#rt.store.getSnapshot();

  /** What the server said at the last `server_hello` (`null` before the first). */
  get session(): SessionInfo | null {
    return this.#rt.session;
  }

  /** Async iteration over every application message until `close()`. */
  [Symbol.asyncIterator](): AsyncIterator<ClientMessage> {
    return this.#rt.stream.iterate();
  }

  #lazyConnect(): void {
    if (this.#rt.options.lazyConnect === false || this.#rt.driver.state !== 'idle') return;
    this.connect().catch(() => {});
  }

  /**
   * A connection failure nobody listens to would be silent (the client just retries): say it once
   * per client on the console in development builds, like an unhandled `error` event would.
   */
  #warnUnhandledFailure(s: ClientSnapshot): void {
    if (this.#warned || this.#rt.emitter.listenerCount('error') > 0 || !isDevelopment()) return;
    this.#warned = true;
    console.warn(
      `[wse] cannot connect to ${s.endpoint} (${s.lastError?.message ?? s.state}): ` +
        "listen with client.on('error'), or use connect({ timeoutMs })",
    );
  }

  #settleWaiters(state: ConnectionState): void {
    if (state !== 'connected' && state !== 'closed' && state !== 'failed') return;
    const error =
      this.#rt.store.getSnapshot().lastError ?? new TransportError('CLIENT_CLOSED', `client ${state}`);
    for (const w of this.#waiters) {
      if (state === 'connected') w.resolve();
      else w.reject(state === 'closed' ? new TransportError('CLIENT_CLOSED', 'client closed') : error);
    }
    this.#waiters.clear();
  }
}

/**
 * Creates a client. Nothing connects until `connect()` (or the first `send`/`subscribe`/
 * `request` with `lazyConnect`, the default).
 *
 * @example
 * ```ts
 * const client = createClient({ endpoints: 'wss://example.com/wse', token: () => getJwt(), topics: ['updates'] });
 * for await (const ev of client) console.log(ev.type, ev.payload);
 * ```
 */
export function createClient<M extends MessageMap = AnyMessages>(options: ClientOptions): WSEClient<M> {
  return new WSEClient<M>(options);
}
