import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { InvalidOptionError } from '../src/options';
import { WSEServer } from '../src/server';
import { startServer, TestClient } from './helpers';

describe('lifecycle', () => {
  it('validates options at construction, naming the option', () => {
    expect(() => new WSEServer({ maxConnections: -5 })).toThrow(InvalidOptionError);
    expect(() => new WSEServer({ maxConnections: -5 })).toThrow('"maxConnections"');
    expect(() => new WSEServer({ auth: { secret: '' } })).toThrow('"auth"');
  });

  it('starts on port 0, reports the port, stops with 1001 and frees the port', async () => {
    const { server, url, port } = await startServer();
    expect(port).toBeGreaterThan(0);
    expect(server.port).toBe(port);
    expect(server.isRunning()).toBe(true);
    await expect(server.start()).rejects.toThrow(/already running/);
    const c = await TestClient.connect(url);
    await server.stop();
    expect(server.isRunning()).toBe(false);
    expect((await c.closed).code).toBe(1001);
    await expect(TestClient.connect(url)).rejects.toThrow(); // nobody listens any more
  });

  it('stop frees the port for a new server', async () => {
    const { server, port } = await startServer();
    await server.stop();
    // (with closed connections the kernel may keep TIME_WAIT entries; without, rebinding is immediate)
    const again = new WSEServer({ host: '127.0.0.1', port, auth: false });
    expect(await again.start()).toBe(port);
    await again.stop();
  });

  it('can be restarted', async () => {
    const { server } = await startServer();
    await server.stop();
    const port = await server.start();
    const c = await TestClient.connect(`ws://127.0.0.1:${port}/wse`);
    expect(server.connectionCount()).toBe(1);
    c.close();
    await server.stop();
  });

  it('drain closes clients with 4300 and refuses new ones', async () => {
    const { server, url } = await startServer();
    const a = await TestClient.connect(url);
    const b = await TestClient.connect(url);
    await server.drain({ timeoutMs: 1000 });
    expect((await a.closed).code).toBe(4300);
    expect((await b.closed).code).toBe(4300);
    expect(server.connectionCount()).toBe(0);
    await expect(TestClient.connect(url)).rejects.toThrow();
    await server.stop();
  });

  it('closes connections past maxConnections with 4503, others unaffected', async () => {
    const { server, url } = await startServer({ maxConnections: 3 });
    const ok = await Promise.all([1, 2, 3].map(() => TestClient.connect(url)));
    const flood = await Promise.all(
      Array.from({ length: 10 }, () => TestClient.connect(url, { waitReady: false }).then((c) => c.closed)),
    );
    expect(flood.every((f) => f.code === 4503)).toBe(true);
    expect(server.connectionCount()).toBe(3);
    ok[0]?.send({ t: 'ping', p: { timestamp: Date.now() } });
    await ok[0]?.next('PONG');
    ok[0]?.close();
    await ok[0]?.closed;
    await new Promise((r) => setTimeout(r, 20));
    const late = await TestClient.connect(url); // a freed slot is usable again
    late.close();
    await server.stop();
  });

  it('serves /health, /metrics and 404 on the same port', async () => {
    const { server, port } = await startServer();
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', connections: 0, native_transport: true });
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(await metrics.text()).toContain('wse_connections');
    expect((await fetch(`http://127.0.0.1:${port}/nothing-here`)).status).toBe(404);
    await server.stop();
  });

  it('publishes through POST /api/publish with the API key', async () => {
    const { server, url, port } = await startServer({ apiKey: 'k1' });
    const c = await TestClient.ready(url);
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['news'] } });
    await c.next('subscription_update');
    const post = (key: string) =>
      fetch(`http://127.0.0.1:${port}/api/publish`, {
        method: 'POST',
        headers: { authorization: `apikey ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'news', data: { t: 'headline', p: { text: 'hi' } } }),
      });
    expect((await post('wrong')).status).toBe(401);
    const ok = await post('k1');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ delivered: 1 });
    expect((await c.next('headline')).p).toEqual({ text: 'hi' });
    await server.stop();
  });
});

describe('events in three styles', () => {
  it('on(), events() and drainInbound() see the same messages; the queue is bounded', async () => {
    const { server, url } = await startServer({ maxInboundQueueSize: 5 });
    const seen: string[] = [];
    server.on('connect', (e) => seen.push(`connect:${e.userId.slice(0, 5)}`));
    server.on('message', (e) => seen.push(`message:${e.t}`));
    server.on('disconnect', (e) => seen.push(`disconnect:${e.code}`));
    const iterator = server.events();
    expect(await server.drainInbound(10, 0)).toEqual([]);
    const c = await TestClient.ready(url);
    for (let i = 0; i < 8; i++) c.send({ t: 'app_event', p: { i } });
    c.send({ t: 'ping', p: {} });
    await c.next('PONG'); // the server has handled everything sent before
    const first = await iterator.next();
    expect(first.value).toMatchObject({ type: 'connect' });
    const batch = await server.drainInbound(100, 500);
    expect(batch.map((e) => e.type)).toEqual(['message', 'message', 'message', 'message']);
    expect(server.healthSnapshot()).toMatchObject({ drops: { inbound_overflow: 4 } });
    c.close();
    await c.closed;
    await new Promise((r) => setTimeout(r, 20));
    expect(seen[0]).toBe('connect:anon-');
    expect(seen.filter((s) => s === 'message:app_event')).toHaveLength(8);
    expect(seen.at(-1)).toBe('disconnect:1005');
    await server.stop();
    expect(await iterator.next()).toMatchObject({ done: false }); // leftover disconnect, then done
  });

  it('drainInbound waits up to the timeout for the first event', async () => {
    const { server, url } = await startServer();
    const waiting = server.drainInbound(10, 2000);
    const c = await TestClient.ready(url);
    const got = await waiting;
    expect(got[0]?.type).toBe('connect');
    c.close();
    await server.stop();
  });
});

describe('plain ws clients', () => {
  it('a bare ws client with no hello still gets server_ready and can ping', async () => {
    const { server, url } = await startServer();
    const ws = new WebSocket(url);
    const first = await new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    expect(JSON.parse(first)).toMatchObject({ c: 'WSE', t: 'server_ready', v: 1 });
    ws.close();
    await server.stop();
  });
});
