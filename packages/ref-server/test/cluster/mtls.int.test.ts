import { copyFileSync, readFileSync } from 'node:fs';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOpenssl, makePki } from './certs';
import { fullMesh, type Node, routed, startNode, subscriber, upPeers, waitFor } from './cluster-support';

const nodes: Node[] = [];
let pki: ReturnType<typeof makePki>;
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.server.stop()));
  pki?.remove();
});

describe.skipIf(!hasOpenssl())('mesh over mTLS', () => {
  let a: Node;
  let b: Node;
  type Certs = { ca: string; cert: string; key: string };
  let certs: Record<'a' | 'b' | 'b2' | 'd' | 'rogue', Certs>;
  beforeAll(() => {
    pki = makePki();
    const ca = pki.ca('ca1');
    const other = pki.ca('ca2');
    certs = {
      a: pki.node(ca, 'a'),
      b: pki.node(ca, 'b'),
      b2: pki.node(ca, 'b2'),
      d: pki.node(ca, 'd'),
      rogue: pki.node(other, 'rogue'),
    };
  }, 30_000);

  it('nodes with certificates from the cluster CA link and deliver', async () => {
    a = await startNode({ tls: certs.a });
    b = await startNode({ tls: certs.b, seeds: [a.address] });
    nodes.push(a, b);
    await fullMesh([a, b]);
    const onB = await subscriber(b.url, ['s']);
    await routed(a, b, 1);
    a.server.broadcast('s', { t: 'secret', p: { ok: 1 } });
    expect((await onB.next('secret')).p).toEqual({ ok: 1 });
    onB.close();
  });

  it('refuses a peer with a certificate from another CA, and a plaintext peer', async () => {
    const rogue = await startNode({ tls: certs.rogue, seeds: [a.address] });
    const plain = await startNode({ seeds: [a.address] });
    nodes.push(rogue, plain);
    // Both keep dialling (backoff); give them several attempts, then check nobody linked.
    await waitFor(
      () => (rogue.server.clusterInfo()?.dialing[0]?.failures ?? 0) >= 2,
      10_000,
      'rogue retries',
    );
    await waitFor(
      () => (plain.server.clusterInfo()?.dialing[0]?.failures ?? 0) >= 2,
      10_000,
      'plain retries',
    );
    expect(upPeers(a)).toEqual([b.server.nodeId]);
    expect(upPeers(rogue)).toEqual([]);
    expect(upPeers(plain)).toEqual([]);
  });

  it('reloads certificate files without dropping links', async () => {
    const changes = a.server.clusterInfo()?.linkChanges;
    copyFileSync(certs.b2.cert, certs.b.cert);
    copyFileSync(certs.b2.key, certs.b.key);
    b.server.reloadClusterTls();
    expect(await presentedName(b, certs.d)).toBe('b2');
    const d = await startNode({ tls: certs.d, seeds: [b.address] }); // handshakes with B's new cert
    nodes.push(d);
    await fullMesh([a, b, d]);
    expect(a.server.clusterInfo()?.linkChanges).toBe((changes ?? 0) + 1); // only D came up
  });
});

/** The CN of the certificate a node's cluster port presents now. */
function presentedName(node: Node, as: { ca: string; cert: string; key: string }): Promise<string> {
  const [host, port] = node.address.split(':');
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host,
      port: Number(port),
      ca: readFileSync(as.ca),
      cert: readFileSync(as.cert),
      key: readFileSync(as.key),
      checkServerIdentity: () => undefined,
    });
    s.once('secureConnect', () => {
      resolve(String(s.getPeerCertificate().subject.CN));
      s.destroy();
    });
    s.once('error', reject);
  });
}
