import { type Envelope, parseEnvelope } from '@wse/core-client/protocol';
import type { StoredPublication } from '../recovery/recovery-types';
import type { StampedPublication } from '../recovery/topic-sequencer';
import { type ClusterFrame, FrameType, MAX_FRAME_BYTES } from './cluster-frame';

/** What a node holds, as RECOVER needs it (the {@link RecoveryStore} is one). */
export interface RecoverySource {
  read(
    topic: string,
    epoch: string,
    offset: number,
    max?: number,
  ): { origin: string | null; last: number; items: StoredPublication[] } | undefined;
  originOf(topic: string, epoch: string): string | null | undefined;
  readonly options: { readonly maxMessages: number };
}

/** A whole range fetched from another node: the stream's origin and its publications, offset order. */
export interface FetchedRange {
  origin: string;
  publications: StampedPublication[];
}

interface Pending {
  topic: string;
  epoch: string;
  from: number;
  max: number;
  waiting: Set<string>;
  timer: ReturnType<typeof setTimeout>;
  done(result: FetchedRange | null): void;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();
/** Room for the frame header, topic and JSON wrapper of a RECOVER_REPLY. */
const REPLY_SLACK = 64 * 1024;

/**
 * Cross-node recovery (docs-site/protocol §9 RECOVER / RECOVER_REPLY), both sides.
 *
 * Asking ({@link ask}): RECOVER goes to the stream's origin when this node knows it and has a live
 * link to it, else to every peer that negotiated recovery. The first valid `ok:true` wins; the
 * answer is `null` when every asked peer said `ok:false` (or its link went down) or `waitMs`
 * passed. A reply is valid only when it is the whole range: offsets `from+1 …` without a hole, each
 * stamped for this (topic, epoch), at most `max` — anything else counts as `ok:false`.
 *
 * Serving ({@link onFrame}): `ok:true` only when the node holds the whole range (its own stream or
 * one ingested from another node), capped by the asker's `max` and this node's `maxMessages`.
 * Decided: the reply carries `origin` (the node that stamped the stream) so the asker can keep the
 * range under the right origin; a range whose reply would not fit one frame is `ok:false`.
 *
 * @example
 * ```ts
 * const rec = new ClusterRecovery({ nodeId, store, waitMs: 500, send, peers, log });
 * const range = await rec.ask('chat', '0badcafe', 41, 500); // null → recovered: false
 * ```
 */
export class ClusterRecovery {
  private readonly pending = new Map<number, Pending>();
  private nextReq = 1;
  /** RECOVERs asked, answered ok by us, answered not-ok by us, asks that came back empty. */
  readonly stats = { asked: 0, served: 0, refused: 0, failed: 0 };

  constructor(
    private readonly deps: {
      nodeId: string;
      store: RecoverySource;
      waitMs: number;
      send(peerId: string, frame: Omit<ClusterFrame, 'flags'>): boolean;
      /** Peers with a live link that negotiated recovery. */
      peers(): string[];
      log?: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
    },
  ) {}

  /** Fetches stream `epoch` of `topic` after `from` (at most `max`) from the cluster; never rejects. */
  ask(topic: string, epoch: string, from: number, max: number): Promise<FetchedRange | null> {
    const peers = this.deps.peers();
    const origin = this.deps.store.originOf(topic, epoch);
    const targets = typeof origin === 'string' && peers.includes(origin) ? [origin] : peers;
    if (targets.length === 0) return Promise.resolve(null);
    this.stats.asked += 1;
    const req = this.nextReq++;
    return new Promise((resolve) => {
      const p: Pending = {
        topic,
        epoch,
        from,
        max,
        waiting: new Set(),
        timer: setTimeout(() => p.done(null), this.deps.waitMs),
        done: (result) => {
          if (!this.pending.delete(req)) return;
          clearTimeout(p.timer);
          if (!result) this.stats.failed += 1;
          resolve(result);
        },
      };
      p.timer.unref?.();
      this.pending.set(req, p);
      const payload = utf8.encode(JSON.stringify({ req, epoch, from, max }));
      for (const peer of targets) {
        if (this.deps.send(peer, { type: FrameType.RECOVER, topic, payload })) p.waiting.add(peer);
      }
      if (p.waiting.size === 0) p.done(null);
    });
  }

