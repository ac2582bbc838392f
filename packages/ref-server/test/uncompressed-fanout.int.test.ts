/**
 * `compression: false` JSON clients (docs-site/protocol §2: never `C:` to them) ride uWS's fan-out
 * under each topic's second, uncompressed name instead of one JS send per publication. Real server,
 * real clients; "on the uWS path" is read from uWS itself (`app.numSubscribers`) and the registry.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import type { TopicRegistry } from '../src/topics/topic-registry';
import { uwsTopic } from '../src/topics/uws-topic';
import { fullMesh, routed, startNode } from './cluster/cluster-support';
import { type Frame, SECRET, startServer, TestClient, token } from './helpers';

let server: WSEServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** uWS's own subscriber counts, and the registry's direct set: the server-side figures. */
function inside(s: WSEServer) {
  const internals = s as unknown as {
    transport: { subscriberCount(topic: string): number };
    registry: TopicRegistry;
  };
  return {
    /** Sockets subscribed in uWS under the topic's shared (maybe `C:`) name and its uncompressed one. */
    uws: (topic: string) => ({
      compressed: internals.transport.subscriberCount(uwsTopic(topic, 'compressed')),
      plain: internals.transport.subscriberCount(uwsTopic(topic, 'plain')),
    }),
    direct: (topic: string) => [...(internals.registry.directSubscribers(topic) ?? [])].sort(),
    count: (topic: string) => internals.registry.subscriberCount(topic),
  };
}

