import { randomUUID } from 'node:crypto';
import { buildEnvelope, CloseCode, type Envelope } from '@wse/core-client/protocol';
import type { Logger } from 'pino';
import { mintDevToken } from './auth/dev-token';
import { SignatureGate } from './auth/signature';
import { identityAllows } from './auth/topic-acl';
import { type ClusterInfo, MeshEngine } from './cluster/mesh-engine';
import { createEngine, type EngineHooks } from './engine/create-engine';
import { type Engine, groupInterestKey } from './engine/engine';
import { createEngineHost } from './engine/engine-host';
import { EngineMetrics } from './engine/engine-metrics';
import type { RedisPresence } from './engine/redis/redis-presence';
import { earlyHttpAnswer, type HttpFacade } from './http/http-api';
import { ServerMetrics } from './http/server-metrics';
import { createLogger } from './logger';
import {
  type ConnectionInfo,
  MIN_SECRET_BYTES,
  type ResolvedOptions,
  resolveOptions,
  type WSEServerOptions,
} from './options';
import { createPresence } from './presence/create-presence';
import type { PresenceApi } from './presence/presence-api';
import { PresenceService } from './presence/presence-service';
import type { PresenceMember } from './presence/presence-types';
import { RecoveryStore } from './recovery/recovery-store';
import type { RecoveryStats, StreamPosition } from './recovery/recovery-types';
import { type PublicationLog, TopicSequencer } from './recovery/topic-sequencer';
import { every, sleep } from './server-clock';
import { requestRekey } from './session/e2e-session';
import { EventHub, type Listener, type ServerEvent, type ServerEventMap } from './session/event-hub';
import { serverFeatures } from './session/negotiate';
import { SessionManager, type UpgradeContext } from './session/session-manager';
import { SubscribeFlow, type TopicRecoveryReport } from './session/subscribe-flow';
import { Fanout } from './topics/fanout';
import { envelopeIds, toPublication } from './topics/publication';
import { QueueGroups } from './topics/queue-groups';
import { validateGroupName } from './topics/subscription-check';
import { TopicRegistry } from './topics/topic-registry';
import { TopicService } from './topics/topic-service';
import { frameCeiling } from './transport/frame-ceiling';
import { createHttpHandler } from './transport/http-bridge';
import { UwsTransport } from './transport/uws-transport';

/** Version reported in `server_hello.server_version`. */
export const SERVER_VERSION = '0.1.0';
/**
 * HTTP request bodies buffered at once (each ≤ maxMessageSize): past it, 503 without reading.
 * 64 × 1 MiB bounds what unauthenticated POSTs can make the server hold.
 */
const MAX_CONCURRENT_BODIES = 64;
/** Header bytes of an HTTP request before 431 (uWS 20.30 resets, unanswered, far bigger ones). */
const MAX_HEADER_BYTES = 16 * 1024;

/** An event to send: `{t, p}` (or `{type, payload}`), optional `cid` and `pri`. */
export interface OutgoingEvent {
  t?: string;
  type?: string;
  p?: Record<string, unknown>;
  payload?: Record<string, unknown>;
  cid?: string;
  pri?: number;
}

/**
 * The WSE reference server on uWebSockets.js (WSE protocol v1, docs-site/protocol).
 *
 * @example
 * const server = new WSEServer({ port: 0, auth: { secret: 'change-me' } });
 * server.on('message', (ev) => { if (ev.t === 'echo') server.reply(ev.connId, ev.cid, ev.p); });
 * const port = await server.start();
 * server.broadcast('news', { t: 'headline', p: { text: 'hello' } });
 */
export class WSEServer {
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  private readonly registry = new TopicRegistry();
  /** Queue-group memberships (docs-site/protocol §4); `onInterest` is the cluster mesh's hook. */
  readonly queueGroups = new QueueGroups();
  private readonly fanout: Fanout;
  private readonly topics: TopicService;
  private readonly hub: EventHub;
  private readonly sessions: SessionManager;
  private readonly engine: Engine;
  private readonly engineMetrics: EngineMetrics;
  /** This node's id: the origin of its presence entries and recovery streams in a cluster. */
  readonly nodeId = `node-${randomUUID().slice(0, 8)}`;
  /** Numbers every topic publication (tp/e/o); keeps them for replay when recovery is on. */
  private readonly log: PublicationLog;
  private readonly presenceService: PresenceApi | null = null;
  private redisPresence?: RedisPresence;
  private readonly flow: SubscribeFlow;
  private stopRecoverySweep?: () => void;
  private transport: UwsTransport<UpgradeContext> | null = null;
  private running = false;
  private startedAt = 0;
  private boundPort?: number;

