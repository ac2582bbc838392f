import type { PresenceService } from '../presence/presence-service';
import type { PresenceSnapshot, RemotePresenceChange } from '../presence/presence-types';
import { type ClusterFrame, FrameType, MAX_FRAME_BYTES } from './cluster-frame';

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();
const ACTIONS = ['join', 'leave', 'update'] as const;
/** A PRESENCE_FULL chunk's JSON stays under this (frame limit minus header room). */
const FULL_CHUNK_BYTES = MAX_FRAME_BYTES - 64 * 1024;

/**
 * Encodes a PRESENCE_UPDATE payload (§9): action u8 (0 join, 1 leave, 2 update), updated_at u64 LE
 * ms, uid_len u16 LE, uid, data JSON.
 *
 * @example
 * ```ts
 * const payload = encodePresenceUpdate({ action: 'join', topic: 'room', userId: 'ada', data: {}, updated_at: Date.now() });
 * ```
 */
export function encodePresenceUpdate(c: RemotePresenceChange): Uint8Array {
  const uid = utf8.encode(c.userId);
  const data = utf8.encode(JSON.stringify(c.action === 'leave' ? null : (c.data ?? null)));
  const out = new Uint8Array(11 + uid.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, ACTIONS.indexOf(c.action));
  view.setBigUint64(1, BigInt(Math.max(0, Math.floor(c.updated_at))), true);
  view.setUint16(9, uid.length, true);
  out.set(uid, 11);
  out.set(data, 11 + uid.length);
  return out;
}

/** Decodes a PRESENCE_UPDATE payload for `topic`; throws on a malformed one. */
export function decodePresenceUpdate(topic: string, p: Uint8Array): RemotePresenceChange {
  if (p.length < 11) throw new RangeError('PRESENCE_UPDATE too short');
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const action = ACTIONS[view.getUint8(0)];
  if (!action) throw new RangeError('PRESENCE_UPDATE: unknown action');
  const updated_at = Number(view.getBigUint64(1, true));
  const uidLen = view.getUint16(9, true);
  if (11 + uidLen > p.length || uidLen === 0) throw new RangeError('PRESENCE_UPDATE: bad uid length');
  const userId = utf8d.decode(p.subarray(11, 11 + uidLen));
  const rest = p.subarray(11 + uidLen);
  const data: unknown = rest.length === 0 ? null : JSON.parse(utf8d.decode(rest));
  return { action, topic, userId, data, updated_at };
}

/**
 * Splits a node's presence into PRESENCE_FULL bodies, each under the frame limit
 * (`{topic: {user: {data, updated_at, connections}}}`; `connections` is an addition of ours).
 */
export function chunkSnapshot(snapshot: PresenceSnapshot, limit = FULL_CHUNK_BYTES): string[] {
  const chunks: string[] = [];
  let chunk: PresenceSnapshot = Object.create(null);
  let size = 2;
  for (const [topic, users] of Object.entries(snapshot)) {
    for (const [userId, entry] of Object.entries(users)) {
      const cost = Buffer.byteLength(JSON.stringify([topic, userId, entry]), 'utf8') + 8;
      if (size + cost > limit && size > 2) {
        chunks.push(JSON.stringify(chunk));
        chunk = Object.create(null);
        size = 2;
      }
      chunk[topic] ??= Object.create(null);
      (chunk[topic] as PresenceSnapshot[string])[userId] = entry;
      size += cost;
    }
  }
  if (size > 2) chunks.push(JSON.stringify(chunk));
  return chunks;
}

/**
 * Cluster-wide presence (docs-site/protocol §5, §9): this node's own changes go to every peer as
 * PRESENCE_UPDATE; a link that comes up gets this node's whole state as PRESENCE_FULL (chunked);
 * peers' entries are kept per origin node and merged last-write-wins by `updated_at` in the
 * {@link PresenceStore}, so subscribers on every node hear one `presence_join` / `presence_leave`
 * per user however many nodes hold connections of theirs. A peer whose link goes down (dead after
 * the liveness timeout, or SHUTDOWN) is purged as a unit: its users leave, once, where it was
 * their last node.
 *
 * @example
 * ```ts
 * const cp = new ClusterPresence({ presence, send: (id, f) => node.sendTo(id, f), peers: () => node.upPeers(Capability.PRESENCE) });
 * cp.peerUp('node-b');
 * ```
 */
export class ClusterPresence {
  /** Frames that could not be applied (malformed). */
  refused = 0;

  constructor(
    private readonly deps: {
      presence: PresenceService;
      send(peerId: string, frame: Omit<ClusterFrame, 'flags'>): boolean;
      peers(): string[];
      log?: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
    },
  ) {
    deps.presence.localSink = (change) => this.local(change);
  }

  /** One of this node's own changes: to every peer. */
  local(change: RemotePresenceChange): void {
    const payload = encodePresenceUpdate(change);
    for (const peer of this.deps.peers()) {
      this.deps.send(peer, { type: FrameType.PRESENCE_UPDATE, topic: change.topic, payload });
    }
  }

  /** A link came up: send it everything this node holds locally. */
  peerUp(peerId: string): void {
    for (const body of chunkSnapshot(this.deps.presence.exportLocal())) {
      this.deps.send(peerId, { type: FrameType.PRESENCE_FULL, topic: '', payload: utf8.encode(body) });
    }
  }

  /** A link went down (dead or left): forget that node's members. */
  peerDown(peerId: string): void {
    this.deps.presence.purgeOrigin(peerId);
  }

  /** Handles PRESENCE_UPDATE / PRESENCE_FULL; false for other frames. */
  onFrame(peerId: string, frame: ClusterFrame): boolean {
    if (frame.type !== FrameType.PRESENCE_UPDATE && frame.type !== FrameType.PRESENCE_FULL) return false;
    try {
      if (frame.type === FrameType.PRESENCE_UPDATE) {
        this.deps.presence.applyRemote(peerId, decodePresenceUpdate(frame.topic, frame.payload));
      } else {
        this.deps.presence.applySnapshot(peerId, parseSnapshot(frame.payload));
      }
    } catch (err) {
      this.refused += 1;
      this.deps.log?.('warn', 'presence frame refused', { peer: peerId, reason: (err as Error).message });
    }
    return true;
  }
}

function parseSnapshot(payload: Uint8Array): PresenceSnapshot {
  const raw: unknown = JSON.parse(utf8d.decode(payload));
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new RangeError('PRESENCE_FULL: not an object');
  const out: PresenceSnapshot = Object.create(null);
  for (const [topic, users] of Object.entries(raw)) {
    if (typeof users !== 'object' || users === null) throw new RangeError('PRESENCE_FULL: bad topic entry');
    const list: PresenceSnapshot[string] = Object.create(null);
    for (const [userId, e] of Object.entries(users as Record<string, unknown>)) {
      const entry = e as { data?: unknown; updated_at?: unknown; connections?: unknown };
      if (typeof entry !== 'object' || entry === null || typeof entry.updated_at !== 'number')
        throw new RangeError('PRESENCE_FULL: bad user entry');
      const n = entry.connections;
      list[userId] = {
        data: entry.data ?? null,
        updated_at: entry.updated_at,
        connections: typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 1,
      };
    }
    out[topic] = list;
  }
  return out;
}
