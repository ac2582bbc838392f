import { type Envelope, parseEnvelope } from '@wse/core-client/protocol';
import type { StreamPosition } from '../../recovery/recovery-types';
import type { PreparedSubscribe, SharedLog, SharedRecoveryResult } from '../../recovery/shared-log';
import type { StampedPublication } from '../../recovery/topic-sequencer';
import {
  type Engine,
  type EngineHealth,
  type EngineHooks,
  type EngineHost,
  EngineUnavailableError,
} from '../engine';
import { createRedisLink, type RedisLink, type RedisLinkEvents, redactUrl } from './redis-link';
import { decideRecovery, parseRead, type StreamRead, stampedFromJson } from './redis-read';
import { PUBLISH_SCRIPT, READ_SCRIPT, topicKeys } from './redis-scripts';

/** `engine: { type: 'redis', url, prefix }` with the recovery numbers it shares with the memory engine. */
export interface RedisEngineOptions {
  /** `redis://[user:pass@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** Key and channel prefix (default `wse`): several apps can share one Redis. */
  prefix: string;
  /** Stream cap per topic (`XADD MAXLEN ~`). */
  bufferSize: number;
  /** A topic's keys expire after this many seconds without a publish. */
  ttlSec: number;
  /** Longest replay a recovery may answer. */
  maxMessages: number;
  /** How long `start()` waits for Redis before it fails. Default 5000. */
  connectTimeoutMs?: number;
}

interface TopicState {
  readonly channel: string;
  /** Local subscribers + subscribe flows in progress. */
  holds: number;
  /** The latest SUBSCRIBE for this topic (resolves when Redis confirmed it). */
  subscribed: Promise<void>;
  /** The last publication handed to fan-out: later ones with a lower offset are duplicates. */
  seen?: StreamPosition;
  /** Subscribe flows in progress, each collecting what fan-out got meanwhile. */
  readonly taps: Set<StampedPublication[]>;
  /** While catching up after a reconnect or a gap, live messages wait here. */
  catchingUp?: StampedPublication[];
}

/**
 * The Redis engine: one order per topic across all nodes, history in a capped stream, one epoch
 * per topic kept in Redis (see `redis-scripts.ts` for the layout and the atomic publish).
 *
 * A node SUBSCRIBEs to a topic's channel while it holds the topic (first local subscriber, or a
 * subscribe flow in progress) and UNSUBSCRIBEs after the last. Every publication — this node's own
 * included — reaches local fan-out through the channel, so every node delivers the same order.
 *
 * Continuity (the invariant that makes "never a silent gap" hold on this side): per topic the
 * engine remembers the last (epoch, offset) handed to fan-out. A channel message at or below it is
 * a duplicate and dropped; one past `offset + 1` (messages lost while the subscriber link was
 * down), or the link coming back, starts a catch-up: live messages wait, the stream is read from
 * the remembered offset, and both go to fan-out in offset order. A catch-up that cannot be
 * complete (trimmed, over `maxMessages`) lets the next message through with its gap, which the
 * clients see and recover from (or get `recovered: false`).
 *
 * @example
 * const engine = new RedisEngine({ url, prefix: 'wse', bufferSize: 1024, ttlSec: 300, maxMessages: 500 }, host);
 * await engine.start();
 * await engine.publish('chat', envelope); // { epoch, offset }
 */
export class RedisEngine implements Engine, SharedLog {
  readonly name = 'redis';
  private readonly link: RedisLink;
  private readonly topics = new Map<string, TopicState>();
  private readonly byChannel = new Map<string, string>();
  private failures = 0;
  private downSince: number | null = null;
  private started = false;

  constructor(
    readonly options: RedisEngineOptions,
    private readonly host: Pick<EngineHost, 'deliver' | 'subscriberCount'>,
    private readonly hooks: EngineHooks = {},
    linkFactory: (url: string, events: RedisLinkEvents) => RedisLink = createRedisLink,
  ) {
    this.link = linkFactory(options.url, {
      onMessage: (channel, message) => this.onMessage(channel, message),
      onStatus: (up, reason) => this.onStatus(up, reason),
    });
  }

