/**
 * Presence state per topic as pure functions, phoenix-style: apply `presence_join` /
 * `presence_leave` / `presence_update` events to a members map, replace it with the full state
 * of a `presence` query reply (docs-site/protocol §5), and buffer the events that arrive before the
 * first full state. Every function returns a new value and never mutates its input; when
 * nothing changes it returns the input itself, so `===` detects "no change" (handy for
 * `useSyncExternalStore`-style bindings).
 *
 * @module
 */

/**
 * One member: the user's presence data and how many of their connections are in the topic.
 *
 * @example
 * ```ts
 * const m: PresenceMember = { data: { name: 'Ada' }, connections: 2 };
 * ```
 */
export interface PresenceMember {
  data: unknown;
  connections: number;
}

/**
 * Members of one topic keyed by user id — the shape of the `presence` reply's `members`.
 *
 * @example
 * ```ts
 * const members: PresenceMembers = { 'user-1': { data: { name: 'Ada' }, connections: 1 } };
 * ```
 */
export type PresenceMembers = Record<string, PresenceMember>;

/**
 * A presence event: the payload of `presence_join`/`presence_leave`/`presence_update` with the
 * action taken from the message type.
 *
 * @example
 * ```ts
 * const ev: PresenceEvent = { action: 'join', user_id: 'user-1', data: { name: 'Ada' } };
 * ```
 */
export interface PresenceEvent {
  action: 'join' | 'leave' | 'update';
  user_id: string;
  data?: unknown;
  topic?: string;
}

/** Assigns an own property even for keys like `__proto__` (user ids come from the network). */
function setOwn(target: PresenceMembers, key: string, value: PresenceMember): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Applies one event. `join`: adds the user with one connection, or — if already present (a
 * replayed event) — replaces the data and keeps the count. `leave`: removes the user (the
 * server sends it for the last connection only). `update`: replaces the data; an unknown user
 * is added as if joined. A leave for an unknown user returns the same object.
 *
 * @example
 * ```ts
 * let members: PresenceMembers = {};
 * members = applyPresenceEvent(members, { action: 'join', user_id: 'u1', data: { name: 'Ada' } });
 * members = applyPresenceEvent(members, { action: 'update', user_id: 'u1', data: { name: 'Ada L.' } });
 * members = applyPresenceEvent(members, { action: 'leave', user_id: 'u1' }); // {}
 * ```
 */
export function applyPresenceEvent(state: PresenceMembers, ev: PresenceEvent): PresenceMembers {
  const current = Object.hasOwn(state, ev.user_id) ? state[ev.user_id] : undefined;
  if (ev.action === 'leave') {
    if (!current) return state;
    const { [ev.user_id]: _gone, ...rest } = state;
    return rest;
  }
  const connections = current ? current.connections : 1;
  const next = { ...state };
  setOwn(next, ev.user_id, { data: ev.data ?? null, connections });
  return next;
}

/**
 * Normalizes the `members` of a `presence` reply into {@link PresenceMembers}: entries that are
 * not objects are skipped, a missing or invalid `connections` counts as 1, missing data is `null`.
 * Given `out` (the members of earlier pages of the same reply), adds to it.
 *
 * @example
 * ```ts
 * presenceFromReply({ u1: { data: { name: 'Ada' }, connections: 2 }, bad: 42 });
 * // { u1: { data: { name: 'Ada' }, connections: 2 } }
 * ```
 */
export function presenceFromReply(members: unknown, out: PresenceMembers = {}): PresenceMembers {
  if (!members || typeof members !== 'object' || Array.isArray(members)) return out;
  for (const [userId, raw] of Object.entries(members)) {
    if (!raw || typeof raw !== 'object') continue;
    const { data, connections } = raw as Partial<PresenceMember>;
    const n =
      typeof connections === 'number' && Number.isInteger(connections) && connections > 0 ? connections : 1;
    setOwn(out, userId, { data: data ?? null, connections: n });
  }
  return out;
}

/**
 * Parses a presence message (`presence_join` / `presence_leave` / `presence_update`) into a
 * {@link PresenceEvent}, or `undefined` if it is not one or has no `user_id`.
 *
 * @example
 * ```ts
 * presenceEventFrom('presence_join', { topic: 'room', user_id: 'u1', data: {} });
 * // { action: 'join', topic: 'room', user_id: 'u1', data: {} }
 * ```
 */
export function presenceEventFrom(type: string, payload: unknown): PresenceEvent | undefined {
  const action =
    type === 'presence_join'
      ? 'join'
      : type === 'presence_leave'
        ? 'leave'
        : type === 'presence_update'
          ? 'update'
          : undefined;
  if (!action || !payload || typeof payload !== 'object') return undefined;
  const p = payload as { topic?: unknown; user_id?: unknown; data?: unknown };
  if (typeof p.user_id !== 'string' || p.user_id === '') return undefined;
  const ev: PresenceEvent = { action, user_id: p.user_id, data: p.data ?? null };
  if (typeof p.topic === 'string') ev.topic = p.topic;
  return ev;
}

