import net from 'node:net';
import type { ClusterOptions } from '../../src/cluster/cluster-options';
import type { WSEServerOptions } from '../../src/options';
import type { WSEServer } from '../../src/server';
import { startServer, TestClient } from '../helpers';

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Node {
  server: WSEServer;
  url: string;
  address: string;
}

/** A server with the mesh on 127.0.0.1 (cluster port given or free). */
export async function startNode(cluster: ClusterOptions, extra: WSEServerOptions = {}): Promise<Node> {
  const port = cluster.port ?? (await freePort());
  const { server, url } = await startServer({ cluster: { host: '127.0.0.1', ...cluster, port }, ...extra });
  return { server, url, address: `127.0.0.1:${port}` };
}

/** Polls `check` until it returns true (every 20 ms) or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Peers this node holds an up link to. */
export function upPeers(node: Node): string[] {
  return (node.server.clusterInfo()?.peers ?? []).filter((p) => p.state === 'up').map((p) => p.id);
}

/** Waits until every node has an up link to every other one (a full mesh). */
export async function fullMesh(nodes: Node[], timeoutMs = 10_000): Promise<void> {
  const ids = nodes.map((n) => n.server.nodeId);
  await waitFor(
    () =>
      nodes.every((n) => {
        const up = new Set(upPeers(n));
        return ids.every((id) => id === n.server.nodeId || up.has(id));
      }),
    timeoutMs,
    'full mesh',
  );
}

/** A ready client subscribed to `topics`. */
export async function subscriber(url: string, topics: string[]): Promise<TestClient> {
  const c = await TestClient.ready(url);
  c.send({ t: 'subscription_update', p: { action: 'subscribe', topics } });
  await c.next('subscription_update');
  return c;
}

/** Waits until `from` knows that `peer` wants `topic` (its SUB or RESYNC arrived). */
export async function routed(from: Node, peer: Node, topics: number): Promise<void> {
  await waitFor(
    () => {
      const p = from.server.clusterInfo()?.peers.find((x) => x.id === peer.server.nodeId && x.state === 'up');
      return p?.routing?.resynced === true && p.routing.topics === topics;
    },
    5000,
    'interest to propagate',
  );
}
