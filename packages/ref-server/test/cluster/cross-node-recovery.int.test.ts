import { createClient } from '@wse/core-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers';
import { fullMesh, type Node, startNode, subscriber, waitFor } from './cluster-support';

/**
 * Cross-node recovery (issue 13, docs-site/protocol §9 RECOVER/RECOVER_REPLY) with in-process nodes on loopback
 * and raw clients, so the exact replay (first and last missed offset) can be checked.
 */
const RECOVERY = { recovery: { bufferSize: 1024 } };

async function node(seeds: string[] = []): Promise<Node> {
  return startNode({ seeds, recoverWaitMs: 500 }, RECOVERY);
}

/** Publishes `n` numbered messages on `on`; resolves with the stream's epoch, read by a local subscriber. */
function publish(on: Node, topic: string, from: number, n: number): void {
  for (let i = from; i < from + n; i++) on.server.broadcast(topic, { t: 'num', p: { i } });
}

/** A fresh client on `url` recovering `topic` from `positions`; returns the replay and the reply. */
/** Waits until `from` routes `topic` to `to` (its SUB arrived): counts the topics it wants. */
async function wantsMore(from: Node, to: Node, before: number): Promise<void> {
  await waitFor(() => routingOf(from, to) > before, 5000, 'interest to reach the peer');
}

function routingOf(from: Node, to: Node): number {
  return (
    from.server.clusterInfo()?.peers.find((p) => p.id === to.server.nodeId && p.state === 'up')?.routing
      ?.topics ?? 0
  );
}

async function recoverOn(url: string, topic: string, positions: unknown) {
  const c = await TestClient.ready(url);
  c.send({
    t: 'subscription_update',
    p: { action: 'subscribe', topics: [topic], recover: true, recovery: { [topic]: positions } },
  });
  const reply = await c.next('subscription_update', 5000);
  const replay = c.frames.filter((f) => f.tp === topic && f.t === 'num');
  return { c, reply: reply.p as { recovery: Record<string, { recovered: boolean; count: number }> }, replay };
}

