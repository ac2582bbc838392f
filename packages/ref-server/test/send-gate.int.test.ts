import { afterEach, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { type Frame, SECRET, startServer, TestClient, token } from './helpers';

// Issue 18 items 1 and 8: the ONE send gate (Connection.admits). Before authentication nothing but
// the auth exchange reaches a socket; under requireEncryption nothing but the handshake, heartbeat
// and errors reaches a client without E2E. Each probe goes through a different send path: the
// "all" fan-out (broadcastAll), the HTTP broadcast, uWS's shared topic frame (app.publish), the
// per-connection topic path (msgpack), presence events, the recovery replay and the app's own send.

let server: WSEServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const SECRET_TYPES = new Set(['leak_all', 'leak_http', 'leak_topic', 'leak_direct', 'presence_join']);
const leaked = (frames: readonly Frame[]) =>
  frames.filter((f) => SECRET_TYPES.has(f.t) || f.t === 'publication' || f.t === 'subscription_update');

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Every send path once; the bystander `witness` must see each, proving the probes went out. */
async function probe(s: WSEServer, port: number, targets: string[], witness: TestClient): Promise<void> {
  for (const id of targets) s.subscribeConnection(id, ['room']);
  s.subscribeConnection(witness.id, ['room'], { presence: { name: 'w' } });
  s.broadcastAll({ t: 'leak_all', p: { secret: 1 } });
  const res = await fetch(`http://127.0.0.1:${port}/api/broadcast`, {
    method: 'POST',
    headers: { authorization: 'apikey k', 'content-type': 'application/json' },
    body: JSON.stringify({ data: { t: 'leak_http', p: { secret: 2 } } }),
  });
  expect(res.status).toBe(200);
  s.broadcast('room', { t: 'leak_topic', p: { secret: 3 } });
  // The witness's own report names the stream, so the targets' recovery really replays leak_topic.
  const epoch = s.subscribeWithRecovery(witness.id, ['room']).room?.epoch as string;
  for (const id of targets) {
    expect(s.sendEvent(id, { t: 'leak_direct', p: { secret: 4 } })).toBe(false);
    expect(s.send(id, '{"t":"leak_direct","p":{}}')).toBe(false);
    expect(s.subscribeWithRecovery(id, ['room'], { room: { epoch, offset: -1 } }).room?.count).toBe(1);
  }
  for (const t of ['leak_all', 'leak_http', 'leak_topic', 'presence_join']) await witness.next(t);
  // The witness got everything: the fan-out has flushed. One more turn for anything in flight.
  await new Promise((r) => setTimeout(r, 50));
}

describe('before authentication (in-band token pending)', () => {
  it('a connection receives nothing from broadcastAll, HTTP broadcast, publish, presence or sends; after its token, everything', async () => {
    const started = await startServer({
      auth: { secret: SECRET, inBandTimeoutMs: 5000 },
      apiKey: 'k',
      presence: {},
      recovery: {},
    });
    server = started.server;
    const s = started.server;
    const witness = await TestClient.ready(started.url, {}, { authorization: `Bearer ${await token('w')}` });
    const plain = await TestClient.connect(started.url, { waitReady: false });
    const packed = await TestClient.connect(`${started.url}?format=msgpack`, { waitReady: false });
    await until(() => s.connectionCount() === 3);
    const pending = s
      .connections()
      .map((c) => c.id)
      .filter((id) => id !== witness.id);
    expect(s.broadcastAll({ t: 'warmup', p: {} })).toBe(1); // only the authenticated one counts
    await witness.next('warmup');

    await probe(s, started.port, pending, witness);
    expect(plain.frames).toEqual([]);
    expect(packed.frames).toEqual([]);

    // Authenticated now: the same paths reach both (the plain one through uWS's shared frame again).
    for (const c of [plain, packed]) {
      c.send({ t: 'client_hello', p: { protocol_version: 1, token: await token(`u-${c === plain}`) } });
      await c.next('server_ready');
      await c.next('server_hello');
    }
    s.broadcastAll({ t: 'after_all', p: {} });
    s.broadcast('room', { t: 'after_topic', p: {} });
    for (const c of [plain, packed]) {
      await c.next('after_all');
      await c.next('after_topic');
    }
    expect(leaked([...plain.frames, ...packed.frames])).toEqual([]);
  });

  it('a refused in-band token still gets its error (the auth exchange passes the gate)', async () => {
    const started = await startServer({ auth: { secret: SECRET, inBandTimeoutMs: 5000 } });
    server = started.server;
    const c = await TestClient.connect(started.url, { waitReady: false });
    c.send({ t: 'client_hello', p: { protocol_version: 1, token: 'not-a-jwt' } });
    await c.error('AUTH_FAILED');
    expect((await c.closed).code).toBe(4401);
  });
});

describe('requireEncryption', () => {
  it('a client without E2E gets no broadcast, publication, presence or send in plaintext; handshake, pings and errors do reach it', async () => {
    const started = await startServer({
      requireEncryption: true,
      apiKey: 'k',
      presence: {},
      recovery: {},
      pingInterval: 100,
      idleTimeout: 5000,
    });
    server = started.server;
    const s = started.server;
    const enc = await TestClient.connect(started.url);
    await enc.helloEncrypted();
    const plain = await TestClient.ready(started.url); // hello without a key
    const silent = await TestClient.connect(started.url); // never says hello
    expect(s.broadcastAll({ t: 'warmup', p: {} })).toBe(1);
    await enc.next('warmup');

    await probe(s, started.port, [plain.id, silent.id], enc);
    expect(leaked(plain.frames)).toEqual([]);
    expect(leaked(silent.frames)).toEqual([]);

    // What may go in plaintext still does: the heartbeat and errors.
    await plain.next('ping');
    plain.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['x'] }, cid: 'c1' });
    const err = await plain.error('ENCRYPTION_REQUIRED');
    expect(err.cid).toBe('c1');
    expect(leaked(plain.frames)).toEqual([]);
  });
});
