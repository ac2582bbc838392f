/**
 * Client presence per topic: a buffer per tracked topic, fed by `presence_join/leave/update`
 * events and replaced by full states from `presence` queries (events before the first full state
 * are buffered and replayed over it — see `presence/presence-state`).
 *
 * @module
 */

import type { Envelope } from '../protocol/envelope';
import {
  applyPresenceState,
  createPresenceBuffer,
  type PresenceBuffer,
  type PresenceMembers,
  presenceEventFrom,
  presenceFromReply,
  pushPresenceEvent,
  unsyncPresence,
} from './presence-state';

const EMPTY: PresenceMembers = Object.freeze({}) as PresenceMembers;

/**
 * What the presence manager needs from the client.
 *
 * @example
 * ```ts
 * const hooks: PresenceHooks = { query: (topic) => client.request('presence', { topic }), emit };
 * ```
 */
export interface PresenceHooks {
  /** Sends a `presence {topic, cursor?}` query; resolves with the reply envelope (one page). */
  query(topic: string, cursor?: string): Promise<Envelope>;
  emit(event: ClientPresenceEvent): void;
  onError(error: unknown): void;
}

/**
 * Presence state of every tracked topic.
 *
 * @example
 * ```ts
 * const presence = new PresenceManager(hooks);
 * presence.track('room:1');
 * presence.handleEvent(env); // presence_join / presence_leave / presence_update
 * presence.members('room:1');
 * ```
 */
export class PresenceManager {
  readonly #buffers = new Map<string, PresenceBuffer>();
  readonly #querying = new Set<string>();

  readonly #hooks: PresenceHooks;
  constructor(hooks: PresenceHooks) {
    this.#hooks = hooks;
  }

  /** The current members of `topic` (`{}` when untracked). Replaced, never mutated. */
  members(topic: string): PresenceMembers {
    return this.#buffers.get(topic)?.members ?? EMPTY;
  }

  /** Whether `topic` is tracked. */
  isTracked(topic: string): boolean {
    return this.#buffers.has(topic);
  }

  /** Starts tracking `topic` (no query yet: call {@link PresenceManager.sync}). */
  track(topic: string): void {
    if (!this.#buffers.has(topic)) this.#buffers.set(topic, createPresenceBuffer());
  }

  /** Stops tracking `topic`. */
  untrack(topic: string): void {
    this.#buffers.delete(topic);
  }

  /** The connection dropped: keep members on display, wait for a fresh full state. */
  sessionDown(): void {
    for (const [t, b] of this.#buffers) this.#buffers.set(t, unsyncPresence(b));
    this.#querying.clear();
  }

  /** Queries the full state of `topic` (once at a time) and applies it. */
  sync(topic: string): void {
    if (!this.#buffers.has(topic) || this.#querying.has(topic)) return;
    this.#querying.add(topic);
    // Every page: the server pages large member lists (`next_cursor` until it is absent). Events
    // arriving meanwhile are buffered and replayed over the result.
    const all: PresenceMembers = {};
    const read = (cursor?: string): Promise<PresenceMembers> =>
      this.#hooks.query(topic, cursor).then(({ p }) => {
        presenceFromReply(p.members, all);
        const next = p.next_cursor;
        return typeof next === 'string' && next !== cursor ? read(next) : all;
      });
    read().then(
      (all) => {
        this.#querying.delete(topic);
        const buffer = this.#buffers.get(topic);
        if (!buffer) return;
        const next = applyPresenceState(buffer, all);
        this.#buffers.set(topic, next);
        this.#hooks.emit({ topic, action: 'sync', userId: null, members: next.members });
      },
      (err: unknown) => {
        this.#querying.delete(topic);
        this.#hooks.onError(err);
      },
    );
  }

  /** Handles a presence event frame; returns `false` when it is not one. */
  handleEvent(env: Envelope): boolean {
    const ev = presenceEventFrom(env.t, env.p);
    if (!ev) return false;
    const topic = typeof ev.topic === 'string' ? ev.topic : env.tp;
    if (typeof topic !== 'string') return true;
    const buffer = this.#buffers.get(topic);
    let members = EMPTY;
    if (buffer) {
      const next = pushPresenceEvent(buffer, ev);
      this.#buffers.set(topic, next);
      members = next.members;
    }
    this.#hooks.emit({ topic, action: ev.action, userId: ev.user_id, data: ev.data, members });
    return true;
  }
}

/**
 * A presence change for a topic, with the members after it.
 *
 * @example
 * ```ts
 * client.on('presence', (ev: ClientPresenceEvent) => render(ev.topic, ev.members));
 * ```
 */
export interface ClientPresenceEvent {
  readonly topic: string;
  readonly action: 'join' | 'leave' | 'update' | 'sync';
  readonly userId: string | null;
  readonly data?: unknown;
  readonly members: PresenceMembers;
}
