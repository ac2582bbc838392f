import { type Envelope, parseEnvelope } from '@wse/core-client/protocol';
import type { RemoteRecovery } from '../engine/engine';
import type { RecoveryStore } from '../recovery/recovery-store';
import type { StreamPosition, TopicRecoveryResult } from '../recovery/recovery-types';
import type { StampedPublication } from '../recovery/topic-sequencer';
import { positionsFor } from '../topics/subscription-check';

/** What the subscribe flow needs from the engine to recover streams this node does not hold. */
export interface RemoteRecoverySource {
  recover(topic: string, position: StreamPosition, max: number): Promise<RemoteRecovery | null>;
  /** Keeps the topic's interest announced until the release is called. */
  pin?(topic: string): () => void;
}

/** Per topic, per epoch: the whole range fetched from another node, or `null` (could not be had). */
export type FetchedRanges = Map<string, Map<string, { origin: string; pubs: StampedPublication[] } | null>>;

/** {@link TopicRecoveryResult} whose publications may come from another node. */
export type CombinedRecovery = Omit<TopicRecoveryResult, 'publications'> & {
  publications: StampedPublication[];
};

/** A position of a recovery request that this node cannot answer from its own buffers. */
export interface RemoteWant {
  topic: string;
  position: StreamPosition;
}

/**
 * The positions of a `recover: true` request this node must ask the cluster for: those whose stream
 * is not held whole here and is not this node's own stream (a failure on our own stream is final).
 *
 * @example
 * ```ts
 * remoteWants(store, ['chat'], { chat: { epoch: '0badcafe', offset: 3 } }); // [{ topic: 'chat', position }]
 * ```
 */
export function remoteWants(
  store: RecoveryStore,
  topics: readonly string[],
  recovery: Record<string, unknown> | undefined,
): RemoteWant[] {
  const out: RemoteWant[] = [];
  for (const topic of topics) {
    for (const position of positionsFor(recovery, topic) ?? []) {
      if (store.originOf(topic, position.epoch) === null) continue;
      if (store.read(topic, position.epoch, position.offset) === undefined) out.push({ topic, position });
    }
  }
  return out;
}

/** The checked publications of a remote answer (parsed here when the engine did not). */
export function stampedOf(
  topic: string,
  position: StreamPosition,
  r: RemoteRecovery,
): StampedPublication[] | null {
  if (r.stamped) return r.stamped;
  const out: StampedPublication[] = [];
  for (let i = 0; i < r.publications.length; i++) {
    try {
      const json = r.publications[i] as string;
      const envelope = parseEnvelope(JSON.parse(json) as Envelope);
      const offset = position.offset + 1 + i;
      if (envelope.tp !== topic || envelope.e !== position.epoch || envelope.o !== offset) return null;
      out.push({ topic, epoch: position.epoch, offset, envelope, json });
    } catch {
      return null;
    }
  }
  return out;
}

/**
 * {@link RecoveryStore.recoverTopic} with some streams answered by other nodes: all or nothing for
 * the topic, at most `maxMessages` in all. A fetched range (offsets `from+1 … Y`) is joined with what
 * this node ingested live meanwhile (offsets after `Y`): a hole between the two fails the topic
 * (never a silent gap). A stream this node does not hold at all is ingested from the fetched range,
 * so later live publications append to it and later recoveries are local.
 *
 * @example
 * ```ts
 * recoverCombined(store, 'chat', positions, fetched.get('chat'));
 * ```
 */
export function recoverCombined(
  store: RecoveryStore,
  topic: string,
  positions: readonly StreamPosition[],
  fetched: Map<string, { origin: string; pubs: StampedPublication[] } | null> | undefined,
): CombinedRecovery {
  if (!fetched) return store.recoverTopic(topic, positions);
  const local = positions.filter((p) => !fetched.has(p.epoch));
  const pubs: StampedPublication[] = [];
  let ok = positions.length > 0 && new Set(positions.map((p) => p.epoch)).size === positions.length;
  if (ok && local.length > 0) {
    const r = store.recoverTopic(topic, local);
    ok = r.recovered;
    pubs.push(...r.publications);
  }
  for (const p of positions) {
    if (!ok) break;
    if (!fetched.has(p.epoch)) continue;
    const range = fetched.get(p.epoch);
    const joined = range ? join(store, topic, p, range) : null;
    if (joined) pubs.push(...joined);
    else ok = false;
  }
  if (pubs.length > store.options.maxMessages) ok = false;
  const live = store.recoverTopic(topic, []).positions;
  return { recovered: ok, count: ok ? pubs.length : 0, positions: live, publications: ok ? pubs : [] };
}

function join(
  store: RecoveryStore,
  topic: string,
  p: StreamPosition,
  range: { origin: string; pubs: StampedPublication[] },
): StampedPublication[] | null {
  const last = p.offset + range.pubs.length;
  const held = store.streams(topic).find((s) => s.epoch === p.epoch);
  if (!held) {
    // Not held: keep it (under its origin) so what arrives live next appends to it.
    const kept: StampedPublication[] = [];
    for (const pub of range.pubs)
      kept.push(store.ingest(range.origin, pub.envelope as Envelope, pub.json) ?? pub);
    return kept;
  }
  if (held.offset <= last) return range.pubs;
  if (held.firstOffset > last + 1) return null; // a hole between the fetched range and what came live
  const tail = store.read(topic, p.epoch, last);
  return tail ? [...range.pubs, ...tail.items] : null;
}
