import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { startServer, TestClient } from './helpers';

let server: WSEServer;
let url: string;
const hookCalls: string[] = [];
beforeAll(async () => {
  ({ server, url } = await startServer({
    maxSubscriptionsPerConnection: 4,
    publishPolicy: [
      { topics: 'chat.secret', allow: false },
      { topics: 'chat.*', allow: true },
    ],
    authorizeSubscribe: async (conn, topic) => {
      hookCalls.push(`${conn.userId.slice(0, 4)}:${topic}`);
      await new Promise((r) => setTimeout(r, 5));
      return !topic.startsWith('vip');
    },
  }));
});
afterAll(() => server.stop());

async function subscribe(
  c: TestClient,
  topics: unknown[],
  type = 'subscription_update',
  action = 'subscribe',
) {
  c.send({ t: type, p: { action, topics }, cid: `s-${Math.random()}` });
  return (await c.next('subscription_update')).p as {
    action: string;
    success: boolean;
    success_topics: string[];
    failed_topics: Array<{ topic: string; code: string; message: string }>;
  };
}

describe('subscriptions', () => {
  it('subscribes, reports failures with codes, keeps the cid, and unsubscribes', async () => {
    const c = await TestClient.ready(url);
    c.send({
      t: 'subscription_update',
      p: { action: 'subscribe', topics: ['a', 'vip.1', 'bad\u0001', 'x'.repeat(257)] },
      cid: 'q1',
    });
    const r = await c.next('subscription_update');
    expect(r.cid).toBe('q1');
    expect(r.p).toMatchObject({ action: 'subscribe', success: false, success_topics: ['a'] });
    const failed = (r.p.failed_topics as Array<{ topic: string; code: string }>).map((f) => f.code);
    expect(failed).toEqual(['INVALID_SUBSCRIPTION', 'INVALID_SUBSCRIPTION', 'FORBIDDEN']);
    expect(hookCalls.some((h) => h.endsWith(':vip.1'))).toBe(true);
    const info = server.connections().find((i) => i.topics.includes('a'));
    expect(info?.topics).toEqual(['a']);
    const u = await subscribe(c, ['a'], 'subscription_update', 'unsubscribe');
    expect(u).toMatchObject({ action: 'unsubscribe', success: true, success_topics: ['a'] });
    c.close();
  });

  it('accepts the aliases subscription and subscribe', async () => {
    const c = await TestClient.ready(url);
    expect((await subscribe(c, ['t1'], 'subscription')).success_topics).toEqual(['t1']);
    expect((await subscribe(c, ['t2'], 'subscribe')).success_topics).toEqual(['t2']);
    c.close();
  });

  it('enforces the per-connection limit and refuses a 10 000-topic request whole', async () => {
    const c = await TestClient.ready(url);
    await subscribe(c, ['m1', 'm2', 'm3']);
    const r = await subscribe(c, ['m4', 'm5']);
    expect(r.success_topics).toEqual(['m4']);
    expect(r.failed_topics.map((f) => [f.topic, f.code])).toEqual([['m5', 'TOO_MANY_SUBSCRIPTIONS']]);
    const many = Array.from({ length: 10_000 }, (_, i) => `topic-${i}`);
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: many }, cid: 'big' });
    const e = await c.error('TOO_MANY_SUBSCRIPTIONS');
    expect(e.cid).toBe('big');
    c.send({ t: 'subscription_update', p: { action: 'dance', topics: [] } });
    await c.error('INVALID_ACTION');
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: 'nope' } });
    await c.error('INVALID_SUBSCRIPTION');
    c.close();
  });

  it('server-side subscribeConnection / unsubscribeConnection', async () => {
    const c = await TestClient.ready(url);
    const id = c.id;
    expect(server.subscribeConnection(id, ['srv'])).toEqual(['srv']);
    expect(server.broadcastLocal('srv', { t: 'srv_event', p: {} })).toBeGreaterThanOrEqual(1);
    await c.next('srv_event');
    expect(server.unsubscribeConnection(id)).toEqual(['srv']);
    expect(server.connectionInfo(id)?.topics).toEqual([]);
    c.close();
  });
});

describe('client publish', () => {
  it('follows publishPolicy: allowed globs deliver, others are FORBIDDEN', async () => {
    const a = await TestClient.ready(url);
    const b = await TestClient.ready(url);
    await subscribe(b, ['chat.lobby', 'chat.secret']);
    a.send({
      t: 'publish',
      p: { topic: 'chat.lobby', data: { t: 'chat_message', p: { text: 'hi' } } },
      cid: 'p1',
    });
    expect((await a.next('publish_ack')).p).toMatchObject({ topic: 'chat.lobby', delivered: 1 });
    expect((await b.next('chat_message')).p).toEqual({ text: 'hi' });
    a.send({ t: 'publish', p: { topic: 'chat.secret', data: 1 }, cid: 'p2' });
    expect((await a.error('FORBIDDEN')).cid).toBe('p2');
    a.send({ t: 'publish', p: { topic: 'news', data: 1 } });
    await a.error('FORBIDDEN');
    a.send({ t: 'publish', p: { topic: 'bad\n', data: 1 } });
    await a.error('INVALID_MESSAGE');
    expect(await b.quiet('publication', 50)).toBe(true);
    a.close();
    b.close();
  });
});

describe('fan-out across formats', () => {
  it('plain JSON, msgpack (query and hello) and E2E subscribers all get the publication, in order', async () => {
    const plain = await TestClient.ready(url);
    const mpQuery = await TestClient.connect(`${url}?format=msgpack`);
    mpQuery.format = 'msgpack';
    mpQuery.send({ t: 'client_hello', p: { protocol_version: 1 } });
    const mpHello = await TestClient.ready(url, { features: { msgpack: true } });
    const e2e = await TestClient.connect(url);
    await e2e.helloEncrypted();
    const e2eMp = await TestClient.connect(url);
    await e2eMp.helloEncrypted({ features: { msgpack: true } });
    const all = [plain, mpQuery, mpHello, e2e, e2eMp];
    for (const c of all) expect((await subscribe(c, ['fan'])).success_topics).toEqual(['fan']);
    for (let i = 0; i < 20; i++)
      server.broadcast('fan', { t: 'tick', p: { i, big: 'x'.repeat(i === 10 ? 5000 : 1) } });
    for (const c of all) {
      const got = [];
      for (let i = 0; i < 20; i++) got.push((await c.next('tick')).p.i);
      expect(got).toEqual([...Array(20).keys()]);
    }
    server.broadcastAll({ t: 'everyone', p: {} });
    for (const c of all) await c.next('everyone');
    const infos = server.connections();
    expect(infos.filter((i) => i.format === 'msgpack')).toHaveLength(3);
    expect(infos.filter((i) => i.encrypted)).toHaveLength(2);
    for (const c of all) c.close();
  });
});
