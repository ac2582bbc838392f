import type { ClusterFrame } from './cluster-frame';
import type { ClusterTlsMaterial } from './cluster-socket';
import type { DialPolicy } from './dial-policy';
import type { LinkTimings } from './link-machine';
import type { LinkStats } from './peer-link';

/**
 * Resolved settings of a cluster node.
 *
 * @example
 * ```ts
 * const o: ClusterNodeOptions = { host: '127.0.0.1', port: 0, peers: [], seeds: ['10.0.0.1:7007'] };
 * ```
 */
export interface ClusterNodeOptions {
  host: string;
  port: number;
  /** The address peers dial to reach us (`host:port`); default `host:boundPort` (127.0.0.1 for 0.0.0.0). */
  advertise?: string;
  /** Addresses dialled and redialled forever. */
  peers: string[];
  /** Addresses dialled to join; what they gossip is dialled too. */
  seeds: string[];
  tls?: ClusterTlsMaterial;
  timings?: Partial<LinkTimings>;
  dial?: Partial<DialPolicy>;
  maxQueueBytes?: number;
  stallGraceMs?: number;
  resyncIntervalMs?: number;
  capabilities?: number;
  inflate?: (payload: Uint8Array, max: number) => Uint8Array;
  /** Compress MSGs to peers on this host (loopback links) too [false: loopback bytes are free]. */
  zstdLoopback?: boolean;
  now?: () => number;
  random?: () => number;
  log?: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
}

/** What the node hands up to its engine. */
export interface ClusterNodeHandlers {
  /** A MSG from `origin`: the stamped envelope JSON for `topic`. */
  onMessage(origin: string, topic: string, json: string): void;
  /** Every topic with local subscribers (RESYNC). */
  localTopics(): Iterable<string>;
  /** PRESENCE_* and RECOVER* frames from a live link (issue 13: cluster-recovery, cluster-presence). */
  onFrame?(peerId: string, frame: ClusterFrame): void;
  /** A link came up (after the tie-break). */
  onPeerUp?(peerId: string): void;
  /** A live link went down; `left` when the peer said SHUTDOWN. */
  onPeerDown?(peerId: string, left: boolean): void;
}

/** A peer as `clusterInfo()` reports it. */
export interface PeerInfo {
  id: string;
  address?: string;
  state: 'up' | 'draining' | 'dead' | 'left';
  direction: 'in' | 'out';
  since: number;
  stats: LinkStats;
}
