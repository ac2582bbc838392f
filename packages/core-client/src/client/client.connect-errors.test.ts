import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeOptions, FakeWSEServer, settle } from '../../test/fake-wse-server';
import { ManualClock } from '../env/manual-clock';
import { ManualEnvironment } from '../env/manual-environment';
import { AuthError, TimeoutError, type WSEError } from '../protocol/errors';
import type { MemoryServerSocket } from '../transport/memory-transport';
import { createClient } from './client';
import type { ClientOptions } from './types';

// Issue 15.4 (auth errors that say what happened) and 15.5 (connect() against a server that is down).
function setup(fake: FakeOptions = {}, options: Partial<ClientOptions> = {}, listen = true) {
  const server = new FakeWSEServer(fake);
  const clock = new ManualClock(1_000_000);
  const client = createClient({
    endpoints: ['memory://a'],
    offline: { storage: 'memory' },
    ...options,
    env: { clock, random: () => 0.5, transport: server.factory, environment: new ManualEnvironment(true) },
  });
  const errors: WSEError[] = [];
  if (listen) client.on('error', (e) => errors.push(e));
  return { server, clock, client, errors };
}

/** The server refuses the token like ours does: an `error` frame, then the auth close. */
function refuseOnConnect(server: FakeWSEServer, code: string, message: string, close = 4401) {
  server.memory.onConnection = (socket) => sendAndClose(socket, code, message, close);
}

/** The error frame, then the close right behind it (the close lands while the frame is decoded). */
function sendAndClose(socket: MemoryServerSocket, code: string, message: string, close: number) {
  queueMicrotask(() => {
    socket.send(JSON.stringify({ c: 'WSE', t: 'error', p: { code, message } }));
    queueMicrotask(() => socket.close(close, code));
  });
}

afterEach(() => vi.restoreAllMocks());
// connect({ timeoutMs | failFast }) loads its code as a lazy chunk: load it once up front, so the
// simulated clock below is not racing the module transform.
beforeAll(async () => {
  await import('./connect-bound');
});

describe('auth errors keep the server code and message', () => {
  it('AUTH_REQUIRED reaches the connect() rejection, lastError and the error event', async () => {
    const { server, client, errors } = setup({ ready: false });
    refuseOnConnect(server, 'AUTH_REQUIRED', 'send a token (header, cookie, query or client_hello.p.token)');
    const p = client.connect().catch((e: unknown) => e);
    await settle();
    const err = await p;
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'AUTH_REQUIRED', message: expect.stringContaining('send a token') });
    expect(client.getSnapshot().state).toBe('failed');
    expect(client.getSnapshot().lastError).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(errors.map((e) => e.code)).toContain('AUTH_REQUIRED');
  });

  it('a malformed token: AUTH_FAILED with "token is malformed", not a generic message', async () => {
    const { server, client } = setup({ ready: false }, { token: 'x.y' });
    refuseOnConnect(server, 'AUTH_FAILED', 'token is malformed');
    const err = await Promise.all([client.connect(), settle()]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AUTH_FAILED', message: 'token is malformed' });
  });

  it('with no error frame, a close reason that names a code is used', async () => {
    const { server, client } = setup({ ready: false });
    server.memory.onConnection = (socket) => queueMicrotask(() => socket.close(4401, 'AUTH_REQUIRED'));
    const err = await Promise.all([client.connect(), settle()]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AUTH_REQUIRED' });
  });
});

