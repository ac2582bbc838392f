import type { Envelope } from '@wse/core-client/protocol';

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
  /** Publishes to every node; returns this node's local delivery count. */
  publish(topic: string, envelope: Envelope): number;
  start(): Promise<void>;
  stop(): Promise<void>;
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