  /** True while Redis is reachable. */
  get up(): boolean {
    return this.link.up;
  }

  /** Connects; rejects when Redis does not answer within `connectTimeoutMs` (misconfiguration fails fast). */
  async start(): Promise<void> {
    await this.link.connect(this.options.connectTimeoutMs ?? 5000);
    this.started = true;
    this.downSince = null;
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.link.close();
    this.topics.clear();
    this.byChannel.clear();
  }

  /** Local subscribers come and go: hold the channel while there is at least one. */
  interest(key: string, present: boolean): void {
    // A queue group's key (`groupInterestKey`: topic, NUL, group) needs the topic's one channel too.
    const nul = key.indexOf('\u0000');
    const topic = nul === -1 ? key : key.slice(0, nul);
    if (present) this.hold(topic);
    else this.release(topic);
  }

  /** This engine is its own shared log. */
  get shared(): SharedLog {
    return this;
  }

  /**
   * Publishes atomically (offset, stream append, TTL, PUBLISH). Local subscribers get it from the
   * channel like every other node's. Rejects with {@link EngineUnavailableError} when Redis is down
   * or the call fails — the publication was then not made (or, if the link dropped after Redis ran
   * it, its fate is unknown: a retry may duplicate it, which clients drop by offset only if it
   * was the same stamp — it is not; state it to publishers).
   */
  async publish(topic: string, envelope: Envelope): Promise<number> {
    const count = this.host.subscriberCount(topic);
    await this.append(topic, envelope);
    return count;
  }

  /** {@link publish} answering the stamp Redis gave: `{epoch, offset}`. */
  async append(topic: string, envelope: Envelope): Promise<StreamPosition> {
    // Only the command link is needed: while the subscriber link reconnects, publications are
    // still made, and every node catches up on them from the stream when its channel is back.
    if (!this.link.commandsUp) throw this.unavailable('publish', topic);
    const canonical = parseEnvelope(envelope);
    delete canonical.tp;
    delete canonical.e;
    delete canonical.o;
    const head = `${JSON.stringify(canonical).slice(0, -1)},"tp":${JSON.stringify(topic)}`;
    const k = topicKeys(this.options.prefix, topic);
    const { bufferSize, ttlSec } = this.options;
    try {
      const r = (await this.link.script(
        PUBLISH_SCRIPT,
        [k.meta, k.stream],
        [head, bufferSize, ttlSec, randomEpoch(), k.channel],
      )) as [string, number];
      return { epoch: r[0], offset: r[1] };
    } catch (err) {
      throw this.failed('publish', topic, err);
    }
  }

  /** Holds `topic` (SUBSCRIBE on the first hold). */
  hold(topic: string): void {
    this.acquire(topic);
  }

  private acquire(topic: string): TopicState {
    let s = this.topics.get(topic);
    if (!s) {
      const channel = topicKeys(this.options.prefix, topic).channel;
      s = { channel, holds: 0, subscribed: Promise.resolve(), taps: new Set() };
      this.topics.set(topic, s);
      this.byChannel.set(channel, topic);
      s.subscribed = this.subscribeChannel(channel);
      s.subscribed.catch(() => {}); // awaited by subscribe flows; a failure is counted already
    }
    s.holds += 1;
    return s;
  }

  /** Ends one hold; UNSUBSCRIBE after the last. */
  release(topic: string): void {
    const s = this.topics.get(topic);
    if (!s || --s.holds > 0) return;
    this.topics.delete(topic);
    this.byChannel.delete(s.channel);
    if (this.link.up)
      this.link.unsubscribe(s.channel).catch((err) => this.hooks.onFailure?.('unsubscribe', err));
  }

  /** True while the node is subscribed (or subscribing) to `topic`'s channel. */
  holds(topic: string): boolean {
    return this.topics.has(topic);
  }

