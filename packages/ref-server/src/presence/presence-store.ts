import { PresenceError } from './presence-error';
import {
  DEFAULT_PRESENCE_OPTIONS,
  type PresenceChange,
  type PresenceMember,
  type PresenceOptions,
  type PresenceSnapshot,
  type PresenceStoreEnv,
  type RemotePresenceChange,
} from './presence-types';

export { PresenceError, type PresenceErrorCode } from './presence-error';
export * from './presence-types';

/** A user's entry from one origin node. `origin` is this node's id for local entries. */
interface Entry {
  origin: string;
  data: unknown;
  /** `JSON.stringify(data)`: size checks and change detection compare this text. */
  json: string;
  updatedAt: number;
}

interface LocalEntry extends Entry {
  conns: Set<string>;
}

interface RemoteEntry extends Entry {
  connections: number;
  /** Tombstone of a remote leave: keeps LWW from resurrecting the user with an older join. */
  deleted: boolean;
}

interface TopicState {
  local: Map<string, LocalEntry>;
  /** userId → origin → entry */
  remote: Map<string, Map<string, RemoteEntry>>;
  /** Users present in the merged view. */
  members: number;
}

interface Merged {
  data: unknown;
  json: string;
  connections: number;
}

/**
 * Presence per topic and per user (the token's `sub`), docs-site/protocol §5, with state kept per origin node
 * so a cluster can merge its peers' state (§9) without clobbering local members.
 *
 * Semantics (decided here):
 * - A user is ONE member however many connections (tabs) and nodes it has; `connections` sums them.
 * - `join` on the user's first connection → `'join'`. A later connection of the same user → `null`,
 *   or `'update'` when its data differs: a user has one data, the latest written wins.
 * - `leave` → `'leave'` only when the user's last connection goes; `leaveAll(connId)` does that for
 *   every topic of a closing connection (every disconnect path must call it).
 * - `update` of a connection that has not joined the topic behaves like `join` (the caller checks the
 *   subscription); same data → `null`.
 * - Returned changes describe the MERGED view (all origins): a local join of a user already present
 *   on another node returns `null`; the per-origin change still goes to `env.onLocalChange`.
 * - Merged data is last-write-wins by (`updated_at`, origin id), deterministic on every node. Local
 *   writes take `max(now, newest known updated_at of the user + 1)` so they win over a skewed peer.
 * - Limits: data JSON over `maxDataSize` UTF-8 bytes → {@link PresenceError} `PRESENCE_DATA_TOO_LARGE`;
 *   a NEW user (absent from the merged view) when `members >= maxMembers > 0` → `PRESENCE_FULL`.
 *   Nothing changes when a limit throws. Remote entries are not limited (peers enforce their own).
 * - Data is treated as immutable once passed in; `undefined` is stored as `null`.
 *
 * @example
 * ```ts
 * const presence = new PresenceStore({ maxDataSize: 4096, maxMembers: 0 }, 'node-a');
 * presence.join('room', 'ada', 'tab-1', { name: 'Ada' }); // { action: 'join', ... }
 * presence.join('room', 'ada', 'tab-2', { name: 'Ada' }); // null: same user, same data
 * presence.leaveAll('tab-1');                             // []: tab-2 is still there
 * presence.leave('room', 'ada', 'tab-2');                 // { action: 'leave', ... }
 * ```
 */
export class PresenceStore {
  /** Resolved limits. */
  readonly options: Readonly<PresenceOptions>;
  /** This node's id: the origin of local entries. */
  readonly nodeId: string;
  private readonly now: () => number;
  private readonly onLocalChange: ((change: RemotePresenceChange) => void) | undefined;
  private readonly topics = new Map<string, TopicState>();
  /** connId → topic → userId, for leaveAll. */
  private readonly byConn = new Map<string, Map<string, string>>();

