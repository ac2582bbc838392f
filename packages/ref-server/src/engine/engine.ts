import { type Envelope, ServerError } from '@wse/core-client/protocol';
import type { PresenceService } from '../presence/presence-service';
import type { StreamPosition } from '../recovery/recovery-types';
import type { SharedLog } from '../recovery/shared-log';
import type { PublicationLog, StampedPublication } from '../recovery/topic-sequencer';

/**
 * The engine seam (DESIGN.md "One engine seam, three engines"): the ONLY way a publication leaves
 * this node and the only way a remote one enters local fan-out. Exactly one engine runs per server:
 * memory (one node, the default), mesh (`src/cluster/`), redis (`src/engine/redis/`). Sessions,
 * topics, recovery and presence never know which one runs.
 *
 * Who stamps is the engine's call ({@link Engine.publish}):
 * - memory and mesh stamp locally: `host.stamp()` numbers the publication in this node's own stream
 *   (the server's `TopicSequencer`/`RecoveryStore`), then `host.deliver()` queues it for local
 *   fan-out, and the mesh forwards the stamped JSON unchanged to interested peers;
 * - redis stamps in Redis (one Lua step: offset, XADD, PUBLISH) and delivers what comes back on its
 *   channel with `host.deliverRemote()` — on the publishing node too — so every node fans out the
 *   same stamp.
 *
 * Every path into local fan-out ends in the same queue: one uWS publish per format group per
 * publication, flushed once per event-loop turn, whether the publication was local or remote.
 *
 * @example
 * ```ts
 * const engine: Engine = new MemoryEngine(host);
 * await engine.start();
 * engine.publish('chat', buildEnvelope('chat_message', { text: 'hi' })); // → local count
 * ```
 */
export interface Engine {
  /** `memory`, `mesh` or `redis`: reported by `/health` and `/metrics`. */
  readonly name: string;
  /**
   * Publishes to every node. Returns this node's local subscriber count — synchronously for engines
   * that stamp locally; engines that must ask a remote store first (redis) may return a promise that
   * rejects with {@link EngineUnavailableError} when the publication could not be accepted. The
   * server keeps `broadcast()` synchronous either way (see `WSEServer.broadcast`).
   */
  publish(topic: string, envelope: Envelope): number | Promise<number>;
  /**
   * Local interest changed: `present` is true when `topic` got its FIRST local subscriber, false when
   * its LAST one left. Called synchronously from the subscribe/unsubscribe/close paths, once per
   * transition (never twice in a row with the same value for one topic). Mesh: SUB/UNSUB to peers;
   * redis: SUBSCRIBE/UNSUBSCRIBE the topic's channel. The full set is `host.localTopics()`.
   *
   * Queue groups (a later issue) announce their interest through the same call with a key built by
   * {@link groupInterestKey}, so the cluster can route one copy per group.
   */
  interest(topic: string, present: boolean): void;
  /**
   * Recovery of streams this node does not hold (docs-site/protocol §9 RECOVER/RECOVER_REPLY, redis XRANGE).
   * Optional: an engine without it answers `null` for every remote stream, and the subscribe flow
   * keeps the local answer (`recovered: false` for a stream it does not hold). Resolves within the
   * engine's bounded wait; never rejects (a timeout or error is `null`). Whole range or `null`:
   * never a partial replay.
   */
  recoverRemote?(topic: string, position: StreamPosition, max: number): Promise<RemoteRecovery | null>;
  /**
   * Set by an engine whose history is the store's, not this node's (redis): every subscribe then
   * takes the async path of the subscribe flow — hold the topic's live delivery, read the store,
   * barrier, subscribe + replay + live overlap dropped by offset — instead of the local buffers.
   * (Added by the Redis engine: `recoverRemote` alone cannot keep a live publication from slipping
   * between a remote read and the local subscribe.)
   */
  readonly shared?: SharedLog;
  /**
   * Keeps interest in `topic` announced while a remote recovery for it is pending (so the origin's
   * live publications reach this node before the reply does); returns the release. Optional: an
   * engine that always receives every publication needs none.
   */
  pinInterest?(topic: string): () => void;
  /** Health for `/health` and `/metrics`: `degraded` while the engine cannot reach what it needs. */
  health(): EngineHealth;
  /** Called by `WSEServer.start()` after the port is bound. */
  start(): Promise<void>;
  /** `WSEServer.drain()`: tell the others to stop routing new work here; keep the links. */
  drain?(): Promise<void>;
  /** `WSEServer.stop()`: leave (mesh SHUTDOWN), release every socket and timer. */
  stop(): Promise<void>;
}

