import { DEFAULT_LINK_TIMINGS } from './link-machine';

/**
 * The `cluster` option group of `new WSEServer({ cluster })`: turns on the mesh engine.
 *
 * @example
 * ```ts
 * new WSEServer({ cluster: { port: 7001, seeds: ['10.0.0.1:7001'], tls: { ca: 'ca.pem', cert: 'node.pem', key: 'node.key' } } });
 * ```
 */
export interface ClusterOptions {
  /** Cluster port [7007; 0 = any free port, read back in `clusterInfo().address`]. */
  port?: number;
  /** ['0.0.0.0'] */
  host?: string;
  /** The `host:port` other nodes dial to reach this one [host:port, 127.0.0.1 when host is 0.0.0.0]. */
  advertise?: string;
  /** Addresses dialled and redialled forever. */
  peers?: string[];
  /** Addresses dialled to join; the nodes they know of are dialled too (gossip). */
  seeds?: string[];
  /** mTLS: PEM file paths (or PEM text) of the cluster CA, this node's certificate and key. */
  tls?: { ca: string; cert: string; key: string };
  /** ms [5000] PING period. */
  pingIntervalMs?: number;
  /** ms [15 000] a peer silent this long is dead. */
  deadAfterMs?: number;
  /** bytes [8 MiB] outbound queue per peer; MSGs past it are dropped and counted. */
  maxQueueBytes?: number;
  /** Compress MSG payloads ≥ 256 B with zstd when both sides support it [true]. */
  zstd?: boolean;
  /** Compress on loopback links too (peers on this host, e.g. `--workers` siblings) [false]. */
  zstdLoopback?: boolean;
  /** ms [500] how long a node waits for another node's RECOVER_REPLY before answering `recovered: false`. */
  recoverWaitMs?: number;
}

/** After defaults. */
export interface ResolvedClusterOptions {
  port: number;
  host: string;
  advertise?: string;
  peers: string[];
  seeds: string[];
  tls?: { ca: string; cert: string; key: string };
  pingIntervalMs: number;
  deadAfterMs: number;
  maxQueueBytes: number;
  zstd: boolean;
  zstdLoopback: boolean;
  recoverWaitMs: number;
}

const ADDRESS = /^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/;

/**
 * Validates the group; `undefined` when clustering is off. Throws `(option, problem)` through `fail`.
 *
 * @example
 * ```ts
 * resolveClusterOptions({ seeds: ['a:7007'] }, (o, p) => new Error(`${o}: ${p}`))?.port; // 7007
 * ```
 */
export function resolveClusterOptions(
  value: ClusterOptions | undefined,
  fail: (option: string, problem: string) => Error,
): ResolvedClusterOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw fail('cluster', 'must be an object');
  const int = (
    name: keyof ClusterOptions,
    v: unknown,
    dflt: number,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ) => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw fail(`cluster.${name}`, `must be an integer between ${min} and ${max} (got ${String(v)})`);
    }
    return v;
  };
  const list = (name: 'peers' | 'seeds', v: unknown): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw fail(`cluster.${name}`, 'must be an array of host:port');
    for (const a of v)
      if (typeof a !== 'string' || !ADDRESS.test(a))
        throw fail(`cluster.${name}`, `"${String(a)}" is not host:port`);
    return [...new Set(v as string[])];
  };
  if (
    value.advertise !== undefined &&
    (typeof value.advertise !== 'string' || !ADDRESS.test(value.advertise))
  ) {
    throw fail('cluster.advertise', `"${String(value.advertise)}" is not host:port`);
  }
  const tls = value.tls;
  if (tls !== undefined && (typeof tls !== 'object' || !tls || !tls.ca || !tls.cert || !tls.key)) {
    throw fail('cluster.tls', 'needs ca, cert and key (PEM file paths or PEM text)');
  }
  const pingIntervalMs = int('pingIntervalMs', value.pingIntervalMs, DEFAULT_LINK_TIMINGS.pingIntervalMs, 10);
  const deadAfterMs = int('deadAfterMs', value.deadAfterMs, DEFAULT_LINK_TIMINGS.deadAfterMs, 30);
  if (deadAfterMs <= pingIntervalMs) throw fail('cluster.deadAfterMs', 'must be longer than pingIntervalMs');
  return {
    port: int('port', value.port, 7007, 0, 65535),
    host: value.host ?? '0.0.0.0',
    advertise: value.advertise,
    peers: list('peers', value.peers),
    seeds: list('seeds', value.seeds),
    tls,
    pingIntervalMs,
    deadAfterMs,
    maxQueueBytes: int('maxQueueBytes', value.maxQueueBytes, 8 * 1024 * 1024, 64 * 1024),
    zstd: value.zstd ?? true,
    zstdLoopback: value.zstdLoopback ?? false,
    recoverWaitMs: int('recoverWaitMs', value.recoverWaitMs, 500, 1, 60_000),
  };
}