  constructor(options: WSEServerOptions = {}) {
    this.options = resolveOptions(options, {
      vitest: typeof process !== 'undefined' && !!process.env.VITEST,
    });
    this.logger = this.options.logger ?? createLogger(this.options.logLevel);
    this.metrics = new ServerMetrics({ defaultMetrics: true });
    const o = this.options;
    this.fanout = new Fanout({
      transport: { publish: (topic, data, binary) => this.transport?.publish(topic, data, binary) ?? false },
      registry: this.registry,
      groups: this.queueGroups,
      target: (id) => this.sessions.connections.get(id),
      allConnections: () => this.sessions.connections.keys(),
      compressionThreshold: o.compressionThreshold,
      maxBackpressure: o.maxBackpressure,
      onSkipped: (id) => {
        const conn = this.sessions.connections.get(id);
        if (conn) this.sessions.sweep.checkBackpressure(conn);
      },
      onDelivered: (count, bytes, seconds) => {
        this.metrics.messageOut(count, bytes);
        this.metrics.observePublish(seconds);
      },
    });
    // Decided (README "Recovery"): publications ALWAYS carry tp/e/o. Recovery off = numbered, not kept.
    this.log = o.recovery.enabled
      ? new RecoveryStore(o.recovery)
      : new TopicSequencer({ ttlSec: o.recovery.ttlSec, maxTopics: o.maxTopics });
    this.fanout.stamp = (topic, envelope) => this.log.stamp(topic, envelope);
    this.topics = new TopicService(
      this.registry,
      this.fanout,
      {
        maxSubscriptions: o.maxSubscriptionsPerConnection,
        maxTopics: o.maxTopics,
        authorize: o.authorizeSubscribe
          ? (sub, topic) => {
              const conn = this.sessions.connections.get(sub.id);
              return conn
                ? (o.authorizeSubscribe as NonNullable<typeof o.authorizeSubscribe>)(
                    this.sessions.info(conn),
                    topic,
                  )
                : false;
            }
          : undefined,
      },
      this.queueGroups,
    );
    // Nothing keyed by a topic outlives its last subscriber unless it holds publications (issue 18).
    this.topics.onTopicEmpty = (topic) => this.log.release(topic);
    this.hub = new EventHub(o.maxInboundQueueSize, (err, ev) => this.onListenerError(err, ev), o.clock);
    this.engineMetrics = new EngineMetrics(
      this.metrics.registry,
      o.engine.type === 'redis' ? 'redis' : o.cluster ? 'mesh' : 'memory',
    );
    // In-memory presence exists before the engine (the mesh merges peers' entries into it); the
    // Redis one needs the engine's link, so it is made after.
    const presenceFirst = o.presence.enabled && o.engine.type !== 'redis';
    if (presenceFirst) this.presenceService = this.createPresence();
    this.engine = createEngine(
      createEngineHost({
        nodeId: this.nodeId,
        log: this.log,
        topics: this.topics,
        presence: this.presenceService instanceof PresenceService ? this.presenceService : null,
        onRefused: (origin, topic, reason) =>
          this.logger.warn({ origin, topic, reason }, 'remote publication refused'),
      }),
      o,
      this.logger,
      this.engineHooks(),
    );
    // Interest is tracked only for engines that route by it (memory ignores it: no per-topic set).
    if (this.engine.name !== 'memory') {
      this.topics.onInterest = (topic, present) => this.engine.interest(topic, present);
      // Queue groups announce their interest under their own key (the seam's groupInterestKey).
      this.queueGroups.onInterest ??= (topic, group, present) =>
        this.engine.interest(groupInterestKey(topic, group), present);
      // Mesh: exactly one holder node per group and publication, cluster-wide (README "Queue
      // groups"). Redis keeps exactly-one per node (no view of the other nodes' groups).
      const engine = this.engine;
      if (engine instanceof MeshEngine)
        this.fanout.groupFilter = (topic, group, envelope) => engine.deliversToGroup(topic, group, envelope);
    }
    if (!presenceFirst) this.presenceService = o.presence.enabled ? this.createPresence() : null;
    const presence = this.presenceService;
    if (presence) {
      // Every way a subscription ends (unsubscribe, refresh revoking a topic, server-side
      // unsubscribe, any close: client, idle, slow consumer, disconnect(), stop) passes here.
      this.topics.onLeft = (connId, topics, closed) =>
        closed ? presence.leaveAll(connId) : presence.leave(connId, topics);
    }
    this.flow = new SubscribeFlow({
      topics: this.topics,
      log: this.log,
      presence,
      maxBackpressure: o.maxBackpressure,
      onPresenceFailure: (err, connId) => this.logger.error({ err, connId }, 'presence join failed'),
      shared: this.engine.shared,
    });
    const engine = this.engine;
    if (engine.recoverRemote) {
      // Streams this node does not hold are fetched from the cluster before the subscribe reply.
      this.flow.remote = {
        recover: (topic, position, max) =>
          engine.recoverRemote?.(topic, position, max) ?? Promise.resolve(null),
        pin: engine.pinInterest
          ? (topic) => (engine.pinInterest as (t: string) => () => void)(topic)
          : undefined,
      };
    }
    // The mesh reports its link figures as gauges (`wse_engine_<figure>`); engine_up and the
    // failure counter come from EngineMetrics, which every engine shares.
    if (this.engine.name === 'mesh')
      this.metrics.watchEngine(() => ({ name: this.engine.name, ...this.engine.health() }));
    this.sessions = new SessionManager({
      options: o,
      logger: this.logger,
      metrics: this.metrics,
      topics: this.topics,
      events: this.hub,
      features: serverFeatures({ recovery: o.recovery.enabled, presence: presence !== null }),
      serverVersion: SERVER_VERSION,
      subscribeFlow: this.flow,
      presence,
      signatures: o.requireSignatures ? new SignatureGate(o.requireSignatures) : undefined,
      verify: o.verifier
        ? (token) => (o.verifier as NonNullable<typeof o.verifier>).verify(token)
        : undefined,
      // The engine's own answer: a promise from redis, so a client publish hears ENGINE_UNAVAILABLE.
      publish: (topic, env) => this.engine.publish(topic, env),
      http: createHttpHandler(this.httpFacade(), {
        apiKey: o.apiKey,
        dev: o.dev,
        staticDir: o.staticDir,
        maxBodyBytes: o.maxMessageSize,
        onError: (err) => this.logger.error({ err }, 'http handler failed'),
      }),
      httpEarly: (head) => earlyHttpAnswer(head.method, head.url, head.headers, { apiKey: o.apiKey }),
    });
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────

  /** Listens; resolves with the bound port (useful with `port: 0`). */
  async start(): Promise<number> {
    if (this.running) throw new Error('WSEServer is already running');
    const o = this.options;
    this.transport = new UwsTransport<UpgradeContext>(
      {
        host: o.host,
        port: o.port,
        path: o.path,
        // Headroom over maxMessageSize: frames in between are read whole and closed with a clean
        // 1009 by the session; past it uWS drops the connection while the client is still sending.
        maxPayloadLength: frameCeiling(o.maxMessageSize),
        maxBackpressure: o.maxBackpressure,
        maxBodyBytes: o.maxMessageSize,
        maxConcurrentBodies: MAX_CONCURRENT_BODIES,
        maxHeaderBytes: MAX_HEADER_BYTES,
        reusePort: o.reusePort,
      },
      this.sessions,
    );
    if (!this.transport.native) {
      this.logger.warn(
        'uWebSockets.js has no native build for this Node version: using its slow JS fallback (use Node 20)',
      );
    }
    if (o.auth === undefined) {
      this.logger.warn(
        'NO AUTH CONFIGURED: every client connects anonymously. Set `auth: { secret }` (or --jwt-secret), or `auth: false` to silence this.',
      );
    }
    const secret = o.auth ? o.auth.secret : undefined;
    if (!o.dev && typeof secret === 'string' && Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
      // The CLI refuses this (config.ts); the API warns, so embedders' own test suites keep running.
      this.logger.error(
        `WEAK JWT SECRET: ${Buffer.byteLength(secret)} bytes; HS256 needs at least ${MIN_SECRET_BYTES} outside dev mode (anyone can brute-force it)`,
      );
    }
    this.sessions.reopen();
    this.hub.reopen();
    this.boundPort = await this.transport.listen();
    try {
      await this.engine.start();
    } catch (err) {
      // Redis unreachable at start: fail (a misconfiguration), and free the port we just bound.
      this.transport.closeListener();
      throw err;
    }
    this.redisPresence?.start();
    this.sessions.sweep.start();
    // TTL sweep of idle buffers/counters; the store also drops expired ones lazily on access.
    const period = Math.max(1000, Math.min(60_000, (o.recovery.ttlSec * 1000) / 4));
    this.stopRecoverySweep = every(o.clock, period, () => this.log.sweep());
    this.running = true;
    this.startedAt = o.clock.now();
    this.logger.info({ host: o.host, port: this.boundPort, path: o.path }, 'WSE server listening');
    return this.boundPort;
  }

  /** Closes every client with 1001, stops listening, and resolves once the port is free. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.transport?.closeListener();
    this.sessions.closeAll(CloseCode.GOING_AWAY, 'server going away');
    this.sessions.sweep.stop();
    this.stopRecoverySweep?.();
    this.stopRecoverySweep = undefined;
    this.fanout.flush();
    this.redisPresence?.stop();
    await this.engine.stop();
    this.hub.close();
    await new Promise((resolve) => setImmediate(resolve));
    this.logger.info('WSE server stopped');
  }

  /** Stops accepting, closes clients with 4300 (reconnect elsewhere), resolves when none are left. */
  async drain(o: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.running) return;
    this.transport?.closeListener();
    await this.engine.drain?.();
    this.sessions.closeAll(CloseCode.NODE_DRAINING, 'node draining');
    const { clock } = this.options;
    const deadline = clock.now() + (o.timeoutMs ?? 10_000);
    while (this.sessions.connections.size > 0 && clock.now() < deadline) await sleep(clock, 10);
  }

