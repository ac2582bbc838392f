import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeClusterFrame, encodeHello, FrameType } from '../../src/cluster/cluster-frame';
import {
  freePort,
  fullMesh,
  type Node,
  routed,
  startNode,
  subscriber,
  upPeers,
  waitFor,
} from './cluster-support';

const nodes: Node[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.server.stop()));
});

/** For every pair, the two ends agree on who dialled: the same single connection. */
function oneLinkPerPair(list: Node[]): void {
  for (const a of list) {
    const info = a.server.clusterInfo();
    const up = info?.peers.filter((p) => p.state === 'up') ?? [];
    expect(new Set(up.map((p) => p.id)).size).toBe(up.length);
    expect(up).toHaveLength(list.length - 1);
    for (const p of up) {
      const b = list.find((n) => n.server.nodeId === p.id) as Node;
      const back = b.server.clusterInfo()?.peers.find((x) => x.id === a.server.nodeId && x.state === 'up');
      expect(back?.direction).toBe(p.direction === 'out' ? 'in' : 'out');
    }
  }
}

describe('mesh: three nodes from one seed', () => {
  let a: Node;
  let b: Node;
  let c: Node;
  beforeAll(async () => {
    a = await startNode({});
    b = await startNode({ seeds: [a.address] });
    c = await startNode({ seeds: [a.address] });
    nodes.push(a, b, c);
    await fullMesh([a, b, c]);
  });

  it('forms a full mesh with one link per pair (gossip found B ↔ C)', () => {
    oneLinkPerPair([a, b, c]);
    const health = a.server.healthSnapshot();
    expect(health.engine).toBe('mesh');
    expect(health.engine_health).toMatchObject({ status: 'ok', figures: { peers_up: 2 } });
  });

  it('exposes the cluster figures on /metrics', async () => {
    const res = await fetch(a.url.replace('ws:', 'http:').replace('/wse', '/metrics'));
    const text = await res.text();
    expect(text).toContain('wse_engine_peers_up{engine="mesh"} 2');
    expect(text).toContain('wse_engine_up{engine="mesh"} 1');
    expect(text).toMatch(/wse_engine_queue_drops\{engine="mesh"\} 0/);
  });

  it('delivers a publication on A to subscribers on B and C exactly once, in order, with A’s stamp', async () => {
    const onB = await subscriber(b.url, ['chat']);
    const onC = await subscriber(c.url, ['chat']);
    await routed(a, b, 1);
    await routed(a, c, 1);
    for (let i = 0; i < 50; i++) a.server.broadcast('chat', { t: 'n', p: { i } });
    for (const client of [onB, onC]) {
      const got = [];
      for (let i = 0; i < 50; i++) got.push(await client.next('n'));
      expect(got.map((f) => f.p.i)).toEqual([...Array(50).keys()]);
      expect(new Set(got.map((f) => f.e)).size).toBe(1);
      expect(got.map((f) => f.o)).toEqual([...Array(50).keys()]);
      expect(await client.quiet('n', 200)).toBe(true); // nothing doubled
      client.close();
    }
  });

  it('sends no MSG to a node without subscribers for the topic', async () => {
    const onB = await subscriber(b.url, ['only-b']);
    await routed(a, b, 1);
    await routed(a, c, 0);
    const before = c.server.clusterInfo()?.msgIn ?? -1;
    for (let i = 0; i < 20; i++) a.server.broadcast('only-b', { t: 'x', p: { i } });
    for (let i = 0; i < 20; i++) await onB.next('x');
    expect(c.server.clusterInfo()?.msgIn).toBe(before);
    onB.close();
    await routed(a, b, 0); // UNSUB after the last subscriber left
  });

  it('a malformed frame from a peer resets only that link; clients are unaffected', async () => {
    const client = await subscriber(a.url, ['t']);
    const changes = a.server.clusterInfo()?.linkChanges;
    const port = Number(a.address.split(':')[1]);
    const raw = net.connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => raw.on('close', () => r()));
    raw.on('error', () => {});
    raw.resume(); // read what the node sends, so its FIN is seen
    raw.write(
      encodeClusterFrame({
        type: FrameType.HELLO,
        topic: '',
        payload: encodeHello({ version: 1, instanceId: 'zzz-rogue', capabilities: 1 }),
      }),
    );
    await waitFor(() => upPeers(a).includes('zzz-rogue'), 5000, 'rogue link up');
    raw.write(Buffer.from([0x7f, 0, 0, 0, 0, 0, 0, 0])); // unknown type
    await closed;
    await waitFor(() => !upPeers(a).includes('zzz-rogue'), 5000, 'rogue link reset');
    expect(a.server.clusterInfo()?.linkChanges).toBe((changes ?? 0) + 2); // its up and its down only
    oneLinkPerPair([a, b, c]);
    a.server.broadcast('t', { t: 'still', p: {} });
    await client.next('still');
    client.close();
  });
});

