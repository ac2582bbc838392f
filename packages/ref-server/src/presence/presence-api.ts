import type { PresenceMember } from './presence-types';

/**
 * What the server runtime needs from presence: the in-memory {@link PresenceService} (memory and
 * mesh engines) or the Redis one (`engine/redis/redis-presence.ts`), whose queries read Redis and so
 * answer promises. Limits found synchronously (data too large) throw `PresenceError`; the Redis one
 * reports what Redis decides (topic full, Redis down) through its error hook.
 *
 * @example
 * ```ts
 * const members = await presence.members('room');
 * ```
 */
export interface PresenceApi {
  join(connId: string, userId: string, topic: string, data: unknown): void;
  update(connId: string, userId: string, topic: string, data: unknown): void;
  leave(connId: string, topics: readonly string[]): void;
  leaveAll(connId: string): void;
  members(topic: string): Record<string, PresenceMember> | Promise<Record<string, PresenceMember>>;
  stats(
    topic: string,
  ): { num_users: number; num_connections: number } | Promise<{ num_users: number; num_connections: number }>;
  /** This node's figures for `/health`. */
  totals(): { topics: number; members: number; connections: number };
}