  isRunning(): boolean {
    return this.running;
  }

  /** The bound port once started. */
  get port(): number | undefined {
    return this.boundPort;
  }

  // ── events ─────────────────────────────────────────────────────────────────────────────────

  /** Adds a listener; returns a function that removes it. A throwing `message` listener → HANDLER_ERROR. */
  on<K extends keyof ServerEventMap>(name: K, listener: Listener<ServerEventMap[K]>): () => void {
    return this.hub.on(name, listener);
  }

  off<K extends keyof ServerEventMap>(name: K, listener: Listener<ServerEventMap[K]>): void {
    this.hub.off(name, listener);
  }

  /** Every event from now on, as an async iterator (ends at `stop()`). Backed by the bounded queue. */
  events(): AsyncGenerator<ServerEvent, void, undefined> {
    return this.hub.iterate();
  }

  /** Up to `max` queued events, waiting at most `timeoutMs` for the first one. */
  drainInbound(max = 1000, timeoutMs = 0): Promise<ServerEvent[]> {
    return this.hub.drain(max, timeoutMs);
  }

  // ── sending ────────────────────────────────────────────────────────────────────────────────

  /**
   * Sends raw text (encrypted for E2E connections). False when the connection is unknown, or the
   * send gate refuses it data (not authenticated yet; `requireEncryption` without E2E).
   */
  send(connId: string, text: string): boolean {
    return this.withConn(connId, (c) => c.sendFrame(text));
  }

