import type { Envelope } from '@wse/core-client/protocol';
import {
  type Engine,
  type EngineHealth,
  type EngineHost,
  groupInterestKey,
  type RemoteRecovery,
} from '../engine/engine';
import { RecoveryStore } from '../recovery/recovery-store';
import type { StreamPosition } from '../recovery/recovery-types';
import { Capability } from './cluster-frame';
import { ClusterNode, type PeerInfo } from './cluster-node';
import type { ResolvedClusterOptions } from './cluster-options';
import { ClusterPresence } from './cluster-presence';
import { ClusterRecovery } from './cluster-recovery';
import { chooseGroupNode } from './group-choice';
import { loadTlsMaterial, watchTlsMaterial } from './tls-material';
import { loadZstd } from './zstd-codec';

/**
 * What `server.clusterInfo()` returns.
 *
 * @example
 * ```ts
 * const info: ClusterInfo = server.clusterInfo();
 * info.peers.filter((p) => p.state === 'up').length;
 * ```
 */
export interface ClusterInfo {
  /** This node's instance id (new at every start). */
  id: string;
  /** The address other nodes dial (`advertise`). */
  address: string;
  peers: Array<
    Omit<PeerInfo, 'stats'> &
      PeerInfo['stats'] & {
        connectedSince: number;
        /** The peer's RESYNC arrived (until then it gets every MSG) and the topics it wants. */
        routing?: { resynced: boolean; topics: number };
      }
  >;
  /** Addresses being dialled (configured, seeds, gossiped) and their failures. */
  dialing: Array<{ address: string; source: string; failures: number }>;
  linkChanges: number;
  msgIn: number;
  msgOut: number;
  drops: number;
}

