import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one server, on a registry of its own (never prom-client's global one), so
 * several servers in one process do not clash. Metric names (with the default prefix `wse_`):
 * `connections` (gauge), `connections_total`, `messages_received_total`, `messages_sent_total`,
 * `bytes_received_total`, `bytes_sent_total`, `auth_failures_total`, `rate_limited_total`,
 * `slow_consumers_total` (counters) and `publish_duration_seconds` (histogram). Node process metrics
 * (`<prefix>process_*`, `<prefix>nodejs_*`) are added with `defaultMetrics: true`.
 *
 * @example
 * const metrics = new ServerMetrics();
 * metrics.connectionOpened();
 * metrics.messageIn(128);
 * const text = await metrics.render(); // Prometheus exposition text
 */
export class ServerMetrics {
  /** The registry all of this server's metrics live in. */
  readonly registry: Registry;
  private readonly connections: Gauge;
  private readonly connectionsTotal: Counter;
  private readonly messagesIn: Counter;
  private readonly messagesOut: Counter;
  private readonly bytesIn: Counter;
  private readonly bytesOut: Counter;
  private readonly authFailures: Counter;
  private readonly rateLimitedTotal: Counter;
  private readonly slowConsumers: Counter;
  private readonly publishDuration: Histogram;

  constructor(o: { prefix?: string; defaultMetrics?: boolean } = {}) {
    const p = o.prefix ?? 'wse_';
    this.registry = new Registry();
    const registers = [this.registry];
    const counter = (name: string, help: string) => new Counter({ name: p + name, help, registers });
    this.connections = new Gauge({ name: `${p}connections`, help: 'Open WebSocket connections', registers });
    this.connectionsTotal = counter('connections_total', 'WebSocket connections accepted');
    this.messagesIn = counter('messages_received_total', 'Messages received from clients');
    this.messagesOut = counter('messages_sent_total', 'Messages sent to clients (one per delivery)');
    this.bytesIn = counter('bytes_received_total', 'Bytes received from clients');
    this.bytesOut = counter('bytes_sent_total', 'Bytes sent to clients');
    this.authFailures = counter('auth_failures_total', 'Rejected authentication attempts');
    this.rateLimitedTotal = counter('rate_limited_total', 'Inbound messages dropped by the rate limit');
    this.slowConsumers = counter('slow_consumers_total', 'Connections that passed max backpressure');
    this.publishDuration = new Histogram({
      name: `${p}publish_duration_seconds`,
      help: 'Time to fan one publication out to local subscribers',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    });
    if (o.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  // ── engine / cluster (issue 12) ──
  /**
   * Exposes the engine's health figures at scrape time: `wse_engine_up{engine}` (1 ok, 0 degraded)
   * and one gauge per figure, `wse_engine_<figure>{engine}` (mesh: peers_up, link_changes,
   * msg_in/out, frames_in/out, bytes_in/out, queue_drops).
   *
   * @example
   * metrics.watchEngine(() => ({ name: engine.name, ...engine.health() }));
   */
  watchEngine(
    read: () => { name: string; status: 'ok' | 'degraded'; figures: Record<string, number> },
  ): void {
    const registers = [this.registry];
    // EngineMetrics may own engine_up already (set from the engine's status hooks): keep one.
    if (this.registry.getSingleMetric('wse_engine_up') === undefined) this.watchEngineUp(read);
    // The engine's figure names are fixed per engine: register them once, read them at scrape time.
    for (const key of Object.keys(read().figures)) {
      const gauge: Gauge = new Gauge({
        name: `wse_engine_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`,
        help: `Engine figure ${key}`,
        labelNames: ['engine'],
        registers,
        collect: () => {
          const h = read();
          gauge.set({ engine: h.name }, h.figures[key] ?? 0);
        },
      });
    }
  }

  private watchEngineUp(read: () => { name: string; status: 'ok' | 'degraded' }): void {
    const registers = [this.registry];
    const up = new Gauge({
      name: 'wse_engine_up',
      help: 'Engine health: 1 ok, 0 degraded',
      labelNames: ['engine'],
      registers,
      collect: () => {
        const h = read();
        up.set({ engine: h.name }, h.status === 'ok' ? 1 : 0);
      },
    });
  }

  /** Content-Type for the `/metrics` response. @example res.headers['content-type'] = metrics.contentType; */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** A connection was accepted. @example metrics.connectionOpened(); */
  connectionOpened(): void {
    this.connections.inc();
    this.connectionsTotal.inc();
  }

  /** A connection closed. @example metrics.connectionClosed(); */
  connectionClosed(): void {
    this.connections.dec();
  }

  /** One inbound message of `bytes` bytes. @example metrics.messageIn(data.byteLength); */
  messageIn(bytes: number): void {
    this.messagesIn.inc();
    if (bytes > 0) this.bytesIn.inc(bytes);
  }

  /** `count` deliveries totalling `bytes` bytes. @example metrics.messageOut(subscribers, subscribers * frame.length); */
  messageOut(count: number, bytes: number): void {
    if (count > 0) this.messagesOut.inc(count);
    if (bytes > 0) this.bytesOut.inc(bytes);
  }

  /** A token or auth handshake was rejected. @example metrics.authFailure(); */
  authFailure(): void {
    this.authFailures.inc();
  }

  /** A message was dropped by the rate limit. @example metrics.rateLimited(); */
  rateLimited(): void {
    this.rateLimitedTotal.inc();
  }

  /** A connection crossed `maxBackpressure`. @example metrics.slowConsumer(); */
  slowConsumer(): void {
    this.slowConsumers.inc();
  }

  /** Records one publish's fan-out time. @example metrics.observePublish(performance.now() / 1000 - t0); */
  observePublish(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.publishDuration.observe(seconds);
  }

  /** Prometheus exposition text of every metric in the registry. @example const body = await metrics.render(); */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
