import { buildEnvelope, type Envelope } from '@wse/core-client/protocol';
import type { PresenceApi } from '../../presence/presence-api';
import { PresenceError } from '../../presence/presence-error';
import type { PresenceEvent } from '../../presence/presence-service';
import type { PresenceMember } from '../../presence/presence-types';
import { EngineUnavailableError } from '../engine';
import type { RedisLink } from './redis-link';
import { PRESENCE_DROP, PRESENCE_READ, PRESENCE_SET, presenceKeys } from './redis-presence-scripts';
import { topicKeys } from './redis-scripts';

/** Numbers and wiring of {@link RedisPresence}. */
export interface RedisPresenceOptions {
  prefix: string;
  /** This node's id: entries are `<nodeId>|<connId>`. */
  nodeId: string;
  maxDataSize: number;
  /** 0: no limit. */
  maxMembers: number;
  /**
   * A dead node's entries expire after this long (its connections leave within `ttlMs` plus one
   * sweep period, `ttlMs / 4`). The owner refreshes every `ttlMs / 3`. Default 15 000.
   */
  ttlMs?: number;
}

/** What {@link RedisPresence} needs from the server. */
export interface RedisPresenceDeps {
  link: RedisLink;
  /** Presence events go to the topic's local subscribers without a stamp. */
  toSubscribers(topic: string, envelope: Envelope): void;
  emit(event: PresenceEvent): void;
  ids(): { id?: string; ts?: string };
  /** Topics with local subscribers (swept here so dead nodes' users leave). */
  localTopics(): Iterable<string>;
  /** Redis said no after the call returned (topic full, Redis down): tell the connection. */
  onError(connId: string, topic: string, err: PresenceError | EngineUnavailableError): void;
  now?: () => number;
}

interface LocalEntry {
  userId: string;
  json: string;
}

/**
 * Presence kept in Redis (docs-site/protocol §5 over several nodes): one entry per connection, refreshed by
 * the node that owns it; join/leave/update decided and published by atomic scripts (see
 * `redis-presence-scripts.ts`), so every node tells its subscribers exactly once per user; queries
 * read Redis. Only the entries of this node's own connections are kept here, to refresh them.
 *
 * Dead node bound: its entries stop being refreshed and expire `ttlMs` after their last refresh; any
 * node holding the topic sweeps every `ttlMs / 4` (and every write or query sweeps first), so its
 * users leave at most `ttlMs + ttlMs / 4` after it died (18.75 s with the default 15 s).
 *
 * @example
 * const presence = new RedisPresence({ prefix: 'wse', nodeId, maxDataSize: 4096, maxMembers: 0 }, deps);
 * presence.start();
 * presence.join(connId, 'ada', 'room', { name: 'Ada' });
 * await presence.members('room'); // { ada: { data: { name: 'Ada' }, connections: 1 } }
 */
export class RedisPresence implements PresenceApi {
  private readonly local = new Map<string, Map<string, LocalEntry>>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private timers: Array<ReturnType<typeof setInterval>> = [];

