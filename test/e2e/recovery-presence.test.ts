// Message recovery and presence end to end: the real @wse/core-client against the real
// @wse/ref-server on 127.0.0.1, through a TCP proxy that can cut every socket mid-stream, refuse
// connections for a while, or swap the server behind it (a restart on the same address).
import { createClient, type WebSocketConstructor, type WSEClient } from '@wse/core-client';
import type { WSEServerOptions } from '@wse/ref-server';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  SECRET,
  token as signToken,
  startProxy as startTestProxy,
  startServer as startTestServer,
  type TestProxy,
  type TestServer,
} from '../support/wse-server';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => {});
});

async function startServer(options: WSEServerOptions = {}): Promise<TestServer> {
  const started = await startTestServer({ recovery: { bufferSize: 2048, maxMessages: 2000 }, ...options });
  cleanup.push(() => started.server.stop());
  return started;
}

async function startProxy(port: number): Promise<TestProxy> {
  const proxy = await startTestProxy(port);
  cleanup.push(() => proxy.close());
  return proxy;
}

/** A `ws` WebSocket that records every JSON text frame it receives and sends. */
function spySocket() {
  const received: Array<{ t: string; p: Record<string, unknown>; cid?: string }> = [];
  const sent: Array<{ t: string; p: Record<string, unknown> }> = [];
  class Spy extends WebSocket {
    constructor(url: string, options?: WebSocket.ClientOptions) {
      super(url, options);
      this.addEventListener('message', (ev) => {
        if (typeof ev.data === 'string') received.push(JSON.parse(ev.data));
      });
    }
    override send(data: unknown, ...rest: unknown[]): void {
      if (typeof data === 'string') sent.push(JSON.parse(data));
      (super.send as (...a: unknown[]) => void)(data, ...rest);
    }
  }
  const recoveryReplies = () =>
    received
      .filter((f) => f.t === 'subscription_update' && f.p.recovery)
      .map(
        (f) =>
          f.p.recovery as Record<
            string,
            { recovered: boolean; count: number; epoch: string; offset: number }
          >,
      );
  return { WebSocket: Spy as unknown as WebSocketConstructor, received, sent, recoveryReplies };
}

function client(url: string, extra: Parameters<typeof createClient>[0] | object = {}): WSEClient {
  const c = createClient({
    endpoints: url,
    reconnect: { baseMs: 20, maxMs: 100 },
    offline: false,
    ...extra,
  });
  c.on('error', () => {});
  cleanup.push(() => c.close());
  return c;
}

function waitFor(predicate: () => boolean, timeoutMs = 8000, what = 'condition'): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`waitFor: ${what} timed out`));
      setTimeout(check, 5);
    };
    check();
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A subscriber recording every delivered `item` (offset, epoch) and every recovery_failed. */
function recorder(c: WSEClient) {
  const offsets: number[] = [];
  const epochs: string[] = [];
  const failed: Array<{ topic: string; epoch: string; offset: number }> = [];
  c.on('item', (m) => {
    offsets.push(m.offset as number);
    epochs.push(m.epoch as string);
  });
  c.on('recovery_failed', (ev) => failed.push(ev));
  return { offsets, epochs, failed };
}

