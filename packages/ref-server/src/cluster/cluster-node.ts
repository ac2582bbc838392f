import {
  Capability,
  type ClusterFrame,
  decodePeerList,
  encodePeerList,
  FLAG_ZSTD,
  FrameType,
  MAX_FRAME_BYTES,
} from './cluster-frame';
import { ClusterListener, type ClusterTlsMaterial, dialSocket, type LinkSocket } from './cluster-socket';
import type { ClusterNodeHandlers, ClusterNodeOptions, PeerInfo } from './cluster-types';
import { DEFAULT_DIAL_POLICY, type DialPolicy } from './dial-policy';
import { type Dialer as DialerEntry, DialerTable } from './dialer-table';
import { InterestTable, resyncFrames } from './interest-table';
import { DEFAULT_LINK_TIMINGS, type LinkTimings } from './link-machine';
import { PeerLink } from './peer-link';

export type { ClusterNodeHandlers, ClusterNodeOptions, PeerInfo } from './cluster-types';

import type { ZstdCodec } from './zstd-codec';

/** MSG payloads from this size up are offered to zstd (docs-site/protocol §9). */
const ZSTD_MIN_BYTES = 256;

type Dialer = DialerEntry<PeerLink>;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/**
 * One node of the mesh: the cluster port, one link per peer, dialers with backoff and breaker,
 * gossip and interest routing (docs-site/protocol §9).
 *
 * EXACTLY ONE LINK PER PAIR — the argument. Every node has a unique instance id, and both ends of a
 * connection know who dialled it (the dialler knows it dialled; the acceptor knows it accepted) and,
 * after HELLO, both ids. When a node holds two connections to the same peer id it keeps the one
 * dialled by the SMALLER instance id and closes the other (if both were dialled by the same node — two
 * addresses of one peer — it keeps the older). The rule reads only facts both ends agree on, so both
 * ends pick the same connection whatever order the HELLOs arrive in: simultaneous dials converge on
 * one link, and when only one side lists the other there is only one dial to begin with. A loser is
 * closed with `end()`, so frames already written on it are still read. A dialer never dials an
 * address whose last-seen peer id has a live link, and an address that answered with our own id is
 * never dialled again, so a closed loser does not come back as a redial loop.
 *
 * @example
 * ```ts
 * const node = new ClusterNode('node-a', { host: '127.0.0.1', port: 0, peers: [], seeds: ['10.0.0.1:7001'] }, handlers);
 * await node.start();
 * node.forward('chat', json, 'a1b2c3d4', 41);
 * ```
 */
export class ClusterNode {
  private readonly links = new Map<string, PeerLink>();
  private readonly loose = new Set<PeerLink>();
  private readonly dialers: DialerTable<PeerLink>;
  private readonly peers = new Map<string, PeerInfo>();
  private readonly interest = new InterestTable();
  private readonly timings: LinkTimings;
  private readonly policy: DialPolicy;
  private readonly now: () => number;
  private readonly random: () => number;
  private listener: ClusterListener | null = null;
  private timer?: ReturnType<typeof setInterval>;
  private lastResync = 0;
  private stopped = false;
  private draining = false;
  advertise = '';
  /** Link state changes (up/down) since start. */
  linkChanges = 0;
  /** MSG frames received, refused (bad payload), and dropped (queues full) — node totals. */
  readonly totals = { msgIn: 0, msgOut: 0, dropsClosed: 0 };

  constructor(
    readonly id: string,
    private readonly o: ClusterNodeOptions,
    private readonly handlers: ClusterNodeHandlers,
  ) {
    this.timings = { ...DEFAULT_LINK_TIMINGS, ...o.timings };
    this.policy = { ...DEFAULT_DIAL_POLICY, ...o.dial };
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.dialers = new DialerTable(this.policy, this.now, this.random);
  }

  private zstd?: ZstdCodec;

  get capabilities(): number {
    return (this.o.capabilities ?? Capability.INTEREST) | (this.zstd ? Capability.ZSTD : 0);
  }

  /** Advertise zstd and use it with peers that advertise it too (call before `start`). */
  enableZstd(codec: ZstdCodec): void {
    this.zstd = codec;
  }

