import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Engine figures for `/metrics`, on the server's registry: `<prefix>engine_up{engine}` (1 while the
 * engine's store is reachable; always 1 for the memory and mesh engines, whose links report as
 * `wse_engine_<figure>` gauges instead) and
 * `<prefix>engine_failures_total{op}` (publishes, subscribes, reads and restores that failed
 * because the store was unreachable or answered an error).
 *
 * @example
 * const m = new EngineMetrics(server.metrics.registry, 'redis');
 * m.failure('publish');
 */
export class EngineMetrics {
  private readonly up: Gauge<'engine'>;
  private readonly failures: Counter<'op'>;

  constructor(
    registry: Registry,
    private readonly engine: string,
    prefix = 'wse_',
  ) {
    const registers = [registry];
    this.up = new Gauge({
      name: `${prefix}engine_up`,
      help: 'Engine store reachable (1) or not (0)',
      labelNames: ['engine'],
      registers,
    });
    this.failures = new Counter({
      name: `${prefix}engine_failures_total`,
      help: 'Engine operations that failed (store unreachable or erroring), by operation',
      labelNames: ['op'],
      registers,
    });
    this.up.set({ engine }, 1);
  }

  setUp(up: boolean): void {
    this.up.set({ engine: this.engine }, up ? 1 : 0);
  }

  failure(op: string): void {
    this.failures.inc({ op });
  }
}
