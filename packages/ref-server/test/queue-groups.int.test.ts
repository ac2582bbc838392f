// Queue groups on the real server (docs-site/protocol §4): every plain subscriber gets every publication,
// each group exactly one member per publication, round-robin; a member that leaves stops getting
// its share and the group loses nothing published after the server saw it go.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { type Frame, startServer, TestClient } from './helpers';

let server: WSEServer;
let url: string;
beforeAll(async () => {
  ({ server, url } = await startServer({ recovery: { enabled: true } }));
});
afterAll(() => server.stop());

async function join(c: TestClient, topic: string, group?: string): Promise<Frame> {
  const cid = `s-${Math.random()}`;
  const p: Record<string, unknown> = { action: 'subscribe', topics: [topic] };
  if (group !== undefined) p.queue_group = group;
  c.send({ t: 'subscription_update', p, cid });
  return c.next((f) => f.t === 'subscription_update' && f.cid === cid);
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

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function publish(topic: string, from: number, count: number): void {
  for (let n = from; n < from + count; n++) server.broadcast(topic, { t: 'job', p: { n } });
}

const count = (c: TestClient) => c.frames.filter((f) => f.t === 'job').length;

describe('queue groups', () => {
  it('300 publications: each plain subscriber gets 300, each of 3 members 100 ± 1, none twice', async () => {
    // A msgpack member and a msgpack plain subscriber take the direct path; the others ride uWS.
    const members = [
      await TestClient.ready(url),
      await TestClient.ready(url, { features: { msgpack: true } }),
      await TestClient.ready(url),
    ];
    const plain = [await TestClient.ready(url), await TestClient.ready(url, { features: { msgpack: true } })];
    for (const m of members) {
      const r = await join(m, 'jobs', 'workers');
      expect(r.p).toMatchObject({ success: true, success_topics: ['jobs'], queue_group: 'workers' });
    }
    for (const p of plain) await join(p, 'jobs');
    expect(server.queueGroupStats('jobs')).toEqual({ workers: 3 });

    publish('jobs', 0, 300);
    await until(
      () => plain.every((p) => count(p) === 300) && members.reduce((s, m) => s + count(m), 0) === 300,
    );
    await new Promise((r) => setTimeout(r, 50)); // nothing more arrives
    const frames = members.flatMap((m) => m.frames.filter((f) => f.t === 'job'));
    expect(frames.every((f) => f.tp === 'jobs' && typeof f.e === 'string' && typeof f.o === 'number')).toBe(
      true,
    );
    const got = members.map(jobs);
    for (const g of got) expect(Math.abs(g.length - 100)).toBeLessThanOrEqual(1);
    const all = got.flat().sort((a, b) => a - b);
    expect(all).toEqual([...Array(300).keys()]); // every publication once: no loss, none to two members
    for (const p of plain) expect(jobs(p)).toEqual([...Array(300).keys()]);
    for (const c of [...members, ...plain]) c.close();
  });

  it('a member that disconnects mid-stream stops getting its share; the group loses nothing after it', async () => {
    const members = [await TestClient.ready(url), await TestClient.ready(url), await TestClient.ready(url)];
    for (const m of members) await join(m, 'work', 'pool');
    const [a, b, leaving] = members as [TestClient, TestClient, TestClient];
    publish('work', 0, 150);
    await until(() => members.reduce((s, m) => s + count(m), 0) === 150);
    const before = members.map(jobs);
    expect(before.flat().sort((x, y) => x - y)).toEqual([...Array(150).keys()]);

    // "Lost", precisely: a publication made after the server has seen the member go (its
    // `disconnect` event) that reaches no live member. Publications in flight while the socket
    // closes (before the server saw it) are not in this guarantee.
    const gone = new Promise<void>((resolve) => {
      const off = server.on('disconnect', (ev) => {
        if (ev.connId === leaving.id) {
          off();
          resolve();
        }
      });
    });
    leaving.close();
    await gone;
    expect(server.queueGroupStats('work')).toEqual({ pool: 2 });
    publish('work', 150, 150);
    await until(() => count(a) + count(b) === 150);
    await new Promise((r) => setTimeout(r, 50));
    const after = [jobs(a), jobs(b)];
    expect(after.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 150 }, (_, i) => 150 + i));
    for (const g of after) expect(Math.abs(g.length - 75)).toBeLessThanOrEqual(1);
    expect(jobs(leaving)).toEqual([]);
    a.close();
    b.close();
  });

  it('answers queue_group_stats, refuses a bad group name, and never replays to a member', async () => {
    const w = await TestClient.ready(url);
    const watcher = await TestClient.ready(url);
    publish('replayed', 0, 3); // buffered (recovery on) before anyone subscribed
    const r = await join(w, 'replayed', 'g1');
    expect(r.p.recovery).toBeUndefined();
    w.send({
      t: 'subscription_update',
      p: { action: 'subscribe', topics: ['replayed'], queue_group: 'g1', recover: true },
      cid: 'again',
    });
    const again = await w.next((f) => f.cid === 'again');
    expect(again.p.recovery).toBeUndefined();
    expect(await w.quiet('job', 100)).toBe(true);

    watcher.send({ t: 'queue_group_stats', p: { topic: 'replayed' }, cid: 'q' });
    const stats = await watcher.next('queue_group_stats');
    expect(stats.cid).toBe('q');
    expect(stats.p).toEqual({ topic: 'replayed', groups: { g1: 1 } });

    watcher.send({
      t: 'subscription_update',
      p: { action: 'subscribe', topics: ['x'], queue_group: '' },
      cid: 'bad',
    });
    const bad = await watcher.next((f) => f.cid === 'bad');
    expect(bad.t).toBe('error');
    expect(bad.p.code).toBe('INVALID_SUBSCRIPTION');

    // Last subscribe wins: a member that subscribes plainly is a plain subscriber again.
    await join(w, 'replayed');
    expect(server.queueGroupStats('replayed')).toEqual({});
    publish('replayed', 3, 2);
    await until(() => count(w) === 2);
    w.close();
    watcher.close();
  });

  it('server API: subscribeConnection with queueGroup, unsubscribe leaves the group', async () => {
    const c = await TestClient.ready(url);
    expect(server.subscribeConnection(c.id, ['api'], { queueGroup: 'svc' })).toEqual(['api']);
    expect(() => server.subscribeConnection(c.id, ['api'], { queueGroup: 'a\nb' })).toThrow(TypeError);
    expect(server.connectionInfo(c.id)?.topics).toEqual(['api']);
    publish('api', 0, 2);
    await until(() => count(c) === 2);
    expect(server.unsubscribeConnection(c.id, ['api'])).toEqual(['api']);
    expect(server.queueGroupStats('api')).toEqual({});
    c.close();
  });
});