  /** Binds the cluster port, starts dialling; resolves with the bound port. */
  async start(): Promise<number> {
    this.listener = new ClusterListener(
      {
        host: this.o.host,
        port: this.o.port,
        tls: this.o.tls,
        onError: (err) => this.log('warn', 'peer refused', { reason: err.message }),
      },
      (socket) => this.adopt(socket, 'in'),
    );
    const port = await this.listener.listen();
    const host = this.o.host === '0.0.0.0' || this.o.host === '::' ? '127.0.0.1' : this.o.host;
    this.advertise = this.o.advertise ?? `${host}:${port}`;
    for (const a of this.o.peers) this.addDialer(a, 'peer');
    for (const a of this.o.seeds) this.addDialer(a, 'seed');
    this.timer = setInterval(() => this.tick(), Math.min(250, this.timings.pingIntervalMs / 2));
    this.timer.unref?.();
    this.tick();
    return port;
  }

  /** SHUTDOWN to every peer, close the port. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const link of [...this.links.values(), ...this.loose]) link.leave();
    await this.listener?.close();
  }

  /** DRAIN to every peer: they stop routing new publications here; links stay. */
  drain(): void {
    this.draining = true;
    for (const link of this.links.values()) link.send({ type: FrameType.DRAIN, topic: '', payload: EMPTY });
  }

  /** New TLS material for future handshakes (live links stay up). */
  setTls(material: ClusterTlsMaterial): void {
    this.o.tls = material;
    this.listener?.setTls(material);
  }

  /**
   * Sends a locally stamped publication to every peer that wants it: each link at most once, and
   * only to peers with subscribers (or whose RESYNC has not arrived yet). Returns the links it went to.
   * zstd only where it saves bandwidth: not on loopback links (a `--workers` sibling, a node on the
   * same host) unless `zstdLoopback`, since there it would cost a compress and a decompress per
   * publication for bytes that cost nothing to move.
   */
  forward(topic: string, json: string, epoch: string, offset: number): number {
    let payload: Uint8Array | undefined;
    let packed: Uint8Array | null | undefined; // compressed once for every zstd link; null = not smaller
    let sent = 0;
    const trailer = { epoch: Number.parseInt(epoch, 16), offset };
    for (const link of this.links.values()) {
      if (link.state !== 'up' || !this.interest.wants(link, topic)) continue;
      payload ??= utf8.encode(json);
      if (
        this.zstd &&
        payload.length >= ZSTD_MIN_BYTES &&
        link.has(Capability.ZSTD) &&
        (this.o.zstdLoopback === true || !link.loopback)
      ) {
        if (packed === undefined) {
          const z = this.zstd.compress(payload);
          packed = z.length < payload.length ? z : null;
        }
        if (packed) {
          if (link.send({ type: FrameType.MSG, flags: FLAG_ZSTD, topic, payload: packed, trailer }))
            sent += 1;
          continue;
        }
      }
      if (payload.length + topic.length * 3 + 32 > MAX_FRAME_BYTES) {
        this.log('warn', 'publication too large for a cluster frame; not forwarded', {
          topic,
          bytes: payload.length,
        });
        break;
      }
      if (link.send({ type: FrameType.MSG, topic, payload, trailer })) sent += 1;
    }
    this.totals.msgOut += sent;
    return sent;
  }

  /** First local subscriber (`present`) / last one gone: SUB / UNSUB to every peer. */
  setInterest(topic: string, present: boolean): void {
    const type = present ? FrameType.SUB : FrameType.UNSUB;
    for (const link of this.links.values()) {
      if (link.has(Capability.INTEREST)) link.send({ type, topic, payload: EMPTY });
    }
  }

  /** Sends `frame` on the live link to `peerId`; false when there is none or its queue is full. */
  sendTo(peerId: string, frame: Omit<ClusterFrame, 'flags'> & { flags?: number }): boolean {
    const link = this.links.get(peerId);
    return link?.alive === true && link.send(frame);
  }

  /** Ids of the peers with a live link that negotiated `capability`. */
  upPeers(capability: number): string[] {
    const out: string[] = [];
    for (const [id, link] of this.links) if (link.alive && link.has(capability)) out.push(id);
    return out;
  }

  /** Ids of the peers with an up link that announced interest `key` (queue-group holders). */
  peersAnnouncing(key: string): string[] {
    const out: string[] = [];
    for (const [id, link] of this.links)
      if (link.state === 'up' && this.interest.announced(link, key)) out.push(id);
    return out;
  }

