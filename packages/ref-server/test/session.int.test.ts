import { generateIdentityKeyPair, verifyIdentity } from '@wse/core-client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WSEServer } from '../src/server';
import { startServer, TestClient } from './helpers';

let server: WSEServer;
let url: string;
let identity: CryptoKeyPair;
beforeAll(async () => {
  identity = await generateIdentityKeyPair();
  ({ server, url } = await startServer({
    identityKey: identity,
    rateLimit: { capacity: 1000, refillPerSec: 1000 },
    maxMessageSize: 64 * 1024,
  }));
  server.on('message', async (ev) => {
    if (ev.t === 'echo') server.reply(ev.connId, ev.cid, ev.p, 'echo_result');
    if (ev.t === 'fail_async') throw new Error('async handler failure');
    if (ev.t === 'send_all_kinds') {
      server.send(ev.connId, JSON.stringify({ t: 'raw_text', p: {} }));
      server.sendBytes(ev.connId, new TextEncoder().encode(JSON.stringify({ t: 'raw_bytes', p: {} })));
      server.sendEvent(ev.connId, { t: 'evented', p: { n: 1 }, pri: 8 });
      server.sendBatch(ev.connId, [
        { t: 'b1', p: {} },
        { t: 'b2', p: {} },
      ]);
    }
  });
});
afterAll(() => server.stop());

describe('handshake', () => {
  it('server_ready then server_hello with real features and limits', async () => {
    const c = await TestClient.connect(url, { waitReady: false });
    const ready = await c.next('server_ready');
    expect(ready).toMatchObject({ c: 'WSE', v: 1, seq: 1 });
    expect(ready.p.details).toMatchObject({
      version: 1,
      features: { compression: true, encryption: true, msgpack: true, batching: true, cluster: false },
    });
    c.send({
      t: 'client_hello',
      p: { client_version: 't/1', protocol_version: 1, features: { batching: false } },
      cid: 'h',
    });
    const hello = await c.next('server_hello');
    expect(hello.cid).toBe('h');
    expect(hello.p).toMatchObject({
      server_version: expect.any(String),
      protocol_version: 1,
      features: { batching: false, encryption: false, msgpack: false },
      limits: {
        max_message_size: 64 * 1024,
        rate_limit_capacity: 1000,
        rate_limit_refill: 1000,
        max_subscriptions: 128,
      },
      ping_interval: 25_000,
      connection_id: c.id,
    });
    expect(hello.p).not.toHaveProperty('encryption_public_key');
    c.send({ t: 'client_hello', p: {} });
    await c.error('INVALID_MESSAGE');
    c.close();
  });

  it('client ping → PONG with latency; PONG from the client is accepted silently', async () => {
    const c = await TestClient.ready(url);
    c.send({ t: 'ping', p: { timestamp: Date.now() - 5 }, cid: 'p' });
    const pong = await c.next('PONG');
    expect(pong.cid).toBe('p');
    expect(pong.p.latency).toBeGreaterThanOrEqual(5);
    c.send({ t: 'PONG', p: { server_time: 1, client_timestamp: 2 } });
    expect(await c.quiet('error', 50)).toBe(true);
    c.close();
  });
});

describe('E2E encryption', () => {
  it('agrees a key, signs it, and encrypts every frame after server_hello', async () => {
    const c = await TestClient.connect(url);
    const hello = await c.helloEncrypted();
    expect(hello.encrypted).toBe(false);
    const serverKey = hello.p.encryption_public_key as string;
    const sig = hello.p.encryption_signature as string;
    expect(await verifyIdentity(identity.publicKey, sig, c.publicKey as string, serverKey, c.id)).toBe(true);
    expect((hello.p.features as Record<string, unknown>).encryption).toBe(true);
    c.send({ t: 'echo', p: { secret: 1 }, cid: 'e' });
    const echo = await c.next('echo_result');
    expect(echo).toMatchObject({ encrypted: true, cid: 'e', p: { secret: 1 } });
    expect(server.connectionInfo(c.id)?.encrypted).toBe(true);
    // a plaintext frame is refused (and answered encrypted)
    c.sendRaw(JSON.stringify({ t: 'echo', p: {} }));
    const refused = await c.error('ENCRYPTION_REQUIRED');
    expect(refused.encrypted).toBe(true);
    c.close();
  });

  it('a bad client key → KEY_EXCHANGE_FAILED and a plaintext hello', async () => {
    const c = await TestClient.connect(url);
    c.send({ t: 'client_hello', p: { encryption_public_key: 'AAAA' } });
    await c.error('KEY_EXCHANGE_FAILED');
    const hello = await c.next('server_hello');
    expect((hello.p.features as Record<string, unknown>).encryption).toBe(false);
    c.close();
  });

  it('requireEncryption refuses plaintext application frames', async () => {
    const { server: strict, url: strictUrl } = await startServer({ requireEncryption: true });
    const c = await TestClient.ready(strictUrl);
    c.send({ t: 'chat', p: {}, cid: 'x' });
    expect((await c.error('ENCRYPTION_REQUIRED')).cid).toBe('x');
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['a'] } });
    await c.error('ENCRYPTION_REQUIRED');
    const e = await TestClient.connect(strictUrl);
    await e.helloEncrypted();
    e.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['a'] } });
    expect((await e.next('subscription_update')).p.success_topics).toEqual(['a']);
    await strict.stop();
  });
});

