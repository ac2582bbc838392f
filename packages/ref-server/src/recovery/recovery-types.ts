import type { Envelope } from '@wse/core-client/protocol';

/**
 * One stored publication: the stamped envelope in canonical form (`parseEnvelope` of the codec: key
 * order `c,t,p,id,ts,seq,v,cid,pri,tp,e,o`, unknown fields dropped), kept ONCE for every format and
 * every encrypted connection, plus its JSON text.
 *
 * `bytes` is the exact UTF-8 byte length of `json`, i.e. of `JSON.stringify(envelope)` — the same
 * text `encodeFrame(envelope)` sends below its compression threshold. The memory budget charges more
 * than that (`publicationCost` in memory-cost.ts: the string as V8 holds it plus the record and its
 * ring slot); the ring keeps only the text, and a stored record's `envelope` is parsed from it.
 * `json` is what a JSON-format connection can send verbatim; msgpack and encrypted connections frame
 * `envelope` per connection. Objects are frozen (shallowly): never mutate `envelope.p` after stamping.
 *
 * @example
 * ```ts
 * const pub = store.stamp('chat', { c: 'U', t: 'msg', p: { text: 'hi' } });
 * pub.envelope.o === pub.offset; // true
 * socket.send(pub.json);         // JSON-format connection
 * ```
 */
export interface StoredPublication {
  readonly topic: string;
  readonly epoch: string;
  readonly offset: number;
  readonly envelope: Readonly<Envelope>;
  /** UTF-8 byte length of `json` — the accounted size. */
  readonly bytes: number;
  /** `JSON.stringify(envelope)`. */
  readonly json: string;
}

/**
 * A client's position in one stream: the last offset it has seen in epoch `epoch` (-1: none yet).
 *
 * @example
 * ```ts
 * const pos: StreamPosition = { epoch: '9f3c01aa', offset: 41 };
 * ```
 */
export interface StreamPosition {
  epoch: string;
  offset: number;
}

/**
 * Answer to a recovery request for one stream. On failure `publications` is always empty (never a
 * partial replay) and `epoch`/`offset` are the topic's current local position to re-baseline to.
 *
 * @example
 * ```ts
 * const r = store.recover('chat', { epoch: 'aa00bb11', offset: 10 });
 * if (!r.recovered) client.rebaseline(r.epoch, r.offset);
 * ```
 */
export interface RecoveryResult {
  recovered: boolean;
  epoch: string;
  /** Latest offset of the stream; -1 when nothing was published in this epoch. */
  offset: number;
  publications: StoredPublication[];
}

/**
 * Answer to a recovery request with several positions for one topic ({@link RecoveryStore.recoverTopic}).
 *
 * @example
 * ```ts
 * const r = store.recoverTopic('chat', [{ epoch: 'aa00bb11', offset: 3 }]);
 * reply.recovery.chat = { recovered: r.recovered, count: r.count, ...r.positions[0] };
 * ```
 */
export interface TopicRecoveryResult {
  recovered: boolean;
  /** `publications.length`. */
  count: number;
  /** Current position of every live stream of the topic, the local one first. */
  positions: StreamPosition[];
  publications: StoredPublication[];
}

/**
 * Description of one live stream ({@link RecoveryStore.streams}).
 *
 * @example
 * ```ts
 * store.streams('chat'); // [{ topic: 'chat', epoch: '1a2b3c4d', origin: null, offset: 9, ... }]
 * ```
 */
export interface StreamInfo {
  topic: string;
  epoch: string;
  /** `null` for this node's own stream; otherwise the node id it was ingested from. */
  origin: string | null;
  /** Oldest retained offset (`offset + 1` when nothing is retained). */
  firstOffset: number;
  /** Latest offset; -1 when nothing was ever written. */
  offset: number;
  messages: number;
  bytes: number;
  lastWriteAt: number;
}

/**
 * Counters of a {@link RecoveryStore}.
 *
 * @example
 * ```ts
 * const { bytes, budget } = store.stats(); // bytes <= budget, always after a stamp() returns
 * ```
 */
export interface RecoveryStats {
  buffers: number;
  /** Topics with recovery state on this node (a stream, or with recovery off a numbering counter). */
  topics: number;
  messages: number;
  /** Accounted memory: every stream's overhead plus every retained publication's cost (memory-cost.ts). */
  bytes: number;
  budget: number;
  /** Whole buffers evicted to stay under the memory budget. */
  evictedBuffers: number;
  /** Buffers dropped after `ttlSec` without writes. */
  expiredBuffers: number;
  /** Oldest messages dropped from the buffer being written when no other buffer could be evicted. */
  trimmedMessages: number;
}

/**
 * Injected environment: clock (ms) and randomness for epochs.
 *
 * @example
 * ```ts
 * let t = 0; const store = new RecoveryStore({}, { now: () => t, randomEpoch: () => 'deadbeef' });
 * ```
 */
export interface RecoveryStoreEnv {
  now?: () => number;
  /** Uniform [0, 1); used to draw epochs when `randomEpoch` is not given. */
  random?: () => number;
  /** Returns an epoch: 8 lower-case hex chars. Overrides `random`. */
  randomEpoch?: () => string;
}
