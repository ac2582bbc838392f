// Message recovery against the real server (docs-site/protocol §4): stamps on every publication path,
// replay in offset order in every format, never a partial replay, nothing lost between the replay
// and the live stream, the memory budget, and recovery off.
import { afterEach, describe, expect, it } from 'vitest';
import type { WSEServerOptions } from '../src/options';
import { type Frame, startServer, TestClient } from './helpers';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function server(options: WSEServerOptions = {}) {
  const s = await startServer({ recovery: { bufferSize: 2048, maxMessages: 2000 }, ...options });
  cleanup.push(() => s.server.stop());
  return s;
}

async function client(url: string, hello: Record<string, unknown> = {}, format?: string) {
  const c = await TestClient.ready(format ? `${url}?format=${format}` : url, hello);
  cleanup.push(() => c.close());
  return c;
}

type Reply = {
  success_topics: string[];
  recovery?: Record<string, { epoch: string; offset: number; recovered: boolean; count: number }>;
};

async function subscribe(
  c: TestClient,
  topics: string[],
  extra: Record<string, unknown> = {},
): Promise<Reply> {
  const cid = `s-${Math.random()}`;
  c.send({ t: 'subscription_update', p: { action: 'subscribe', topics, ...extra }, cid });
  return (await c.next((f) => f.t === 'subscription_update' && f.cid === cid)).p as Reply;
}

const isPub = (f: Frame) => typeof f.tp === 'string';

/** Takes every publication received so far (in arrival order). */
function drainPubs(c: TestClient): Frame[] {
  const out = c.frames.filter(isPub);
  c.frames.splice(0, c.frames.length, ...c.frames.filter((f) => !isPub(f)));
  return out;
}

async function collect(c: TestClient, n: number, timeoutMs = 5000): Promise<Frame[]> {
  const out: Frame[] = [];
  while (out.length < n) out.push(await c.next(isPub, timeoutMs));
  return out;
}

const offsets = (frames: Frame[]) => frames.map((f) => f.o);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const tick = () => new Promise((r) => setImmediate(r));

describe('stamps', () => {
  it('every publication path carries tp/e/o, numbered in one stream; features.recovery is true', async () => {
    const { server: s, url, port } = await server({ publishPolicy: 'allow', apiKey: 'k' });
    const c = await client(url);
    await subscribe(c, ['t']);
    s.broadcast('t', { t: 'a', p: {} });
    s.broadcastLocal('t', { t: 'b', p: {} });
    c.send({ t: 'publish', p: { topic: 't', data: { t: 'c', p: {} } } });
    const all = [await c.next('a'), await c.next('b'), await c.next('c')];
    await fetch(`http://127.0.0.1:${port}/api/publish`, {
      method: 'POST',
      headers: { authorization: 'apikey k', 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 't', data: { t: 'd', p: {} } }),
    });
    all.push(await c.next('d'));
    expect(all.map((f) => f.tp)).toEqual(['t', 't', 't', 't']);
    expect(new Set(all.map((f) => f.e)).size).toBe(1);
    expect(all[0]?.e).toMatch(/^[0-9a-f]{8}$/);
    expect(offsets(all)).toEqual([0, 1, 2, 3]);
    expect(s.recoveryStats()).toMatchObject({ enabled: true, messages: 4 });
  });

  it('advertises recovery and presence truthfully', async () => {
    const on = await server({ presence: {} });
    const c1 = await TestClient.connect(on.url, { waitReady: false });
    cleanup.push(() => c1.close());
    const ready = await c1.next('server_ready');
    expect((ready.p.details as { features: object }).features).toMatchObject({
      recovery: true,
      presence: true,
    });
    const off = await startServer();
    cleanup.push(() => off.server.stop());
    const c2 = await TestClient.connect(off.url, { waitReady: false });
    cleanup.push(() => c2.close());
    const ready2 = await c2.next('server_ready');
    expect((ready2.p.details as { features: object }).features).toMatchObject({
      recovery: false,
      presence: false,
    });
  });
});

