/**
 * `WSEClient`: the public face of the client. Composition and routing live in
 * `client/runtime.ts`; this file is the API and its documentation.
 *
 * @module
 */

import type { PresenceMembers } from '../presence/presence-state';
import type { Priority } from '../protocol/envelope';
import type { EmitterListener } from './emitter';
import type { RetainOptions } from './leases';
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

// Defined next to the leases they configure; part of this API.
export { DEFAULT_LINGER_MS, type RetainOptions } from './leases';

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

type AnyListener = (...args: never[]) => void;

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

  constructor(options: ClientOptions) {
    this.#rt = new ClientRuntime(options);
    // Bound, so `useSyncExternalStore(client.subscribe, client.getSnapshot)` works unbound.
    this.subscribe = this.subscribe.bind(this) as this['subscribe'];
  }

  /** Listens to a client event (`state`, `error`, `presence`, …) or an application message type. */
  on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this;
  on<T extends keyof M & string>(type: T, listener: (message: ClientMessage<M[T]>) => void): this;
  on(event: string, listener: AnyListener): this {
    this.#rt.on(event, listener as EmitterListener);
    return this;
  }

  /** Like {@link WSEClient.on}, for one call. */
  once<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this;
  once<T extends keyof M & string>(type: T, listener: (message: ClientMessage<M[T]>) => void): this;
  once(event: string, listener: AnyListener): this {
    this.#rt.on(event, listener as EmitterListener, true);
    return this;
  }

  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this;
  off<T extends keyof M & string>(type: T, listener: (message: ClientMessage<M[T]>) => void): this;
  off(event: string, listener: AnyListener): this {
    this.#rt.off(event, listener as EmitterListener);
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
  connect(options?: ConnectOptions): Promise<void> {
    return this.#rt.connect(options);
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
    return this.#rt.reconnect();
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
  retain(options?: RetainOptions): () => void {
    return this.#rt.retain(options);
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
  retainTopic(topic: string, options?: SubscribeOptions & RetainOptions): () => void {
    return this.#rt.retainTopic(topic, options);
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
    return this.#rt.onTopic(topic, handler);
  }

  /**
   * Closes with 1000 and stops reconnecting; pending requests reject, iterators end, queued
   * messages stay queued (and stored) for the next `connect()`.
   */
  close(): Promise<void> {
    return this.#rt.close();
  }

  /** Store contract: listen to snapshot changes; returns the unsubscribe function. */
  subscribe(listener: StoreListener<ClientSnapshot>): () => void;
  /** Subscribes to topics (see {@link WSEClient.subscribeTopics}). */
  subscribe(topics: readonly string[], options?: SubscribeOptions): Promise<SubscriptionResult>;
  subscribe(
    arg: StoreListener<ClientSnapshot> | readonly string[],
    options?: SubscribeOptions,
  ): (() => void) | Promise<SubscriptionResult> {
    return typeof arg === 'function' ? this.#rt.listen(arg) : this.#rt.subscribeTopics(arg, options);
  }

  /**
   * Subscribes to topics; resolves with the server's reply (rejects with `ServerError` when every
   * topic failed). Topics stay subscribed across reconnects (re-subscribed with `recover: true`
   * and the recovery positions). Connects first when idle and `lazyConnect` is on.
   */
  subscribeTopics(topics: readonly string[], options?: SubscribeOptions): Promise<SubscriptionResult> {
    return this.#rt.subscribeTopics(topics, options);
  }

  /** Unsubscribes; forgets the topics' recovery positions and presence. */
  unsubscribe(topics: readonly string[]): Promise<SubscriptionResult> {
    return this.#rt.unsubscribe(topics);
  }

  /**
   * Sends an application message; returns its id. Not connected: queued (offline queue) and
   * flushed in order after the next `server_hello`. Throws `TransportError('NOT_CONNECTED')` when
   * the queue is disabled, `ProtocolError` when the payload cannot be encoded.
   */
  send<T extends keyof M & string>(type: T, payload: M[T], options?: SendOptions): string {
    return this.#rt.send(type, payload, options);
  }

  /**
   * Sends a message with a fresh `cid` and resolves with the payload of the reply that carries
   * it; rejects with `ServerError` (an `error` frame with that `cid`) or `TimeoutError`.
   */
  request<R = Record<string, unknown>, T extends keyof M & string = keyof M & string>(
    type: T,
    payload: M[T],
    options?: RequestOptions,
  ): Promise<R> {
    return this.#rt.request<R>(type, payload, options);
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
  publish<T extends keyof M & string>(topic: string, data: PublishData<M, T>, options?: SendOptions): string {
    return this.#rt.send('publish', { topic, data }, options);
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
    return this.#rt.presence(topic);
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
    this.#rt.trackPresence(topic);
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
    this.#rt.updatePresence(topic, data);
  }

  /** Asks the server for `{ num_users, num_connections }` of a topic. */
  presenceStats(topic: string): Promise<{ num_users: number; num_connections: number }> {
    return this.#rt.presenceStats(topic);
  }

  /** Store contract: the current immutable snapshot (same object until something changes). */
  getSnapshot = (): ClientSnapshot => this.#rt.getSnapshot();

  /** What the server said at the last `server_hello` (`null` before the first). */
  get session(): SessionInfo | null {
    return this.#rt.session;
  }

  /** Async iteration over every application message until `close()`. */
  [Symbol.asyncIterator](): AsyncIterator<ClientMessage> {
    return this.#rt.iterate();
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
