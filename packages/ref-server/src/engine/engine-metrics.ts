import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Engine figures for `/metrics`, on the server's registry: `<prefix>engine_up` (1 while the
 * engine's store is reachable; always 1 for the memory engine) and
 * `<prefix>engine_failures_total{op}` (publishes, subscribes, reads and restores that failed
 * because the store was unreachable or answered an error).
 *
 * @example
 * const m = new EngineMetrics(server.metrics.registry);
 * m.failure('publish');
 */
export class EngineMetrics {
  private readonly up: Gauge;
  private readonly failures: Counter<'op'>;

  constructor(registry: Registry, prefix = 'wse_') {
    const registers = [registry];
    this.up = new Gauge({
      name: `${prefix}engine_up`,
      help: 'Engine store reachable (1) or not (0)',
      registers,
    });
    this.failures = new Counter({
      name: `${prefix}engine_failures_total`,
      help: 'Engine operations that failed (store unreachable or erroring), by operation',
      labelNames: ['op'],
      registers,
    });
    this.up.set(1);
  }

  setUp(up: boolean): void {
    this.up.set(up ? 1 : 0);
  }

  failure(op: string): void {
    this.failures.inc({ op });
  }
}