  /** Sends raw bytes as a binary frame (encrypted for E2E connections). */
  sendBytes(connId: string, bytes: Uint8Array): boolean {
    return this.withConn(connId, (c) => c.sendFrame(bytes));
  }

  /** Sends an event: envelope filled (c, id, ts, seq), compressed over the threshold, per-connection format. */
  sendEvent(connId: string, event: OutgoingEvent): boolean {
    const type = event.t ?? event.type;
    if (typeof type !== 'string') throw new TypeError('sendEvent: event.t must be a string');
    return this.withConn(connId, (c) => c.sendEvent(type, event.p ?? event.payload ?? {}, event, 'data'));
  }

  /** Several events in one `batch` frame. */
  sendBatch(connId: string, events: OutgoingEvent[]): boolean {
    const messages = events.map((e) => buildEnvelope(e.t ?? e.type ?? '', e.p ?? e.payload ?? {}, e));
    return this.withConn(connId, (c) =>
      c.sendEvent('batch', { messages, count: messages.length }, {}, 'data'),
    );
  }

  /** Answers a request: same `cid`, type `response` unless given. */
  reply(
    connId: string,
    cid: string | undefined,
    payload: Record<string, unknown>,
    type = 'response',
  ): boolean {
    return this.withConn(connId, (c) => c.sendEvent(type, payload, { cid }, 'data'));
  }