  /** Peers as last seen (up, draining, dead or left), newest first. */
  peerList(): PeerInfo[] {
    return [...this.peers.values()]
      .map((p) => (this.links.get(p.id)?.state === 'draining' ? { ...p, state: 'draining' as const } : p))
      .sort((a, b) => b.since - a.since);
  }

  /** Routing state of the live link to `peerId`: whether its RESYNC arrived, how many topics it wants. */
  routing(peerId: string): { resynced: boolean; topics: number } | undefined {
    const link = this.links.get(peerId);
    return link ? this.interest.describe(link) : undefined;
  }

  upCount(): number {
    let n = 0;
    for (const link of this.links.values()) if (link.alive) n += 1;
    return n;
  }

  /** Configured or gossiped addresses and their dial state. */
  dialList(): ReturnType<DialerTable<PeerLink>['list']> {
    return this.dialers.list();
  }

  // ── links ──────────────────────────────────────────────────────────────────────────────────

  private adopt(socket: LinkSocket, direction: 'in' | 'out', dialer?: Dialer): PeerLink {
    const link = new PeerLink({
      socket,
      direction,
      address: dialer?.address,
      nodeId: this.id,
      capabilities: this.capabilities,
      timings: this.timings,
      maxQueueBytes: this.o.maxQueueBytes ?? 8 * 1024 * 1024,
      stallGraceMs: this.o.stallGraceMs ?? this.timings.deadAfterMs,
      now: this.now,
      inflate: this.zstd ? (p, max) => (this.zstd as ZstdCodec).decompress(p, max) : this.o.inflate,
      onUp: (l) => this.onUp(l),
      onDown: (l, reason) => this.onDown(l, reason),
      onDead: (l, reason) => this.onDead(l, reason, dialer),
      onFrame: (l, f) => this.onFrame(l, f),
    });
    if (this.stopped) link.fail('node stopping');
    else this.loose.add(link);
    return link;
  }

  private onUp(link: PeerLink): void {
    const id = link.peerId as string;
    const dialer = link.direction === 'out' && link.address ? this.dialers.get(link.address) : undefined;
    if (id === this.id) {
      if (dialer) dialer.self = true;
      link.fail('connected to itself');
      return;
    }
    if (dialer) dialer.peerId = id;
    const existing = this.links.get(id);
    if (existing && existing !== link) {
      if (this.keepsNew(existing, link)) {
        this.links.delete(id);
        this.loose.add(existing);
        existing.fail('duplicate link (tie-break)');
      } else {
        link.fail('duplicate link (tie-break)');
        return;
      }
    }
    this.loose.delete(link);
    this.links.set(id, link);
    this.interest.open(link);
    this.linkChanges += 1;
    this.peers.set(id, {
      id,
      address: this.peers.get(id)?.address ?? link.address,
      state: 'up',
      direction: link.direction,
      since: this.now(),
      stats: link.stats,
    });
    this.log('info', 'peer link up', { peer: id, direction: link.direction, address: link.address });
    link.send({ type: FrameType.PEER_ANNOUNCE, topic: this.advertise, payload: EMPTY });
    link.send({ type: FrameType.PEER_LIST, topic: '', payload: encodePeerList(this.knownAddresses()) });
    if (link.has(Capability.INTEREST)) this.sendResync(link);
    if (this.draining) link.send({ type: FrameType.DRAIN, topic: '', payload: EMPTY });
    this.handlers.onPeerUp?.(id);
  }

  /** The tie-break: keep the connection dialled by the smaller instance id (older on a tie). */
  private keepsNew(existing: PeerLink, candidate: PeerLink): boolean {
    const dialler = (l: PeerLink) => (l.direction === 'out' ? this.id : (l.peerId as string));
    const a = dialler(existing);
    const b = dialler(candidate);
    return a !== b && b < a;
  }

  private onDown(link: PeerLink, reason: string): void {
    const id = link.peerId as string;
    if (this.links.get(id) !== link) return;
    this.links.delete(id);
    this.interest.close(link);
    this.linkChanges += 1;
    const shutdown = link.context.shutdown;
    const peer = this.peers.get(id);
    if (peer)
      this.peers.set(id, {
        ...peer,
        state: shutdown ? 'left' : 'dead',
        since: this.now(),
        stats: { ...link.stats },
      });
    else
      this.peers.set(id, {
        id,
        address: link.address,
        state: 'dead',
        direction: link.direction,
        since: this.now(),
        stats: { ...link.stats },
      });
    this.totals.dropsClosed += link.stats.drops;
    this.log('warn', 'peer link down', { peer: id, reason });
    if (shutdown && peer?.address) this.dialers.forget(peer.address);
    this.handlers.onPeerDown?.(id, shutdown === true);
  }