  /**
   * The async half of a subscribe ({@link SharedLog}): holds the topics, waits until their channels
   * are live, reads the streams, then waits until every message published before the reads has
   * arrived over the channel (a PING through the subscriber connection). What fan-out got
   * meanwhile is in `tapped(topic)`. Rejects with {@link EngineUnavailableError} (holds released).
   */
  async prepare(
    topics: readonly string[],
    recover: ReadonlyMap<string, readonly StreamPosition[] | undefined>,
  ): Promise<PreparedSubscribe> {
    const taps = new Map<string, StampedPublication[]>();
    for (const topic of topics) {
      const list: StampedPublication[] = [];
      this.acquire(topic).taps.add(list);
      taps.set(topic, list);
    }
    const release = () => {
      for (const [topic, list] of taps) {
        this.topics.get(topic)?.taps.delete(list);
        this.release(topic);
      }
      taps.clear();
    };
    try {
      if (!this.link.up) throw this.unavailable('subscribe', topics[0]);
      await Promise.all(topics.map((t) => this.topics.get(t)?.subscribed));
      const results = new Map<string, SharedRecoveryResult>();
      await Promise.all(
        [...recover].map(async ([topic, positions]) => {
          const only = positions?.length === 1 ? positions[0] : undefined;
          const read = await this.read(topic, only ?? null);
          const head = { epoch: read.epoch, offset: read.last };
          results.set(
            topic,
            positions === undefined
              ? { recovered: true, count: 0, positions: [head], publications: [] }
              : decideRecovery(read, positions, this.options.maxMessages),
          );
        }),
      );
      await this.link.syncSubscriber();
      // Everything up to each read's head has arrived now: a node that had seen nothing of a topic
      // starts its continuity check there (so a later subscriber-link outage is caught up on).
      for (const [topic, r] of results) {
        const s = this.topics.get(topic);
        const head = r.positions[0];
        if (s && !s.seen && head && head.offset >= 0) s.seen = { ...head };
      }
      return { results, tapped: (topic) => taps.get(topic) ?? [], release };
    } catch (err) {
      release();
      throw err instanceof EngineUnavailableError ? err : this.failed('subscribe', topics[0], err);
    }
  }

  /** Reads the topic's epoch and last offset, plus the entries after `pos` when it is in that epoch. */
  async read(topic: string, pos: StreamPosition | null): Promise<StreamRead> {
    const k = topicKeys(this.options.prefix, topic);
    const { maxMessages, ttlSec } = this.options;
    const reply = await this.link.script(
      READ_SCRIPT,
      [k.meta, k.stream],
      [pos?.epoch ?? '', pos?.offset ?? -2, maxMessages, randomEpoch(), ttlSec],
    );
    return parseRead(reply);
  }