  /**
   * Asks an E2E connection to rotate its keys (`e2e_rekey_request`, docs-site/protocol §6). False when the
   * connection is unknown, has no E2E, or a rotation is under way.
   *
   * @example
   * server.requestKeyRotation(connId);
   */
  requestKeyRotation(connId: string): boolean {
    const conn = this.sessions.connections.get(connId);
    return conn ? requestRekey(conn, this.options.clock.now()) : false;
  }

  /** Closes one connection. */
  disconnect(connId: string, code = 1000, reason = ''): boolean {
    return this.withConn(connId, (c) => c.close(code, reason), false);
  }

  // ── publishing ─────────────────────────────────────────────────────────────────────────────

  /**
   * To every connection on this node that the send gate admits data (authenticated; encrypted under
   * `requireEncryption`). Returns how many that is.
   */
  broadcastAll(data: unknown): number {
    let reach = 0;
    for (const conn of this.sessions.connections.values()) if (conn.admits('data')) reach++;
    return this.topics.publishAll(toPublication(undefined, data), reach);
  }

  /** To the topic's subscribers on this node only. Returns the local delivery count. */
  broadcastLocal(topic: string, data: unknown): number {
    return this.topics.publish(topic, toPublication(topic, data));
  }

  /**
   * To the topic's subscribers on every node (the engine decides); returns the local count. With
   * the Redis engine the publication is made asynchronously: a failure (Redis down) is logged,
   * counted and emitted as an `error` event — use {@link WSEServer.publish} to hear it yourself.
   */
  broadcast(topic: string, data: unknown): number {
    return this.publishEnvelope(topic, toPublication(topic, data));
  }

  /**
   * {@link WSEServer.broadcast} that tells how it went: resolves with the local delivery count once
   * the engine has made the publication, rejects with `EngineUnavailableError` (code
   * `ENGINE_UNAVAILABLE`) when it could not (Redis down). Same as `broadcast` with the memory engine.
   *
   * @example
   * try { await server.publish('chat', { t: 'msg', p: { text: 'hi' } }); }
   * catch (err) { if (err instanceof EngineUnavailableError) retryLater(); }
   */
  async publish(topic: string, data: unknown): Promise<number> {
    return this.engine.publish(topic, toPublication(topic, data));
  }

  private publishEnvelope(topic: string, envelope: Envelope): number {
    const result = this.engine.publish(topic, envelope);
    if (typeof result === 'number') return result;
    // An engine that stamps remotely (redis) confirms later: answer the local count now, log a failure.
    result.catch((error: unknown) => {
      this.logger.error({ err: error, topic }, 'engine publish failed');
      this.hub.emit({ type: 'error', error });
    });
    return this.topics.subscriberCount(topic);
  }

  // ── topics ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Server-side subscribe (no ACL check: the app decides). Returns the topics that were new. With
   * `presence` (and presence on) the connection's user joins every given topic; a presence limit
   * throws `PresenceError` (PRESENCE_DATA_TOO_LARGE / PRESENCE_FULL) AFTER subscribing — the
   * subscriptions stay. With `queueGroup` the connection becomes a member of that group on each
   * topic: every publication reaches one member of the group, round-robin (docs-site/protocol §4); throws
   * `TypeError` for an invalid group name.
   *
   * @example
   * server.subscribeConnection(connId, ['jobs'], { queueGroup: 'workers' });
   */
  subscribeConnection(
    connId: string,
    topics: string[],
    o: { presence?: Record<string, unknown>; queueGroup?: string } = {},
  ): string[] {
    if (o.queueGroup !== undefined) {
      const problem = validateGroupName(o.queueGroup);
      if (problem !== null) throw new TypeError(`subscribeConnection: queueGroup ${problem}`);
    }
    const conn = this.sessions.connections.get(connId);
    if (!conn || conn.closed) return [];
    const added = this.topics.subscribe(conn, topics, o.queueGroup);
    if (this.presenceService && o.presence !== undefined) {
      for (const topic of topics) this.presenceService.join(conn.id, conn.identity.userId, topic, o.presence);
    }
    return added;
  }

