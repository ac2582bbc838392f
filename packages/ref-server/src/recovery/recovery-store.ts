import { type Envelope, parseEnvelope } from '@wse/core-client/protocol';
import { publicationCost, STREAM_OVERHEAD } from './memory-cost';
import { type RecoveryOptions, resolveRecoveryOptions } from './recovery-options';
import type {
  PublicationLog,
  RecoveryResult,
  RecoveryStats,
  RecoveryStoreEnv,
  StoredPublication,
  StreamInfo,
  StreamPosition,
  TopicRecoveryResult,
} from './recovery-types';
import { withStamp } from './recovery-types';
import { RingBuffer } from './ring-buffer';

export { DEFAULT_RECOVERY_OPTIONS, type RecoveryOptions, resolveRecoveryOptions } from './recovery-options';
export { withStamp } from './recovery-types';

interface Stream {
  readonly topic: string;
  readonly epoch: string;
  readonly origin: string | null;
  readonly ring: RingBuffer<StoredRecord>;
  /** Accounted bytes: {@link STREAM_OVERHEAD} plus the cost of every retained publication. */
  bytes: number;
  lastWrite: number;
}

/**
 * What a ring slot holds: the JSON text and the stamp, NOT the envelope object (its object tree
 * cost 1–3× the text again, depending on the payload's shape, and cannot be bounded by the text's
 * length). The envelope is parsed back from the text when asked for — only a replay to a msgpack or
 * E2E connection, or a cluster peer, does.
 */
class StoredRecord implements StoredPublication {
  constructor(
    readonly topic: string,
    readonly epoch: string,
    readonly offset: number,
    readonly bytes: number,
    readonly json: string,
  ) {}

  get envelope(): Readonly<Envelope> {
    return Object.freeze(JSON.parse(this.json) as Envelope);
  }

  /** Bytes charged to the budget ({@link publicationCost}). */
  get cost(): number {
    return publicationCost(this.bytes, this.json.length);
  }
}

interface TopicStreams {
  local: Stream | undefined;
  /** Every live stream of the topic, the local one included. */
  readonly byEpoch: Map<string, Stream>;
}

const EPOCH_RE = /^[0-9a-f]{8}$/; // same rule as the codec's stamp check
const EPOCH_ATTEMPTS = 16;

/**
 * Publication buffers for message recovery (docs-site/protocol §4): one {@link RingBuffer} per topic stream
 * keyed by (topic, epoch). This node's own stream of a topic is created on the first publication (or
 * recovery request) with a fresh random epoch and offsets from 0; when it is evicted or expires, the
 * next one gets a new epoch. Streams received from other nodes ({@link ingest}) live beside it under
 * their own epochs.
 *
 * The memory budget counts real memory ({@link publicationCost}, {@link STREAM_OVERHEAD}) and is
 * enforced whenever something is added: over budget, never-written streams are evicted first (oldest
 * first), then whole least-recently-written buffers other than the one being written; if that is not
 * enough, the oldest messages of the buffer being written are dropped. So `stats().bytes <= budget`
 * holds after every call (a budget below one stream's overhead is the exception: the one stream in
 * use stays). Idle buffers (no write for `ttlSec`) are dropped by {@link sweep} (call it from a
 * timer; this module has none) and lazily whenever they are accessed.
 *
 * @example
 * ```ts
 * const store = new RecoveryStore({ bufferSize: 256 });
 * const pub = store.stamp('chat', { c: 'U', t: 'msg', p: { text: 'hi' } }); // { epoch, offset: 0, ... }
 * for (const conn of subscribers) conn.send(pub.envelope);
 * const r = store.recover('chat', { epoch: pub.epoch, offset: -1 }); // { recovered: true, publications: [pub] }
 * ```
 */
export class RecoveryStore implements PublicationLog {
  /** Publications are kept for replay ({@link PublicationLog}). */
  readonly retains = true;
  /** The resolved options (defaults filled, `bufferSize` rounded to a power of two). */
  readonly options: Readonly<RecoveryOptions>;
  private readonly now: () => number;
  private readonly drawEpoch: () => string;
  private readonly ttlMs: number;
  private readonly topics = new Map<string, TopicStreams>();
  /** Streams with at least one write, least recently written first (Set keeps insertion order). */
  private readonly written = new Set<Stream>();
  /**
   * Streams opened (recover/open) but never written, oldest first. They cost {@link STREAM_OVERHEAD}
   * each and are evicted first (losing one loses no message: at worst a recovery answers `recovered:
   * false`), and dropped when the topic's last subscriber leaves ({@link release}).
   */
  private readonly unwritten = new Set<Stream>();
  private bytes = 0;
  private messages = 0;
  private evictedBuffers = 0;
  private expiredBuffers = 0;
  private trimmedMessages = 0;

