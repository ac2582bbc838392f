/**
 * Our client's E2E against the reference server (docs-site/protocol §6): version 2 by default, frames never
 * compressed inside `E:`, key rotation under traffic in both directions, and the server's request.
 */
import type { WSEServerOptions } from '@wse/ref-server';
import { afterEach, describe, expect, it } from 'vitest';
import NodeWebSocket from 'ws';
import { startServer as startTestServer, type TestServer } from '../../../test/support/wse-server';
import { createClient, type WSEClient } from '../src/client/client';
import type { ClientOptions } from '../src/client/types';
import type { WebSocketConstructor } from '../src/transport/websocket-transport';

const cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

async function startServer(options: WSEServerOptions = {}): Promise<TestServer> {
  const started = await startTestServer(options);
  cleanup.push(() => started.server.stop());
  return started;
}

/** Every frame on the wire, both ways, as bytes (text frames as their UTF-8). */
const wire = { sent: [] as Uint8Array[], received: [] as Uint8Array[] };
const bytes = (d: unknown): Uint8Array =>
  typeof d === 'string' ? new TextEncoder().encode(d) : new Uint8Array(d as ArrayBuffer);
class RecordingSocket extends NodeWebSocket {
  constructor(url: string, options?: { headers?: Record<string, string> }) {
    super(url, options);
  }
  override send(data: string | ArrayBufferLike | ArrayBufferView): void {
    wire.sent.push(
      bytes(
        ArrayBuffer.isView(data)
          ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
          : data,
      ),
    );
    super.send(data);
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message')
      wire.received.push(bytes(args[0] instanceof Buffer ? new Uint8Array(args[0]) : args[0]));
    return super.emit(event, ...args);
  }
}

function client(options: ClientOptions): WSEClient {
  const c = createClient({
    reconnect: false,
    offline: false,
    encryption: true,
    env: { WebSocket: RecordingSocket as unknown as WebSocketConstructor },
    ...options,
  });
  c.on('error', () => {});
  cleanup.push(() => c.close());
  return c;
}

const isE = (b: Uint8Array) => b[0] === 0x45 && b[1] === 0x3a;

function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
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

describe('core-client E2E', () => {
  it('uses version 2; a subscribe at connect and a 4 KB message each way travel as E: over JSON', async () => {
    const { server, url } = await startServer();
    const got: string[] = [];
    server.on('message', (ev) => got.push(String((ev.p as { pad: string }).pad ?? '')));
    const c = client({ endpoints: url, topics: ['big'] });
    const pads: string[] = [];
    c.on('big', (ev) => pads.push((ev.payload as { pad: string }).pad));
    await c.connect();
    const conn = server.connections()[0];
    expect(server.connectionInfo(conn?.id ?? '')?.e2e?.version).toBe(2);
    await waitFor(() => (server.connectionInfo(conn?.id ?? '')?.topics ?? []).includes('big'));
    wire.sent.length = 0;
    wire.received.length = 0;
    c.send('up', { pad: 'u'.repeat(4096) });
    server.broadcast('big', { t: 'big', p: { pad: 'd'.repeat(4096) } });
    await waitFor(() => got.length === 1 && pads.length === 1);
    expect(got[0]).toHaveLength(4096);
    expect(pads[0]).toHaveLength(4096);
    // 'u' × 4096 deflates to a few dozen bytes: a frame this long was not compressed before sealing.
    const up = wire.sent.filter(isE);
    expect(up.some((f) => f.length > 4096)).toBe(true);
    const down = wire.received.filter(isE);
    expect(down.some((f) => f.length > 4096)).toBe(true);
    expect(wire.received.every(isE)).toBe(true);
  });

  it('rotates every 200 ms under a 2 000-message stream both ways: every message once, in order', async () => {
    const { server, url } = await startServer();
    const up: number[] = [];
    server.on('message', (ev) => {
      if (ev.t === 'up') up.push((ev.p as { i: number }).i);
    });
    const c = client({ endpoints: url, topics: ['rot'], keyRotationIntervalMs: 200 });
    const down: number[] = [];
    c.on('down', (ev) => down.push((ev.payload as { i: number }).i));
    await c.connect();
    const id = server.connections()[0]?.id ?? '';
    await waitFor(() => (server.connectionInfo(id)?.topics ?? []).includes('rot'));
    const N = 2000;
    for (let i = 0; i < N; i++) {
      c.send('up', { i });
      server.broadcast('rot', { t: 'down', p: { i } });
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 25)); // ≥ 5 s: rotations mid-stream
    }
    await waitFor(() => up.length >= N && down.length >= N, 20_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(up).toEqual([...Array(N).keys()]);
    expect(down).toEqual([...Array(N).keys()]);
    expect(server.connectionInfo(id)?.e2e?.rotations).toBeGreaterThanOrEqual(2);
    expect(c.getSnapshot().state).toBe('connected');
  });

  it('rotates when the server asks (e2e_rekey_request), with the new key signed by the pinned identity', async () => {
    const identity = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', identity.publicKey));
    const { server, url } = await startServer({ identityKey: identity });
    const echoes: number[] = [];
    server.on('message', (ev) => {
      if (ev.t === 'echo') server.reply(ev.connId, ev.cid, ev.p);
    });
    const c = client({
      endpoints: url,
      encryption: { serverIdentityKey: btoa(String.fromCharCode(...raw)) },
      keyRotationIntervalMs: 0,
    });
    await c.connect();
    const id = server.connections()[0]?.id ?? '';
    expect(server.requestKeyRotation(id)).toBe(true);
    // The server takes the new receive key at our first frame under it: keep talking until then.
    for (let i = 0; i < 100 && server.connectionInfo(id)?.e2e?.rotations !== 1; i++) {
      echoes.push(((await c.request('echo', { i })) as { i: number }).i);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(server.connectionInfo(id)?.e2e?.rotations).toBe(1);
    expect(echoes).toEqual([...Array(echoes.length).keys()]);
    expect(c.getSnapshot().state).toBe('connected');
  });
});