/**
 * What changed between two member maps (to emit events after a full-state replace).
 *
 * @example
 * ```ts
 * const d: PresenceDiff = { joins: { u2: { data: null, connections: 1 } }, leaves: {}, updates: {} };
 * ```
 */
export interface PresenceDiff {
  joins: PresenceMembers;
  leaves: PresenceMembers;
  updates: PresenceMembers;
}

/**
 * Users present only in `next` (joins), only in `prev` (leaves), or in both with different data
 * (updates, compared by JSON text). Connection-count changes alone are not updates.
 *
 * @example
 * ```ts
 * diffPresence({ a: { data: 1, connections: 1 } }, { b: { data: 2, connections: 1 } });
 * // { joins: { b: … }, leaves: { a: … }, updates: {} }
 * ```
 */
export function diffPresence(prev: PresenceMembers, next: PresenceMembers): PresenceDiff {
  const diff: PresenceDiff = { joins: {}, leaves: {}, updates: {} };
  for (const [id, m] of Object.entries(next)) {
    const before = Object.hasOwn(prev, id) ? prev[id] : undefined;
    if (!before) setOwn(diff.joins, id, m);
    else if (JSON.stringify(before.data) !== JSON.stringify(m.data)) setOwn(diff.updates, id, m);
  }
  for (const [id, m] of Object.entries(prev)) {
    if (!Object.hasOwn(next, id)) setOwn(diff.leaves, id, m);
  }
  return diff;
}

/**
 * Presence of one topic plus the events waiting for the first full state. `synced` is false
 * until {@link applyPresenceState} ran; meanwhile `members` only reflects events seen so far.
 *
 * @example
 * ```ts
 * let room: PresenceBuffer = createPresenceBuffer();
 * ```
 */
export interface PresenceBuffer {
  readonly synced: boolean;
  readonly members: PresenceMembers;
  readonly pending: readonly PresenceEvent[];
}

/**
 * Pending events kept before the first full state; older ones are dropped beyond it (the full
 * state supersedes them anyway, so only a stale state could miss them).
 *
 * @example
 * ```ts
 * room.pending.length <= MAX_PENDING_PRESENCE_EVENTS; // always true
 * ```
 */
export const MAX_PENDING_PRESENCE_EVENTS = 1_000;

/**
 * An empty, not yet synced buffer.
 *
 * @example
 * ```ts
 * const room = createPresenceBuffer(); // { synced: false, members: {}, pending: [] }
 * ```
 */
export function createPresenceBuffer(): PresenceBuffer {
  return { synced: false, members: {}, pending: [] };
}

/**
 * Feeds an event: applied at once when synced; before that, kept in `pending` (bounded by
 * {@link MAX_PENDING_PRESENCE_EVENTS}) and also applied to the provisional `members`.
 *
 * @example
 * ```ts
 * room = pushPresenceEvent(room, { action: 'join', user_id: 'u1', data: {} });
 * ```
 */
export function pushPresenceEvent(buffer: PresenceBuffer, ev: PresenceEvent): PresenceBuffer {
  const members = applyPresenceEvent(buffer.members, ev);
  if (buffer.synced) return members === buffer.members ? buffer : { ...buffer, members };
  const pending = [...buffer.pending, ev];
  if (pending.length > MAX_PENDING_PRESENCE_EVENTS) pending.shift();
  return { synced: false, members, pending };
}

/**
 * Replaces the members with a full state (a `presence` reply) and replays the pending events
 * over it, in arrival order. On one ordered socket those events precede the reply and are
 * already in it, and replaying them in order is idempotent for the data; when the state is
 * older than the events (a cached or separately fetched state) the replay brings it up to
 * date. Only connection counts can differ after a replay (a re-join counts 1).
 *
 * @example
 * ```ts
 * room = applyPresenceState(room, presenceFromReply(reply.p.members));
 * room.synced; // true
 * ```
 */
export function applyPresenceState(buffer: PresenceBuffer, members: PresenceMembers): PresenceBuffer {
  let next = members;
  for (const ev of buffer.pending) next = applyPresenceEvent(next, ev);
  return { synced: true, members: next, pending: [] };
}

/**
 * Marks a buffer as not synced while keeping its members on display — call it when the
 * connection drops: events then wait for the next full state, which replaces the members.
 *
 * @example
 * ```ts
 * room = unsyncPresence(room); // after a reconnect, query `presence` again
 * ```
 */
export function unsyncPresence(buffer: PresenceBuffer): PresenceBuffer {
  return buffer.synced ? { synced: false, members: buffer.members, pending: [] } : buffer;
}