  /**
   * @param options partial options; see {@link resolveRecoveryOptions} for defaults and validation
   * @throws RangeError naming the invalid option
   */
  constructor(options: Partial<RecoveryOptions> = {}, env: RecoveryStoreEnv = {}) {
    this.options = Object.freeze(resolveRecoveryOptions(options));
    this.ttlMs = this.options.ttlSec * 1000;
    this.now = env.now ?? Date.now;
    this.drawEpoch = env.randomEpoch ?? epochFromRandom(env.random);
  }

  /**
   * Stamps a publication to `topic` with `tp`, `e`, `o` on a canonical copy (`parseEnvelope`), stores
   * it once and enforces the memory budget. The input envelope is not modified. The returned
   * publication is what to deliver live (it may already be trimmed from the buffer when it alone
   * exceeds the budget; the offset is consumed either way).
   *
   * @throws TypeError when `topic` is empty or the envelope is not JSON-serializable; ProtocolError
   *   (INVALID_FIELD …) for an invalid envelope. Nothing is stored then.
   */
  stamp(topic: string, envelope: Envelope): StoredPublication {
    assertTopic(topic);
    const now = this.now();
    const canonical = parseEnvelope(envelope);
    const existing = this.localStream(topic, now);
    const stream = existing ?? this.createStream(topic, null, 0, now);
    const stamped = withStamp(canonical, topic, stream.epoch, stream.ring.nextOffset);
    let json: string;
    try {
      json = JSON.stringify(stamped);
    } catch (err) {
      if (!existing) this.drop(stream); // nothing stored: nothing kept
      throw err;
    }
    return this.store(stream, stamped, json, now);
  }

  /**
   * Stores a publication stamped by another node (`tp`, `e`, `o` set) in the stream (topic, e) of
   * `origin`, creating it on first sight. A duplicate or older offset is ignored (`null`); an offset
   * past the next expected one restarts the stream there (the skipped range counts as evicted). An
   * epoch equal to one of this node's own streams, or owned by another origin, is ignored.
   *
   * @param json the envelope's JSON text when already at hand (cluster MSG payload), else computed
   * @throws RangeError when the stamp is missing; ProtocolError when the envelope or stamp is malformed
   * @example
   * ```ts
   * store.ingest('node-b', { c: 'U', t: 'msg', p: {}, tp: 'chat', e: '0badcafe', o: 7 });
   * ```
   */
  ingest(origin: string, envelope: Envelope, json?: string): StoredPublication | null {
    if (typeof origin !== 'string' || origin === '') throw new RangeError('ingest origin must be a node id');
    const canonical = parseEnvelope(envelope); // validates tp/e/o when present (ProtocolError)
    const { tp: topic, e: epoch, o: offset } = canonical;
    if (topic === undefined || epoch === undefined || offset === undefined) {
      throw new RangeError(`ingest needs a stamped envelope (tp, e, o); got type ${canonical.t} without`);
    }
    const now = this.now();
    const entry = this.topics.get(topic);
    let stream = entry ? this.live(entry.byEpoch.get(epoch), now) : undefined;
    if (stream && stream.origin !== origin) return null;
    if (!stream) stream = this.createStream(topic, origin, offset, now, epoch);
    else if (offset < stream.ring.nextOffset) return null;
    else if (offset > stream.ring.nextOffset) this.resetStream(stream, offset);
    return this.store(stream, canonical, json ?? JSON.stringify(canonical), now);
  }

