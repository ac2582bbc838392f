/**
 * E2E against the real server with a raw `ws` client (docs-site/protocol §6): versions 1 and 2, replayed,
 * reordered and reflected frames, when each direction switches, heartbeats in clear, no `C:` inside
 * `E:`, key rotation under traffic, the older `WSE{` prefix and `compression: false`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { startServer, TestClient } from './helpers';

let server: WSEServer;
let url: string;
const got: Array<{ connId: string; t: string; p: Record<string, unknown> }> = [];

beforeAll(async () => {
  ({ server, url } = await startServer({ publishPolicy: 'allow' }));
  server.on('message', (ev) => got.push({ connId: ev.connId, t: ev.t, p: ev.p }));
});

afterAll(async () => {
  await server.stop();
});

const V2 = { features: { encryption_version: 2 } };
const subscribe = (topic: string) => ({
  t: 'subscription_update',
  p: { action: 'subscribe', topics: [topic] },
});
const isE = (f: string | Uint8Array) => typeof f !== 'string' && f[0] === 0x45 && f[1] === 0x3a;

async function encrypted(version: 1 | 2): Promise<TestClient> {
  const c = await TestClient.connect(url);
  const hello = await c.helloEncrypted(version === 2 ? V2 : {});
  expect((hello.p.features as Record<string, unknown>).encryption_version).toBe(version);
  // The client's first E: frame (switches client → server to encrypted).
  c.send({ t: 'ping', p: {}, cid: 'first' });
  await c.next((f) => f.t === 'PONG' && f.cid === 'first');
  return c;
}

function countOf(connId: string, t: string): number {
  return got.filter((g) => g.connId === connId && g.t === t).length;
}

async function settle(ms = 150): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

describe('E2E version 2', () => {
  it('works end to end with a key per direction', async () => {
    const c = await encrypted(2);
    c.send(subscribe('v2:a'));
    expect((await c.next('subscription_update')).p.success).toBe(true);
    server.broadcast('v2:a', { t: 'news', p: { n: 1 } });
    const news = await c.next('news');
    expect(news.encrypted).toBe(true);
    expect(server.connectionInfo(c.id)?.e2e).toEqual({ version: 2, rotations: 0 });
    c.close();
  });

  it('a replayed frame → DECRYPTION_FAILED and close 1008; the original was processed once', async () => {
    const c = await encrypted(2);
    const frame = await c.seal({ t: 'note', p: { n: 1 } });
    c.sendRaw(frame);
    c.sendRaw(frame);
    expect((await c.error('DECRYPTION_FAILED')).p.reason).toBe('REPLAYED_FRAME');
    expect((await c.closed).code).toBe(1008);
    expect(countOf(c.id, 'note')).toBe(1);
  });

  it('a reordered frame → DECRYPTION_FAILED and close 1008, nothing processed', async () => {
    const c = await encrypted(2);
    const first = await c.seal({ t: 'note', p: { n: 1 } });
    const second = await c.seal({ t: 'note', p: { n: 2 } });
    c.sendRaw(second);
    c.sendRaw(first);
    await c.error('DECRYPTION_FAILED');
    expect((await c.closed).code).toBe(1008);
    expect(countOf(c.id, 'note')).toBe(0);
  });

  it('a reflected frame (a server E: frame echoed back) → DECRYPTION_FAILED and close 1008', async () => {
    const c = await encrypted(2); // we sent counter 0; the server sent its PONG as counter 0
    server.sendEvent(c.id, { t: 'x', p: {} }); // server → client counter 1
    await c.next('x');
    const fromServer = c.raw.filter(isE);
    // Counter 1 is exactly what the server expects next from us: only the direction key refuses it.
    c.sendRaw(fromServer[fromServer.length - 1] as Uint8Array);
    expect((await c.error('DECRYPTION_FAILED')).p.reason).toBe('DECRYPT_FAILED');
    expect((await c.closed).code).toBe(1008);
  });
});

describe('E2E version 1 (other WSE clients)', () => {
  it('a replayed frame → DECRYPTION_FAILED, processed once, the connection stays open', async () => {
    const c = await encrypted(1);
    const frame = await c.seal({ t: 'note', p: { n: 1 } });
    c.sendRaw(frame);
    c.sendRaw(frame);
    expect((await c.error('DECRYPTION_FAILED')).p.reason).toBe('REPLAYED_FRAME');
    c.send({ t: 'ping', p: {}, cid: 'alive' });
    await c.next((f) => f.t === 'PONG' && f.cid === 'alive');
    expect(countOf(c.id, 'note')).toBe(1);
    c.close();
  });

  it('a replay sent after later frames (reordered) is refused too', async () => {
    const c = await encrypted(1);
    const a = await c.seal({ t: 'note', p: { n: 1 } });
    const b = await c.seal({ t: 'note', p: { n: 2 } });
    c.sendRaw(a);
    c.sendRaw(b);
    c.sendRaw(a);
    await c.error('DECRYPTION_FAILED');
    await settle();
    expect(got.filter((g) => g.connId === c.id && g.t === 'note').map((g) => g.p.n)).toEqual([1, 2]);
    c.close();
  });

  it('a reflected frame (one key both ways) is refused by the IV mark', async () => {
    const c = await encrypted(1);
    const fromServer = c.raw.filter(isE);
    c.sendRaw(fromServer[fromServer.length - 1] as Uint8Array); // the PONG: it would decrypt
    expect((await c.error('DECRYPTION_FAILED')).p.reason).toBe('REPLAYED_FRAME');
    c.send({ t: 'ping', p: {}, cid: 'alive' });
    await c.next((f) => f.t === 'PONG' && f.cid === 'alive');
    c.close();
  });
});

describe('when each direction switches (docs-site/protocol §6)', () => {
  it('a subscribe pipelined in plaintext behind client_hello is processed; publications arrive as E:', async () => {
    const c = await TestClient.connect(url);
    await c.offerKey();
    const hello = c.helloEncrypted(V2); // sent synchronously (the key pair is ready)
    c.send(subscribe('pipe')); // right behind it, before server_hello reached us: plaintext
    await hello;
    const reply = await c.next('subscription_update');
    expect(reply.p.success_topics).toEqual(['pipe']);
    expect(reply.encrypted).toBe(true);
    server.broadcast('pipe', { t: 'news', p: { n: 1 } });
    expect((await c.next('news')).encrypted).toBe(true);
    c.close();
  });

  it('after the first E: frame a plaintext application frame → ENCRYPTION_REQUIRED (encrypted), dropped', async () => {
    const c = await encrypted(2);
    c.sendRaw(JSON.stringify(subscribe('late')));
    const err = await c.error('ENCRYPTION_REQUIRED');
    expect(err.encrypted).toBe(true);
    c.send({ t: 'ping', p: {}, cid: 'p' });
    await c.next((f) => f.t === 'PONG' && f.cid === 'p');
    expect(server.connectionInfo(c.id)?.topics).toEqual([]);
    c.close();
  });

  it('heartbeats in clear are accepted at any time on an encrypted connection', async () => {
    const c = await encrypted(2);
    c.sendRaw(JSON.stringify({ t: 'PONG', p: { server_time: 1, client_timestamp: 2 } }));
    c.sendRaw(JSON.stringify({ t: 'ping', p: { timestamp: Date.now() }, cid: 'clear' }));
    const pong = await c.next((f) => f.t === 'PONG' && f.cid === 'clear');
    expect(pong.encrypted).toBe(true);
    expect(await c.quiet((f) => f.t === 'error', 150)).toBe(true);
    c.close();
  });

  it('requireEncryption: a pipelined plaintext subscribe is refused', async () => {
    const strict = await startServer({ requireEncryption: true });
    try {
      const c = await TestClient.connect(strict.url);
      await c.offerKey();
      const hello = c.helloEncrypted(V2);
      c.send(subscribe('pipe'));
      await hello;
      await c.error('ENCRYPTION_REQUIRED');
      c.send(subscribe('pipe')); // encrypted now
      expect((await c.next('subscription_update')).p.success_topics).toEqual(['pipe']);
      c.close();
    } finally {
      await strict.server.stop();
    }
  });

  it('a 4 KB publication to an encrypted connection is E: over JSON (never C: inside)', async () => {
    const c = await encrypted(2);
    c.send(subscribe('big'));
    await c.next('subscription_update');
    const before = c.inner.length;
    server.broadcast('big', { t: 'big', p: { pad: 'x'.repeat(4096) } });
    server.sendEvent(c.id, { t: 'direct', p: { pad: 'y'.repeat(4096) } });
    expect((await c.next('big')).p.pad).toHaveLength(4096);
    expect((await c.next('direct')).p.pad).toHaveLength(4096);
    const inner = c.inner.slice(before);
    expect(inner.length).toBeGreaterThanOrEqual(2);
    for (const i of inner) expect(i[0]).toBe(0x7b); // '{'
    c.close();
  });
});

describe('key rotation under traffic (e2e_rekey every 200 ms)', () => {
  it.each([1, 2] as const)('v%i: 2 000 messages each way, every one once, in order', async (version) => {
    const c = await encrypted(version);
    c.send(subscribe(`rot${version}`));
    await c.next('subscription_update');
    const rotations = setInterval(() => void c.rekey(), 200);
    const N = 2000;
    for (let i = 0; i < N; i++) {
      c.send({ t: 'up', p: { i } });
      server.broadcast(`rot${version}`, { t: 'down', p: { i } });
      if (i % 25 === 24) await settle(25); // spread over ≥ 2 s: ~10 rotation attempts mid-stream
    }
    const down: number[] = [];
    for (let i = 0; i < N; i++) down.push((await c.next('down', 5000)).p.i as number);
    clearInterval(rotations);
    expect(down).toEqual([...Array(N).keys()]);
    const ups = () => got.filter((g) => g.connId === c.id && g.t === 'up');
    // The server opens E: frames one at a time; under load the last ones may still be on their way.
    for (let waited = 0; ups().length < N && waited < 10_000; waited += 50) await settle(50);
    await settle(100); // and nothing more (no duplicate) arrives after
    const up = ups().map((g) => g.p.i);
    expect(up).toEqual([...Array(N).keys()]);
    expect(c.types()).not.toContain('error');
    expect(server.connectionInfo(c.id)?.e2e?.rotations).toBeGreaterThanOrEqual(2);
    c.close();
  });

  it('the server asks for a rotation with e2e_rekey_request', async () => {
    const c = await encrypted(2);
    expect(server.requestKeyRotation(c.id)).toBe(true);
    expect((await c.next('e2e_rekey_request')).encrypted).toBe(true);
    expect(server.requestKeyRotation('nobody')).toBe(false);
    c.close();
  });

  it('keyRotationIntervalMs: the server asks E2E connections on a schedule, not plain ones', async () => {
    const s = await startServer({ keyRotationIntervalMs: 100 });
    try {
      const c = await TestClient.connect(s.url);
      await c.helloEncrypted(V2);
      const plain = await TestClient.ready(s.url);
      expect((await c.next('e2e_rekey_request', 3000)).encrypted).toBe(true);
      expect(await plain.quiet('e2e_rekey_request', 300)).toBe(true);
      c.close();
      plain.close();
    } finally {
      await s.server.stop();
    }
  });

  it('e2e_rekey in plaintext is refused; a rekey with a bad key keeps the old keys', async () => {
    const c = await encrypted(2);
    c.sendRaw(JSON.stringify({ t: 'e2e_rekey', p: { encryption_public_key: 'AAAA' } }));
    await c.error('ENCRYPTION_REQUIRED');
    c.send({ t: 'e2e_rekey', p: { encryption_public_key: 'AAAA' } });
    await c.error('KEY_EXCHANGE_FAILED');
    c.send({ t: 'ping', p: {}, cid: 'still' });
    await c.next((f) => f.t === 'PONG' && f.cid === 'still');
    c.close();
  });
});

describe('interop (docs-site/protocol §1, §2)', () => {
  it('a WSE{…} client_hello (and a U{…} message) works end to end', async () => {
    const c = await TestClient.connect(url);
    c.sendRaw(`WSE${JSON.stringify({ t: 'client_hello', p: { protocol_version: 1 } })}`);
    await c.next('server_hello');
    c.sendRaw(`U${JSON.stringify({ t: 'note', p: { n: 7 } })}`);
    await settle();
    expect(countOf(c.id, 'note')).toBe(1);
    c.close();
  });

  it('features.compression: false → server_hello says false and no C: ever reaches the client', async () => {
    const c = await TestClient.connect(url);
    c.send({ t: 'client_hello', p: { protocol_version: 1, features: { compression: false } } });
    const hello = await c.next('server_hello');
    expect((hello.p.features as Record<string, unknown>).compression).toBe(false);
    c.send(subscribe('noz'));
    await c.next('subscription_update');
    const plain = await TestClient.ready(url);
    plain.send(subscribe('noz'));
    await plain.next('subscription_update');
    server.broadcast('noz', { t: 'big', p: { pad: 'z'.repeat(4096) } });
    server.broadcastAll({ t: 'all', p: { pad: 'a'.repeat(4096) } });
    server.sendEvent(c.id, { t: 'direct', p: { pad: 'd'.repeat(4096) } });
    await c.next('big');
    await c.next('all');
    await c.next('direct');
    await plain.next('big');
    expect(c.raw.every((f) => typeof f === 'string')).toBe(true);
    expect(plain.raw.some((f) => typeof f !== 'string' && f[0] === 0x43)).toBe(true); // others still get C:
    c.close();
    plain.close();
  });
});