  /**
   * @throws RangeError naming the invalid option (`presence.maxDataSize`, `presence.maxMembers`) or nodeId
   */
  constructor(options: Partial<PresenceOptions> = {}, nodeId = 'local', env: PresenceStoreEnv = {}) {
    const o = { ...DEFAULT_PRESENCE_OPTIONS };
    if (options.maxDataSize !== undefined) o.maxDataSize = options.maxDataSize;
    if (options.maxMembers !== undefined) o.maxMembers = options.maxMembers;
    if (!Number.isSafeInteger(o.maxDataSize) || o.maxDataSize < 4) {
      throw new RangeError(`presence.maxDataSize must be an integer ≥ 4 (bytes), got ${o.maxDataSize}`);
    }
    if (!Number.isSafeInteger(o.maxMembers) || o.maxMembers < 0) {
      throw new RangeError(`presence.maxMembers must be an integer ≥ 0 (0 = unlimited), got ${o.maxMembers}`);
    }
    if (typeof nodeId !== 'string' || nodeId === '')
      throw new RangeError('presence nodeId must be non-empty');
    this.options = Object.freeze(o);
    this.nodeId = nodeId;
    this.now = env.now ?? Date.now;
    this.onLocalChange = env.onLocalChange;
  }

  /**
   * A connection of `userId` joins `topic` with presence `data`.
   *
   * @returns `'join'` for the user's first connection, `'update'` when data differs from the user's
   *   current data, else `null`
   * @throws PresenceError `PRESENCE_DATA_TOO_LARGE` | `PRESENCE_FULL`; Error when `connId` already
   *   joined `topic` as another user
   */
  join(topic: string, userId: string, connId: string, data: unknown): PresenceChange | null {
    assertIds(topic, userId, connId);
    const json = this.encode(data);
    const joinedAs = this.byConn.get(connId)?.get(topic);
    if (joinedAs !== undefined && joinedAs !== userId) {
      throw new Error(`connection ${connId} already joined ${topic} as ${joinedAs}, not ${userId}`);
    }
    const state = this.topics.get(topic);
    const { maxMembers } = this.options;
    if (maxMembers > 0 && state && state.members >= maxMembers && !merged(state, userId)) {
      throw new PresenceError(
        'PRESENCE_FULL',
        `topic ${topic} has ${state.members} members (max ${maxMembers})`,
        {
          topic,
          members: state.members,
          limit: maxMembers,
        },
      );
    }
    return this.writeLocal(topic, userId, connId, data, json);
  }

  /**
   * A connection of `userId` leaves `topic` (unsubscribe).
   *
   * @returns `'leave'` when it was the user's last connection (merged over nodes), else `null`
   */
  leave(topic: string, userId: string, connId: string): PresenceChange | null {
    const entry = this.topics.get(topic)?.local.get(userId);
    if (!entry?.conns.has(connId)) return null;
    let local: RemotePresenceChange | undefined;
    const change = this.mutate(topic, userId, (state) => {
      entry.conns.delete(connId);
      this.unindex(connId, topic);
      if (entry.conns.size > 0) return;
      state.local.delete(userId);
      const updated_at = this.stampFor(state, userId);
      local = { action: 'leave', topic, userId, data: entry.data, updated_at, connections: 0 };
    });
    if (local) this.onLocalChange?.(local);
    return change;
  }

  /**
   * New presence data for a connection's user on `topic` (client `presence_update`, server
   * `updatePresence`). A connection that has not joined the topic joins.
   *
   * @returns `'update'` when the data changed, `null` when equal (or see {@link join})
   * @throws PresenceError as {@link join}
   */
  update(topic: string, userId: string, connId: string, data: unknown): PresenceChange | null {
    const entry = this.topics.get(topic)?.local.get(userId);
    if (!entry?.conns.has(connId)) return this.join(topic, userId, connId, data);
    return this.writeLocal(topic, userId, connId, data, this.encode(data));
  }

  /**
   * {@link leave} by connection: the user is the one `connId` joined `topic` as (no-op when it did
   * not join). What an unsubscribe calls.
   *
   * @example
   * ```ts
   * presence.leaveConnection('room', connId); // { action: 'leave', ... } | null
   * ```
   */
  leaveConnection(topic: string, connId: string): PresenceChange | null {
    const userId = this.byConn.get(connId)?.get(topic);
    return userId === undefined ? null : this.leave(topic, userId, connId);
  }

  /**
   * The user `connId` joined `topic` as, if it did.
   *
   * @example
   * ```ts
   * presence.joinedAs('room', connId); // 'ada' | undefined
   * ```
   */
  joinedAs(topic: string, connId: string): string | undefined {
    return this.byConn.get(connId)?.get(topic);
  }

