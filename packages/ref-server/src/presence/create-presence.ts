import type { Envelope } from '@wse/core-client/protocol';
import type { Engine, EngineUnavailableError } from '../engine/engine';
import { RedisEngine } from '../engine/redis/redis-engine';
import { RedisPresence } from '../engine/redis/redis-presence';
import type { ResolvedOptions } from '../options';
import type { PresenceApi } from './presence-api';
import type { PresenceError } from './presence-error';
import { type PresenceEvent, PresenceService } from './presence-service';
import { PresenceStore } from './presence-store';

/** What presence needs from the server, whichever engine runs. */
export interface PresenceWiring {
  nodeId: string;
  toSubscribers(topic: string, envelope: Envelope): void;
  emit(event: PresenceEvent): void;
  ids(): { id?: string; ts?: string };
  /** Topics with local subscribers. */
  localTopics(): Iterable<string>;
  /** An asynchronous presence failure (Redis engine) for one connection. */
  sendError(connId: string, topic: string, err: PresenceError | EngineUnavailableError): void;
}

/**
 * The server's presence: in memory (memory/mesh engines) or in Redis (the Redis engine, which then
 * routes its channel's presence messages to it). `redis` is set when the Redis one was made (its
 * refresh/sweep timers follow the server's start/stop).
 *
 * @example
 * ```ts
 * const { presence, redis } = createPresence(options, engine, wiring);
 * ```
 */
export function createPresence(
  o: ResolvedOptions,
  engine: Engine,
  w: PresenceWiring,
): { presence: PresenceApi; redis?: RedisPresence } {
  const deps = { toSubscribers: w.toSubscribers, emit: w.emit, ids: w.ids };
  if (engine instanceof RedisEngine && o.engine.type === 'redis') {
    const redis = new RedisPresence(
      {
        prefix: o.engine.prefix,
        nodeId: w.nodeId,
        maxDataSize: o.presence.maxDataSize,
        maxMembers: o.presence.maxMembers,
        ttlMs: o.engine.presenceTtlSec * 1000,
      },
      { ...deps, link: engine.redisLink, localTopics: w.localTopics, onError: w.sendError },
    );
    engine.onPresence = (topic, json) => redis.onChannel(topic, json);
    return { presence: redis, redis };
  }
  // The store's own per-origin changes go to the service's sink (the mesh sends them to peers).
  let service: PresenceService | undefined;
  const store = new PresenceStore(
    { maxDataSize: o.presence.maxDataSize, maxMembers: o.presence.maxMembers },
    w.nodeId,
    { onLocalChange: (change) => service?.localSink?.(change) },
  );
  service = new PresenceService(store, deps);
  return { presence: service };
}
