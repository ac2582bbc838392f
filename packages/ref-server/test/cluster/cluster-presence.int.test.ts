import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Frame, SECRET, TestClient, token } from '../helpers';
import { fullMesh, type Node, startNode, waitFor } from './cluster-support';

/**
 * Cluster-wide presence (issue 13, docs-site/protocol §5/§9 PRESENCE_UPDATE / PRESENCE_FULL) with in-process
 * nodes: a user is one member cluster-wide, joins and leaves reach every node's subscribers once.
 */
const OPTS = { auth: { secret: SECRET }, presence: {} };
const clients: TestClient[] = [];

async function user(n: Node, sub: string): Promise<TestClient> {
  const c = await TestClient.ready(n.url, {}, { authorization: `Bearer ${await token(sub)}` });
  clients.push(c);
  return c;
}

async function join(c: TestClient, topic: string, data?: unknown): Promise<void> {
  const cid = `j-${Math.random()}`;
  const p: Record<string, unknown> = { action: 'subscribe', topics: [topic] };
  if (data !== undefined) p.presence = data;
  c.send({ t: 'subscription_update', p, cid });
  await c.next((f) => f.t === 'subscription_update' && f.cid === cid);
}

async function query(c: TestClient, t: 'presence' | 'presence_stats', topic: string): Promise<Frame> {
  const cid = `q-${Math.random()}`;
  c.send({ t, p: { topic }, cid });
  return c.next((f) => f.cid === cid);
}

const seen = (c: TestClient, kind: string, uid: string) =>
  c.frames.filter((f) => f.t === `presence_${kind}` && f.p.user_id === uid).length;
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('cluster presence', () => {
  let a: Node;
  let b: Node;
  let c: Node;

  beforeAll(async () => {
    a = await startNode({}, OPTS);
    b = await startNode({ seeds: [a.address] }, OPTS);
    c = await startNode({ seeds: [a.address] }, OPTS);
    await fullMesh([a, b, c]);
  });
  afterAll(async () => {
    for (const x of clients) x.ws.close();
    await Promise.all([a, b, c].map((n) => n.server.stop()));
  });

  it('a user with tabs on two nodes joins once and leaves once, for watchers on every node', async () => {
    const wa = await user(a, 'watch-a');
    const wc = await user(c, 'watch-c');
    await join(wa, 'room');
    await join(wc, 'room');
    const tabA = await user(a, 'ada');
    const tabB = await user(b, 'ada');
    await join(tabA, 'room', { name: 'Ada' });
    await waitFor(() => seen(wc, 'join', 'ada') === 1 && seen(wa, 'join', 'ada') === 1, 5000, 'join');
    await join(tabB, 'room', { name: 'Ada' });
    await settle();
    expect(seen(wa, 'join', 'ada')).toBe(1);
    expect(seen(wc, 'join', 'ada')).toBe(1);
    // Queries answer for the whole cluster, on any node.
    expect((await query(wc, 'presence', 'room')).p.members).toMatchObject({ ada: { data: { name: 'Ada' } } });
    expect((await query(wc, 'presence_stats', 'room')).p).toMatchObject({ num_users: 1 });
    expect(b.server.presenceStats('room').num_users).toBe(1);

    tabA.ws.close();
    await settle();
    expect(seen(wa, 'leave', 'ada')).toBe(0); // still on B
    expect(seen(wc, 'leave', 'ada')).toBe(0);
    tabB.ws.close();
    await waitFor(() => seen(wc, 'leave', 'ada') === 1 && seen(wa, 'leave', 'ada') === 1, 5000, 'leave');
    await settle();
    expect(seen(wa, 'leave', 'ada')).toBe(1);
    expect(seen(wc, 'leave', 'ada')).toBe(1);
    expect(c.server.presence('room').ada).toBeUndefined();
  });

  it('a node that joins late gets the members (PRESENCE_FULL); a node that leaves takes its users with it, once', async () => {
    const bob = await user(b, 'bob');
    await join(bob, 'hall', { x: 1 });
    const d = await startNode({ seeds: [a.address] }, OPTS);
    await fullMesh([a, b, c, d]);
    await waitFor(() => d.server.presence('hall').bob !== undefined, 5000, 'full sync to D');
    const wd = await user(d, 'watch-d');
    await join(wd, 'hall');
    const dave = await user(d, 'dave');
    await join(dave, 'hall', { y: 2 });
    const wa = await user(a, 'watch-a2');
    await join(wa, 'hall');
    await waitFor(() => a.server.presence('hall').dave !== undefined, 5000, 'dave on A');
    await d.server.stop(); // SHUTDOWN: its members are purged at once
    await waitFor(() => seen(wa, 'leave', 'dave') === 1, 5000, 'dave leaves');
    await settle();
    expect(seen(wa, 'leave', 'dave')).toBe(1);
    expect(seen(wa, 'leave', 'bob')).toBe(0);
    expect(Object.keys(c.server.presence('hall'))).toEqual(['bob']);
  });
});