  /**
   * Totals over every topic (for health): topics with members, members (users per topic, summed),
   * local connections that joined something.
   *
   * @example
   * ```ts
   * presence.totals(); // { topics: 3, members: 12, connections: 15 }
   * ```
   */
  totals(): { topics: number; members: number; connections: number } {
    let members = 0;
    for (const state of this.topics.values()) members += state.members;
    return { topics: this.topics.size, members, connections: this.byConn.size };
  }

  /**
   * Removes a closing connection from every topic it joined.
   *
   * @returns every resulting `'leave'` (users whose last connection it was)
   * @example
   * ```ts
   * for (const change of presence.leaveAll(connId)) broadcastPresence(change);
   * ```
   */
  leaveAll(connId: string): PresenceChange[] {
    const topics = this.byConn.get(connId);
    if (!topics) return [];
    const changes: PresenceChange[] = [];
    for (const [topic, userId] of [...topics]) {
      const change = this.leave(topic, userId, connId);
      if (change) changes.push(change);
    }
    return changes;
  }

  /**
   * Applies a peer's change for one (topic, user) — last-write-wins per origin by `updated_at`
   * (older than the stored entry → ignored). Changes from `this.nodeId` are ignored.
   *
   * @returns the resulting change of the merged view, if any
   * @example
   * ```ts
   * const change = presence.applyRemote('node-b', { action: 'leave', topic: 'room', userId: 'u2', updated_at: t });
   * ```
   */
  applyRemote(origin: string, change: RemotePresenceChange): PresenceChange | null {
    const { action, topic, userId, updated_at } = change;
    assertIds(topic, userId, origin);
    if (!Number.isFinite(updated_at)) throw new RangeError(`updated_at must be a number, got ${updated_at}`);
    if (origin === this.nodeId) return null;
    const current = this.topics.get(topic)?.remote.get(userId)?.get(origin);
    if (current && updated_at < current.updatedAt) return null;
    const deleted = action === 'leave';
    const data = deleted ? null : (change.data ?? null);
    const json = JSON.stringify(data) ?? 'null';
    const n = change.connections;
    const connections = deleted ? 0 : Number.isSafeInteger(n) && (n as number) > 0 ? (n as number) : 1;
    return this.mutate(topic, userId, (state) => {
      let byOrigin = state.remote.get(userId);
      if (!byOrigin) {
        byOrigin = new Map();
        state.remote.set(userId, byOrigin);
      }
      byOrigin.set(origin, { origin, data, json, updatedAt: updated_at, connections, deleted });
    });
  }

  /**
   * Applies a peer's full state (cluster `PRESENCE_FULL`, possibly one chunk of it) as joins, LWW.
   * Users missing from the snapshot are not removed (chunks are partial); use {@link purgeOrigin}.
   *
   * @example
   * ```ts
   * presence.applyRemoteSnapshot('node-b', JSON.parse(frameBody));
   * ```
   */
  applyRemoteSnapshot(origin: string, snapshot: PresenceSnapshot): PresenceChange[] {
    const changes: PresenceChange[] = [];
    for (const [topic, users] of Object.entries(snapshot)) {
      for (const [userId, m] of Object.entries(users)) {
        const change = this.applyRemote(origin, { action: 'join', topic, userId, ...m });
        if (change) changes.push(change);
      }
    }
    return changes;
  }

  /**
   * Forgets everything learnt from `nodeId` (the peer died or left).
   *
   * @returns the resulting leaves (and updates, where the user's data came from that node)
   * @example
   * ```ts
   * mesh.on('peer-down', (id) => presence.purgeOrigin(id).forEach(broadcastPresence));
   * ```
   */
  purgeOrigin(nodeId: string): PresenceChange[] {
    const changes: PresenceChange[] = [];
    for (const [topic, state] of [...this.topics]) {
      for (const [userId, byOrigin] of [...state.remote]) {
        if (!byOrigin.has(nodeId)) continue;
        const change = this.mutate(topic, userId, () => {
          byOrigin.delete(nodeId);
          if (byOrigin.size === 0) state.remote.delete(userId);
        });
        if (change) changes.push(change);
      }
    }
    return changes;
  }