  /**
   * Recovers one stream: the publications after `position.offset` in offset order, all of them or
   * none. `recovered: false` (and no publications) when `position` is undefined, the epoch is unknown
   * (restart, eviction, expiry), the offset is invalid or ahead of the stream, more than
   * `maxMessages` would be replayed, or any needed message was evicted. Creates the topic's local
   * stream when missing so the failure answer always carries an epoch to re-baseline to.
   *
   * @example
   * ```ts
   * const r = store.recover('chat', lastSeen);
   * if (r.recovered) r.publications.forEach((p) => conn.send(p.envelope));
   * ```
   */
  recover(topic: string, position: StreamPosition | undefined): RecoveryResult {
    assertTopic(topic);
    if (!position) return this.failure(topic);
    return this.recoverStream(topic, position.epoch, position.offset);
  }

  /**
   * {@link recover} for an explicit (topic, epoch) stream — local or ingested from another node.
   *
   * @example
   * ```ts
   * store.recoverStream('chat', '0badcafe', 6); // { recovered: true, epoch: '0badcafe', offset: 7, ... }
   * ```
   */
  recoverStream(topic: string, epoch: string, offset: number): RecoveryResult {
    assertTopic(topic);
    const read = this.readAfter(topic, epoch, offset, this.options.maxMessages);
    if (!read) return this.failure(topic);
    return { recovered: true, epoch, offset: read.last, publications: read.items };
  }

  /**
   * Recovers several streams of one topic at once (a client's positions in several epochs). All or
   * nothing for the topic: if any position fails, or the total replay exceeds `maxMessages`, or an
   * epoch is listed twice, nothing is replayed. Publications come stream by stream in the order of
   * `positions`, each in offset order. `positions` in the answer lists every live stream (local first)
   * so the client can re-baseline.
   *
   * @example
   * ```ts
   * const r = store.recoverTopic('chat', [{ epoch: 'aa00bb11', offset: 3 }, { epoch: '0badcafe', offset: 9 }]);
   * ```
   */
  recoverTopic(topic: string, positions: readonly StreamPosition[]): TopicRecoveryResult {
    assertTopic(topic);
    const publications: StoredPublication[] = [];
    const seen = new Set<string>();
    let ok = positions.length > 0;
    for (const position of positions) {
      if (!ok) break;
      if (seen.has(position.epoch)) ok = false;
      seen.add(position.epoch);
      const budget = this.options.maxMessages - publications.length;
      const read = ok ? this.readAfter(topic, position.epoch, position.offset, budget) : undefined;
      if (read) publications.push(...read.items);
      else ok = false;
    }
    this.ensureLocal(topic);
    const live = this.streams(topic).map(({ epoch, offset }) => ({ epoch, offset }));
    const replay = ok ? publications : [];
    return { recovered: ok, count: replay.length, positions: live, publications: replay };
  }

  /**
   * Reads (offset, last] of stream (topic, epoch) — local or ingested — without creating anything:
   * the whole range (at most `max` messages) and the stream's origin (`null`: this node), or
   * `undefined` when it cannot be had whole. Serves other nodes' RECOVER (docs-site/protocol §9).
   *
   * @example
   * ```ts
   * store.read('chat', '0badcafe', 6, 500); // { origin: 'node-b', last: 9, items: [...3] }
   * ```
   */
  read(
    topic: string,
    epoch: string,
    offset: number,
    max = this.options.maxMessages,
  ): { origin: string | null; last: number; items: StoredPublication[] } | undefined {
    const read = this.readAfter(topic, epoch, offset, max);
    if (!read) return undefined;
    const origin = this.topics.get(topic)?.byEpoch.get(epoch)?.origin ?? null;
    return { origin, last: read.last, items: read.items };
  }

  /**
   * Who stamped stream (topic, epoch): `null` for this node, the node id for an ingested stream,
   * `undefined` when the stream is not held.
   */
  originOf(topic: string, epoch: string): string | null | undefined {
    return this.live(this.topics.get(topic)?.byEpoch.get(epoch), this.now())?.origin;
  }

  /**
   * The local stream's current position, creating the stream (empty, offset -1) when missing. Use it
   * to tell a fresh subscriber where it starts.
   *
   * @example
   * ```ts
   * store.open('chat'); // { epoch: '5e1f09c2', offset: -1 }
   * ```
   */
  open(topic: string): StreamPosition {
    assertTopic(topic);
    const stream = this.ensureLocal(topic);
    return { epoch: stream.epoch, offset: stream.ring.lastOffset };
  }

