// Redis engine faults against a real redis-server: Redis killed mid-stream (publishes fail with
// ENGINE_UNAVAILABLE, /health degraded, clients stay, nothing silently lost after it is back), the
// subscriber links cut while publishing goes on (the engine catches up from the stream), and both
// servers restarted while a real core client is away (it recovers every missed message).
import { createClient } from '@wse/core-client';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startProxy } from '../../../test/support/wse-server';
import { EngineUnavailableError } from '../src/engine/engine';
import { collect, isPub, publishAll, range, subscribe, useRedis, waitFor } from './redis-support';

const { ctx, prefix, server, pair, client } = useRedis('Redis engine fault tests (redis-faults.int.test.ts)');

const status = (s: { healthSnapshot(): Record<string, unknown> }) => s.healthSnapshot().status;

describe.skipIf(!ctx.HAVE_REDIS)('Redis engine: faults', () => {
  it('Redis killed mid-stream: no crash, ENGINE_UNAVAILABLE everywhere, degraded; back: no silent gap', async () => {
    const { a, b } = await pair({ publishPolicy: 'allow' });
    const ca = await client(a.url);
    const cb = await client(b.url);
    await subscribe(ca, ['f']);
    await subscribe(cb, ['f']);
    await publishAll(a.server, 'f', 5);
    const before = await collect(cb, 5);
    await collect(ca, 5);
    const oldEpoch = before[0]?.e as string;

    await ctx.redis.kill();
    await waitFor(() => status(a.server) === 'degraded' && status(b.server) === 'degraded', 5000, 'degraded');
    // The server API, HTTP and a client publish all hear the stable code; nothing is made.
    await expect(a.server.publish('f', { t: 'item', p: {} })).rejects.toBeInstanceOf(EngineUnavailableError);
    await expect(a.server.publish('f', { t: 'item', p: {} })).rejects.toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
    });
    const res = await fetch(`http://127.0.0.1:${a.port}/api/publish`, {
      method: 'POST',
      headers: { authorization: 'apikey k', 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'f', data: 1 }),
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'ENGINE_UNAVAILABLE' });
    ca.send({ t: 'publish', p: { topic: 'f', data: 1 }, cid: 'p-down' });
    expect((await ca.error('ENGINE_UNAVAILABLE')).cid).toBe('p-down');
    const c2 = await client(b.url); // new connections are still accepted
    const refused = await subscribe(c2, ['f'], { recover: true });
    expect(refused.failed_topics).toEqual([
      expect.objectContaining({ topic: 'f', code: 'ENGINE_UNAVAILABLE' }),
    ]);
    const metrics = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
    expect(metrics).toMatch(/wse_engine_up\{engine="redis"\} 0/);
    expect(metrics).toMatch(/wse_engine_failures_total\{op="publish"\} [1-9]/);
    expect(a.server.connectionCount()).toBe(1); // local subscribers keep their connections
    expect(b.server.connectionCount()).toBe(2);

    await ctx.redis.start(); // back, empty (no persistence): the topic gets a new epoch
    await waitFor(() => status(a.server) === 'ok' && status(b.server) === 'ok', 8000, 'ok again');
    await publishAll(b.server, 'f', 5, 5);
    const after = await collect(ca, 5);
    expect(after.map((f) => f.o)).toEqual(range(0, 4));
    expect(after[0]?.e).not.toBe(oldEpoch);
    expect((await collect(cb, 5)).map((f) => `${f.e}/${f.o}`)).toEqual(after.map((f) => `${f.e}/${f.o}`));
    // A client coming back with its old position is told so (recovered: false), never a silent gap.
    const c3 = await client(a.url);
    const r = await subscribe(c3, ['f'], { recover: true, recovery: { f: { epoch: oldEpoch, offset: 4 } } });
    expect(r.recovery?.f).toEqual({ epoch: after[0]?.e, offset: 4, recovered: false, count: 0 });
    expect(await ca.quiet((f) => f.t === 'error' || isPub(f), 100)).toBe(true);
  });

  it('subscriber links cut while publishing goes on: every node catches up from the stream, no gap', async () => {
    const { a, b } = await pair();
    const cb = await client(b.url);
    await subscribe(cb, ['c']);
    await publishAll(a.server, 'c', 3);
    await collect(cb, 3);
    const admin = new Redis(ctx.redis.url);
    try {
      // Both nodes' SUBSCRIBE connections die; the command links stay, so publishes go on.
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await publishAll(a.server, 'c', 20, 3);
    } finally {
      admin.disconnect();
    }
    const got = await collect(cb, 20);
    expect(got.map((f) => f.o)).toEqual(range(3, 22));
    expect(await cb.quiet(isPub, 100)).toBe(true); // the live copies of the caught-up range are dropped
  });

  it('both servers restarted while a core client is away: it reconnects and recovers every missed message', async () => {
    const p = prefix();
    const first = await server(p, { host: '127.0.0.1' });
    const other = await server(p);
    const proxy = await startProxy(first.port);
    ctx.cleanup.push(() => proxy.close());
    const c = createClient({ endpoints: proxy.url, reconnect: { baseMs: 20, maxMs: 100 }, offline: false });
    c.on('error', () => {});
    ctx.cleanup.push(() => c.close());
    const seen: Array<[string, number]> = [];
    const failed: unknown[] = [];
    c.on('item', (m) => seen.push([m.epoch as string, m.offset as number]));
    c.on('recovery_failed', (ev) => failed.push(ev));
    await c.connect();
    await c.subscribe(['news']);
    await publishAll(other.server, 'news', 3);
    await waitFor(() => seen.length === 3, 5000, 'first 3');

    proxy.down();
    await first.server.stop();
    await other.server.stop();
    const first2 = await server(p);
    const other2 = await server(p);
    await publishAll(other2.server, 'news', 4, 3); // published while the client is away
    proxy.target.port = first2.port;
    proxy.up();
    await waitFor(() => seen.length === 7, 8000, 'all 7');
    await publishAll(first2.server, 'news', 1, 7);
    await waitFor(() => seen.length === 8, 5000, 'live after recovery');
    expect(seen.map(([, o]) => o)).toEqual(range(0, 7));
    expect(new Set(seen.map(([e]) => e)).size).toBe(1); // same epoch across the restart: it lives in Redis
    expect(failed).toEqual([]);
  });
});