describe('replay', () => {
  it('1000 publications while the subscriber is gone: every offset exactly once, in order, recovered', async () => {
    const { server: s, url } = await server();
    const a = await client(url);
    await subscribe(a, ['feed']);
    let sent = 0;
    const publish = (n: number) => {
      for (let i = 0; i < n; i++) s.broadcast('feed', { t: 'item', p: { n: sent++ } });
    };
    publish(100);
    const epoch = (await collect(a, 100))[0]?.e as string;
    publish(50);
    await tick();
    a.ws.terminate(); // mid-stream: some of the last 50 may or may not have been read
    await new Promise((r) => setTimeout(r, 20));
    const seen = drainPubs(a);
    const got = [...range(0, 99), ...offsets(seen).filter((o): o is number => o !== undefined)];
    expect(offsets(seen)).toEqual(range(100, 100 + seen.length - 1)); // contiguous up to the cut
    const last = got[got.length - 1] as number;
    publish(1000 - sent); // the rest while disconnected: 1000 in all
    const b = await client(url);
    const e = epoch;
    const reply = await subscribe(b, ['feed'], {
      recover: true,
      recovery: { feed: { epoch: e, offset: last } },
    });
    expect(reply.recovery?.feed).toEqual({ epoch: e, offset: 999, recovered: true, count: 999 - last });
    const replayed = drainPubs(b);
    expect(offsets(replayed)).toEqual(range(last + 1, 999));
    expect(replayed.map((f) => (f.p as { n: number }).n)).toEqual(range(last + 1, 999));
    // And the live stream continues right after.
    publish(1);
    expect(offsets(await collect(b, 1))).toEqual([1000]);
  });

  it('replays in msgpack and over E2E, framed per connection, then the reply', async () => {
    const { server: s, url } = await server();
    const seed = await client(url);
    await subscribe(seed, ['x']);
    for (let i = 0; i < 5; i++)
      s.broadcast('x', { t: 'item', p: { i, pad: 'z'.repeat(i === 4 ? 3000 : 1) } });
    const [first] = await collect(seed, 5);
    const epoch = first?.e as string;
    const mp = await client(url, {}, 'msgpack');
    const enc = await TestClient.connect(url);
    cleanup.push(() => enc.close());
    await enc.helloEncrypted();
    for (const c of [mp, enc]) {
      const reply = await subscribe(c, ['x'], { recover: true, recovery: { x: { epoch, offset: 0 } } });
      expect(reply.recovery?.x).toMatchObject({ recovered: true, count: 4 });
      const replayed = drainPubs(c);
      expect(offsets(replayed)).toEqual([1, 2, 3, 4]);
      expect((replayed[3]?.p as { pad?: string } | undefined)?.pad).toHaveLength(3000);
    }
    expect(enc.frames.every((f) => f.encrypted !== false)).toBe(true);
  });

  it('nothing is lost or duplicated between the replay and the live stream (queued, unflushed publications)', async () => {
    const { server: s, url } = await server();
    const other = await client(url); // keeps the topic busy: publications sit in the fan-out queue
    await subscribe(other, ['q']);
    const c = await client(url);
    s.broadcast('q', { t: 'item', p: {} });
    const epoch = (await collect(other, 1))[0]?.e as string;
    // Same turn: 5 queued (not yet flushed) publications, the recovering subscribe, 5 more.
    for (let i = 0; i < 5; i++) s.broadcast('q', { t: 'item', p: {} });
    const report = s.subscribeWithRecovery(c.id, ['q'], { q: { epoch, offset: -1 } });
    for (let i = 0; i < 5; i++) s.broadcast('q', { t: 'item', p: {} });
    expect(report.q).toEqual({ epoch, offset: 5, recovered: true, count: 6 });
    const got = await collect(c, 11);
    expect(offsets(got)).toEqual(range(0, 10));
    expect(await c.quiet(isPub, 100)).toBe(true); // no duplicate behind
    const reply = await c.next('subscription_update');
    expect(reply.cid).toBeUndefined();
  });

  it('a client recovering while a publisher keeps going sees every offset once, in order', async () => {
    const { server: s, url } = await server();
    const c = await client(url);
    await subscribe(c, ['live']);
    const pump = setInterval(() => {
      for (let i = 0; i < 20; i++) s.broadcast('live', { t: 'item', p: {} });
    }, 1);
    cleanup.push(() => clearInterval(pump));
    const seen: number[] = [];
    let epoch = '';
    // Under load the first publication may take longer than a round: without one there is no
    // epoch to recover from (an empty epoch is rightly answered recovered: false).
    while (!c.frames.some(isPub)) await new Promise((r) => setTimeout(r, 5));
    for (let round = 0; round < 5; round++) {
      await new Promise((r) => setTimeout(r, 15));
      for (const f of drainPubs(c)) {
        epoch = f.e as string;
        if ((f.o as number) > (seen[seen.length - 1] ?? -1)) seen.push(f.o as number);
      }
      // Re-ask from an older position while live traffic flows: overlap only, never a hole.
      const from = Math.max(-1, (seen[seen.length - 1] ?? -1) - 7);
      const reply = await subscribe(c, ['live'], {
        recover: true,
        recovery: { live: { epoch, offset: from } },
      });
      expect(reply.recovery?.live?.recovered).toBe(true);
    }
    clearInterval(pump);
    await new Promise((r) => setTimeout(r, 30));
    const all = [...drainPubs(c)];
    for (const f of all) if ((f.o as number) > (seen[seen.length - 1] ?? -1)) seen.push(f.o as number);
    expect(seen).toEqual(range(0, seen.length - 1));
    expect(seen.length).toBeGreaterThan(50);
  });
});