  /**
   * Server-side subscribe with recovery (docs-site/protocol §4), no ACL check. In one synchronous step: the
   * connection is subscribed and the buffers read; the missed publications go out in offset order
   * (the connection's format and encryption), then a `subscription_update` frame (no `cid`) with
   * `recovery`; never a partial replay. `positions[topic]` is the client's last seen `{epoch,
   * offset}` (or an array of them); a topic without one is subscribed from now. Returns the
   * `recovery` entries, `{}` when the connection is unknown. With the Redis engine it throws a
   * TypeError naming {@link WSEServer.subscribeWithRecoveryAsync} (the read is asynchronous there).
   *
   * @example
   * server.subscribeWithRecovery(connId, ['chat'], { chat: { epoch: 'a1b2c3d4', offset: 41 } });
   */
  subscribeWithRecovery(
    connId: string,
    topics: string[],
    positions: Record<string, StreamPosition | StreamPosition[]> = {},
  ): Record<string, TopicRecoveryReport> {
    const reply = this.runRecovery(connId, topics, positions);
    if (reply instanceof Promise) {
      void reply.catch(() => {});
      throw new TypeError('the Redis engine reads history asynchronously: use subscribeWithRecoveryAsync');
    }
    return reply;
  }

  /**
   * {@link WSEServer.subscribeWithRecovery} for every engine: with the Redis engine the history is
   * read from Redis first (then the same one-step subscribe + replay + reply). A topic Redis could
   * not be asked about (down) is not subscribed and is missing from the answer.
   *
   * @example
   * const report = await server.subscribeWithRecoveryAsync(connId, ['chat'], { chat: lastSeen });
   */
  async subscribeWithRecoveryAsync(
    connId: string,
    topics: string[],
    positions: Record<string, StreamPosition | StreamPosition[]> = {},
  ): Promise<Record<string, TopicRecoveryReport>> {
    return this.runRecovery(connId, topics, positions);
  }

  private runRecovery(
    connId: string,
    topics: string[],
    positions: Record<string, StreamPosition | StreamPosition[]>,
  ): Record<string, TopicRecoveryReport> | Promise<Record<string, TopicRecoveryReport>> {
    const conn = this.sessions.connections.get(connId);
    if (!conn || conn.closed) return {};
    const reply = this.flow.run(conn, {
      accepted: [...new Set(topics)],
      failed: [],
      recover: true,
      recovery: positions as Record<string, unknown>,
    });
    const pick = (r: Record<string, unknown>) => (r.recovery ?? {}) as Record<string, TopicRecoveryReport>;
    return reply instanceof Promise ? reply.then(pick) : pick(reply);
  }

  /**
   * New presence data for the connection's user on `topic` (joins when it had not): subscribers get
   * `presence_update` (or `presence_join`). Returns false when the connection is unknown, not
   * subscribed to `topic`, or presence is off; throws `PresenceError` on a limit.
   */
  updatePresence(connId: string, topic: string, data: unknown): boolean {
    const conn = this.sessions.connections.get(connId);
    if (!this.presenceService || !conn || conn.closed || !this.topics.isSubscribed(connId, topic))
      return false;
    this.presenceService.update(conn.id, conn.identity.userId, topic, data);
    return true;
  }

  /**
   * The members of `topic`: `{[userId]: {data, connections}}` (`{}` when presence is off). With the
   * Redis engine presence lives in Redis: use {@link WSEServer.presenceAsync} (this throws a TypeError).
   */
  presence(topic: string): Record<string, PresenceMember> {
    return syncOnly(this.presenceService?.members(topic) ?? {}, 'presenceAsync');
  }

  /** `{num_users, num_connections}` of `topic` (Redis engine: {@link WSEServer.presenceStatsAsync}). */
  presenceStats(topic: string): { num_users: number; num_connections: number } {
    return syncOnly(
      this.presenceService?.stats(topic) ?? { num_users: 0, num_connections: 0 },
      'presenceStatsAsync',
    );
  }

  /**
   * {@link WSEServer.presence} for every engine (the Redis one reads Redis; rejects with
   * `EngineUnavailableError` while it is down).
   *
   * @example
   * const members = await server.presenceAsync('room');
   */
  async presenceAsync(topic: string): Promise<Record<string, PresenceMember>> {
    return (await this.presenceService?.members(topic)) ?? {};
  }

