import { deflateZlib, type Envelope, encodeFrame, toBytes } from '@wse/core-client/protocol';
import type { Transport } from '../transport/transport';
import type { QueueGroups } from './queue-groups';
import type { TopicRegistry } from './topic-registry';
import { uwsTopic } from './uws-topic';

/**
 * Reserved name for "every connection" (`broadcastAll`). Control characters are rejected in client
 * topic names, so no client can subscribe to it. It is deliberately NOT a uWS topic: a second topic
 * per socket makes uWS compute topic intersections on every drain and costs ~20 % of fan-out
 * throughput (measured in test/bench/fanout.ts), so broadcastAll sends one shared frame per socket.
 */
export const ALL_TOPIC = '\u0000all';

/**
 * A connection the fan-out sends to itself: a direct subscriber (msgpack, E2E, not admitted yet),
 * any connection for `broadcastAll`, a chosen queue-group member.
 */
export interface DirectTarget {
  readonly format: 'json' | 'msgpack';
  /** E2E on: gets `E:` around JSON or `M:` (never `C:` inside, docs-site/protocol §2). */
  readonly encrypted: boolean;
  /** False when the client said `features.compression: false`: never `C:`. */
  readonly compress: boolean;
  readonly closed: boolean;
  bufferedAmount(): number;
  sendFrame(frame: string | Uint8Array): void;
  sendEncrypted(inner: Uint8Array): void;
}

export interface FanoutDeps {
  transport: Pick<Transport, 'publish'>;
  registry: TopicRegistry;
  target(connId: string): DirectTarget | undefined;
  /** Every open connection id (for broadcastAll). */
  allConnections(): Iterable<string>;
  compressionThreshold: number;
  maxBackpressure: number;
  /** A direct subscriber was skipped because it is over `maxBackpressure`. */
  onSkipped(connId: string): void;
  /** Once per flush: uWS-path deliveries, their bytes, and the mean seconds per publication. */
  onDelivered(count: number, bytes: number, seconds: number): void;
  /** Defaults to setImmediate; injected so tests can flush by hand. */
  schedule?: (fn: () => void) => void;
  /** Queue groups (docs-site/protocol §4): each stamped publication also goes to one member per group. */
  groups?: QueueGroups;
}

interface Publication {
  topic: string;
  envelope: Envelope;
  /** JSON text of `envelope` when the stamp produced it (sent as is: no second encoding). */
  json?: string;
  bytes?: number;
  /** A topic publication (stamped): queue groups get it too. Presence events are not. */
  grouped?: boolean;
}

/** What {@link Fanout.stamp} returns: the stamped envelope and its JSON text. */
export interface Stamped {
  readonly envelope: Envelope;
  readonly json?: string;
  readonly bytes?: number;
}

const utf8 = new TextEncoder();
const PREFIX_C = new Uint8Array([0x43, 0x3a]); // 'C:'

/**
 * The JSON-format frame for an envelope whose JSON text is already known: the text itself, or
 * `C:` + zlib of it above `threshold` UTF-8 bytes — byte for byte what `encodeFrame(envelope)`
 * produces, without stringifying again.
 *
 * @example
 * socket.send(jsonFrame(pub.json, 1024, pub.bytes));
 */
export function jsonFrame(json: string, threshold: number, bytes?: number): string | Uint8Array {
  if (json.length * 3 <= threshold) return json;
  // Counted, not encoded: a mid-size publication (threshold/3 .. threshold chars) stays text, and
  // a UTF-8 copy made only to measure it was an allocation per publication (issue 16).
  if ((bytes ?? Buffer.byteLength(json, 'utf8')) <= threshold) return json;
  const z = deflateZlib(utf8.encode(json));
  const out = new Uint8Array(2 + z.length);
  out.set(PREFIX_C);
  out.set(z, 2);
  return out;
}