  /**
   * The local stream's current position, or `undefined` when the topic has no live local stream.
   *
   * @example
   * ```ts
   * store.position('chat'); // { epoch: '5e1f09c2', offset: 41 } | undefined
   * ```
   */
  position(topic: string): StreamPosition | undefined {
    const stream = this.localStream(topic, this.now());
    return stream ? { epoch: stream.epoch, offset: stream.ring.lastOffset } : undefined;
  }

  /**
   * Every live stream of `topic`: the local one first, then those ingested from other nodes.
   *
   * @example
   * ```ts
   * store.streams('chat').map((s) => s.epoch);
   * ```
   */
  streams(topic: string): StreamInfo[] {
    const entry = this.topics.get(topic);
    if (!entry) return [];
    const now = this.now();
    const out: StreamInfo[] = [];
    for (const stream of [...entry.byEpoch.values()]) {
      if (!this.live(stream, now)) continue;
      const { epoch, origin, ring, bytes, lastWrite } = stream;
      const info = {
        topic,
        epoch,
        origin,
        firstOffset: ring.firstOffset,
        offset: ring.lastOffset,
        messages: ring.size,
        bytes,
        lastWriteAt: lastWrite,
      };
      if (origin === null) out.unshift(info);
      else out.push(info);
    }
    return out;
  }

  /**
   * The topic's last local subscriber left: its local stream goes if nothing was ever written to it
   * (a subscribe with `recover: true` to a quiet topic opens one to answer a position). A stream with
   * publications stays for the TTL — someone may come back for them.
   *
   * @example
   * ```ts
   * topics.onLeft = (topic) => { if (registry.subscriberCount(topic) === 0) store.release(topic); };
   * ```
   */
  release(topic: string): void {
    const stream = this.topics.get(topic)?.local;
    if (stream && this.unwritten.has(stream)) this.drop(stream);
  }

  /**
   * Drops every buffer without a write for more than `ttlSec`; call it from the runtime's timer.
   *
   * @returns the number of buffers dropped
   * @example
   * ```ts
   * setInterval(() => store.sweep(), 10_000).unref();
   * ```
   */
  sweep(): number {
    const now = this.now();
    let dropped = 0;
    for (const set of [this.written, this.unwritten]) {
      for (const stream of set) {
        if (now - stream.lastWrite <= this.ttlMs) continue; // not `break`: tolerate a clock step back
        this.drop(stream);
        dropped += 1;
      }
    }
    this.expiredBuffers += dropped;
    return dropped;
  }

  /**
   * Current counters; `bytes` is the accounted memory (streams and retained publications).
   *
   * @example
   * ```ts
   * gauge.set(store.stats().bytes);
   * ```
   */
  stats(): RecoveryStats {
    return {
      buffers: this.written.size + this.unwritten.size,
      topics: this.topics.size,
      messages: this.messages,
      bytes: this.bytes,
      budget: this.options.memoryBudget,
      evictedBuffers: this.evictedBuffers,
      expiredBuffers: this.expiredBuffers,
      trimmedMessages: this.trimmedMessages,
    };
  }

  /** Reads (offset, last] of a live stream, or `undefined` when that is impossible or too long. */
  private readAfter(topic: string, epoch: string, offset: number, max: number) {
    const entry = this.topics.get(topic);
    const stream = entry ? this.live(entry.byEpoch.get(epoch), this.now()) : undefined;
    if (!stream || !Number.isSafeInteger(offset) || offset < -1) return undefined;
    const last = stream.ring.lastOffset;
    const count = last - offset;
    if (count < 0 || count > max) return undefined;
    const read = stream.ring.read(offset + 1, last);
    return read.ok ? { last, items: read.items } : undefined;
  }

  private failure(topic: string): RecoveryResult {
    const stream = this.ensureLocal(topic);
    return { recovered: false, epoch: stream.epoch, offset: stream.ring.lastOffset, publications: [] };
  }

  private store(stream: Stream, envelope: Envelope, json: string, now: number): StoredPublication {
    const bytes = Buffer.byteLength(json, 'utf8');
    const { topic, epoch } = stream;
    const offset = stream.ring.nextOffset;
    // The live copy (with its envelope) goes to the fan-out and dies young; the ring keeps the text.
    const pub: StoredPublication = Object.freeze({
      topic,
      epoch,
      offset,
      envelope: Object.freeze(envelope),
      bytes,
      json,
    });
    const record = new StoredRecord(topic, epoch, offset, bytes, json);
    const evicted = stream.ring.append(record);
    if (evicted) this.account(stream, -evicted.cost, -1);
    this.account(stream, record.cost, 1);
    stream.lastWrite = now;
    this.unwritten.delete(stream);
    this.written.delete(stream); // re-insert: most recently written goes last
    this.written.add(stream);
    this.enforceBudget(stream);
    return pub;
  }