  /**
   * Drops remote leave tombstones older than `before` (ms); call it now and then (e.g. with
   * `now - 5 min`) so churn does not grow memory. Returns how many were dropped.
   *
   * @example
   * ```ts
   * presence.pruneTombstones(Date.now() - 300_000);
   * ```
   */
  pruneTombstones(before: number): number {
    let pruned = 0;
    for (const [topic, state] of [...this.topics]) {
      for (const [userId, byOrigin] of [...state.remote]) {
        for (const [origin, entry] of [...byOrigin]) {
          if (!entry.deleted || entry.updatedAt >= before) continue;
          byOrigin.delete(origin);
          pruned += 1;
        }
        if (byOrigin.size === 0) state.remote.delete(userId);
      }
      this.dropIfEmpty(topic, state);
    }
    return pruned;
  }

  /**
   * This node's own entries, for a full sync to a peer (`PRESENCE_FULL`).
   *
   * @example
   * ```ts
   * mesh.send(peer, 'PRESENCE_FULL', JSON.stringify(presence.exportLocal()));
   * ```
   */
  exportLocal(): PresenceSnapshot {
    const out: PresenceSnapshot = dict();
    for (const [topic, state] of this.topics) {
      if (state.local.size === 0) continue;
      const users: PresenceSnapshot[string] = dict();
      for (const [userId, e] of state.local) {
        users[userId] = { data: e.data, updated_at: e.updatedAt, connections: e.conns.size };
      }
      out[topic] = users;
    }
    return out;
  }

  /**
   * The merged members of `topic` (all origins): one entry per user with summed connections. The
   * object has no prototype, so any user id (even `__proto__`) is a plain key.
   *
   * @example
   * ```ts
   * reply(conn, 'presence', { topic, members: presence.members(topic) });
   * ```
   */
  members(topic: string): Record<string, PresenceMember> {
    const out: Record<string, PresenceMember> = dict();
    const state = this.topics.get(topic);
    if (!state) return out;
    for (const userId of new Set([...state.local.keys(), ...state.remote.keys()])) {
      const m = merged(state, userId);
      if (m) out[userId] = { data: m.data, connections: m.connections };
    }
    return out;
  }

  /**
   * User ids with a merged entry on `topic` (all origins), unordered. For paging; see `presence-page.ts`.
   *
   * @example
   * ```ts
   * presence.userIds('room'); // ['bob', 'ada']
   * ```
   */
  userIds(topic: string): string[] {
    const state = this.topics.get(topic);
    if (!state) return [];
    const ids = new Set(state.local.keys());
    for (const id of state.remote.keys()) ids.add(id);
    return [...ids];
  }

  /**
   * One user's merged entry on `topic` with its data's JSON length, or undefined.
   *
   * @example
   * ```ts
   * presence.member('room', 'ada'); // { data: {…}, connections: 2, bytes: 17 }
   * ```
   */
  member(topic: string, userId: string): (PresenceMember & { bytes: number }) | undefined {
    const state = this.topics.get(topic);
    const m = state && merged(state, userId);
    return m ? { data: m.data, connections: m.connections, bytes: m.json.length } : undefined;
  }

  /**
   * Member and connection counts of `topic` (the `presence_stats` reply).
   *
   * @example
   * ```ts
   * presence.stats('room'); // { num_users: 2, num_connections: 5 }
   * ```
   */
  stats(topic: string): { num_users: number; num_connections: number } {
    const state = this.topics.get(topic);
    if (!state) return { num_users: 0, num_connections: 0 };
    let connections = 0;
    for (const e of state.local.values()) connections += e.conns.size;
    for (const byOrigin of state.remote.values()) {
      for (const e of byOrigin.values()) if (!e.deleted) connections += e.connections;
    }
    return { num_users: state.members, num_connections: connections };
  }