const NO_Z = { features: { compression: false } };
const isC = (f: string | Uint8Array) => typeof f !== 'string' && f[0] === 0x43 && f[1] === 0x3a;
const subscribe = (c: TestClient, topic: string) => {
  c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: [topic] } });
  return c.next('subscription_update');
};
const ticks = (c: TestClient) => c.frames.filter((f) => f.t === 'tick').map((f) => f.p.n);

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('compression: false on the uWS path', () => {
  it('a mixed room gets every publication exactly once, big and small; compression:false ones never see C:', async () => {
    const started = await startServer({ publishPolicy: 'allow' });
    server = started.server;
    const s = started.server;
    const zipA = await TestClient.ready(started.url);
    const zipB = await TestClient.ready(started.url);
    const noZA = await TestClient.ready(started.url, NO_Z);
    const noZB = await TestClient.ready(started.url, NO_Z);
    const packed = await TestClient.ready(started.url, { features: { msgpack: true } });
    expect(packed.format).toBe('msgpack');
    const enc = await TestClient.connect(started.url);
    await enc.helloEncrypted(NO_Z);
    enc.send({ t: 'ping', p: {}, cid: 'first' }); // its first E: frame
    await enc.next((f) => f.t === 'PONG' && f.cid === 'first');
    const everyone = [zipA, zipB, noZA, noZB, packed, enc];
    for (const c of everyone) await subscribe(c, 'room');

    const figures = inside(s);
    expect(figures.uws('room')).toEqual({ compressed: 2, plain: 2 });
    expect(figures.direct('room')).toEqual([enc.id, packed.id].sort()); // not the compression:false ones
    expect(figures.count('room')).toBe(6);

    const big = (n: number) => ({ t: 'tick', p: { n, pad: 'x'.repeat(4096) } });
    const small = (n: number) => ({ t: 'tick', p: { n } });
    const N = 12;
    for (let n = 0; n < N; n++) {
      const data = n % 2 === 0 ? big(n) : small(n);
      if (n % 3 === 2) {
        // A client's own publication takes the same fan-out (it gets its copy too).
        const publisher = everyone[n % everyone.length] as TestClient;
        publisher.send({ t: 'publish', p: { topic: 'room', data } });
      } else {
        expect(s.broadcast('room', data)).toBe(6);
      }
      if (n % 3 === 2) await until(() => ticks(zipA).length === n + 1);
    }
    const expected = Array.from({ length: N }, (_, n) => n);
    for (const c of everyone) await until(() => ticks(c).length >= N);
    await new Promise((r) => setTimeout(r, 50)); // a duplicate would be here by now
    for (const c of everyone) expect(ticks(c)).toEqual(expected);
    for (const c of [noZA, noZB]) {
      expect(c.raw.some(isC)).toBe(false);
      expect(c.raw.every((f) => typeof f === 'string')).toBe(true);
      expect(c.frames.filter((f) => f.t === 'tick' && f.p.n === 0)[0]?.p.pad).toHaveLength(4096);
    }
    expect(zipA.raw.filter(isC).length).toBe(N / 2); // the big ones, compressed, for the others
    expect(enc.frames.filter((f: Frame) => f.t === 'tick').every((f) => f.encrypted)).toBe(true);
  });

  it('subscribe before the hello: the topic moves to the uncompressed name when compression:false arrives', async () => {
    const started = await startServer();
    server = started.server;
    const s = started.server;
    const figures = inside(s);
    const c = await TestClient.connect(started.url); // server_ready in, no client_hello yet
    expect(s.subscribeConnection(c.id, ['early'])).toEqual(['early']);
    expect(figures.uws('early')).toEqual({ compressed: 1, plain: 0 });
    c.send({ t: 'client_hello', p: { protocol_version: 1, ...NO_Z } });
    await c.next('server_hello');
    expect(figures.uws('early')).toEqual({ compressed: 0, plain: 1 });
    expect(figures.direct('early')).toEqual([]);
    s.broadcast('early', { t: 'tick', p: { n: 1, pad: 'e'.repeat(4096) } });
    await c.next('tick');
    expect(await c.quiet('tick', 50)).toBe(true);
    expect(c.raw.some(isC)).toBe(false);
  });

  it('in-band auth: not admitted = in uWS under neither name; the token and compression:false put it on the uncompressed name', async () => {
    const started = await startServer({ auth: { secret: SECRET, inBandTimeoutMs: 5000 } });
    server = started.server;
    const s = started.server;
    const figures = inside(s);
    const c = await TestClient.connect(started.url, { waitReady: false });
    await until(() => s.connectionCount() === 1);
    const id = s.connections()[0]?.id as string;
    s.subscribeConnection(id, ['gated']);
    expect(figures.uws('gated')).toEqual({ compressed: 0, plain: 0 });
    expect(figures.direct('gated')).toEqual([id]);
    s.broadcast('gated', { t: 'tick', p: { n: 0 } });
    c.send({ t: 'client_hello', p: { protocol_version: 1, token: await token('u'), ...NO_Z } });
    await c.next('server_hello');
    expect(figures.uws('gated')).toEqual({ compressed: 0, plain: 1 });
    expect(figures.direct('gated')).toEqual([]);
    s.broadcast('gated', { t: 'tick', p: { n: 1, pad: 'g'.repeat(4096) } });
    expect((await c.next('tick')).p.n).toBe(1); // n: 0 went out while it was not admitted
    expect(await c.quiet('tick', 50)).toBe(true);
    expect(c.raw.some(isC)).toBe(false);
  });

  it('requireEncryption: a compression:false client without E2E is never subscribed in uWS', async () => {
    const started = await startServer({ requireEncryption: true });
    server = started.server;
    const s = started.server;
    const c = await TestClient.ready(started.url, NO_Z);
    s.subscribeConnection(c.id, ['secret']);
    expect(inside(s).uws('secret')).toEqual({ compressed: 0, plain: 0 });
    s.broadcast('secret', { t: 'tick', p: { n: 1 } });
    expect(await c.quiet('tick', 100)).toBe(true);
  });

  it('unsubscribe and close leave no uWS subscription under either name', async () => {
    const started = await startServer();
    server = started.server;
    const s = started.server;
    const figures = inside(s);
    const noZ = await TestClient.ready(started.url, NO_Z);
    const witness = await TestClient.ready(started.url);
    await subscribe(noZ, 'a');
    await subscribe(noZ, 'b');
    await subscribe(witness, 'a');
    expect(figures.uws('a')).toEqual({ compressed: 1, plain: 1 });
    noZ.send({ t: 'subscription_update', p: { action: 'unsubscribe', topics: ['a'] } });
    await noZ.next('subscription_update');
    expect(figures.uws('a')).toEqual({ compressed: 1, plain: 0 });
    s.broadcast('a', { t: 'tick', p: { n: 1 } });
    await witness.next('tick');
    expect(await noZ.quiet('tick', 50)).toBe(true);
    expect(figures.uws('b')).toEqual({ compressed: 0, plain: 1 });
    noZ.close();
    await noZ.closed;
    await until(() => s.connectionCount() === 1);
    expect(figures.uws('b')).toEqual({ compressed: 0, plain: 0 });
    expect(figures.count('b')).toBe(0);
  });

  it('E2E or msgpack chosen with compression:false: direct, never in uWS', async () => {
    const started = await startServer();
    server = started.server;
    const s = started.server;
    const figures = inside(s);
    const packed = await TestClient.ready(started.url, { features: { msgpack: true, compression: false } });
    const enc = await TestClient.connect(started.url);
    s.subscribeConnection(enc.id, ['x']); // before its hello: on the shared name, then moved out
    expect(figures.uws('x')).toEqual({ compressed: 1, plain: 0 });
    await enc.helloEncrypted(NO_Z);
    s.subscribeConnection(packed.id, ['x']);
    expect(figures.uws('x')).toEqual({ compressed: 0, plain: 0 });
    expect(figures.direct('x')).toEqual([enc.id, packed.id].sort());
    s.broadcast('x', { t: 'tick', p: { n: 1, pad: 'm'.repeat(4096) } });
    await packed.next('tick');
    await enc.next('tick');
    expect(packed.raw.some(isC)).toBe(false);
    expect(enc.raw.some(isC)).toBe(false);
  });
});

describe('compression: false, remote publications (cluster mesh)', () => {
  it('a publication made on another node reaches both uWS names once, C: only on the shared one', async () => {
    const a = await startNode({});
    const b = await startNode({ seeds: [a.address] });
    try {
      await fullMesh([a, b]);
      const noZ = await TestClient.ready(b.url, NO_Z);
      const zip = await TestClient.ready(b.url);
      await subscribe(noZ, 'remote');
      await subscribe(zip, 'remote');
      await routed(a, b, 1);
      expect(inside(b.server).uws('remote')).toEqual({ compressed: 1, plain: 1 });
      a.server.broadcast('remote', { t: 'tick', p: { n: 0, pad: 'r'.repeat(4096) } });
      a.server.broadcast('remote', { t: 'tick', p: { n: 1 } });
      for (const c of [noZ, zip]) await until(() => ticks(c).length >= 2);
      await new Promise((r) => setTimeout(r, 50));
      for (const c of [noZ, zip]) expect(ticks(c)).toEqual([0, 1]);
      expect(noZ.raw.every((f) => typeof f === 'string')).toBe(true);
      expect(zip.raw.filter(isC)).toHaveLength(1);
    } finally {
      await Promise.all([a.server.stop(), b.server.stop()]);
    }
  });
});
