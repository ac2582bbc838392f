// The Redis engine against a real redis-server (started here on a free port): two servers on one
// Redis share one order per topic, one epoch, and history; recovery reads the stream on any node.
import { describe, expect, it } from 'vitest';
import { WSEServer } from '../src/server';
import type { Frame } from './helpers';
import { collect, isPub, publishAll, range, subscribe, useRedis } from './redis-support';

const { ctx, pair, client } = useRedis('Redis engine tests (redis-engine.int.test.ts)');
const stamps = (frames: Frame[]) => frames.map((f) => `${f.e}/${f.o}`);

describe.skipIf(!ctx.HAVE_REDIS)('Redis engine: two servers on one Redis', () => {
  it('a publish on A reaches subscribers on A and B with the same (epoch, offset), in order', async () => {
    const { a, b } = await pair();
    const ca = await client(a.url);
    const cb = await client(b.url);
    const cm = await client(`${b.url}?format=msgpack`); // a direct (per-format) subscriber too
    await subscribe(ca, ['room']);
    await subscribe(cb, ['room']);
    await subscribe(cm, ['room']);
    await publishAll(a.server, 'room', 5);
    await publishAll(b.server, 'room', 5, 5);
    const fa = await collect(ca, 10);
    const fb = await collect(cb, 10);
    expect(stamps(fa)).toEqual(stamps(fb));
    expect(stamps(await collect(cm, 10))).toEqual(stamps(fa));
    expect(fa.map((f) => f.o)).toEqual(range(0, 9));
    expect(fa.map((f) => (f.p as { n: number }).n)).toEqual(range(0, 9));
    expect(new Set(fa.map((f) => f.e)).size).toBe(1);
    expect(a.server.healthSnapshot()).toMatchObject({ status: 'ok', engine: 'redis' });
  });

  it('HTTP and client publishes go through Redis too; a node without subscribers holds no channel', async () => {
    const { a, b } = await pair({ publishPolicy: 'allow' });
    const cb = await client(b.url);
    await subscribe(cb, ['news']);
    const res = await fetch(`http://127.0.0.1:${a.port}/api/publish`, {
      method: 'POST',
      headers: { authorization: 'apikey k', 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'news', data: { t: 'headline', p: { x: 1 } } }),
    });
    expect(res.status).toBe(200);
    const ca = await client(a.url);
    ca.send({ t: 'publish', p: { topic: 'news', data: { t: 'headline', p: { x: 2 } } }, cid: 'p1' });
    expect((await ca.next('publish_ack')).p).toEqual({ topic: 'news', delivered: 0 });
    const got = await collect(cb, 2);
    expect(got.map((f) => [f.o, (f.p as { x: number }).x])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(
      (a.server.healthSnapshot().engine_health as { figures: { channels: number } }).figures.channels,
    ).toBe(0);
    expect(
      (b.server.healthSnapshot().engine_health as { figures: { channels: number } }).figures.channels,
    ).toBe(1);
  });

  it('recovery on another node reads the stream: exactly the missed range, then live, no duplicate', async () => {
    const { a, b } = await pair();
    const ca = await client(a.url);
    await subscribe(ca, ['feed']);
    await publishAll(a.server, 'feed', 3);
    const seen = await collect(ca, 3);
    const last = seen[2] as Frame;
    ca.close();
    await publishAll(a.server, 'feed', 4, 3);
    const cb = await client(b.url);
    const reply = await subscribe(cb, ['feed'], {
      recover: true,
      recovery: { feed: { epoch: last.e, offset: last.o } },
    });
    expect(reply.recovery?.feed).toEqual({ epoch: last.e, offset: 6, recovered: true, count: 4 });
    await publishAll(b.server, 'feed', 1, 7);
    const rest = await collect(cb, 5);
    expect(rest.map((f) => f.o)).toEqual([3, 4, 5, 6, 7]);
    expect(await cb.quiet(isPub, 100)).toBe(true);
  });

  it('recovery while publishing: nothing lost or doubled between the read and the subscribe', async () => {
    const { a, b } = await pair();
    const cb0 = await client(b.url);
    await subscribe(cb0, ['hot']); // B already holds the channel: live messages flow meanwhile
    await publishAll(a.server, 'hot', 20);
    const first = await collect(cb0, 20);
    const epoch = first[0]?.e as string;
    let n = 20;
    const pump = (async () => {
      for (let i = 0; i < 200; i++) await a.server.publish('hot', { t: 'item', p: { n: n++ } });
    })();
    const cb = await client(b.url);
    const reply = await subscribe(cb, ['hot'], { recover: true, recovery: { hot: { epoch, offset: 9 } } });
    expect(reply.recovery?.hot?.recovered).toBe(true);
    await pump;
    const got = await collect(cb, 210);
    expect(got.map((f) => f.o)).toEqual(range(10, 219));
  });

  it('positions Redis cannot serve: unknown epoch, over maxMessages, trimmed → recovered:false with the head', async () => {
    const { a } = await pair({ recovery: { bufferSize: 16, maxMessages: 120 } });
    await publishAll(a.server, 'r', 300);
    const c = await client(a.url);
    const reply = await subscribe(c, ['r', 's', 't'], {
      recover: true,
      recovery: {
        r: { epoch: 'deadbeef', offset: 3 },
        s: [
          { epoch: 'deadbeef', offset: 1 },
          { epoch: '0badcafe', offset: 2 },
        ], // several epochs: Redis has one
      },
    });
    const head = reply.recovery?.r as { epoch: string; offset: number };
    expect(reply.recovery?.r).toMatchObject({ offset: 299, recovered: false, count: 0 });
    expect(head.epoch).toMatch(/^[0-9a-f]{8}$/);
    expect(reply.recovery?.s).toMatchObject({ offset: -1, recovered: false, count: 0 });
    expect(reply.recovery?.t).toMatchObject({ offset: -1, recovered: true, count: 0 });
    const over = await subscribe(c, ['r'], {
      recover: true,
      recovery: { r: { epoch: head.epoch, offset: 100 } },
    });
    expect(over.recovery?.r).toMatchObject({ recovered: false, count: 0 }); // 199 > maxMessages
    const trimmed = await subscribe(c, ['r'], {
      recover: true,
      recovery: { r: { epoch: head.epoch, offset: 190 } }, // 109 <= maxMessages, but MAXLEN ~ trimmed 191..199
    });
    expect(trimmed.recovery?.r).toMatchObject({ recovered: false, count: 0 });
    expect(await c.quiet(isPub, 100)).toBe(true); // never a partial replay
    const kept = await subscribe(c, ['r'], {
      recover: true,
      recovery: { r: { epoch: head.epoch, offset: 285 } },
    });
    expect(kept.recovery?.r).toMatchObject({ recovered: true, count: 14 }); // the last bufferSize are always kept
    expect((await collect(c, 14)).map((f) => f.o)).toEqual(range(286, 299));
  });

  it('a Redis that does not answer makes start() fail, and frees the port', async () => {
    const s = new WSEServer({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      auth: false,
      engine: { type: 'redis', url: 'redis://127.0.0.1:1' },
    });
    await expect(s.start()).rejects.toThrow(/unreachable|ECONNREFUSED|closed/i);
    expect(s.isRunning()).toBe(false);
  });

  it('a stopped server starts again on the same Redis and still delivers', async () => {
    const { a, b } = await pair();
    await a.server.stop();
    const port = await a.server.start();
    const c = await client(`ws://127.0.0.1:${port}/wse`);
    await subscribe(c, ['again']);
    await publishAll(b.server, 'again', 2);
    expect((await collect(c, 2)).map((f) => f.o)).toEqual([0, 1]);
  });

  it('queue groups: a node whose only local interest is a group member still holds the channel', async () => {
    const { a, b } = await pair();
    const w1 = await client(b.url);
    const w2 = await client(b.url);
    expect((await subscribe(w1, ['jobs'], { queue_group: 'workers' })).success_topics).toEqual(['jobs']);
    await subscribe(w2, ['jobs'], { queue_group: 'workers' });
    await publishAll(a.server, 'jobs', 6);
    const got = [...(await collect(w1, 3)), ...(await collect(w2, 3))]
      .map((f) => f.o)
      .sort((x, y) => Number(x) - Number(y));
    expect(got).toEqual(range(0, 5)); // each job to exactly one member
    w1.close();
    w2.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(
      (b.server.healthSnapshot().engine_health as { figures: { channels: number } }).figures.channels,
    ).toBe(0);
  });
});