describe('recovery, real client against the real server', () => {
  it('1000 publications with the socket killed mid-stream: every offset exactly once, in order, recovered', async () => {
    const { server, port } = await startServer();
    const proxy = await startProxy(port);
    const spy = spySocket();
    const c = client(proxy.url, { env: { WebSocket: spy.WebSocket } });
    const rec = recorder(c);
    await c.connect();
    await c.subscribe(['feed']);
    let sent = 0;
    const publish = (n: number) => {
      for (let i = 0; i < n && sent < 1000; i++) server.broadcast('feed', { t: 'item', p: { n: sent++ } });
    };
    const pump = setInterval(() => publish(25), 1);
    cleanup.push(() => clearInterval(pump));
    await waitFor(() => rec.offsets.length >= 200, 8000, 'first 200');
    proxy.cut(); // mid-stream: the client sees 1006 and reconnects while publishing goes on
    await waitFor(() => sent >= 1000, 8000, 'publisher');
    await waitFor(() => rec.offsets.length >= 1000, 8000, 'all 1000');
    await wait(50);
    expect(rec.offsets).toEqual(range(0, 999)); // once each, in order
    expect(new Set(rec.epochs).size).toBe(1);
    expect(rec.failed).toEqual([]);
    const replies = spy.recoveryReplies();
    expect(replies.length).toBeGreaterThanOrEqual(1);
    expect(replies.every((r) => r.feed?.recovered === true)).toBe(true);
    expect(replies.some((r) => (r.feed?.count ?? 0) > 0)).toBe(true);
  });

  it('a gap over maxMessages: recovered:false, nothing replayed, recovery_failed, next live message delivered', async () => {
    const { server, port } = await startServer({ recovery: { bufferSize: 1024, maxMessages: 50 } });
    const proxy = await startProxy(port);
    const spy = spySocket();
    const c = client(proxy.url, { env: { WebSocket: spy.WebSocket } });
    const rec = recorder(c);
    await c.connect();
    await c.subscribe(['g']);
    for (let i = 0; i < 10; i++) server.broadcast('g', { t: 'item', p: {} });
    await waitFor(() => rec.offsets.length === 10);
    proxy.down();
    await waitFor(() => c.getSnapshot().state !== 'connected');
    for (let i = 0; i < 200; i++) server.broadcast('g', { t: 'item', p: {} }); // 200 > maxMessages
    proxy.up();
    await waitFor(() => rec.failed.length === 1, 8000, 'recovery_failed');
    expect(rec.failed[0]).toEqual({ topic: 'g', epoch: rec.epochs[0], offset: 209 });
    expect(rec.offsets).toEqual(range(0, 9)); // no partial replay
    const recoversBefore = spy.sent.filter((f) => f.t === 'subscription_update' && f.p.recover).length;
    server.broadcast('g', { t: 'item', p: {} });
    await waitFor(() => rec.offsets.length === 11);
    await wait(50);
    expect(rec.offsets[10]).toBe(210); // delivered, not treated as a gap …
    const recoversAfter = spy.sent.filter((f) => f.t === 'subscription_update' && f.p.recover).length;
    expect(recoversAfter).toBe(recoversBefore); // … so no recovery request followed
    expect(rec.failed).toHaveLength(1);
  });

  it('an evicted buffer (memory budget): recovered:false, rebaseline to the new epoch', async () => {
    const { server, port } = await startServer({ recovery: { memoryBudget: 16 * 1024, bufferSize: 64 } });
    const proxy = await startProxy(port);
    const c = client(proxy.url);
    const rec = recorder(c);
    await c.connect();
    await c.subscribe(['a']);
    for (let i = 0; i < 5; i++) server.broadcast('a', { t: 'item', p: {} });
    await waitFor(() => rec.offsets.length === 5);
    proxy.down();
    await waitFor(() => c.getSnapshot().state !== 'connected');
    for (let i = 0; i < 400; i++)
      server.broadcast(`other-${i % 20}`, { t: 'x', p: { pad: 'p'.repeat(100) } });
    for (let i = 0; i < 3; i++) server.broadcast('a', { t: 'item', p: {} }); // a new epoch for 'a'
    expect(server.recoveryStats().bytes).toBeLessThanOrEqual(16 * 1024);
    proxy.up();
    await waitFor(() => rec.failed.length === 1, 8000, 'recovery_failed');
    const newEpoch = rec.failed[0]?.epoch as string;
    expect(newEpoch).not.toBe(rec.epochs[0]);
    expect(rec.failed[0]).toMatchObject({ topic: 'a', offset: 2 });
    expect(rec.offsets).toEqual(range(0, 4));
    server.broadcast('a', { t: 'item', p: {} });
    await waitFor(() => rec.offsets.length === 6);
    expect(rec.offsets[5]).toBe(3);
    expect(rec.epochs[5]).toBe(newEpoch);
  });

  it('a server restart (new epoch): recovered:false, recovery_failed, then live delivery from offset 0', async () => {
    const first = await startServer();
    const proxy = await startProxy(first.port);
    const c = client(proxy.url);
    const rec = recorder(c);
    await c.connect();
    await c.subscribe(['news']);
    for (let i = 0; i < 3; i++) first.server.broadcast('news', { t: 'item', p: {} });
    await waitFor(() => rec.offsets.length === 3);
    proxy.down();
    await first.server.stop();
    const second = await startServer();
    second.server.broadcast('news', { t: 'item', p: {} }); // published before the client is back
    proxy.target.port = second.port;
    proxy.up();
    await waitFor(() => rec.failed.length === 1, 8000, 'recovery_failed');
    expect(rec.failed[0]).toMatchObject({ topic: 'news', offset: 0 });
    expect(rec.failed[0]?.epoch).not.toBe(rec.epochs[0]);
    expect(rec.offsets).toEqual([0, 1, 2]);
    second.server.broadcast('news', { t: 'item', p: {} });
    await waitFor(() => rec.offsets.length === 4);
    expect(rec.offsets[3]).toBe(1);
    expect(rec.epochs[3]).toBe(rec.failed[0]?.epoch);
  });

  it('a replay overlapping what was already delivered is dropped by the client', async () => {
    const { server } = await startServer();
    const c = client(`ws://127.0.0.1:${server.port}/wse`);
    const rec = recorder(c);
    await c.connect();
    await c.subscribe(['d']);
    for (let i = 0; i < 10; i++) server.broadcast('d', { t: 'item', p: {} });
    await waitFor(() => rec.offsets.length === 10);
    const connId = c.getSnapshot().connectionId as string;
    const report = server.subscribeWithRecovery(connId, ['d'], {
      d: { epoch: rec.epochs[0] as string, offset: 4 },
    });
    expect(report.d).toMatchObject({ recovered: true, count: 5 }); // 5..9 again, on the wire
    server.broadcast('d', { t: 'item', p: {} });
    await waitFor(() => rec.offsets.length >= 11);
    await wait(50);
    expect(rec.offsets).toEqual(range(0, 10));
  });
});

