// Queue groups cluster-wide over the mesh (docs-site/protocol §4, issue 19): every publication goes to exactly
// one member of each group across ALL nodes — the holder nodes agree on one by hashing its id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame, TestClient } from '../helpers';
import { TestClient as Client } from '../helpers';
import { fullMesh, type Node, routed, startNode, subscriber, waitFor } from './cluster-support';

const nodes: Node[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.server.stop()));
});

async function member(url: string, topic: string, group: string): Promise<TestClient> {
  const c = await Client.ready(url);
  c.send({
    t: 'subscription_update',
    p: { action: 'subscribe', topics: [topic], queue_group: group },
    cid: 'g',
  });
  const r = await c.next((f) => f.t === 'subscription_update' && f.cid === 'g');
  expect(r.p).toMatchObject({ success: true, queue_group: group });
  return c;
}

/** The `n` of every `job` frame received so far (consumes them). */
function jobs(c: TestClient): number[] {
  const out: number[] = [];
  for (let i = c.frames.length - 1; i >= 0; i--) {
    const f = c.frames[i] as Frame;
    if (f.t !== 'job') continue;
    out.unshift(f.p.n as number);
    c.frames.splice(i, 1);
  }
  return out;
}

const count = (c: TestClient) => c.frames.filter((f) => f.t === 'job').length;

describe('mesh: queue groups are exactly-one cluster-wide', () => {
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

  it('300 publications from A, B and C: each to one member of the group, plain subscribers get all', async () => {
    const onA = [await member(a.url, 'jobs', 'workers'), await member(a.url, 'jobs', 'workers')];
    const onB = [await member(b.url, 'jobs', 'workers')];
    const plain = await subscriber(c.url, ['jobs']);
    // Announced interest: A and B hold 'jobs' + the group key (2 keys), C holds 'jobs' (1).
    for (const [from, peer, keys] of [
      [b, a, 2],
      [c, a, 2],
      [a, b, 2],
      [c, b, 2],
      [a, c, 1],
      [b, c, 1],
    ] as const)
      await routed(from, peer, keys);

    const members = [...onA, ...onB];
    const senders = [a, b, c];
    for (let n = 0; n < 300; n++) senders[n % 3]?.server.broadcast('jobs', { t: 'job', p: { n } });
    await waitFor(
      () => count(plain) === 300 && members.reduce((s, m) => s + count(m), 0) >= 300,
      10_000,
      'all publications delivered',
    );
    await new Promise((r) => setTimeout(r, 200)); // a duplicate would arrive by now
    const got = members.map(jobs);
    const all = got.flat().sort((x, y) => x - y);
    expect(all).toEqual([...Array(300).keys()]); // every publication once: none lost, none twice
    const shareA = (got[0]?.length ?? 0) + (got[1]?.length ?? 0);
    const shareB = got[2]?.length ?? 0;
    expect(shareA).toBeGreaterThan(0);
    expect(shareB).toBeGreaterThan(0);
    // Within a node the usual round-robin splits its share between its members.
    expect(Math.abs((got[0]?.length ?? 0) - (got[1]?.length ?? 0))).toBeLessThanOrEqual(1);
    expect(
      jobs(plain)
        .slice()
        .sort((x, y) => x - y),
    ).toEqual([...Array(300).keys()]);

    // B's only member leaves: once A and C know, A's members get everything, still once each.
    onB[0]?.close();
    await routed(a, b, 0);
    await routed(c, b, 0);
    for (let n = 300; n < 360; n++) senders[n % 3]?.server.broadcast('jobs', { t: 'job', p: { n } });
    await waitFor(
      () => count(plain) === 60 && onA.reduce((s, m) => s + count(m), 0) >= 60,
      10_000,
      'after leave',
    );
    await new Promise((r) => setTimeout(r, 200));
    const after = onA.flatMap(jobs).sort((x, y) => x - y);
    expect(after).toEqual(Array.from({ length: 60 }, (_, i) => 300 + i));
    for (const m of [...onA, plain]) m.close();
  });
});