describe('recovered: false, never partial', () => {
  it('gap over maxMessages, evicted range, unknown epoch, malformed position: nothing replayed, position to re-baseline', async () => {
    const { server: s, url } = await server({ recovery: { bufferSize: 16, maxMessages: 10 } });
    const c = await client(url);
    await subscribe(c, ['g']);
    for (let i = 0; i < 40; i++) s.broadcast('g', { t: 'item', p: {} });
    const got = await collect(c, 40);
    const epoch = got[0]?.e as string;
    const cases: unknown[] = [
      { epoch, offset: 20 }, // 19 missed > maxMessages
      { epoch, offset: 2 }, // evicted from the 16-slot ring
      { epoch: 'deadbeef', offset: 39 }, // unknown epoch (restart)
      { epoch, offset: 'x' }, // malformed
      [
        { epoch, offset: 35 },
        { epoch: 'deadbeef', offset: 1 },
      ], // one bad stream fails the topic
    ];
    for (const position of cases) {
      const reply = await subscribe(c, ['g'], { recover: true, recovery: { g: position } });
      expect(reply.recovery?.g).toEqual({ epoch, offset: 39, recovered: false, count: 0 });
      expect(drainPubs(c)).toEqual([]); // the reply came after the (empty) replay: nothing partial
    }
    const ok = await subscribe(c, ['g'], { recover: true, recovery: { g: { epoch, offset: 35 } } });
    expect(ok.recovery?.g).toEqual({ epoch, offset: 39, recovered: true, count: 4 });
    expect(offsets(drainPubs(c))).toEqual([36, 37, 38, 39]);
    s.broadcast('g', { t: 'item', p: {} });
    expect(offsets(await collect(c, 1))).toEqual([40]); // next live message right after the position
  });

  it('a topic without a position gets its starting point; an unknown topic starts at -1', async () => {
    const { server: s, url } = await server();
    for (let i = 0; i < 3; i++) s.broadcast('busy', { t: 'item', p: {} });
    const c = await client(url);
    const reply = await subscribe(c, ['busy', 'fresh'], { recover: true, recovery: {} });
    expect(reply.recovery?.busy).toMatchObject({ offset: 2, recovered: true, count: 0 });
    expect(reply.recovery?.fresh).toMatchObject({ offset: -1, recovered: true, count: 0 });
    expect(drainPubs(c)).toEqual([]);
  });

  it('a replay that would overflow maxBackpressure is refused whole, not cut', async () => {
    const { server: s, url } = await server({ maxBackpressure: 64 * 1024 });
    const c = await client(url);
    await subscribe(c, ['big']);
    const pad = 'p'.repeat(4000);
    for (let i = 0; i < 30; i++) s.broadcast('big', { t: 'item', p: { pad } }); // ~120 KB
    const got = await collect(c, 30);
    const epoch = got[0]?.e as string;
    const refused = await subscribe(c, ['big'], { recover: true, recovery: { big: { epoch, offset: -1 } } });
    expect(refused.recovery?.big).toMatchObject({ recovered: false, count: 0, offset: 29 });
    expect(drainPubs(c)).toEqual([]);
    const fits = await subscribe(c, ['big'], { recover: true, recovery: { big: { epoch, offset: 19 } } });
    expect(fits.recovery?.big).toMatchObject({ recovered: true, count: 10 });
    expect(offsets(drainPubs(c))).toEqual(range(20, 29));
  });
});