  private onDead(link: PeerLink, reason: string, dialer?: Dialer): void {
    this.loose.delete(link);
    if (!dialer) return;
    const upAt = link.context.upAt;
    this.dialers.ended(dialer, link, {
      upForMs: upAt === undefined ? -1 : this.now() - upAt,
      shutdown: link.context.shutdown,
      duplicate: reason.startsWith('duplicate'),
    });
  }

  private onFrame(link: PeerLink, frame: ClusterFrame): void {
    switch (frame.type) {
      case FrameType.MSG:
        if (this.links.get(link.peerId as string) !== link && !this.loose.has(link)) return;
        this.totals.msgIn += 1;
        this.handlers.onMessage(link.peerId as string, frame.topic, utf8d.decode(frame.payload));
        return;
      case FrameType.SUB:
      case FrameType.UNSUB:
        this.interest.change(link, frame.topic, frame.type === FrameType.SUB);
        return;
      case FrameType.RESYNC:
        this.interest.resync(link, frame.payload.length === 0 ? [] : utf8d.decode(frame.payload).split('\n'));
        return;
      case FrameType.PEER_ANNOUNCE:
        this.onAnnounce(link, frame.topic);
        return;
      case FrameType.PEER_LIST:
        for (const address of decodePeerList(frame.payload)) this.addDialer(address, 'gossip');
        return;
      default:
        // PRESENCE_*, RECOVER*: handled above the mesh (cluster-recovery, cluster-presence).
        if (this.links.get(link.peerId as string) === link)
          this.handlers.onFrame?.(link.peerId as string, frame);
        return;
    }
  }

  private onAnnounce(link: PeerLink, address: string): void {
    const id = link.peerId as string;
    if (!address || address === this.advertise) return;
    const peer = this.peers.get(id);
    if (peer) peer.address = address;
    const d = this.addDialer(address, 'gossip');
    if (d) d.peerId = id;
    // Tell every other peer, so nodes that joined through us at the same moment find each other.
    const list = encodePeerList(this.knownAddresses());
    for (const other of this.links.values()) {
      if (other !== link) other.send({ type: FrameType.PEER_LIST, topic: '', payload: list });
    }
  }

  private knownAddresses(): string[] {
    const out: string[] = [];
    for (const [id, link] of this.links) {
      const address = this.peers.get(id)?.address ?? link.address;
      if (address && link.alive) out.push(address);
    }
    return out;
  }

  private addDialer(address: string, source: Dialer['source']): Dialer | undefined {
    if (address === this.advertise || this.stopped) return undefined;
    return this.dialers.add(address, source);
  }

  private sendResync(link: PeerLink): void {
    for (const frame of resyncFrames([...this.handlers.localTopics()])) link.send(frame);
  }

  private tick(): void {
    const now = this.now();
    for (const link of [...this.links.values(), ...this.loose]) link.tick();
    if (now - this.lastResync >= (this.o.resyncIntervalMs ?? 60_000)) {
      this.lastResync = now;
      for (const link of this.links.values()) if (link.has(Capability.INTEREST)) this.sendResync(link);
    }
    for (const d of this.dialers.due(now, (id) => this.links.get(id)?.alive === true)) {
      try {
        this.dialers.started(d, this.adopt(dialSocket(d.address, this.o.tls), 'out', d));
      } catch (err) {
        this.log('warn', 'bad peer address', { address: d.address, reason: (err as Error).message });
        this.dialers.forget(d.address);
      }
    }
    // Forget peers that have been gone for 10 minutes (a restarted node comes back with a new id).
    for (const [id, p] of this.peers) {
      if (p.state !== 'up' && p.state !== 'draining' && now - p.since > 600_000) this.peers.delete(id);
    }
  }

  private log(level: 'info' | 'warn', msg: string, fields: Record<string, unknown>): void {
    this.o.log?.(level, msg, fields);
  }
}

const EMPTY = new Uint8Array(0);