describe('cross-node recovery', () => {
  let a: Node;
  let b: Node;
  let c: Node;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    a = await node();
    b = await node([a.address]);
    c = await node([a.address]);
    await fullMesh([a, b, c]);
  });
  afterAll(async () => {
    for (const x of clients) x.ws.close();
    await Promise.all([a, b, c].map((n) => n.server.stop()));
  });

  it('replays exactly the missed range (first and last) from the origin to a client on a node that never held it', async () => {
    const onA = await subscriber(a.url, ['t1']);
    clients.push(onA);
    publish(a, 't1', 0, 10);
    await waitFor(() => onA.frames.filter((f) => f.t === 'num').length === 10, 5000, 'ten on A');
    const epoch = onA.frames.find((f) => f.t === 'num')?.e as string;
    // C has no subscriber of t1: it holds nothing of A's stream and must ask.
    expect(c.server.recoveryStats().messages).toBe(0);
    const r = await recoverOn(c.url, 't1', { epoch, offset: 4 });
    clients.push(r.c);
    expect(r.replay.map((f) => f.o)).toEqual([5, 6, 7, 8, 9]);
    expect(r.replay.map((f) => (f.p as { i: number }).i)).toEqual([5, 6, 7, 8, 9]);
    expect(r.replay.every((f) => f.e === epoch)).toBe(true);
    expect(r.reply.recovery.t1).toMatchObject({ recovered: true, count: 5 });
    // The replay precedes the reply and live ones follow it, once each.
    publish(a, 't1', 10, 2);
    await waitFor(() => r.c.frames.filter((f) => f.t === 'num').length === 7, 5000, 'live after replay');
    expect(r.c.frames.filter((f) => f.t === 'num').map((f) => f.o)).toEqual([5, 6, 7, 8, 9, 10, 11]);
  });

  it('a position already at the end recovers nothing, recovered: true', async () => {
    const onA = await subscriber(a.url, ['t2']);
    clients.push(onA);
    publish(a, 't2', 0, 3);
    await waitFor(() => onA.frames.filter((f) => f.t === 'num').length === 3, 5000, 'three on A');
    const epoch = onA.frames.find((f) => f.t === 'num')?.e as string;
    const r = await recoverOn(b.url, 't2', { epoch, offset: 2 });
    clients.push(r.c);
    expect(r.replay).toEqual([]);
    expect(r.reply.recovery.t2).toMatchObject({ recovered: true, count: 0 });
  });

  it('an epoch nobody holds → recovered: false, nothing replayed (after every peer said ok:false)', async () => {
    const started = Date.now();
    const r = await recoverOn(b.url, 't3', { epoch: 'deadbeef', offset: 1 });
    clients.push(r.c);
    expect(r.replay).toEqual([]);
    expect(r.reply.recovery.t3).toMatchObject({ recovered: false, count: 0 });
    // Both peers answered ok:false, so it did not wait for the 500 ms timeout... loosely: it answered.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a range past maxMessages is never partial: recovered: false', async () => {
    const onA = await subscriber(a.url, ['t4']);
    clients.push(onA);
    publish(a, 't4', 0, 600); // default recovery_max_messages is 500
    await waitFor(() => onA.frames.filter((f) => f.t === 'num').length === 600, 5000, '600 on A');
    const epoch = onA.frames.find((f) => f.t === 'num')?.e as string;
    const r = await recoverOn(c.url, 't4', { epoch, offset: -1 });
    clients.push(r.c);
    expect(r.replay).toEqual([]);
    expect(r.reply.recovery.t4).toMatchObject({ recovered: false, count: 0 });
    const ok = await recoverOn(c.url, 't4', { epoch, offset: 99 }); // exactly 500 missed
    clients.push(ok.c);
    expect(ok.replay.length).toBe(500);
    expect(ok.replay[0]?.o).toBe(100);
    expect(ok.replay.at(-1)?.o).toBe(599);
  });

  it('mixes a local stream and a remote one in one topic, each in offset order', async () => {
    const before = routingOf(c, a);
    const onA = await subscriber(a.url, ['t5']);
    clients.push(onA);
    await wantsMore(c, a, before);
    publish(a, 't5', 0, 4);
    publish(c, 't5', 100, 3); // C's own stream, forwarded to A's subscriber
    await waitFor(() => onA.frames.filter((f) => f.t === 'num').length === 7, 5000, 'seven on A');
    const nums = onA.frames.filter((f) => f.t === 'num');
    const ea = nums.find((f) => (f.p as { i: number }).i === 0)?.e as string;
    const ec = nums.find((f) => (f.p as { i: number }).i === 100)?.e as string;
    const r = await recoverOn(c.url, 't5', [
      { epoch: ea, offset: 1 },
      { epoch: ec, offset: 0 },
    ]);
    clients.push(r.c);
    expect(r.reply.recovery.t5).toMatchObject({ recovered: true, count: 4 });
    const byEpoch = (e: string) => r.replay.filter((f) => f.e === e).map((f) => f.o);
    expect(byEpoch(ea)).toEqual([2, 3]);
    expect(byEpoch(ec)).toEqual([1, 2]);
  });

  it('drain(): a subscriber moved off a draining node recovers everything (no loss, no duplicate)', async () => {
    const d = await node([a.address]);
    await fullMesh([a, b, c, d]);
    const got: Array<{ i: number; e: string; o: number }> = [];
    const failed: unknown[] = [];
    const client = createClient({
      endpoints: [d.url, b.url],
      reconnect: { baseMs: 20, maxMs: 100 },
      offline: false,
    });
    client.on('error', () => {});
    client.on('num', (m) =>
      got.push({ i: (m.payload as { i: number }).i, e: m.epoch as string, o: m.offset as number }),
    );
    client.on('recovery_failed', (ev) => failed.push(ev));
    await client.connect();
    await client.subscribe(['t8']);
    const before = routingOf(b, d);
    await wantsMore(b, d, before); // B forwards its t8 publications to D
    const nodes = [a, b, c, d];
    let i = 0;
    const burst = (n: number) => {
      for (let k = 0; k < n; k++, i++) (nodes[i % 4] as Node).server.broadcast('t8', { t: 'num', p: { i } });
    };
    burst(200);
    await waitFor(() => got.length >= 100, 5000, 'some delivered');
    const draining = d.server.drain({ timeoutMs: 2000 });
    burst(200); // published while the client moves: on D (still alive) and on the others
    await draining;
    burst(100);
    await waitFor(() => client.getSnapshot().state === 'connected' && got.length >= 500, 8000, 'all 500');
    expect(client.getSnapshot().endpoint).toBe(b.url); // it did move
    await d.server.stop();
    await client.close();
    expect(failed).toEqual([]);
    expect(got.map((g) => g.i).sort((x, y) => x - y)).toEqual(Array.from({ length: 500 }, (_, k) => k));
    const last = new Map<string, number>();
    for (const g of got) {
      expect(g.o).toBe((last.get(g.e) ?? g.o - 1) + 1);
      last.set(g.e, g.o);
    }
  });

  it('core client: a stream only the dead node held → exactly one recovery_failed, then live again, nothing twice', async () => {
    const e = await node([a.address]);
    await fullMesh([a, b, c, e]);
    const got: Array<{ i: number; e: string; o: number }> = [];
    const failed: Array<{ topic: string }> = [];
    const client = createClient({
      endpoints: [e.url, c.url],
      reconnect: { baseMs: 20, maxMs: 100 },
      offline: false,
    });
    client.on('error', () => {});
    client.on('num', (m) =>
      got.push({ i: (m.payload as { i: number }).i, e: m.epoch as string, o: m.offset as number }),
    );
    client.on('recovery_failed', (ev) => failed.push(ev));
    await client.connect();
    await client.subscribe(['t9']);
    for (let i = 0; i < 20; i++) e.server.broadcast('t9', { t: 'num', p: { i } }); // only E holds this stream
    await waitFor(() => got.length === 20, 5000, 'twenty from E');
    await e.server.stop();
    await waitFor(() => client.getSnapshot().state === 'connected' && failed.length === 1, 8000, 'failover');
    for (let i = 20; i < 30; i++) c.server.broadcast('t9', { t: 'num', p: { i } });
    await waitFor(() => got.length === 30, 5000, 'live on C');
    await client.close();
    expect(client.getSnapshot().endpoint).toBe(c.url);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.topic).toBe('t9');
    expect(got.map((g) => g.i)).toEqual(Array.from({ length: 30 }, (_, k) => k));
  });

  it('a dead origin’s stream is recovered from a node that buffered it; gone with it otherwise', async () => {
    const d = await node([a.address]);
    await fullMesh([a, b, c, d]);
    const before = routingOf(d, b);
    const onB = await subscriber(b.url, ['t6']); // B buffers D's t6 stream as it arrives
    const onD = await subscriber(d.url, ['t7']); // only D holds its t7 stream
    clients.push(onB, onD);
    await wantsMore(d, b, before);
    publish(d, 't6', 0, 5);
    publish(d, 't7', 0, 5);
    await waitFor(() => onB.frames.filter((f) => f.t === 'num').length === 5, 5000, 'five on B');
    await waitFor(() => onD.frames.filter((f) => f.t === 'num').length === 5, 5000, 'five on D');
    const e6 = onB.frames.find((f) => f.t === 'num')?.e as string;
    const e7 = onD.frames.find((f) => f.t === 'num')?.e as string;
    await d.server.stop();
    await waitFor(
      () => !c.server.clusterInfo()?.peers.some((p) => p.id === d.server.nodeId && p.state === 'up'),
    );
    const r6 = await recoverOn(c.url, 't6', { epoch: e6, offset: 1 });
    const r7 = await recoverOn(c.url, 't7', { epoch: e7, offset: 1 });
    clients.push(r6.c, r7.c);
    expect(r6.replay.map((f) => f.o)).toEqual([2, 3, 4]);
    expect(r6.reply.recovery.t6).toMatchObject({ recovered: true, count: 3 });
    expect(r7.replay).toEqual([]);
    expect(r7.reply.recovery.t7).toMatchObject({ recovered: false, count: 0 });
  });
});