describe('presence, real clients against the real server', () => {
  it('a user with two tabs joins once and leaves once; members and stats match the events', async () => {
    const { server, port } = await startServer({ auth: { secret: SECRET }, presence: {} });
    const url = `ws://127.0.0.1:${port}/wse`;
    const token = (sub: string) => () => signToken(sub);
    const bob = client(url, { token: token('bob') });
    const events: string[] = [];
    bob.on('presence', (ev) => {
      if (ev.action !== 'sync') events.push(`${ev.action}:${ev.userId}`);
    });
    await bob.connect();
    await bob.subscribe(['room'], { presence: { name: 'Bob' } });
    await waitFor(() => Object.keys(bob.presence('room')).includes('bob'));
    const tab1 = client(url, { token: token('ada') });
    const tab2 = client(url, { token: token('ada') });
    await tab1.subscribe(['room'], { presence: { name: 'Ada' } });
    await tab2.subscribe(['room'], { presence: { name: 'Ada' } });
    await waitFor(() => server.presenceStats('room').num_connections === 3);
    await waitFor(() => bob.presence('room').ada?.connections !== undefined);
    expect(await bob.presenceStats('room')).toEqual({ num_users: 2, num_connections: 3 });
    expect(server.presence('room').ada).toEqual({ data: { name: 'Ada' }, connections: 2 });
    await tab1.close();
    await waitFor(() => server.presenceStats('room').num_connections === 2);
    await wait(50);
    expect(Object.keys(bob.presence('room')).sort()).toEqual(['ada', 'bob']);
    await tab2.close();
    await waitFor(() => !('ada' in bob.presence('room')));
    expect(events.filter((e) => e.endsWith(':ada'))).toEqual(['join:ada', 'leave:ada']);
    expect(await bob.presenceStats('room')).toEqual({ num_users: 1, num_connections: 1 });
  });
});