  /** Handles RECOVER / RECOVER_REPLY from `peerId`; false for any other frame. */
  onFrame(peerId: string, frame: ClusterFrame): boolean {
    if (frame.type === FrameType.RECOVER) this.serve(peerId, frame.topic, frame.payload);
    else if (frame.type === FrameType.RECOVER_REPLY) this.take(peerId, frame.topic, frame.payload);
    else return false;
    return true;
  }

  /** `peerId`'s link went down: it will not answer. */
  peerDown(peerId: string): void {
    for (const p of [...this.pending.values()]) {
      if (p.waiting.delete(peerId) && p.waiting.size === 0) p.done(null);
    }
  }

  /** Answers every pending ask with `null` (node stopping). */
  stop(): void {
    for (const p of [...this.pending.values()]) p.done(null);
  }

  private serve(peerId: string, topic: string, payload: Uint8Array): void {
    const q = parseObject(payload);
    const req = q?.req;
    if (!q || typeof req !== 'number') {
      this.deps.log?.('warn', 'malformed RECOVER ignored', { peer: peerId });
      return;
    }
    const { epoch, from, max } = q;
    let body: Record<string, unknown> = { req, epoch, ok: false };
    if (typeof epoch === 'string' && isOffset(from) && typeof max === 'number' && max >= 0) {
      const cap = Math.min(Math.floor(max), this.deps.store.options.maxMessages);
      const read = this.deps.store.read(topic, epoch, from, cap);
      if (read) {
        const origin = read.origin ?? this.deps.nodeId;
        body = { req, epoch, ok: true, origin, pubs: read.items.map((p) => p.json) };
      }
    }
    let out = utf8.encode(JSON.stringify(body));
    if (out.length + topic.length * 3 + REPLY_SLACK > MAX_FRAME_BYTES) {
      body = { req, epoch, ok: false };
      out = utf8.encode(JSON.stringify(body));
    }
    if (body.ok === true) this.stats.served += 1;
    else this.stats.refused += 1;
    this.deps.send(peerId, { type: FrameType.RECOVER_REPLY, topic, payload: out });
  }

  private take(peerId: string, topic: string, payload: Uint8Array): void {
    const r = parseObject(payload);
    const p = typeof r?.req === 'number' ? this.pending.get(r.req) : undefined;
    if (!r || !p?.waiting.has(peerId) || p.topic !== topic) return;
    const range = r.ok === true ? this.validRange(p, r) : null;
    if (range) {
      p.done(range);
      return;
    }
    p.waiting.delete(peerId);
    if (p.waiting.size === 0) p.done(null);
  }

  /** The reply's publications when they are exactly the asked range; otherwise null. */
  private validRange(p: Pending, r: Record<string, unknown>): FetchedRange | null {
    const { pubs, origin } = r;
    if (r.epoch !== p.epoch || typeof origin !== 'string' || !Array.isArray(pubs) || pubs.length > p.max)
      return null;
    const publications: StampedPublication[] = [];
    for (let i = 0; i < pubs.length; i++) {
      const json = pubs[i];
      if (typeof json !== 'string') return null;
      let envelope: Envelope;
      try {
        envelope = parseEnvelope(JSON.parse(json) as Envelope);
      } catch {
        return null;
      }
      const offset = p.from + 1 + i;
      if (envelope.tp !== p.topic || envelope.e !== p.epoch || envelope.o !== offset) return null;
      publications.push({ topic: p.topic, epoch: p.epoch, offset, envelope, json });
    }
    return { origin, publications };
  }
}

function parseObject(payload: Uint8Array): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(utf8d.decode(payload));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function isOffset(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= -1;
}
