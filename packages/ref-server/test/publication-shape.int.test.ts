import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { startServer, TestClient } from './helpers';

// docs-site/protocol §4: only {t|type, p|payload} is an event; `{t: 'tick', n: 1}` arrives whole, wrapped.
let server: WSEServer;
let url: string;
let port: number;
beforeAll(async () => {
  ({ server, url, port } = await startServer({
    apiKey: 'k1',
    publishPolicy: [{ topics: 'clock', allow: true }],
  }));
});
afterAll(() => server.stop());

async function subscriber(): Promise<TestClient> {
  const c = await TestClient.ready(url);
  c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['clock'] } });
  await c.next('subscription_update');
  return c;
}

describe('a typed object without a payload is published whole', () => {
  it('server API: broadcast(topic, {t, n})', async () => {
    const c = await subscriber();
    server.broadcast('clock', { t: 'tick', n: 1 });
    expect((await c.next('publication')).p).toEqual({ topic: 'clock', data: { t: 'tick', n: 1 } });
    expect(await c.quiet('tick', 30)).toBe(true);
    c.close();
  });

  it('HTTP API: POST /api/publish {topic, data: {t, n}}', async () => {
    const c = await subscriber();
    const res = await fetch(`http://127.0.0.1:${port}/api/publish`, {
      method: 'POST',
      headers: { authorization: 'apikey k1', 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'clock', data: { t: 'tick', n: 2 } }),
    });
    expect(res.status).toBe(200);
    expect((await c.next('publication')).p).toEqual({ topic: 'clock', data: { t: 'tick', n: 2 } });
    c.close();
  });

  it('client publish {topic, data: {type, n}}; an event with a payload keeps its type', async () => {
    const c = await subscriber();
    const p = await TestClient.ready(url);
    p.send({ t: 'publish', p: { topic: 'clock', data: { type: 'tick', n: 3 } }, cid: 'p1' });
    await p.next('publish_ack');
    expect((await c.next('publication')).p).toEqual({ topic: 'clock', data: { type: 'tick', n: 3 } });
    p.send({ t: 'publish', p: { topic: 'clock', data: { t: 'tick', p: { n: 4 } } }, cid: 'p2' });
    expect((await c.next('tick')).p).toEqual({ n: 4 });
    c.close();
    p.close();
  });
});