describe('memory budget and TTL', () => {
  it('publishing 2x the budget across many topics keeps the accounted bytes at or under it', async () => {
    const budget = 64 * 1024;
    const { server: s } = await server({ recovery: { memoryBudget: budget, bufferSize: 64 } });
    const pad = 'm'.repeat(200);
    let published = 0;
    let max = 0;
    for (let i = 0; published < 2 * budget; i++) {
      s.broadcast(`room-${i % 50}`, { t: 'item', p: { pad } });
      published += 260; // ≈ the stamped envelope's JSON size
      const stats = s.healthSnapshot().recovery as { bytes: number; budget: number };
      max = Math.max(max, stats.bytes);
      expect(stats.bytes).toBeLessThanOrEqual(budget);
    }
    const stats = s.recoveryStats();
    expect(stats.budget).toBe(budget);
    expect(max).toBeGreaterThan(budget * 0.9);
    expect(stats.evictedBuffers).toBeGreaterThan(0);
    expect(stats.bytes).toBeLessThanOrEqual(budget);
  });
});

describe('recovery off', () => {
  it('still stamps (bindings route by tp); recovered only when nothing was missed', async () => {
    const s = await startServer();
    cleanup.push(() => s.server.stop());
    const c = await client(s.url);
    await subscribe(c, ['t']);
    s.server.broadcast('t', { t: 'item', p: {} });
    s.server.broadcast('t', { t: 'item', p: {} });
    const got = await collect(c, 2);
    expect(offsets(got)).toEqual([0, 1]);
    const epoch = got[0]?.e as string;
    const reply = await subscribe(c, ['t'], { recover: true, recovery: { t: { epoch, offset: 0 } } });
    expect(reply.recovery?.t).toEqual({ epoch, offset: 1, recovered: false, count: 0 });
    expect(drainPubs(c)).toEqual([]);
    // Up to date: nothing was missed, which the server can tell without a buffer.
    const same = await subscribe(c, ['t'], { recover: true, recovery: { t: { epoch, offset: 1 } } });
    expect(same.recovery?.t).toEqual({ epoch, offset: 1, recovered: true, count: 0 });
    // Publications nobody received are numbered too, so a returning subscriber learns it missed them.
    c.send({ t: 'subscription_update', p: { action: 'unsubscribe', topics: ['t'] } });
    await c.next('subscription_update');
    s.server.broadcast('t', { t: 'item', p: {} });
    const missed = await subscribe(c, ['t'], { recover: true, recovery: { t: { epoch, offset: 1 } } });
    expect(missed.recovery?.t).toEqual({ epoch, offset: 2, recovered: false, count: 0 });
    expect(s.server.recoveryStats()).toMatchObject({ enabled: false, bytes: 0, messages: 0 });
  });
});
