import { type Envelope, parseEnvelope } from '@wse/core-client/protocol';
import { withStamp } from './recovery-store';
import type { RecoveryStats, StreamPosition, TopicRecoveryResult } from './recovery-types';

/**
 * A stamped publication as the fan-out needs it: the canonical stamped envelope and its JSON text
 * (`JSON.stringify(envelope)`), plus the UTF-8 size when already known. A {@link StoredPublication}
 * of the recovery store is one.
 *
 * @example
 * ```ts
 * const s: StampedPublication = sequencer.stamp('chat', env);
 * socket.send(s.json);
 * ```
 */
export interface StampedPublication {
  readonly topic: string;
  readonly epoch: string;
  readonly offset: number;
  readonly envelope: Readonly<Envelope>;
  readonly json: string;
  /** UTF-8 byte length of `json`, when computed. */
  readonly bytes?: number;
}

/**
 * What the runtime needs from "the thing that numbers publications": the {@link RecoveryStore}
 * (recovery on: stamps AND keeps a buffer) or the {@link TopicSequencer} (recovery off: stamps
 * only, so every recovery request answers `recovered: false`).
 *
 * @example
 * ```ts
 * const log: PublicationLog = options.recovery.enabled ? new RecoveryStore(o) : new TopicSequencer(o);
 * ```
 */
export interface PublicationLog {
  /** True when publications are kept for replay (recovery on). */
  readonly retains: boolean;
  stamp(topic: string, envelope: Envelope): StampedPublication;
  recoverTopic(topic: string, positions: readonly StreamPosition[]): TopicRecoveryResult;
  /** The topic's current local position (created empty, offset -1, when missing). */
  open(topic: string): StreamPosition;
  /** The topic's last local subscriber left: drop its state if nothing was ever published to it. */
  release(topic: string): void;
  sweep(): number;
  stats(): RecoveryStats;
}

interface Counter {
  epoch: string;
  next: number;
  lastWrite: number;
}

/**
 * Recovery OFF (decided here, see the server README): publications still carry `tp`, `e`, `o` —
 * the bindings route by `tp`, and a client can still detect a gap — but nothing is kept, so a
 * recovery request answers `recovered: false` with the current position to re-baseline to, unless
 * the client already has everything (its position is the latest: `recovered: true`, `count: 0`).
 * Every publication is numbered, subscribers or not, so "latest" is never a guess.
 * One counter per topic with a random epoch; a counter idle for `ttlSec` is dropped by
 * {@link TopicSequencer.sweep} (or on access) and the next publication starts a new epoch at 0.
 *
 * @example
 * ```ts
 * const seq = new TopicSequencer({ ttlSec: 300 });
 * seq.stamp('chat', env).offset;           // 0
 * seq.recoverTopic('chat', [{ epoch: 'old00000', offset: 3 }]).recovered; // false
 * ```
 */
export class TopicSequencer implements PublicationLog {
  readonly retains = false;
  private readonly counters = new Map<string, Counter>();
  private readonly ttlMs: number;
  /** Counters kept at most; past it the oldest-created goes (its topic's next publication starts a new epoch). */
  private readonly maxCounters: number;
  private readonly now: () => number;
  private readonly drawEpoch: () => string;

  constructor(
    options: { ttlSec: number; maxTopics?: number },
    env: { now?: () => number; randomEpoch?: () => string } = {},
  ) {
    this.ttlMs = options.ttlSec * 1000;
    this.maxCounters = options.maxTopics ?? Number.POSITIVE_INFINITY;
    this.now = env.now ?? Date.now;
    this.drawEpoch = env.randomEpoch ?? randomEpoch;
  }

  stamp(topic: string, envelope: Envelope): StampedPublication {
    const counter = this.counter(topic, this.now());
    const offset = counter.next;
    const stamped = withStamp(parseEnvelope(envelope), topic, counter.epoch, offset);
    const json = JSON.stringify(stamped);
    counter.next += 1;
    return { topic, epoch: counter.epoch, offset, envelope: stamped, json };
  }

  /**
   * Nothing is kept, so only "you missed nothing" can be answered `recovered: true`: a single
   * position at the live epoch's latest offset. Anything else → `recovered: false`.
   */
  recoverTopic(topic: string, positions: readonly StreamPosition[]): TopicRecoveryResult {
    const now = this.open(topic);
    const only = positions.length === 1 ? positions[0] : undefined;
    const upToDate = only !== undefined && only.epoch === now.epoch && only.offset === now.offset;
    return { recovered: upToDate, count: 0, positions: [now], publications: [] };
  }

  open(topic: string): StreamPosition {
    const counter = this.counter(topic, this.now(), false);
    return { epoch: counter.epoch, offset: counter.next - 1 };
  }

  /** A counter that never numbered a publication holds nothing worth keeping (issue 18). */
  release(topic: string): void {
    if (this.counters.get(topic)?.next === 0) this.counters.delete(topic);
  }

  sweep(): number {
    const now = this.now();
    let dropped = 0;
    for (const [topic, c] of this.counters) {
      if (now - c.lastWrite <= this.ttlMs) continue;
      this.counters.delete(topic);
      dropped += 1;
    }
    return dropped;
  }

  /** Live counters (one per numbered topic). */
  get size(): number {
    return this.counters.size;
  }

  stats(): RecoveryStats {
    return {
      buffers: 0,
      topics: this.counters.size,
      messages: 0,
      bytes: 0,
      budget: 0,
      evictedBuffers: 0,
      expiredBuffers: 0,
      trimmedMessages: 0,
    };
  }

  private counter(topic: string, now: number, write = true): Counter {
    let c = this.counters.get(topic);
    if (c && now - c.lastWrite > this.ttlMs) c = undefined;
    if (!c) {
      c = { epoch: this.drawEpoch(), next: 0, lastWrite: now };
      this.counters.delete(topic); // an expired one: re-insert as the newest
      this.counters.set(topic, c);
      if (this.counters.size > this.maxCounters) {
        const oldest = this.counters.keys().next().value as string;
        this.counters.delete(oldest);
      }
    }
    if (write) c.lastWrite = now;
    return c;
  }
}

function randomEpoch(): string {
  const n = globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  return (n >>> 0).toString(16).padStart(8, '0');
}
