import type { WSEServerOptions } from '@wse/ref-server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SECRET,
  startProxy as startTestProxy,
  startServer as startTestServer,
  type TestProxy,
  type TestServer,
  token,
} from '../../../test/support/wse-server';
import { createClient, type WSEClient } from '../src/client/client';
import type { ClientOptions } from '../src/client/types';
import { base64Encode, generateIdentityKeyPair } from '../src/protocol';
import { AuthError, type WSEError } from '../src/protocol/errors';

const cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

async function startServer(options: WSEServerOptions = {}): Promise<TestServer> {
  const started = await startTestServer(options);
  cleanup.push(() => started.server.stop());
  return started;
}

async function startProxy(): Promise<TestProxy> {
  const proxy = await startTestProxy();
  cleanup.push(() => proxy.close());
  return proxy;
}

function echo(server: TestServer['server']): void {
  server.on('message', (ev) => {
    if (ev.t === 'echo') server.reply(ev.connId, ev.cid, ev.p);
  });
}

function client(options: ClientOptions): WSEClient {
  const c = createClient({
    reconnect: { baseMs: 50, maxMs: 200 },
    offline: { storage: 'memory' },
    ...options,
  });
  c.on('error', () => {});
  cleanup.push(() => c.close());
  return c;
}

function waitFor(predicate: () => boolean, timeoutMs = 8_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error('waitFor: timed out'));
      setTimeout(check, 20);
    };
    check();
  });
}

describe('core-client against the reference server', () => {
  it('connects, negotiates and round-trips a request by cid', async () => {
    const { server, url } = await startServer();
    echo(server);
    const c = client({ endpoints: url });
    await c.connect();
    expect(c.getSnapshot()).toMatchObject({ state: 'connected', endpoint: url });
    expect(c.getSnapshot().connectionId).toBeTruthy();
    await expect(c.request('echo', { n: 42 })).resolves.toEqual({ n: 42 });
  });

  it('msgpack format and compressed large frames round-trip', async () => {
    const { server, url } = await startServer();
    echo(server);
    const c = client({ endpoints: url, format: 'msgpack' });
    await c.connect();
    expect(c.session?.features.msgpack).toBe(true);
    const big = { text: 'x'.repeat(50_000), list: Array.from({ length: 100 }, (_, i) => i) };
    await expect(c.request('echo', big)).resolves.toEqual(big);
    const json = client({ endpoints: url });
    await json.connect();
    await expect(json.request('echo', big)).resolves.toEqual(big);
  });

  it('authenticates with a token (header in Node, in-band for browsers)', async () => {
    const { server, url } = await startServer({ auth: { secret: SECRET } });
    echo(server);
    const viaHeader = client({ endpoints: url, token: () => token('ada') });
    await viaHeader.connect();
    expect(viaHeader.getSnapshot().userId).toBe('ada');
    const inBand = client({ endpoints: url, token: () => token('bob'), tokenTransport: 'hello' });
    await inBand.connect();
    expect(inBand.getSnapshot().userId).toBe('bob');
    await expect(inBand.request('echo', { ok: true })).resolves.toEqual({ ok: true });
  });

  it('fails for good on 4401 with a bad fixed token', async () => {
    const { url } = await startServer({ auth: { secret: SECRET } });
    const c = client({ endpoints: url, token: 'not-a-jwt' });
    await expect(c.connect()).rejects.toBeInstanceOf(AuthError);
    expect(c.getSnapshot().state).toBe('failed');
  });

  it('reconnects after the server restarts and re-subscribes', async () => {
    const proxy = await startProxy();
    const first = await startServer();
    proxy.target.port = first.port;
    const c = client({ endpoints: proxy.url });
    await c.connect();
    await c.subscribe(['news']);
    const firstId = c.getSnapshot().connectionId;
    await first.server.stop();
    await waitFor(() => c.getSnapshot().state !== 'connected');
    const second = await startServer();
    proxy.target.port = second.port;
    await waitFor(() => c.getSnapshot().state === 'connected');
    expect(c.getSnapshot().connectionId).not.toBe(firstId);
    const got: unknown[] = [];
    c.on('headline', (ev) => got.push(ev.payload));
    await waitFor(() => second.server.broadcast('news', { t: 'headline', p: { n: 1 } }) > 0);
    await waitFor(() => got.length > 0);
    expect(got[0]).toEqual({ n: 1 });
  });

  it('fails over to the second server when the first is stopped', async () => {
    const a = await startServer();
    const b = await startServer();
    const c = client({ endpoints: [a.url, b.url] });
    await c.connect();
    expect(c.getSnapshot().endpoint).toBe(a.url);
    await a.server.stop();
    await waitFor(() => c.getSnapshot().state === 'connected' && c.getSnapshot().endpoint === b.url);
  });

  it('E2E: every frame encrypted, request round trip; pinned identity verified', async () => {
    const identity = await generateIdentityKeyPair();
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', identity.publicKey));
    const { server, url } = await startServer({ identityKey: identity, requireEncryption: true });
    echo(server);
    const c = client({ endpoints: url, encryption: { serverIdentityKey: base64Encode(raw) } });
    await c.connect();
    expect(c.getSnapshot().encrypted).toBe(true);
    await expect(c.request('echo', { secret: 's3cr3t' })).resolves.toEqual({ secret: 's3cr3t' });
  });

  it('E2E: refuses a server whose identity does not match the pinned key', async () => {
    const identity = await generateIdentityKeyPair();
    const other = await generateIdentityKeyPair();
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', other.publicKey));
    const { url } = await startServer({ identityKey: identity });
    const c = client({ endpoints: url, encryption: { serverIdentityKey: base64Encode(raw) } });
    const errors: WSEError[] = [];
    c.on('error', (e) => errors.push(e));
    await expect(c.connect()).rejects.toMatchObject({ code: 'KEY_EXCHANGE_FAILED' });
    expect(errors.some((e) => e.code === 'KEY_EXCHANGE_FAILED')).toBe(true);
  });

  it('queues sends while the server is down and flushes them in order', async () => {
    const proxy = await startProxy();
    const c = client({ endpoints: proxy.url });
    for (let i = 0; i < 5; i++) c.send('note', { i });
    expect(c.getSnapshot().queued).toBe(5);
    const { server, port } = await startServer();
    const seen: number[] = [];
    server.on('message', (ev) => {
      if (ev.t === 'note') seen.push(ev.p.i as number);
    });
    proxy.target.port = port;
    await waitFor(() => seen.length === 5);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(c.getSnapshot().queued).toBe(0);
  });

  it('refreshes the token before it expires and keeps the connection', async () => {
    const { url } = await startServer({ auth: { secret: SECRET, leewaySec: 0 }, pingInterval: 300 });
    let calls = 0;
    const c = client({
      endpoints: url,
      token: () => {
        calls += 1;
        return token('ada', { expSec: 3 });
      },
    });
    let drops = 0;
    c.on('disconnected', () => {
      drops += 1;
    });
    await c.connect();
    const id = c.getSnapshot().connectionId;
    await new Promise((r) => setTimeout(r, 4_500));
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(drops).toBe(0);
    expect(c.getSnapshot()).toMatchObject({ state: 'connected', connectionId: id });
  });
});