describe('mesh: everyone dials everyone at once', () => {
  it('converges on one link per pair', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const addr = ports.map((p) => `127.0.0.1:${p}`);
    const list = await Promise.all(
      ports.map((port, i) => startNode({ port, peers: addr.filter((_, j) => j !== i) })),
    );
    nodes.push(...list);
    await fullMesh(list);
    await new Promise((r) => setTimeout(r, 1500)); // let any loser and redial settle
    oneLinkPerPair(list);
  });

  it('one-sided config: only B lists A, still one link', async () => {
    const a = await startNode({});
    const b = await startNode({ peers: [a.address] });
    nodes.push(a, b);
    await fullMesh([a, b]);
    oneLinkPerPair([a, b]);
  });
});

describe('mesh: bad peers', () => {
  it('a peer that connects and says nothing is dropped after the HELLO timeout', async () => {
    const a = await startNode({ pingIntervalMs: 100, deadAfterMs: 400 });
    nodes.push(a);
    const raw = net.connect(Number(a.address.split(':')[1]), '127.0.0.1');
    raw.on('error', () => {});
    raw.resume(); // read what the node sends, so its FIN is seen
    const t0 = Date.now();
    await new Promise<void>((r) => raw.on('close', () => r()));
    expect(Date.now() - t0).toBeLessThan(8000);
  });

  it('a peer that goes silent is marked dead within deadAfterMs', async () => {
    const a = await startNode({ pingIntervalMs: 100, deadAfterMs: 600 });
    nodes.push(a);
    const raw = net.connect(Number(a.address.split(':')[1]), '127.0.0.1');
    raw.on('error', () => {});
    raw.resume(); // read what the node sends, so its FIN is seen
    raw.write(
      encodeClusterFrame({
        type: FrameType.HELLO,
        topic: '',
        payload: encodeHello({ version: 1, instanceId: 'silent', capabilities: 1 }),
      }),
    );
    await waitFor(() => upPeers(a).includes('silent'), 5000, 'silent peer up');
    await waitFor(
      () => a.server.clusterInfo()?.peers.find((p) => p.id === 'silent')?.state === 'dead',
      3000,
      'silent peer dead',
    );
    raw.destroy();
  });
});

describe('mesh: zstd', () => {
  it('compresses large MSG payloads when both sides support it, plain otherwise; a bomb resets only its link', async () => {
    // These nodes talk over 127.0.0.1: loopback links are only compressed with zstdLoopback (the sender's choice).
    const a = await startNode({ zstdLoopback: true });
    const b = await startNode({ seeds: [a.address] });
    const c = await startNode({ seeds: [a.address], zstd: false });
    nodes.push(a, b, c);
    await fullMesh([a, b, c]);
    const onB = await subscriber(b.url, ['big']);
    const onC = await subscriber(c.url, ['big']);
    await routed(a, b, 1);
    await routed(a, c, 1);
    const text = 'the same words again and again '.repeat(130); // ~4 KB, compressible
    const peer = (id: string) => a.server.clusterInfo()?.peers.find((p) => p.id === id && p.state === 'up');
    const before = { b: peer(b.server.nodeId)?.bytesOut ?? 0, c: peer(c.server.nodeId)?.bytesOut ?? 0 };
    for (let i = 0; i < 20; i++) a.server.broadcast('big', { t: 'big', p: { i, text } });
    for (const client of [onB, onC]) {
      for (let i = 0; i < 20; i++) expect((await client.next('big')).p).toEqual({ i, text });
      client.close();
    }
    const sentB = (peer(b.server.nodeId)?.bytesOut ?? 0) - before.b;
    const sentC = (peer(c.server.nodeId)?.bytesOut ?? 0) - before.c;
    expect(sentC).toBeGreaterThan(20 * text.length); // C did not agree to zstd
    expect(sentB).toBeLessThan(sentC / 5);

    const { loadZstd } = await import('../../src/cluster/zstd-codec');
    const bomb = (await loadZstd())?.compress(new Uint8Array(8 * 1024 * 1024)) as Uint8Array;
    const raw = net.connect(Number(a.address.split(':')[1]), '127.0.0.1');
    raw.on('error', () => {});
    raw.resume();
    const closed = new Promise<void>((r) => raw.on('close', () => r()));
    raw.write(
      encodeClusterFrame({
        type: FrameType.HELLO,
        topic: '',
        payload: encodeHello({ version: 1, instanceId: 'bomber', capabilities: 0b11 }),
      }),
    );
    await waitFor(() => upPeers(a).includes('bomber'), 5000, 'bomber up');
    raw.write(encodeClusterFrame({ type: FrameType.MSG, flags: 1, topic: 'big', payload: bomb }));
    await closed;
    expect(upPeers(a).sort()).toEqual([b.server.nodeId, c.server.nodeId].sort());
  });

  it('sends loopback links (--workers siblings, nodes on one host) plain although both sides support zstd', async () => {
    const a = await startNode({});
    const b = await startNode({ seeds: [a.address] });
    nodes.push(a, b);
    await fullMesh([a, b]);
    const onB = await subscriber(b.url, ['big']);
    await routed(a, b, 1);
    const text = 'the same words again and again '.repeat(130); // ~4 KB, compressible
    const peer = () =>
      a.server.clusterInfo()?.peers.find((p) => p.id === b.server.nodeId && p.state === 'up');
    const before = peer()?.bytesOut ?? 0;
    for (let i = 0; i < 20; i++) a.server.broadcast('big', { t: 'big', p: { i, text } });
    for (let i = 0; i < 20; i++) expect((await onB.next('big')).p).toEqual({ i, text });
    onB.close();
    expect((peer()?.bytesOut ?? 0) - before).toBeGreaterThan(20 * text.length);
  });
});

