/**
 * Presence limits (`presence: {...}` of the server config, docs-site/protocol §5).
 *
 * @example
 * ```ts
 * const options: PresenceOptions = { maxDataSize: 1024, maxMembers: 100 };
 * ```
 */
export interface PresenceOptions {
  /** Largest presence data, in UTF-8 bytes of its JSON text. Default 4096. */
  maxDataSize: number;
  /** Most distinct users per topic; 0 = unlimited (default). */
  maxMembers: number;
}

/**
 * Defaults of {@link PresenceOptions}.
 *
 * @example
 * ```ts
 * new PresenceStore({ ...DEFAULT_PRESENCE_OPTIONS, maxMembers: 50 }, 'node-a');
 * ```
 */
export const DEFAULT_PRESENCE_OPTIONS: Readonly<PresenceOptions> = Object.freeze({
  maxDataSize: 4096,
  maxMembers: 0,
});

/**
 * One member of a topic as clients see it (`presence` reply): one user, however many tabs and nodes.
 *
 * @example
 * ```ts
 * const m: PresenceMember = { data: { name: 'Ada' }, connections: 3 };
 * ```
 */
export interface PresenceMember {
  data: unknown;
  connections: number;
}

/**
 * A change of the merged member list of a topic — what the runtime broadcasts as `presence_join`,
 * `presence_leave`, `presence_update` (with `user_id`) and emits to the server app. For `leave`,
 * `data` is the member's last data.
 *
 * @example
 * ```ts
 * const change = store.join('room', 'u1', 'conn-1', { name: 'Ada' });
 * if (change) broadcast(change.topic, `presence_${change.action}`, { topic: change.topic, user_id: change.userId, data: change.data });
 * ```
 */
export type PresenceChange = {
  action: 'join' | 'leave' | 'update';
  topic: string;
  userId: string;
  data: unknown;
};

/**
 * One origin node's change for one (topic, user), stamped with the origin's `updated_at` (ms) — the
 * body of a cluster `PRESENCE_UPDATE` frame (§9). `connections` is not on the §9 wire; when absent a
 * remote entry counts as one connection.
 *
 * @example
 * ```ts
 * store.applyRemote('node-b', { action: 'join', topic: 'room', userId: 'u2', data: {}, updated_at: 1700000000000 });
 * ```
 */
export interface RemotePresenceChange {
  action: 'join' | 'leave' | 'update';
  topic: string;
  userId: string;
  data?: unknown;
  updated_at: number;
  connections?: number;
}

/**
 * A full presence state of one node, `{topic: {user: {data, updated_at, connections}}}` — the JSON of
 * a cluster `PRESENCE_FULL` frame (§9) plus the connection count.
 *
 * @example
 * ```ts
 * const snapshot: PresenceSnapshot = { room: { u1: { data: {}, updated_at: 1700000000000, connections: 2 } } };
 * ```
 */
export type PresenceSnapshot = Record<
  string,
  Record<string, { data: unknown; updated_at: number; connections: number }>
>;

/**
 * Injected environment of a {@link PresenceStore}.
 *
 * @example
 * ```ts
 * const env: PresenceStoreEnv = { now: () => clock.now(), onLocalChange: (c) => mesh.sendPresence(c) };
 * ```
 */
export interface PresenceStoreEnv {
  /** Clock in ms for `updated_at`. Default `Date.now`. */
  now?: () => number;
  /**
   * Called synchronously, after the state is updated, with every change of THIS node's own entries
   * (a user's first local connection, data change, last local connection) — what the cluster layer
   * sends to peers. Fires even when the merged view does not change (the user is also elsewhere).
   */
  onLocalChange?: (change: RemotePresenceChange) => void;
}
