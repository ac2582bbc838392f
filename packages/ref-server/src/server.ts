import { buildEnvelope, type Envelope } from '@wse/core-client/protocol';
import type { Logger } from 'pino';
import { mintDevToken } from './auth/dev-token';
import { type Engine, MemoryEngine } from './engine/engine';
import type { HttpFacade } from './http/http-api';
import { ServerMetrics } from './http/server-metrics';
import { createLogger } from './logger';
import { type ConnectionInfo, type ResolvedOptions, resolveOptions, type WSEServerOptions } from './options';
import { EventHub, type Listener, type ServerEvent, type ServerEventMap } from './session/event-hub';
import { serverFeatures } from './session/negotiate';
import { SessionManager, type UpgradeContext } from './session/session-manager';
import { Fanout } from './topics/fanout';
import { toPublication } from './topics/publication';
import { TopicRegistry } from './topics/topic-registry';
import { TopicService } from './topics/topic-service';
import { createHttpHandler } from './transport/http-bridge';
import { UwsTransport } from './transport/uws-transport';

/** Version reported in `server_hello.server_version`. */
export const SERVER_VERSION = '0.1.0';

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
 * The WSE reference server on uWebSockets.js (PROTOCOL.md v1).
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
  private readonly fanout: Fanout;
  private readonly topics: TopicService;
  private readonly hub: EventHub;
  private readonly sessions: SessionManager;
  private readonly engine: Engine;
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
      target: (id) => this.sessions.connections.get(id),
      allConnections: () => this.sessions.connections.keys(),
      compressionThreshold: o.compressionThreshold,
      maxBackpressure: o.maxBackpressure,
      onSkipped: (id) => {
        const conn = this.sessions.connections.get(id);
        if (conn) this.sessions.checkBackpressure(conn);
      },
      onDelivered: (count, bytes, seconds) => {
        this.metrics.messageOut(count, bytes);
        this.metrics.observePublish(seconds);
      },
    });
    // TODO(recovery): set `this.fanout.stamp` to the RecoveryStore's stamp when recovery.enabled.
    this.topics = new TopicService(this.registry, this.fanout, {
      maxSubscriptions: o.maxSubscriptionsPerConnection,
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
    });
    this.hub = new EventHub(o.maxInboundQueueSize, (err, ev) => this.onListenerError(err, ev));
    this.engine = new MemoryEngine((topic, env) => this.topics.publish(topic, env));
    this.sessions = new SessionManager({
      options: o,
      logger: this.logger,
      metrics: this.metrics,
      topics: this.topics,
      events: this.hub,
      // Recovery and presence are advertised once their stores are wired in (later issue).
      features: serverFeatures({ recovery: false, presence: false }),
      serverVersion: SERVER_VERSION,
      verify: o.verifier
        ? (token) => (o.verifier as NonNullable<typeof o.verifier>).verify(token)
        : undefined,
      publish: (topic, env) => this.engine.publish(topic, env),
      http: createHttpHandler(this.httpFacade(), {
        apiKey: o.apiKey,
        dev: o.dev,
        staticDir: o.staticDir,
        maxBodyBytes: o.maxMessageSize,
        onError: (err) => this.logger.error({ err }, 'http handler failed'),
      }),
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
        maxPayloadLength: Math.min(o.maxMessageSize * 2, o.maxMessageSize + 16 * 1024 * 1024),
        maxBackpressure: o.maxBackpressure,
        maxBodyBytes: o.maxMessageSize,
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
    this.sessions.reopen();
    this.hub.reopen();
    this.boundPort = await this.transport.listen();
    await this.engine.start();
    this.sessions.startSweep();
    this.running = true;
    this.startedAt = Date.now();
    this.logger.info({ host: o.host, port: this.boundPort, path: o.path }, 'WSE server listening');
    return this.boundPort;
  }

  /** Closes every client with 1001, stops listening, and resolves once the port is free. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.transport?.closeListener();
    this.sessions.closeAll(1001, 'server going away');
    this.sessions.stopSweep();
    this.fanout.flush();
    await this.engine.stop();
    this.hub.close();
    await new Promise((resolve) => setImmediate(resolve));
    this.logger.info('WSE server stopped');
  }

  /** Stops accepting, closes clients with 4300 (reconnect elsewhere), resolves when none are left. */
  async drain(o: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.running) return;
    this.transport?.closeListener();
    this.sessions.closeAll(4300, 'node draining');
    const deadline = Date.now() + (o.timeoutMs ?? 10_000);
    while (this.sessions.connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
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

  /** Sends raw text (encrypted for E2E connections). False when the connection is unknown. */
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
    return this.withConn(connId, (c) => c.sendEvent(type, event.p ?? event.payload ?? {}, event));
  }

  /** Several events in one `batch` frame. */
  sendBatch(connId: string, events: OutgoingEvent[]): boolean {
    const messages = events.map((e) => buildEnvelope(e.t ?? e.type ?? '', e.p ?? e.payload ?? {}, e));
    return this.withConn(connId, (c) => c.sendEvent('batch', { messages, count: messages.length }));
  }

  /** Answers a request: same `cid`, type `response` unless given. */
  reply(
    connId: string,
    cid: string | undefined,
    payload: Record<string, unknown>,
    type = 'response',
  ): boolean {
    return this.withConn(connId, (c) => c.sendEvent(type, payload, { cid }));
  }

  /** Closes one connection. */
  disconnect(connId: string, code = 1000, reason = ''): boolean {
    return this.withConn(connId, (c) => c.close(code, reason));
  }

  // ── publishing ─────────────────────────────────────────────────────────────────────────────

  /** To every connection on this node. Returns the number of connections it will reach. */
  broadcastAll(data: unknown): number {
    return this.topics.publishAll(toPublication(undefined, data), this.sessions.connections.size);
  }

  /** To the topic's subscribers on this node only. Returns the local delivery count. */
  broadcastLocal(topic: string, data: unknown): number {
    return this.topics.publish(topic, toPublication(topic, data));
  }

  /** To the topic's subscribers on every node (the engine decides); returns the local count. */
  broadcast(topic: string, data: unknown): number {
    return this.engine.publish(topic, toPublication(topic, data));
  }

  // ── topics ─────────────────────────────────────────────────────────────────────────────────

  /** Server-side subscribe (no ACL check: the app decides). Returns the topics that were new. */
  subscribeConnection(
    connId: string,
    topics: string[],
    _o: { presence?: Record<string, unknown> } = {},
  ): string[] {
    const conn = this.sessions.connections.get(connId);
    // TODO(presence): join with `_o.presence` once the presence store is wired.
    return conn ? this.topics.subscribe(conn, topics) : [];
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
    return {
      status: this.running ? 'ok' : 'stopped',
      uptime_s: this.running ? Math.round((Date.now() - this.startedAt) / 1000) : 0,
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
      native_transport: this.transport?.native ?? null,
    };
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private withConn(
    connId: string,
    fn: (c: NonNullable<ReturnType<SessionManager['connections']['get']>>) => void,
  ): boolean {
    const conn = this.sessions.connections.get(connId);
    if (!conn || conn.closed) return false;
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

  private httpFacade(): HttpFacade {
    const auth = this.options.auth || undefined;
    const facade: HttpFacade = {
      healthSnapshot: () => this.healthSnapshot(),
      publish: (topic, data) => this.broadcast(topic, data),
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
