/**
 * Regression tests for what the hostile-server property test (`client.chaos.test.ts`) and the
 * audit behind it found: each case as a plain scripted scenario.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOptions, FakeWSEServer, settle } from '../../test/fake-wse-server';
import { ManualClock } from '../env/manual-clock';
import { ManualEnvironment } from '../env/manual-environment';
import type { WSEError } from '../protocol/errors';
import { ServerError } from '../protocol/errors';
import { lazyCodecs } from '../protocol/lazy-codecs';
import { createClient } from './client';
import type { ClientMessage, ClientOptions } from './types';

const escaped: unknown[] = [];
const onEscape = (e: unknown) => escaped.push(e);
beforeEach(() => {
  escaped.length = 0;
  process.on('unhandledRejection', onEscape);
});
afterEach(() => {
  process.off('unhandledRejection', onEscape);
});

function setup(fake: FakeOptions = {}, options: Partial<ClientOptions> = {}) {
  const server = new FakeWSEServer(fake);
  const clock = new ManualClock(1_000_000);
  const environment = new ManualEnvironment(true);
  const client = createClient({
    endpoints: ['memory://a'],
    offline: { storage: 'memory' },
    ...options,
    env: { clock, random: () => 0.5, transport: server.factory, environment },
  });
  const errors: WSEError[] = [];
  client.on('error', (e) => errors.push(e));
  const got: ClientMessage[] = [];
  client.on('*', (m) => got.push(m));
  return { server, clock, client, errors, environment, got };
}

async function connected(client: { connect(): Promise<void> }) {
  const p = client.connect();
  await settle();
  await p;
}

describe('hostile server: subscription replies', () => {
  it.each([
    { epoch: 'a1b2c3d4', offset: -5 },
    { epoch: 'a1b2c3d4', offset: 1.5 },
    { epoch: 'a1b2c3d4', offset: 1e300 },
    { epoch: '', offset: 3 },
  ])('a recovered:false reply with a bad position %o is ignored, not a wedged session', async (pos) => {
    const { server, client, got } = setup({ recovery: () => ({ ...pos, recovered: false, count: 0 }) });
    await connected(client);
    const sub = client.subscribe(['news']);
    await settle();
    await expect(sub).resolves.toMatchObject({ topics: ['news'] });
    server.last.send('news_item', { n: 1 }, { tp: 'news', e: 'a1b2c3d4', o: 0 });
    await settle();
    expect(got.map((m) => m.offset)).toEqual([0]); // later frames are still handled
    expect(escaped).toEqual([]);
  });
});

describe('hostile server: replies and positions', () => {
  it('an error frame answering a subscribe (e.g. TOO_MANY_SUBSCRIPTIONS) rejects it and drops its topics', async () => {
    const { server, client } = setup({ subscriptions: false });
    await connected(client);
    const sub = client.subscribe(['a', 'b']);
    await settle();
    const req = server.sent('subscription_update')[0]!;
    server.last.send('error', { code: 'TOO_MANY_SUBSCRIPTIONS', message: 'limit' }, { cid: req.cid });
    await settle();
    await expect(sub).rejects.toBeInstanceOf(ServerError);
    await expect(sub).rejects.toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    expect(client.getSnapshot().topics).toEqual([]);
  });

  it('a refused gap recovery does not block the next one', async () => {
    const { server, client, got } = setup();
    await connected(client);
    await Promise.all([client.subscribe(['news']), settle()]);
    const pub = (o: number) => server.last.send('item', { o }, { tp: 'news', e: 'a1b2c3d4', o });
    pub(0);
    pub(5); // gap → recovery request
    await settle();
    const recover = server.sent('subscription_update').filter((e) => e.p.recover === true);
    expect(recover).toHaveLength(1);
    server.last.send('error', { code: 'RATE_LIMITED', retry_after: 0 }, { cid: recover[0]!.cid });
    pub(6); // another gap: asks again
    await settle();
    expect(server.sent('subscription_update').filter((e) => e.p.recover === true)).toHaveLength(2);
    expect(got.map((m) => m.offset)).toEqual([0]);
  });

  it('a recovered:false reply never moves a stream back (no offset delivered twice)', async () => {
    let answer: Record<string, unknown> | undefined;
    const { server, client, got } = setup({ recovery: () => answer });
    await connected(client);
    await Promise.all([client.subscribe(['news']), settle()]);
    for (const o of [0, 1, 2, 3]) server.last.send('item', { o }, { tp: 'news', e: 'a1b2c3d4', o });
    await settle();
    answer = { epoch: 'a1b2c3d4', offset: 1, recovered: false, count: 0 };
    server.last.close(1006);
    await settle();
    await client.reconnect();
    for (const o of [2, 3, 4]) server.last.send('item', { o }, { tp: 'news', e: 'a1b2c3d4', o });
    await settle();
    expect(got.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4]);
  });

  it('subscribe then unsubscribe while disconnected: the subscribe settles', async () => {
    const { server, client } = setup();
    await connected(client);
    server.last.close(1006);
    await settle();
    let settled = false;
    const sub = client.subscribe(['a', 'b']).finally(() => (settled = true));
    await client.unsubscribe(['a']);
    await client.reconnect();
    await settle();
    await expect(sub).resolves.toMatchObject({ topics: ['b'] });
    expect(settled).toBe(true);
    // Sent, then the socket dropped before the reply: settled by the next session's reply.
    const only = client.subscribe(['c']);
    server.last.close(1006);
    await settle();
    await client.unsubscribe(['c']);
    await client.reconnect();
    await settle();
    await expect(only).resolves.toMatchObject({ topics: [] });
  });
});

describe('hostile server: rate limits', () => {
  it('RATE_LIMITED with retry_after 1e308 holds at most 60 s and loops no timer', async () => {
    const { server, client, clock } = setup();
    await connected(client);
    server.last.send('error', { code: 'RATE_LIMITED', retry_after: 1e308 });
    await settle();
    client.send('chat', { n: 1 });
    expect(clock.pending).toBeLessThan(20);
    for (let t = 0; t < 59_000; t += 1_000) {
      clock.advance(1_000); // in steps, so PONGs keep the session alive
      await settle();
    }
    expect(server.sent('chat')).toHaveLength(0);
    clock.advance(1_000);
    await settle();
    expect(server.sent('chat')).toHaveLength(1);
    expect(server.conns).toHaveLength(1);
  });

  it('a rate-limit hold ends with the connection it came from', async () => {
    const { server, client } = setup();
    await connected(client);
    server.last.send('error', { code: 'RATE_LIMITED', retry_after: 30 });
    await settle();
    client.send('chat', { n: 1 });
    await client.reconnect();
    await settle();
    expect(server.sent('chat')).toHaveLength(1);
  });
});

describe('environment while closed', () => {
  it('connect() after close() sees that the network came back meanwhile', async () => {
    const { client, environment } = setup();
    await connected(client);
    environment.setOnline(false);
    await client.close();
    environment.setOnline(true); // not watched while closed
    await connected(client);
    expect(client.getSnapshot().state).toBe('connected');
  });
});

describe('systemClock', () => {
  it('clamps delays past 2^31-1 ms instead of firing at once', async () => {
    const { systemClock } = await import('../env/clock');
    let fired = false;
    const h = systemClock.setTimeout(() => (fired = true), 2 ** 40);
    await new Promise((r) => setTimeout(r, 20));
    systemClock.clearTimeout(h);
    expect(fired).toBe(false);
  });
});

describe('Session inbound chain', () => {
  it('a handler that throws is reported and later frames are still handled', async () => {
    const { Session } = await import('../session/session');
    const { MemoryServer } = await import('../transport/memory-transport');
    const { encodeFrame, buildEnvelope } = await import('../protocol');
    const memory = new MemoryServer();
    const seen: string[] = [];
    const errors: unknown[] = [];
    const noop = () => {};
    const session = new Session(
      {
        url: 'memory://a',
        clock: new ManualClock(0),
        transport: memory.factory,
        helloFirst: false,
        clientVersion: 't',
        msgpack: false,
        compressionThreshold: Number.POSITIVE_INFINITY,
        maxMessageSize: 1 << 20,
        encryption: null,
        deadGraceMs: 10_000,
        tokenRefreshAheadMs: 30_000,
      },
      {
        onOpen: noop,
        onReady: noop,
        onEnvelope: (env) => {
          seen.push(env.t);
          if (env.t === 'boom') throw new Error('handler bug');
        },
        onClosed: noop,
        onDead: noop,
        onError: (e) => errors.push(e),
        onFatal: noop,
        onRtt: noop,
        onLoss: noop,
        onTokenRefreshed: noop,
      },
    );
    session.open();
    await settle();
    memory.last!.send(encodeFrame(buildEnvelope('boom', {})));
    memory.last!.send(encodeFrame(buildEnvelope('after', {})));
    await settle();
    expect(seen).toEqual(['boom', 'after']);
    expect(errors).toHaveLength(1);
    expect(escaped).toEqual([]);
    session.close(1000, '');
  });
});

describe('a send caught by a socket drop while its frame is still being encoded', () => {
  it('goes back to the queue and is sent exactly once after the reconnect', async () => {
    // The zlib chunk is "loading" until the test says so: the first big frame waits in the session.
    const saved = { zlib: lazyCodecs.zlib, load: lazyCodecs.load };
    let release: () => void = () => {};
    lazyCodecs.zlib = undefined;
    lazyCodecs.load = () => new Promise<void>((r) => (release = r));
    try {
      const { server, clock, client } = setup();
      await connected(client);
      const first = server.last;
      client.send('big', { text: 'x'.repeat(5000) });
      await settle();
      first.close(1006, 'drop');
      await settle();
      Object.assign(lazyCodecs, saved);
      release();
      await settle();
      expect(first.envelopes.filter((e) => e.t === 'big')).toHaveLength(0);
      expect(client.getSnapshot().queued).toBe(1);
      clock.advance(30_000);
      await settle();
      await settle();
      expect(server.conns.length).toBeGreaterThan(1);
      expect(server.sent('big')).toHaveLength(1);
      expect(client.getSnapshot().queued).toBe(0);
      await client.close();
    } finally {
      Object.assign(lazyCodecs, saved);
    }
  });
});
