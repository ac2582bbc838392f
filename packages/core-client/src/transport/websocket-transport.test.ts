import { WebSocket as MockWebSocket, Server } from 'mock-socket';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../client/client';
import { buildEnvelope, decodeFrame, encodeFrame, toBytes } from '../protocol';
import type { TransportFrame } from './transport';
import { createWebSocketTransportFactory, toFrame, type WebSocketConstructor } from './websocket-transport';

const Ctor = MockWebSocket as unknown as WebSocketConstructor;
let n = 0;
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop();
});

function mockServer() {
  const url = `ws://mock-${++n}.test/wse`;
  const server = new Server(url);
  servers.push(server);
  return { url, server };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

/** mock-socket hands typed arrays through as strings; send ArrayBuffers for binary frames. */
function binary(frame: string | Uint8Array): ArrayBuffer {
  const b = toBytes(frame);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

describe('websocket transport (mock-socket)', () => {
  it('normalizes frames: strings stay strings, binary becomes Uint8Array', () => {
    expect(toFrame('x')).toBe('x');
    expect(toFrame(new ArrayBuffer(3))).toEqual(new Uint8Array(3));
    expect(toFrame(new Uint16Array([1]))).toEqual(new Uint8Array([1, 0]));
    expect(toFrame({})).toBeNull();
  });

  it('opens, exchanges text and binary frames, reports the close code once', async () => {
    const { url, server } = mockServer();
    const got: TransportFrame[] = [];
    const closes: number[] = [];
    server.on('connection', (socket) => {
      socket.send('hello');
      socket.send(binary('{"t":"x"}'));
      socket.on('message', (data) => socket.send(typeof data === 'string' ? `echo:${data}` : 'bin'));
    });
    let opened = false;
    const t = createWebSocketTransportFactory(Ctor)(
      { url },
      {
        onOpen: () => {
          opened = true;
        },
        onMessage: (f) => got.push(f),
        onClose: (code) => closes.push(code),
        onError: () => {},
      },
    );
    await tick();
    expect(opened).toBe(true);
    t.send('ping');
    await tick();
    expect(got[0]).toBe('hello');
    expect(got[1]).toBeInstanceOf(Uint8Array);
    expect(got[2]).toBe('echo:ping');
    t.close(1000, 'bye');
    t.close(1000, 'again');
    await tick();
    expect(closes).toEqual([1000]);
    expect(() => t.send('late')).toThrow(/not open/);
  });

  it('drives a full client handshake over mock-socket', async () => {
    const { url, server } = mockServer();
    server.on('connection', (socket) => {
      socket.send(
        encodeFrame(
          buildEnvelope('server_ready', { details: { connection_id: 'm1', user_id: 'u' } }),
        ) as string,
      );
      socket.on('message', (data) => {
        const env = decodeFrame(data as string);
        if (env.t === 'client_hello') {
          const hello = buildEnvelope('server_hello', {
            connection_id: 'm1',
            ping_interval: 25_000,
            features: {},
          });
          socket.send(binary(encodeFrame(hello, { compressionThreshold: 0 }))); // a C: frame
        }
        if (env.t === 'echo')
          socket.send(encodeFrame(buildEnvelope('echo_reply', env.p, { cid: env.cid })) as string);
      });
    });
    const client = createClient({ endpoints: url, offline: false, env: { WebSocket: Ctor } });
    await client.connect();
    expect(client.getSnapshot()).toMatchObject({ state: 'connected', connectionId: 'm1', userId: 'u' });
    await expect(client.request('echo', { a: 1 })).resolves.toEqual({ a: 1 });
    await client.close();
  });
});
