import type { Envelope } from '@wse/core-client/protocol';
import type { SharedLog } from '../recovery/shared-log';

/**
 * How a publication leaves this node. `broadcast(topic, data)` goes through the engine; the memory
 * engine delivers locally only, the cluster/redis engines (later issues) also forward to peers and
 * call `deliverLocal` for what peers send us.
 *
 * @example
 * const engine: Engine = new MemoryEngine((topic, env) => topics.publish(topic, env));
 */
export interface Engine {
  readonly name: string;
  /**
   * Publishes to every node; returns this node's local delivery count. An engine backed by a store
   * (Redis) answers a promise that rejects with `EngineUnavailableError` when the store is down.
   */
  publish(topic: string, envelope: Envelope): number | Promise<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The topic got its first local subscriber (`true`) or lost its last (`false`). */
  interest?(topic: string, active: boolean): void;
  /** Set when history lives in the engine's store: subscribes with recovery read it there. */
  readonly shared?: SharedLog;
  /** For `/health`; `status: 'degraded'` while the engine's store is unreachable. */
  health?(): EngineHealth;
}

/** What {@link Engine.health} reports. */
export interface EngineHealth extends Record<string, unknown> {
  status: 'ok' | 'degraded';
}

/** Single node: a publication is a local publication. */
export class MemoryEngine implements Engine {
  readonly name = 'memory';

  constructor(private readonly deliverLocal: (topic: string, envelope: Envelope) => number) {}

  publish(topic: string, envelope: Envelope): number {
    return this.deliverLocal(topic, envelope);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