describe('expired tokens do not reconnect forever', () => {
  it('a fixed string token refused with 4403 is terminal', async () => {
    const { server, client } = setup({ ready: false }, { token: 'expired' });
    refuseOnConnect(server, 'AUTH_EXPIRED', 'token expired', 4403);
    const err = await Promise.all([client.connect(), settle()]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AUTH_EXPIRED', message: 'token expired' });
    expect(client.getSnapshot().state).toBe('failed');
    expect(server.conns.length).toBeLessThanOrEqual(1);
  });

  it('a token function is called once more; when that token fails too, the client stops', async () => {
    let calls = 0;
    let connections = 0;
    const { server, client, clock } = setup({ ready: false }, { token: () => `tok-${++calls}` });
    server.memory.onConnection = (socket) => {
      connections++;
      sendAndClose(socket, 'AUTH_EXPIRED', 'token expired', 4403);
    };
    const p = client.connect().catch((e: unknown) => e);
    for (let i = 0; i < 10; i++) {
      await settle();
      clock.advance(30_000);
    }
    expect(await p).toMatchObject({ code: 'AUTH_EXPIRED' });
    expect(client.getSnapshot().state).toBe('failed');
    expect(connections).toBe(2);
  });

  it('4401 with a token function: one fresh token that works connects', async () => {
    let calls = 0;
    const { server, client, clock } = setup({}, { token: () => `tok-${++calls}` });
    const accept = server.memory.onConnection;
    let n = 0;
    server.memory.onConnection = (socket) => {
      if (++n === 1) {
        queueMicrotask(() => socket.close(4401, 'AUTH_FAILED'));
        return;
      }
      accept?.(socket);
    };
    const p = client.connect();
    for (let i = 0; i < 5 && client.getSnapshot().state !== 'connected'; i++) {
      await settle();
      clock.advance(1_000);
    }
    await p;
    expect(client.getSnapshot()).toMatchObject({ state: 'connected', lastError: null });
  });
});

describe('connect() against a server that is down', () => {
  it('connect({ timeoutMs }) rejects with CONNECT_TIMEOUT and stops retrying', async () => {
    const { server, client, clock } = setup();
    server.memory.refuse = true;
    const start = clock.now();
    let done = false;
    const p = client.connect({ timeoutMs: 3_000 }).catch((e: unknown) => e);
    void p.then(() => {
      done = true;
    });
    for (let i = 0; i < 50 && !done; i++) {
      await settle();
      clock.advance(500);
    }
    const err = await p;
    expect(clock.now() - start).toBeGreaterThanOrEqual(3_000);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'CONNECT_TIMEOUT' });
    expect(client.getSnapshot().state).toBe('closed');
    const attempts = server.conns.length;
    clock.advance(60_000);
    await settle();
    expect(server.conns.length).toBe(attempts);
  });

  it('connect({ failFast: true }) rejects at the first failed attempt', async () => {
    const { server, client } = setup();
    server.memory.refuse = true;
    const err = await Promise.all([client.connect({ failFast: true }), settle()]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(client.getSnapshot().state).toBe('closed');
  });

  it('a bounded connect to a server that is up resolves and clears its timer', async () => {
    const { client, clock } = setup();
    const p = client.connect({ timeoutMs: 3_000, failFast: true });
    await settle();
    await p;
    clock.advance(10_000);
    await settle();
    expect(client.getSnapshot().state).toBe('connected');
  });

  it('an unhandled connection failure is reported once on the console (development)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { server, client, clock } = setup({}, {}, false);
    server.memory.refuse = true;
    void client.connect().catch(() => {});
    for (let i = 0; i < 5; i++) {
      await settle();
      clock.advance(30_000);
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(
      /cannot connect to memory:\/\/a.*on\('error'\).*timeoutMs/,
    );
    await client.close();
  });

  it('no console warning when an error listener is there, nor in production', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { server, client, clock } = setup();
    server.memory.refuse = true;
    void client.connect().catch(() => {});
    await settle();
    clock.advance(30_000);
    await settle();
    await client.close();
    vi.stubEnv('NODE_ENV', 'production');
    const quiet = setup({}, {}, false);
    quiet.server.memory.refuse = true;
    void quiet.client.connect().catch(() => {});
    await settle();
    vi.unstubAllEnvs();
    await quiet.client.close();
    expect(warn).not.toHaveBeenCalled();
  });
});