  /** For `/health`: `degraded` while Redis is unreachable. */
  health(): EngineHealth {
    const up = this.link.up;
    return {
      status: up ? 'ok' : 'degraded',
      figures: { redis_up: up ? 1 : 0, channels: this.topics.size, failures: this.failures },
      details: {
        url: redactUrl(this.options.url),
        prefix: this.options.prefix,
        down_since: this.downSince === null ? null : new Date(this.downSince).toISOString(),
      },
    };
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────

  private async subscribeChannel(channel: string): Promise<void> {
    if (!this.link.up) throw this.unavailable('subscribe', this.byChannel.get(channel));
    try {
      await this.link.subscribe(channel);
    } catch (err) {
      throw this.failed('subscribe', this.byChannel.get(channel), err);
    }
  }

  /** Presence events on a topic's channel (`P{...}`, see redis-presence-scripts.ts). */
  onPresence?: (topic: string, json: string) => void;

  /** The link, for the Redis presence of the same server (one pair of connections per node). */
  get redisLink(): RedisLink {
    return this.link;
  }

  private onMessage(channel: string, message: string): void {
    const topic = this.byChannel.get(channel);
    if (topic !== undefined && message.charCodeAt(0) === 0x50 /* P */) {
      this.onPresence?.(topic, message.slice(1));
      return;
    }
    const s = topic === undefined ? undefined : this.topics.get(topic);
    const pub = s ? stampedFromJson(message) : undefined;
    if (!s || !pub || pub.topic !== topic) return;
    if (s.catchingUp) {
      // Bounded: past the cap the catch-up is given up (what waits goes out now, gaps and all, and
      // clients recover from them) rather than holding an unbounded queue for a slow Redis.
      if (s.catchingUp.length >= this.catchUpCap) this.endCatchUp(s);
      else {
        s.catchingUp.push(pub);
        return;
      }
    }
    const seen = s.seen;
    if (seen && seen.epoch === pub.epoch && pub.offset > seen.offset + 1) {
      s.catchingUp = [pub];
      void this.catchUp(topic as string, s);
      return;
    }
    this.forward(s, pub);
  }

  /** Hands `pub` to fan-out unless it is at or below what was already handed (a duplicate). */
  private forward(s: TopicState, pub: StampedPublication): void {
    const seen = s.seen;
    if (seen && seen.epoch === pub.epoch && pub.offset <= seen.offset) return;
    s.seen = { epoch: pub.epoch, offset: pub.offset };
    for (const tap of s.taps) tap.push(pub);
    this.host.deliver(pub.topic, pub);
  }

  /**
   * Fills what the channel missed from the stream, then lets the waiting live messages through.
   * Without a remembered position there is nothing to fill (the node saw nothing before).
   */
  private async catchUp(topic: string, s: TopicState): Promise<void> {
    try {
      const seen = s.seen;
      if (seen) {
        let read = await this.read(topic, seen);
        // Redis lost the topic (new epoch): the new stream from its start is what we missed.
        if (read.epoch !== seen.epoch) read = await this.read(topic, { epoch: read.epoch, offset: -1 });
        if (this.topics.get(topic) !== s) return;
        for (const pub of read.entries) this.forward(s, pub);
      }
    } catch (err) {
      this.hooks.onFailure?.('catch-up', err);
    } finally {
      if (this.topics.get(topic) === s) this.endCatchUp(s);
    }
  }

  /** Most live messages held per topic while catching up. */
  private get catchUpCap(): number {
    return Math.max(1000, 4 * this.options.maxMessages);
  }

  private endCatchUp(s: TopicState): void {
    const waiting = s.catchingUp ?? [];
    s.catchingUp = undefined;
    for (const pub of waiting) this.forward(s, pub);
  }

  /** The link is back: resubscribe every held channel, then catch up on what was published meanwhile. */
  private onStatus(up: boolean, reason?: string): void {
    if (!this.started) return;
    if (!up) {
      this.downSince ??= Date.now();
      this.hooks.onStatus?.(false, reason);
      return;
    }
    void this.restore();
  }

  private async restore(): Promise<void> {
    const all = [...this.topics];
    for (const [, s] of all) s.catchingUp ??= [];
    try {
      await Promise.all(
        all.map(([, s]) => {
          s.subscribed = this.subscribeChannel(s.channel);
          s.subscribed.catch(() => {});
          return s.subscribed;
        }),
      );
      await this.link.syncSubscriber();
    } catch (err) {
      // Down again: the next `up` restores (the topics stay in catch-up mode until then).
      this.hooks.onFailure?.('restore', err);
      return;
    }
    this.downSince = null;
    this.hooks.onStatus?.(true);
    await Promise.all(all.map(([topic, s]) => this.catchUp(topic, s)));
  }

  private unavailable(op: string, topic: string | undefined): EngineUnavailableError {
    this.failures += 1;
    const err = new EngineUnavailableError(`Redis is unreachable: ${op} not done`, topic ? { topic } : {});
    this.hooks.onFailure?.(op, err);
    return err;
  }

  private failed(op: string, topic: string | undefined, cause: unknown): EngineUnavailableError {
    this.failures += 1;
    this.hooks.onFailure?.(op, cause);
    const why = cause instanceof Error ? cause.message : String(cause);
    return new EngineUnavailableError(`Redis ${op} failed: ${why}`, topic ? { topic } : {}, { cause });
  }
}

function randomEpoch(): string {
  const n = globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  return (n >>> 0).toString(16).padStart(8, '0');
}