/**
 * Topic fan-out. Publications are queued and flushed once per event-loop turn: outside uWS's
 * message callback `app.publish` lets uWS coalesce each subscriber's frames into few writes
 * (TOOLCHAIN.md: ~3 M vs ~0.2 M deliveries/s). Each publication is encoded once for all JSON
 * subscribers on uWS (one `publish` under the topic's name, plus one of the uncompressed JSON under
 * its second name for `compression: false` ones, see {@link uwsTopic}), once per format for direct
 * subscribers, then encrypted per connection.
 *
 * @example
 * fanout.enqueue('chat', buildEnvelope('chat_message', { text: 'hi' }));
 */
export class Fanout {
  private queue: Publication[] = [];
  private scheduled = false;
  private readonly schedule: (fn: () => void) => void;
  /**
   * Recovery stamping plugs in here: every topic publication passes through it exactly once, at
   * enqueue time (so offsets follow call order), even when nobody is subscribed yet. The returned
   * JSON text is what plain-JSON subscribers get.
   */
  stamp?: (topic: string, envelope: Envelope) => Stamped;
  /**
   * Cluster hook for queue groups: whether THIS node delivers `envelope` to `group` on `topic`.
   * Unset (single node) = always. The mesh installs it so exactly one node of the cluster delivers
   * each publication to each group (it knows which nodes announced interest in the group).
   */
  groupFilter?: (topic: string, group: string, envelope: Envelope) => boolean;