describe('msgpack', () => {
  it('?format=msgpack: every frame is M:, and msgpack input is understood', async () => {
    const raw = new WebSocket(`${url}?format=msgpack`);
    const first = await new Promise<Buffer>((resolve) => raw.once('message', (d: Buffer) => resolve(d)));
    expect(first.subarray(0, 2).toString()).toBe('M:');
    raw.close();
    const c = await TestClient.connect(`${url}?format=msgpack`);
    c.format = 'msgpack';
    c.send({ t: 'client_hello', p: {} });
    expect(((await c.next('server_hello')).p.features as Record<string, unknown>).msgpack).toBe(true);
    c.send({ t: 'echo', p: { n: 1 }, cid: 'm' });
    expect((await c.next('echo_result')).p).toEqual({ n: 1 });
    expect(server.connectionInfo(c.id)?.format).toBe('msgpack');
    c.close();
  });
});

describe('sending API and batches', () => {
  it('send, sendBytes, sendEvent (pri kept) and sendBatch', async () => {
    const c = await TestClient.ready(url);
    c.send({ t: 'send_all_kinds', p: {} });
    await c.next('raw_text');
    await c.next('raw_bytes');
    expect((await c.next('evented')).pri).toBe(8);
    const batch = await c.next('batch');
    expect(batch.p.count).toBe(2);
    expect((batch.p.messages as Array<{ t: string }>).map((m) => m.t)).toEqual(['b1', 'b2']);
    expect(server.send('no-such-connection', 'x')).toBe(false);
    c.close();
  });

  it('an inbound batch is handled message by message, in order', async () => {
    const c = await TestClient.ready(url);
    const messages = [
      { t: 'echo', p: { i: 1 }, cid: 'b1' },
      { t: 'subscription_update', p: { action: 'subscribe', topics: ['bt'] }, cid: 'b2' },
      { t: 'echo', p: { i: 3 }, cid: 'b3' },
      [1, 2],
      { t: 'batch', p: { messages: [] } },
    ];
    c.send({ t: 'batch', p: { messages, count: messages.length } });
    expect((await c.next('echo_result')).cid).toBe('b1');
    expect((await c.next('subscription_update')).cid).toBe('b2');
    expect((await c.next('echo_result')).cid).toBe('b3');
    await c.error('INVALID_MESSAGE');
    await c.error('INVALID_MESSAGE');
    c.send({ t: 'batch', p: { messages: 'x' } });
    await c.error('INVALID_MESSAGE');
    c.close();
  });

  it('an async handler that rejects → HANDLER_ERROR with the cid, server goes on', async () => {
    const errors: unknown[] = [];
    const off = server.on('error', (e) => {
      errors.push(e.error);
    });
    const c = await TestClient.ready(url);
    c.send({ t: 'fail_async', p: {}, cid: 'f' });
    expect((await c.error('HANDLER_ERROR')).cid).toBe('f');
    c.send({ t: 'echo', p: { still: 'alive' }, cid: 'g' });
    expect((await c.next('echo_result')).p).toEqual({ still: 'alive' });
    expect(errors).toHaveLength(1);
    off();
    c.close();
  });
});

describe('heartbeat, idle and rate limits', () => {
  it('sends ping every pingInterval and closes an idle connection with 1000', async () => {
    const { server: s, url: u } = await startServer({ pingInterval: 60, idleTimeout: 300 });
    const c = await TestClient.ready(u);
    const ping = await c.next('ping', 1000);
    expect(typeof ping.p.server_time).toBe('number');
    const started = Date.now();
    expect((await c.closed).code).toBe(1000);
    expect(Date.now() - started).toBeLessThan(1000);
    // a client that answers stays connected
    const alive = await TestClient.ready(u);
    const answer = setInterval(() => alive.send({ t: 'PONG', p: {} }), 50);
    await new Promise((r) => setTimeout(r, 500));
    expect(s.connectionCount()).toBe(1);
    clearInterval(answer);
    await s.stop();
  });

  it('warns below 20 % (once a second) and drops with RATE_LIMITED when empty', async () => {
    const { server: s, url: u } = await startServer({ rateLimit: { capacity: 10, refillPerSec: 1 } });
    const c = await TestClient.ready(u); // client_hello took one token
    for (let i = 0; i < 12; i++) c.send({ t: 'app', p: { i } });
    const warning = await c.next('rate_limit_warning');
    expect(warning.p).toMatchObject({ limit: 10, remaining: 1 });
    const limited = await c.error('RATE_LIMITED');
    expect(limited.p.retry_after).toBeGreaterThan(0);
    expect(await c.quiet('rate_limit_warning', 50)).toBe(true);
    expect(s.healthSnapshot().rate_limited).toBeGreaterThanOrEqual(2);
    await s.stop();
  });
});