/**
 * What an engine may do to its node. The server builds one and hands it to the engine factory.
 *
 * @example
 * ```ts
 * const n = host.deliver('chat', host.stamp('chat', env)); // what MemoryEngine.publish does
 * ```
 */
export interface EngineHost {
  /** This node's id in the cluster (also the presence/recovery origin name of local entries). */
  readonly nodeId: string;
  /** Numbers `envelope` in this node's own stream for `topic` (and keeps it when recovery is on). */
  stamp(topic: string, envelope: Envelope): StampedPublication;
  /**
   * Queues an already-stamped publication for local fan-out (stamp kept). Returns the local
   * subscriber count; a topic without local subscribers costs nothing.
   */
  deliver(topic: string, publication: Pick<StampedPublication, 'envelope' | 'json' | 'bytes'>): number;
  /**
   * A publication stamped elsewhere (`origin` = the node or store that stamped it), as the JSON text
   * that goes to clients: validated (its `tp` must be `topic`), kept in the per-origin recovery
   * stream when recovery is on (a duplicate offset is dropped, so two routes never deliver twice),
   * then queued for local fan-out. Returns the local count, or -1 when it was refused (malformed,
   * wrong topic, duplicate).
   */
  deliverRemote(origin: string, topic: string, json: string): number;
  /** Local subscribers of `topic` now. */
  subscriberCount(topic: string): number;
  /** Every topic with at least one local subscriber (for RESYNC / re-subscribing after a reconnect). */
  localTopics(): Iterable<string>;
  /** The node's publication log: answers other nodes' RECOVER for streams stamped here. */
  readonly log: PublicationLog;
  /** The node's presence when it is on: engines that span nodes merge peers' members into it. */
  readonly presence?: PresenceService;
}

/** A whole recovered range from another node or store: stamped envelopes JSON, offset order. */
export interface RemoteRecovery {
  /** Who held it (node id or `redis`). */
  origin: string;
  publications: string[];
  /** The same publications already parsed and checked (tp, e, consecutive o), when the engine did it. */
  stamped?: StampedPublication[];
}

/**
 * Engine health: `ok`, or `degraded` while it cannot do its whole job (mesh: a configured peer is
 * down; redis: Redis unreachable). `figures` go to `/health` as they are and to `/metrics` as
 * gauges named `wse_engine_<key>` (numbers only).
 *
 * @example
 * ```ts
 * const h: EngineHealth = { status: 'ok', figures: { peers_up: 2 } };
 * ```
 */
export interface EngineHealth {
  status: 'ok' | 'degraded';
  figures: Record<string, number>;
  /** Free-form details for `/health` (peer list, last error). */
  details?: Record<string, unknown>;
}

/**
 * The interest key under which a queue group's membership of `topic` is announced (reserved: the
 * `\u0000` cannot appear in a client topic name). The mesh routes a key like a topic.
 *
 * @example
 * ```ts
 * engine.interest(groupInterestKey('jobs', 'workers'), true);
 * ```
 */
export function groupInterestKey(topic: string, group: string): string {
  return `${topic}\u0000q:${group}`;
}

/**
 * A publication could not be handed to the engine's backend (redis down, …). Code
 * `ENGINE_UNAVAILABLE`; the HTTP publish API answers 503 with it.
 *
 * @example
 * ```ts
 * throw new EngineUnavailableError('redis is unreachable');
 * ```
 */
export class EngineUnavailableError extends ServerError {
  override name = 'EngineUnavailableError';
  declare readonly code: 'ENGINE_UNAVAILABLE';

  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('ENGINE_UNAVAILABLE', message, details, options);
  }
}

/**
 * Single node: stamps locally and delivers locally; remote paths are never used.
 *
 * @example
 * ```ts
 * const engine = new MemoryEngine(host);
 * engine.publish('news', env); // local subscriber count
 * ```
 */
export class MemoryEngine implements Engine {
  readonly name = 'memory';

  constructor(private readonly host: Pick<EngineHost, 'stamp' | 'deliver'>) {}

  publish(topic: string, envelope: Envelope): number {
    return this.host.deliver(topic, this.host.stamp(topic, envelope));
  }

  interest(): void {}

  health(): EngineHealth {
    return { status: 'ok', figures: {} };
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}

/**
 * What the server hears from an engine with an external store (redis): the store went away / came
 * back, an operation failed (→ `/metrics` `engine_up`, `engine_failures_total{op}`, logs).
 *
 * @example
 * ```ts
 * const hooks: EngineHooks = { onStatus: (up) => gauge.set(up ? 1 : 0), onFailure: (op) => failures.inc({ op }) };
 * ```
 */
export interface EngineHooks {
  onStatus?(up: boolean, reason?: string): void;
  onFailure?(op: string, err: unknown): void;
}