  constructor(private readonly deps: FanoutDeps) {
    this.schedule = deps.schedule ?? ((fn) => setImmediate(fn));
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Queues a publication to `topic` (stamped now, sent this turn). */
  enqueue(topic: string, envelope: Envelope): void {
    if (topic === ALL_TOPIC) {
      this.enqueueUnstamped(topic, envelope);
      return;
    }
    this.enqueueStamped(topic, this.stamp ? this.stamp(topic, envelope) : { envelope });
  }

  /**
   * Queues a publication stamped already (by this node's log through the engine, or by another node
   * or store: the stamp is kept as is). Same queue, same one-publish-per-format-group path as
   * {@link enqueue}; nothing is queued when nobody on this node holds the topic (plainly or in a
   * queue group).
   */
  enqueueStamped(topic: string, s: Stamped): void {
    const grouped = this.deps.groups?.hasTopic(topic) === true;
    if (this.deps.registry.subscriberCount(topic) === 0 && !grouped) return;
    this.push({ topic, envelope: s.envelope, json: s.json, bytes: s.bytes, grouped });
  }

  /**
   * Queues an event for the topic's subscribers WITHOUT the recovery stamp (presence events: they
   * are not topic publications, take no offset and are not replayed). Keeps order with publications.
   */
  enqueueUnstamped(topic: string, envelope: Envelope): void {
    if (topic !== ALL_TOPIC && this.deps.registry.subscriberCount(topic) === 0) return;
    this.push({ topic, envelope });
  }

  private push(pub: Publication): void {
    this.queue.push(pub);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }

  /** Sends everything queued so far. Metrics are taken once per flush, not per publication. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const started = performance.now();
    let count = 0;
    let bytes = 0;
    for (const pub of batch) {
      count += this.deliver(pub);
      bytes += this.lastBytes;
    }
    this.deps.onDelivered(count, bytes, (performance.now() - started) / 1000 / batch.length);
  }

  /** Bytes of the uWS deliveries {@link deliver} made last. */
  private lastBytes = 0;

  /**
   * Returns the uWS-path deliveries: the shared frame under the topic's name, and the JSON never
   * compressed under its second name (`compression: false` subscribers) — the very same frame when
   * the shared one is text, so nothing is encoded twice. Direct sends are counted by the connection.
   */
  private deliver(pub: Publication): number {
    const { registry, transport } = this.deps;
    const threshold = this.deps.compressionThreshold;
    const plain =
      pub.json === undefined ? this.encode(pub.envelope, 'json') : jsonFrame(pub.json, threshold, pub.bytes);
    this.lastBytes = 0;
    if (pub.topic === ALL_TOPIC) {
      this.deliverDirect(pub, this.deps.allConnections(), plain);
      return 0;
    }
    const direct = registry.directSubscribers(pub.topic);
    const uncompressed = registry.plainSubscriberCount(pub.topic);
    const shared = registry.subscriberCount(pub.topic) - (direct?.size ?? 0) - uncompressed;
    if (shared > 0) {
      transport.publish(uwsTopic(pub.topic, 'compressed'), plain, typeof plain !== 'string');
      this.lastBytes = shared * plain.length;
    }
    let raw: string | undefined;
    if (uncompressed > 0) {
      raw = this.rawJson(pub, plain);
      transport.publish(uwsTopic(pub.topic, 'plain'), raw, false);
      this.lastBytes += uncompressed * raw.length;
    }
    if (direct) this.deliverDirect(pub, direct, plain, raw);
    if (pub.grouped) this.deliverGroups(pub, plain);
    return shared + uncompressed;
  }

  /**
   * One member per queue group, round-robin, skipping members that are closed or over
   * `maxBackpressure`; the chosen members get direct sends (one shared encoding per format). Runs
   * at flush time, so a member that closed since the publish is never chosen. When every member of
   * a group is over its limit the publication is not delivered to that group (counted as skipped).
   */
  private deliverGroups(pub: Publication, plain: string | Uint8Array): void {
    const groups = this.deps.groups;
    if (!groups?.hasTopic(pub.topic)) return;
    const chosen: string[] = [];
    const eligible = (id: string) => {
      const t = this.deps.target(id);
      if (!t || t.closed) return false;
      if (t.bufferedAmount() <= this.deps.maxBackpressure) return true;
      this.deps.onSkipped(id);
      return false;
    };
    for (const group of groups.groupsOn(pub.topic)) {
      if (this.groupFilter && !this.groupFilter(pub.topic, group, pub.envelope)) continue;
      const id = groups.pick(pub.topic, group, eligible);
      if (id !== undefined) chosen.push(id);
    }
    if (chosen.length > 0) this.deliverDirect(pub, chosen, plain);
  }

  /**
   * One encoding per frame kind, shared by every direct subscriber; encryption is per connection.
   * Kinds: the shared JSON frame (maybe `C:`), JSON never compressed (E2E and `compression: false`
   * connections; `raw` when {@link deliver} made it already), msgpack.
   */
  private deliverDirect(
    pub: Publication,
    ids: Iterable<string>,
    plain: string | Uint8Array,
    raw?: string,
  ): void {
    const frames: { json: string | Uint8Array; raw?: string; msgpack?: string | Uint8Array } = {
      json: plain,
      raw,
    };
    const inner: { raw?: Uint8Array; msgpack?: Uint8Array } = {};
    for (const id of ids) {
      const target = this.deps.target(id);
      if (!target || target.closed) continue;
      if (target.bufferedAmount() > this.deps.maxBackpressure) {
        this.deps.onSkipped(id);
        continue;
      }
      const kind =
        target.format === 'msgpack' ? 'msgpack' : target.encrypted || !target.compress ? 'raw' : 'json';
      if (kind === 'msgpack' && frames.msgpack === undefined)
        frames.msgpack = this.encode(pub.envelope, 'msgpack');
      if (kind === 'raw' && frames.raw === undefined) frames.raw = this.rawJson(pub, plain);
      const frame = frames[kind] as string | Uint8Array;
      if (target.encrypted) {
        const k = kind === 'msgpack' ? 'msgpack' : 'raw';
        let bytesIn = inner[k];
        if (!bytesIn) {
          bytesIn = toBytes(frame);
          inner[k] = bytesIn;
        }
        target.sendEncrypted(bytesIn);
      } else {
        target.sendFrame(frame);
      }
    }
  }

  // The JSON text of a publication, never compressed: the shared frame when it is text already.
  private rawJson(pub: Publication, plain: string | Uint8Array): string {
    if (typeof plain === 'string') return plain;
    if (pub.json !== undefined) return pub.json;
    return encodeFrame(pub.envelope, { compressionThreshold: Number.POSITIVE_INFINITY }) as string;
  }

  private encode(envelope: Envelope, format: 'json' | 'msgpack'): string | Uint8Array {
    return encodeFrame(envelope, { format, compressionThreshold: this.deps.compressionThreshold });
  }
}