describe('mesh: drain and leave', () => {
  it('drain() tells peers (DRAIN: link kept, nothing routed); stop() says SHUTDOWN (left, not redialled)', async () => {
    const a = await startNode({});
    const d = await startNode({ peers: [a.address] });
    nodes.push(a);
    await fullMesh([a, d]);
    const onD = await subscriber(d.url, ['t']);
    await routed(a, d, 1);
    const state = () => a.server.clusterInfo()?.peers.find((p) => p.id === d.server.nodeId)?.state;
    const drained = d.server.drain({ timeoutMs: 2000 });
    await waitFor(() => state() === 'draining', 5000, 'draining');
    await drained;
    expect((await onD.closed).code).toBe(4300);
    const msgOut = a.server.clusterInfo()?.msgOut;
    a.server.broadcast('t', { t: 'x', p: {} });
    expect(a.server.clusterInfo()?.msgOut).toBe(msgOut); // not routed to a draining node
    await d.server.stop();
    await waitFor(() => state() === 'left', 5000, 'left');
    expect(a.server.clusterInfo()?.dialing.map((x) => x.address)).not.toContain(d.address);
  });
});

describe('mesh: a peer that stops reading', () => {
  it('fills its bounded queue: MSGs are dropped and counted, then the link is reset; the node goes on', async () => {
    const a = await startNode({ pingIntervalMs: 100, deadAfterMs: 800, maxQueueBytes: 64 * 1024 });
    nodes.push(a);
    const local = await subscriber(a.url, ['flood']);
    const raw = net.connect(Number(a.address.split(':')[1]), '127.0.0.1');
    raw.on('error', () => {});
    raw.write(
      encodeClusterFrame({
        type: FrameType.HELLO,
        topic: '',
        payload: encodeHello({ version: 1, instanceId: 'sleeper', capabilities: 1 }),
      }),
    );
    await waitFor(() => upPeers(a).includes('sleeper'), 5000, 'sleeper up');
    raw.pause(); // reads nothing from now on, but keeps talking so it is not "silent"
    const ping = setInterval(
      () => raw.write(encodeClusterFrame({ type: FrameType.PING, topic: '', payload: new Uint8Array() })),
      50,
    );
    const text = 'x'.repeat(4000);
    const peer = () => a.server.clusterInfo()?.peers.find((p) => p.id === 'sleeper');
    try {
      // Small rounds (under the queue bound per turn) until the kernel's buffers are full and the
      // socket's own queue grows: only a peer that does not read gets there.
      for (let round = 0; round < 5000 && (peer()?.drops ?? 0) === 0; round++) {
        for (let i = 0; i < 10; i++) a.server.broadcast('flood', { t: 'f', p: { text } });
        await new Promise((r) => setImmediate(r));
      }
      expect(peer()?.drops).toBeGreaterThan(0);
      await waitFor(() => peer()?.state === 'dead', 5000, 'stalled link reset');
      expect(a.server.clusterInfo()?.drops).toBeGreaterThan(0);
      a.server.broadcast('flood', { t: 'after', p: {} });
      await local.next('after', 5000);
    } finally {
      clearInterval(ping);
      raw.destroy();
      local.close();
    }
  });
});