  /** Join/update path shared by {@link join} and {@link update}; `json` is already size-checked. */
  private writeLocal(topic: string, userId: string, connId: string, data: unknown, json: string) {
    let local: RemotePresenceChange | undefined;
    const change = this.mutate(topic, userId, (state) => {
      let entry = state.local.get(userId);
      const stored = data ?? null;
      if (!entry) {
        const updatedAt = this.stampFor(state, userId);
        entry = { origin: this.nodeId, data: stored, json, updatedAt, conns: new Set() };
        state.local.set(userId, entry);
        local = { action: 'join', topic, userId, data: stored, updated_at: updatedAt };
      } else if (entry.json !== json) {
        entry.updatedAt = this.stampFor(state, userId);
        entry.data = stored;
        entry.json = json;
        local = { action: 'update', topic, userId, data: stored, updated_at: entry.updatedAt };
      }
      entry.conns.add(connId);
      this.index(connId, topic, userId);
      if (local) local.connections = entry.conns.size;
    });
    if (local) this.onLocalChange?.(local);
    return change;
  }

  /** Runs `fn` on the topic's state and reports how the merged view of `userId` changed. */
  private mutate(topic: string, userId: string, fn: (state: TopicState) => void): PresenceChange | null {
    let state = this.topics.get(topic);
    if (!state) {
      state = { local: new Map(), remote: new Map(), members: 0 };
      this.topics.set(topic, state);
    }
    const before = merged(state, userId);
    fn(state);
    const after = merged(state, userId);
    this.dropIfEmpty(topic, state);
    if (!before && after) {
      state.members += 1;
      return { action: 'join', topic, userId, data: after.data };
    }
    if (before && !after) {
      state.members -= 1;
      return { action: 'leave', topic, userId, data: before.data };
    }
    if (before && after && before.json !== after.json)
      return { action: 'update', topic, userId, data: after.data };
    return null;
  }

  /** A timestamp newer than every known entry of the user, so a local write always wins LWW. */
  private stampFor(state: TopicState, userId: string): number {
    let newest = state.local.get(userId)?.updatedAt ?? Number.NEGATIVE_INFINITY;
    for (const e of state.remote.get(userId)?.values() ?? []) newest = Math.max(newest, e.updatedAt);
    return Math.max(this.now(), newest + 1);
  }

  private encode(data: unknown): string {
    const json = JSON.stringify(data ?? null) ?? 'null';
    // Fast path: a UTF-16 length within limit/3 cannot exceed the limit in UTF-8.
    const size = json.length * 3 <= this.options.maxDataSize ? json.length : Buffer.byteLength(json, 'utf8');
    if (size > this.options.maxDataSize) {
      const limit = this.options.maxDataSize;
      throw new PresenceError('PRESENCE_DATA_TOO_LARGE', `presence data is ${size} bytes (max ${limit})`, {
        size,
        limit,
      });
    }
    return json;
  }

  private index(connId: string, topic: string, userId: string): void {
    let topics = this.byConn.get(connId);
    if (!topics) {
      topics = new Map();
      this.byConn.set(connId, topics);
    }
    topics.set(topic, userId);
  }

  private unindex(connId: string, topic: string): void {
    const topics = this.byConn.get(connId);
    topics?.delete(topic);
    if (topics?.size === 0) this.byConn.delete(connId);
  }

  private dropIfEmpty(topic: string, state: TopicState): void {
    if (state.local.size === 0 && state.remote.size === 0) this.topics.delete(topic);
  }
}

/** The merged view of one user: newest data by (updatedAt, origin), connections summed; or absent. */
function merged(state: TopicState, userId: string): Merged | undefined {
  let best: Entry | undefined;
  let connections = 0;
  const local = state.local.get(userId);
  if (local) {
    best = local;
    connections += local.conns.size;
  }
  for (const e of state.remote.get(userId)?.values() ?? []) {
    if (e.deleted) continue;
    connections += e.connections;
    if (!best || e.updatedAt > best.updatedAt || (e.updatedAt === best.updatedAt && e.origin > best.origin)) {
      best = e;
    }
  }
  return best ? { data: best.data, json: best.json, connections } : undefined;
}

function assertIds(topic: string, userId: string, connId: string): void {
  for (const [name, v] of [
    ['topic', topic],
    ['userId', userId],
    ['connId/origin', connId],
  ] as const) {
    if (typeof v !== 'string' || v === '') throw new TypeError(`presence ${name} must be a non-empty string`);
  }
}

function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