  /**
   * Evicts never-written streams, then least-recently-written buffers (never `current`), then trims
   * `current`, until under budget.
   */
  private enforceBudget(current: Stream): void {
    const budget = this.options.memoryBudget;
    for (const set of [this.unwritten, this.written]) {
      for (const stream of set) {
        if (this.bytes <= budget) return;
        if (stream === current) continue;
        this.drop(stream); // deleting the visited entry of a Set while iterating it is safe
        this.evictedBuffers += 1;
      }
    }
    while (this.bytes > budget) {
      const oldest = current.ring.shift();
      if (!oldest) break;
      this.account(current, -oldest.cost, -1);
      this.trimmedMessages += 1;
    }
  }

  private account(stream: Stream, bytes: number, messages: number): void {
    stream.bytes += bytes;
    this.bytes += bytes;
    this.messages += messages;
  }

  private localStream(topic: string, now: number): Stream | undefined {
    return this.live(this.topics.get(topic)?.local, now);
  }

  private ensureLocal(topic: string): Stream {
    const now = this.now();
    return this.localStream(topic, now) ?? this.createStream(topic, null, 0, now);
  }

  /** `stream` if it exists and has not expired; an expired one is dropped on the spot. */
  private live(stream: Stream | undefined, now: number): Stream | undefined {
    if (!stream || now - stream.lastWrite <= this.ttlMs) return stream;
    this.drop(stream);
    this.expiredBuffers += 1;
    return undefined;
  }

  private createStream(
    topic: string,
    origin: string | null,
    startOffset: number,
    now: number,
    epoch?: string,
  ): Stream {
    let entry = this.topics.get(topic);
    if (!entry) {
      entry = { local: undefined, byEpoch: new Map() };
      this.topics.set(topic, entry);
    }
    const ring = new RingBuffer<StoredRecord>(this.options.bufferSize, startOffset);
    const stream: Stream = {
      topic,
      epoch: epoch ?? this.freshEpoch(entry),
      origin,
      ring,
      bytes: 0,
      lastWrite: now,
    };
    entry.byEpoch.set(stream.epoch, stream);
    if (origin === null) entry.local = stream;
    this.unwritten.add(stream);
    this.account(stream, STREAM_OVERHEAD, 0);
    this.enforceBudget(stream);
    return stream;
  }

  /** A valid epoch not used by a live stream of the topic. */
  private freshEpoch(entry: TopicStreams): string {
    for (let attempt = 0; attempt < EPOCH_ATTEMPTS; attempt++) {
      const epoch = this.drawEpoch();
      if (typeof epoch !== 'string' || !EPOCH_RE.test(epoch)) {
        throw new TypeError(`randomEpoch must return 8 lower-case hex chars, got ${String(epoch)}`);
      }
      if (!entry.byEpoch.has(epoch)) return epoch;
    }
    throw new Error(`no unused epoch after ${EPOCH_ATTEMPTS} draws: is randomEpoch constant?`);
  }

  private resetStream(stream: Stream, nextOffset: number): void {
    this.account(stream, STREAM_OVERHEAD - stream.bytes, -stream.ring.size);
    stream.ring.reset(nextOffset);
  }

  private drop(stream: Stream): void {
    this.account(stream, -stream.bytes, -stream.ring.size);
    this.written.delete(stream);
    this.unwritten.delete(stream);
    const entry = this.topics.get(stream.topic);
    if (!entry || entry.byEpoch.get(stream.epoch) !== stream) return;
    entry.byEpoch.delete(stream.epoch);
    if (entry.local === stream) entry.local = undefined;
    if (entry.byEpoch.size === 0) this.topics.delete(stream.topic);
  }
}

function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic === '') throw new TypeError('topic must be a non-empty string');
}

function epochFromRandom(random: (() => number) | undefined): () => string {
  if (random) return () => toHex8(Math.floor(random() * 0x1_0000_0000));
  return () => toHex8(globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0);
}

function toHex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
