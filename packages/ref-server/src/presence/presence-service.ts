import { buildEnvelope, type Envelope } from '@wse/core-client/protocol';
import type { PresenceApi } from './presence-api';
import type { PresenceStore } from './presence-store';
import type {
  PresenceChange,
  PresenceMember,
  PresenceSnapshot,
  RemotePresenceChange,
} from './presence-types';

/**
 * A change of a topic's members as the server app sees it (`server.on('presence', …)`): the merged
 * join/leave/update plus the connection that caused it.
 *
 * @example
 * ```ts
 * server.on('presence', (ev) => console.log(ev.action, ev.topic, ev.userId));
 * ```
 */
export interface PresenceEvent {
  type: 'presence';
  action: 'join' | 'leave' | 'update';
  topic: string;
  userId: string;
  data: unknown;
  /** The connection whose subscribe/update/unsubscribe/close caused the change; `''` when another node's. */
  connId: string;
  /** The node whose change it was, for changes learnt from the cluster. */
  origin?: string;
}

/**
 * What the presence runtime needs: a way to reach a topic's subscribers without the recovery stamp
 * (presence events take no offset and are not replayed) and the server's event hub.
 *
 * @example
 * ```ts
 * const deps: PresenceDeps = { toSubscribers: (t, env) => fanout.enqueueUnstamped(t, env), emit: (ev) => hub.emit(ev) };
 * ```
 */
export interface PresenceDeps {
  toSubscribers(topic: string, envelope: Envelope): void;
  emit(event: PresenceEvent): void;
  /** Fresh `id`/`ts` for outgoing envelopes. */
  ids(): { id?: string; ts?: string };
}

/**
 * Presence runtime (docs-site/protocol §5) over a {@link PresenceStore}: every change of a topic's
 * merged members goes to the topic's subscribers as `presence_join` / `presence_leave` /
 * `presence_update` `{topic, user_id, data}` (through the fan-out queue, so in order with the
 * topic's publications) and to the app as a `presence` event. Limits throw `PresenceError`.
 *
 * @example
 * ```ts
 * const presence = new PresenceService(new PresenceStore({ maxDataSize: 4096 }, 'node-a'), deps);
 * presence.join(connId, 'ada', 'room', { name: 'Ada' }); // room's subscribers get presence_join
 * presence.leaveAll(connId);                             // on close: presence_leave if it was the last tab
 * ```
 */
export class PresenceService implements PresenceApi {
  /**
   * Receives this node's own per-origin changes (first/last local connection of a user, new data)
   * as the cluster sends them to peers (PRESENCE_UPDATE). The server routes the store's
   * `onLocalChange` here; the mesh engine sets it.
   */
  localSink?: (change: RemotePresenceChange) => void;

  constructor(
    readonly store: PresenceStore,
    private readonly deps: PresenceDeps,
  ) {}

  /** A subscribed connection joins `topic` (or changes its user's data). Throws PresenceError. */
  join(connId: string, userId: string, topic: string, data: unknown): void {
    this.announce(this.store.join(topic, userId, connId, data), connId);
  }

  /** New data for the connection's user on `topic` (joins when it had not). Throws PresenceError. */
  update(connId: string, userId: string, topic: string, data: unknown): void {
    this.announce(this.store.update(topic, userId, connId, data), connId);
  }

  /** The connection left `topics` (unsubscribe, ACL revoked on refresh). */
  leave(connId: string, topics: readonly string[]): void {
    for (const topic of topics) this.announce(this.store.leaveConnection(topic, connId), connId);
  }

  /** The connection closed (every path: client, idle, slow consumer, server, stop). */
  leaveAll(connId: string): void {
    for (const change of this.store.leaveAll(connId)) this.announce(change, connId);
  }

  /** A peer's change (PRESENCE_UPDATE): merged last-write-wins; subscribers hear what the merged view did. */
  applyRemote(origin: string, change: RemotePresenceChange): void {
    this.announce(this.store.applyRemote(origin, change), '', origin);
  }

  /** A peer's full state (PRESENCE_FULL, one chunk). */
  applySnapshot(origin: string, snapshot: PresenceSnapshot): void {
    for (const change of this.store.applyRemoteSnapshot(origin, snapshot)) this.announce(change, '', origin);
  }

  /** A peer is gone (dead or left): its users leave, once, where it was their last node. */
  purgeOrigin(origin: string): void {
    for (const change of this.store.purgeOrigin(origin)) this.announce(change, '', origin);
  }

  /** This node's own entries (what PRESENCE_FULL sends). */
  exportLocal(): PresenceSnapshot {
    return this.store.exportLocal();
  }

  members(topic: string): Record<string, PresenceMember> {
    return this.store.members(topic);
  }

  stats(topic: string): { num_users: number; num_connections: number } {
    return this.store.stats(topic);
  }

  totals(): { topics: number; members: number; connections: number } {
    return this.store.totals();
  }

  private announce(change: PresenceChange | null, connId: string, origin?: string): void {
    if (!change) return;
    const { action, topic, userId, data } = change;
    const env = buildEnvelope(`presence_${action}`, { topic, user_id: userId, data }, this.deps.ids());
    this.deps.toSubscribers(topic, env as Envelope);
    this.deps.emit({ type: 'presence', action, topic, userId, data, connId, ...(origin ? { origin } : {}) });
  }
}