  constructor(
    private readonly options: RedisPresenceOptions,
    private readonly deps: RedisPresenceDeps,
  ) {
    this.ttlMs = options.ttlMs ?? 15_000;
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.stop();
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, Math.max(50, Math.round(ms)));
      t.unref?.();
      this.timers.push(t);
    };
    every(this.ttlMs / 3, () => this.refresh());
    every(this.ttlMs / 4, () => this.sweep());
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  join(connId: string, userId: string, topic: string, data: unknown): void {
    const json = this.encode(data);
    let topics = this.local.get(connId);
    if (!topics) {
      topics = new Map();
      this.local.set(connId, topics);
    }
    topics.set(topic, { userId, json });
    this.write(connId, topic, userId, json);
  }

  update(connId: string, userId: string, topic: string, data: unknown): void {
    this.join(connId, userId, topic, data);
  }

  leave(connId: string, topics: readonly string[]): void {
    const mine = this.local.get(connId);
    if (!mine) return;
    for (const topic of topics) {
      if (!mine.delete(topic)) continue;
      this.drop(topic, [this.entry(connId)]);
    }
    if (mine.size === 0) this.local.delete(connId);
  }

  leaveAll(connId: string): void {
    const mine = this.local.get(connId);
    if (mine) this.leave(connId, [...mine.keys()]);
  }

  async members(topic: string): Promise<Record<string, PresenceMember>> {
    const [counts, datas] = await this.read(topic);
    const out = Object.create(null) as Record<string, PresenceMember>;
    const data = pairs(datas);
    for (const [user, n] of pairs(counts)) {
      out[user] = { data: parseJson(data.get(user) ?? 'null'), connections: Number(n) };
    }
    return out;
  }

  async stats(topic: string): Promise<{ num_users: number; num_connections: number }> {
    const [counts] = await this.read(topic);
    let connections = 0;
    const users = pairs(counts);
    for (const n of users.values()) connections += Number(n);
    return { num_users: users.size, num_connections: connections };
  }

  totals(): { topics: number; members: number; connections: number } {
    const topics = new Set<string>();
    const users = new Set<string>();
    for (const mine of this.local.values()) {
      for (const [topic, e] of mine) {
        topics.add(topic);
        users.add(`${topic}\u0000${e.userId}`);
      }
    }
    return { topics: topics.size, members: users.size, connections: this.local.size };
  }

  /** A `P…` message from the topic's channel: tell local subscribers and the app, once. */
  onChannel(topic: string, json: string): void {
    let msg: { a?: unknown; u?: unknown; d?: unknown };
    try {
      msg = JSON.parse(json) as typeof msg;
    } catch {
      return;
    }
    const { a: action, u: userId, d: data } = msg;
    if ((action !== 'join' && action !== 'leave' && action !== 'update') || typeof userId !== 'string')
      return;
    const env = buildEnvelope(`presence_${action}`, { topic, user_id: userId, data }, this.deps.ids());
    this.deps.toSubscribers(topic, env as Envelope);
    // The connection that caused it may live on another node: connId is '' then.
    this.deps.emit({ type: 'presence', action, topic, userId, data, connId: '' });
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────

  private entry(connId: string): string {
    return `${this.options.nodeId}|${connId}`;
  }

  private write(connId: string, topic: string, userId: string, json: string): void {
    const { prefix, maxMembers } = this.options;
    const now = this.now();
    const args = [
      this.entry(connId),
      userId,
      JSON.stringify(userId),
      json,
      now + this.ttlMs,
      maxMembers,
      topicKeys(prefix, topic).channel,
      Math.ceil((this.ttlMs * 4) / 1000),
      now,
    ];
    this.deps.link.script(PRESENCE_SET, presenceKeys(prefix, topic), args).then(
      (r) => {
        if (r !== 'FULL') return;
        this.local.get(connId)?.delete(topic);
        const err = new PresenceError('PRESENCE_FULL', `topic ${topic} is full (max ${maxMembers})`, {
          topic,
          limit: maxMembers,
        });
        this.deps.onError(connId, topic, err);
      },
      (cause: unknown) => {
        const err = new EngineUnavailableError(
          'Redis is unreachable: presence not written',
          { topic },
          { cause },
        );
        this.deps.onError(connId, topic, err);
      },
    );
  }

  private drop(topic: string, entries: string[]): void {
    const channel = topicKeys(this.options.prefix, topic).channel;
    this.deps.link
      .script(PRESENCE_DROP, presenceKeys(this.options.prefix, topic), [channel, ...entries])
      .catch(() => {}); // Redis down: the entry expires and a sweep publishes the leave
  }

  private async read(topic: string): Promise<[unknown[], unknown[]]> {
    const channel = topicKeys(this.options.prefix, topic).channel;
    try {
      const r = (await this.deps.link.script(PRESENCE_READ, presenceKeys(this.options.prefix, topic), [
        this.now(),
        channel,
      ])) as [unknown[], unknown[]];
      return r;
    } catch (cause) {
      throw new EngineUnavailableError('Redis is unreachable: presence not read', { topic }, { cause });
    }
  }

  /** Pushes every local entry's expiry forward (and re-adds one a sweep removed while we were cut off). */
  private refresh(): void {
    if (!this.deps.link.commandsUp) return;
    for (const [connId, mine] of this.local) {
      for (const [topic, e] of mine) this.write(connId, topic, e.userId, e.json);
    }
  }

  private sweep(): void {
    if (!this.deps.link.commandsUp) return;
    for (const topic of this.deps.localTopics()) this.read(topic).catch(() => {});
  }

  private encode(data: unknown): string {
    const json = JSON.stringify(data ?? null) ?? 'null';
    const limit = this.options.maxDataSize;
    const size = json.length * 3 <= limit ? json.length : Buffer.byteLength(json, 'utf8');
    if (size > limit) {
      throw new PresenceError('PRESENCE_DATA_TOO_LARGE', `presence data is ${size} bytes (max ${limit})`, {
        size,
        limit,
      });
    }
    return json;
  }
}

/** `[k1, v1, k2, v2]` (HGETALL) → Map. */
function pairs(flat: unknown[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(String(flat[i]), String(flat[i + 1]));
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