  /** {@link WSEServer.presenceStats} for every engine. @example await server.presenceStatsAsync('room'); */
  async presenceStatsAsync(topic: string): Promise<{ num_users: number; num_connections: number }> {
    return (await this.presenceService?.stats(topic)) ?? { num_users: 0, num_connections: 0 };
  }

  /**
   * The cluster as this node sees it (`undefined` without `cluster`): instance id, advertised
   * address, peers with state and since when, frames/bytes in and out, queue drops.
   *
   * @example
   * ```ts
   * server.clusterInfo()?.peers.filter((p) => p.state === 'up').length;
   * ```
   */
  clusterInfo(): ClusterInfo | undefined {
    return this.engine instanceof MeshEngine ? this.engine.info() : undefined;
  }

  /** Re-reads the cluster TLS files now (the CLI calls it on SIGHUP). */
  reloadClusterTls(): void {
    if (this.engine instanceof MeshEngine) this.engine.reloadTls();
  }

  /** Recovery buffer counters (`bytes` ≤ `budget` always); zeros when recovery is off. */
  recoveryStats(): RecoveryStats & { enabled: boolean } {
    return { enabled: this.log.retains, ...this.log.stats() };
  }

  /**
   * `{group name: members}` of `topic` on this node (what `queue_group_stats` answers).
   *
   * @example
   * server.queueGroupStats('jobs'); // { workers: 3 }
   */
  queueGroupStats(topic: string): Record<string, number> {
    return this.topics.queueGroupStats(topic);
  }

  /**
   * Sets a live connection's runtime topic ACL (`null` clears it). A topic must pass both the
   * token's `wse_topics` and this ACL (deny wins; `allow` defaults to `['*']`, `deny` to `[]`), so
   * it can narrow the token's ACL, never widen it; a later call replaces the earlier one, and a
   * token refresh keeps it. Topics the connection holds that are no longer allowed are
   * unsubscribed (presence leaves follow) and the client is told with `subscription_update
   * {action: 'unsubscribe', success: true, success_topics: [revoked…], failed_topics: [], reason:
   * 'acl'}` (no `cid`). Returns the revoked topics; `undefined` when the connection is unknown.
   *
   * @example
   * server.setTopicAcl(connId, { allow: ['room:*'], deny: ['room:admin'] }); // ['room:admin'] if it was subscribed
   */
  setTopicAcl(
    connId: string,
    acl: { allow?: readonly string[]; deny?: readonly string[] } | null,
  ): string[] | undefined {
    const conn = this.sessions.connections.get(connId);
    if (!conn || conn.closed) return undefined;
    const globs = (v: unknown, name: string, fallback: string[]): string[] => {
      if (v === undefined) return fallback;
      if (!Array.isArray(v) || !v.every((g) => typeof g === 'string'))
        throw new TypeError(`setTopicAcl: ${name} must be an array of glob strings`);
      return [...v];
    };
    conn.identity.runtimeAcl =
      acl === null
        ? undefined
        : { allow: globs(acl.allow, 'allow', ['*']), deny: globs(acl.deny, 'deny', []) };
    const revoked = this.topics.topicsOf(connId).filter((t) => !identityAllows(conn.identity, t));
    if (revoked.length === 0) return revoked;
    this.topics.unsubscribe(conn, revoked);
    conn.sendEvent('subscription_update', {
      action: 'unsubscribe',
      success: true,
      success_topics: revoked,
      failed_topics: [],
      reason: 'acl',
    });
    return revoked;
  }

  /** Server-side unsubscribe; all topics when `topics` is omitted. */
  unsubscribeConnection(connId: string, topics?: string[]): string[] {
    const conn = this.sessions.connections.get(connId);
    return conn ? this.topics.unsubscribe(conn, topics) : [];
  }

  // ── queries ────────────────────────────────────────────────────────────────────────────────

  connectionCount(): number {
    return this.sessions.connections.size;
  }

  connections(): ConnectionInfo[] {
    return [...this.sessions.connections.values()].map((c) => this.sessions.info(c));
  }

  connectionInfo(connId: string): ConnectionInfo | undefined {
    const conn = this.sessions.connections.get(connId);
    return conn ? this.sessions.info(conn) : undefined;
  }