type Log = (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;

/**
 * The mesh engine: stamps locally (the node's own stream), delivers locally, forwards the stamped
 * JSON to every peer with subscribers for the topic (each link at most once), and delivers MSGs
 * from peers with their origin's stamp (docs-site/protocol §9).
 *
 * @example
 * ```ts
 * const engine = new MeshEngine(host, resolved.cluster, log);
 * await engine.start();
 * ```
 */
export class MeshEngine implements Engine {
  readonly name = 'mesh';
  readonly node: ClusterNode;
  /** Cross-node recovery; absent when recovery is off (no RECOVERY capability then). */
  readonly recovery?: ClusterRecovery;
  /** Cluster-wide presence; absent when presence is off (no PRESENCE capability then). */
  readonly presence?: ClusterPresence;
  private stopWatch?: () => void;
  /** Topics with local subscribers / pinned by a pending remote recovery (SUB while either holds). */
  private readonly local = new Set<string>();
  private readonly pins = new Map<string, number>();

  constructor(
    private readonly host: EngineHost,
    private readonly o: ResolvedClusterOptions,
    private readonly log: Log,
  ) {
    this.node = new ClusterNode(
      host.nodeId,
      {
        host: o.host,
        port: o.port,
        advertise: o.advertise,
        peers: o.peers,
        seeds: o.seeds,
        tls: o.tls ? loadTlsMaterial(o.tls) : undefined,
        timings: { pingIntervalMs: o.pingIntervalMs, deadAfterMs: o.deadAfterMs },
        maxQueueBytes: o.maxQueueBytes,
        zstdLoopback: o.zstdLoopback,
        capabilities:
          Capability.INTEREST |
          (host.log instanceof RecoveryStore ? Capability.RECOVERY : 0) |
          (host.presence ? Capability.PRESENCE : 0),
        log,
      },
      {
        onMessage: (origin, topic, json) => {
          host.deliverRemote(origin, topic, json);
        },
        localTopics: () => new Set([...host.localTopics(), ...this.pins.keys()]),
        onFrame: (peerId, frame) => {
          if (!this.presence?.onFrame(peerId, frame)) this.recovery?.onFrame(peerId, frame);
        },
        onPeerUp: (peerId) => this.presence?.peerUp(peerId),
        onPeerDown: (peerId) => {
          this.recovery?.peerDown(peerId);
          this.presence?.peerDown(peerId);
        },
      },
    );
    if (host.presence) {
      this.presence = new ClusterPresence({
        presence: host.presence,
        send: (peerId, frame) => this.node.sendTo(peerId, frame),
        peers: () => this.node.upPeers(Capability.PRESENCE),
        log,
      });
    }
    if (host.log instanceof RecoveryStore) {
      this.recovery = new ClusterRecovery({
        nodeId: host.nodeId,
        store: host.log,
        waitMs: o.recoverWaitMs,
        send: (peerId, frame) => this.node.sendTo(peerId, frame),
        peers: () => this.node.upPeers(Capability.RECOVERY),
        log,
      });
    }
  }

  publish(topic: string, envelope: Envelope): number {
    const stamped = this.host.stamp(topic, envelope);
    const local = this.host.deliver(topic, stamped);
    this.node.forward(topic, stamped.json, stamped.epoch, stamped.offset);
    return local;
  }

  interest(topic: string, present: boolean): void {
    const before = this.wanted(topic);
    if (present) this.local.add(topic);
    else this.local.delete(topic);
    if (this.wanted(topic) !== before) this.node.setInterest(topic, !before);
  }

  /**
   * Keeps this node's interest in `topic` announced (SUB) until the returned function is called,
   * whether or not it has local subscribers: a pending remote recovery needs the origin's live MSGs
   * from before its RECOVER is answered (same link, so SUB is read first), or they could slip
   * between the origin's reply and the subscription.
   */
  pinInterest(topic: string): () => void {
    const before = this.wanted(topic);
    this.pins.set(topic, (this.pins.get(topic) ?? 0) + 1);
    if (!before) this.node.setInterest(topic, true);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.pins.get(topic) ?? 1) - 1;
      if (n > 0) this.pins.set(topic, n);
      else this.pins.delete(topic);
      if (!this.wanted(topic)) this.node.setInterest(topic, false);
    };
  }

  /**
   * The nodes holding queue group `group` on `topic`: this node when it has a member, plus every up
   * peer that announced the group's interest key. Unsorted; see {@link chooseGroupNode}.
   */
  groupHolders(topic: string, group: string): string[] {
    const key = groupInterestKey(topic, group);
    const peers = this.node.peersAnnouncing(key);
    return this.local.has(key) ? [this.node.id, ...peers] : peers;
  }

  /**
   * `Fanout.groupFilter` for the mesh: whether THIS node delivers `envelope` to `group` (it is the
   * holder every holder computes). Exactly one node cluster-wide once interest has settled.
   */
  deliversToGroup(topic: string, group: string, envelope: Envelope): boolean {
    return chooseGroupNode(this.groupHolders(topic, group), envelope) === this.node.id;
  }

  async recoverRemote(topic: string, position: StreamPosition, max: number): Promise<RemoteRecovery | null> {
    const range = await this.recovery?.ask(topic, position.epoch, position.offset, max);
    if (!range) return null;
    return {
      origin: range.origin,
      publications: range.publications.map((p) => p.json),
      stamped: range.publications,
    };
  }

  private wanted(topic: string): boolean {
    return this.local.has(topic) || this.pins.has(topic);
  }

  health(): EngineHealth {
    const peers = this.node.peerList();
    const up = this.node.upCount();
    const configuredDown = this.node.dialList().some((d) => d.source === 'peer' && !this.isUp(d.peerId));
    const drops = peers.reduce(
      (n, p) => n + (p.state === 'up' ? p.stats.drops : 0),
      this.node.totals.dropsClosed,
    );
    return {
      status: configuredDown ? 'degraded' : 'ok',
      figures: {
        peers_up: up,
        peers_known: peers.length,
        link_changes: this.node.linkChanges,
        msg_in: this.node.totals.msgIn,
        msg_out: this.node.totals.msgOut,
        frames_in: sum(peers, 'framesIn'),
        frames_out: sum(peers, 'framesOut'),
        bytes_in: sum(peers, 'bytesIn'),
        bytes_out: sum(peers, 'bytesOut'),
        queue_drops: drops,
        recover_asked: this.recovery?.stats.asked ?? 0,
        recover_failed: this.recovery?.stats.failed ?? 0,
        recover_served: this.recovery?.stats.served ?? 0,
        recover_refused: this.recovery?.stats.refused ?? 0,
        presence_refused: this.presence?.refused ?? 0,
      },
    };
  }

  info(): ClusterInfo {
    return {
      id: this.node.id,
      address: this.node.advertise,
      peers: this.node.peerList().map(({ stats, ...p }) => ({
        ...p,
        ...stats,
        connectedSince: p.since,
        routing: this.node.routing(p.id),
      })),
      dialing: this.node.dialList().map(({ address, source, failures }) => ({ address, source, failures })),
      linkChanges: this.node.linkChanges,
      msgIn: this.node.totals.msgIn,
      msgOut: this.node.totals.msgOut,
      drops: this.health().figures.queue_drops ?? 0,
    };
  }

  /** Re-reads the TLS files now (SIGHUP); live links stay. */
  reloadTls(): void {
    if (!this.o.tls) return;
    try {
      this.node.setTls(loadTlsMaterial(this.o.tls));
      this.log('info', 'cluster TLS material reloaded', {});
    } catch (err) {
      this.log('warn', 'cluster TLS reload failed', { reason: (err as Error).message });
    }
  }

  async start(): Promise<void> {
    if (this.o.zstd) {
      const codec = await loadZstd();
      if (codec) this.node.enableZstd(codec);
      else this.log('warn', 'zstd unavailable: cluster MSGs go uncompressed', {});
    }
    await this.node.start();
    if (this.o.tls) {
      this.stopWatch = watchTlsMaterial(
        this.o.tls,
        (m) => {
          this.node.setTls(m);
          this.log('info', 'cluster TLS material reloaded', {});
        },
        (err) => this.log('warn', 'cluster TLS reload failed', { reason: err.message }),
      );
    }
  }

  async drain(): Promise<void> {
    this.node.drain();
  }

  async stop(): Promise<void> {
    this.stopWatch?.();
    this.recovery?.stop();
    await this.node.stop();
  }

  private isUp(peerId: string | undefined): boolean {
    return peerId !== undefined && this.node.peerList().some((p) => p.id === peerId && p.state === 'up');
  }
}

function sum(peers: PeerInfo[], key: keyof PeerInfo['stats']): number {
  return peers.reduce((n, p) => n + p.stats[key], 0);
}