  /** What `GET /health` returns. */
  healthSnapshot(): Record<string, unknown> {
    const mem = process.memoryUsage();
    const engine = this.engine.health();
    const status = !this.running ? 'stopped' : engine.status === 'degraded' ? 'degraded' : 'ok';
    return {
      status,
      uptime_s: this.running ? Math.round((this.options.clock.now() - this.startedAt) / 1000) : 0,
      connections: this.sessions.connections.size,
      max_connections: this.options.maxConnections,
      topics: this.topics.topicCount(),
      queues: { fanout: this.fanout.queued, inbound: this.hub.queued },
      drops: { inbound_overflow: this.hub.dropped },
      rate_limited: this.sessions.stats.rateLimited,
      slow_consumers: this.sessions.stats.slowConsumers,
      auth_failures: this.sessions.stats.authFailures,
      memory: { rss: mem.rss, heap_used: mem.heapUsed },
      engine: this.engine.name,
      engine_health: engine,
      node_id: this.nodeId,
      pid: process.pid,
      cluster: this.clusterInfo(),
      recovery: this.recoveryStats(),
      presence: { enabled: this.presenceService !== null, ...this.presenceService?.totals() },
      native_transport: this.transport?.native ?? null,
    };
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  /** Runs `fn` on an open connection; a send (`data`) only where the send gate admits data. */
  private withConn(
    connId: string,
    fn: (c: NonNullable<ReturnType<SessionManager['connections']['get']>>) => void,
    data = true,
  ): boolean {
    const conn = this.sessions.connections.get(connId);
    if (!conn || conn.closed || (data && !conn.admits('data'))) return false;
    fn(conn);
    return true;
  }

  /** A throwing/rejecting listener: the connection hears HANDLER_ERROR, the server logs and goes on. */
  private onListenerError(err: unknown, event: ServerEvent): void {
    this.logger.error({ err, event: event.type }, 'event listener failed');
    if (event.type === 'message') {
      const conn = this.sessions.connections.get(event.connId);
      conn?.sendError(
        'HANDLER_ERROR',
        'the application failed to handle this message',
        { type: event.t },
        event.cid,
      );
    }
    if (event.type !== 'error')
      this.hub.emit({ type: 'error', error: err, connId: 'connId' in event ? event.connId : undefined });
  }

  /** In memory (memory/mesh engines) or in Redis (redis engine): same runtime, same events. */
  private createPresence(): PresenceApi {
    const { presence, redis } = createPresence(this.options, this.engine, {
      nodeId: this.nodeId,
      toSubscribers: (topic, env) => this.fanout.enqueueUnstamped(topic, env),
      emit: (ev) => this.hub.emit(ev),
      ids: () => envelopeIds(),
      localTopics: () => this.topics.topics(),
      sendError: (connId, topic, err) =>
        this.sessions.connections.get(connId)?.sendError(err.code, err.message, { ...err.details, topic }),
    });
    this.redisPresence = redis;
    return presence;
  }

  /** What an engine with an external store reports back: link state and failed operations. */
  private engineHooks(): EngineHooks {
    return {
      onStatus: (up, reason) => {
        this.engineMetrics.setUp(up);
        if (up) this.logger.info({ engine: this.engine.name }, 'engine store reachable again');
        else this.logger.warn({ reason }, 'engine store unreachable: publishes fail until it is back');
      },
      onFailure: (op, err) => {
        this.engineMetrics.failure(op);
        this.logger.debug({ err, op }, 'engine operation failed');
      },
    };
  }

  private httpFacade(): HttpFacade {
    const auth = this.options.auth || undefined;
    const facade: HttpFacade = {
      healthSnapshot: () => this.healthSnapshot(),
      publish: (topic, data) => this.publish(topic, data),
      broadcastAll: (data) => this.broadcastAll(data),
      metricsText: () => this.metrics.render(),
      metricsContentType: this.metrics.contentType,
    };
    if (this.options.dev && auth?.secret) {
      const secret = auth.secret;
      const ttl = 3600;
      facade.mintDevToken = async (sub) => ({
        token: await mintDevToken(secret, sub, ttl, { issuer: auth.issuer, audience: auth.audience }),
        expires_in: ttl,
      });
    }
    return facade;
  }
}

export type { Envelope };

/** A value that may be a promise (Redis engine) where the sync API needs the value itself. */
function syncOnly<T>(value: T | Promise<T>, asyncName: string): T {
  if (!(value instanceof Promise)) return value;
  void value.catch(() => {});
  throw new TypeError(`the Redis engine keeps presence in Redis: use ${asyncName}`);
}
