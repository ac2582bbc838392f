import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { deflateSync } from 'node:zlib';
import { hexToBytes, ProtocolError, wireCodeOf } from '@wse/core-client/protocol';
import { loadVectors } from '@wse/core-client/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { startServer, TestClient } from './helpers';

const MAX = 64 * 1024;
let server: WSEServer;
let url: string;
let port: number;
let bystander: TestClient;
const seen: string[] = [];

beforeAll(async () => {
  ({ server, url, port } = await startServer({
    maxMessageSize: MAX,
    maxBackpressure: 64 * 1024,
    slowConsumerGraceMs: 200,
  }));
  server.on('message', (ev) => {
    seen.push(ev.t);
    if (ev.t === 'explode') throw new Error('handler bug');
  });
  bystander = await TestClient.ready(url);
});

afterAll(async () => {
  // every other connection was unaffected by everything below
  bystander.send({ t: 'ping', p: {}, cid: 'still-here' });
  expect((await bystander.next('PONG')).cid).toBe('still-here');
  expect(server.isRunning()).toBe(true);
  await server.stop();
});

const vectors = loadVectors();

describe('malformed frames (every codec error kind)', () => {
  it.each(vectors.invalid.filter((v) => !v.withKey).map((v) => [v.name, v] as const))(
    '%s → error frame, connection stays usable',
    async (_name, v) => {
      const c = await TestClient.ready(url);
      const bytes = hexToBytes(v.hex);
      c.sendRaw(v.wire === 'text' ? Buffer.from(bytes).toString('utf8') : bytes);
      const expected = wireCodeOf(new ProtocolError(v.code as never, 'x'));
      const err = await c.error(expected);
      expect(err.p.reason).toBe(v.code);
      c.send({ t: 'ping', p: {} });
      await c.next('PONG');
      c.close();
    },
  );

  it('on an E2E (v1) connection: short E: frames → INVALID_MESSAGE, forged ones → DECRYPTION_FAILED', async () => {
    const c = await TestClient.connect(url);
    await c.helloEncrypted();
    for (const v of vectors.invalid.filter((x) => x.withKey)) {
      c.sendRaw(hexToBytes(v.hex));
      await c.error(wireCodeOf(new ProtocolError(v.code as never, 'x')));
    }
    const forged = new Uint8Array(2 + 12 + 32);
    forged.set([0x45, 0x3a]);
    c.sendRaw(forged);
    await c.error('DECRYPTION_FAILED');
    c.send({ t: 'ping', p: {} });
    await c.next('PONG');
    c.close();
  });

  it('a C: frame that inflates past maxMessageSize → MESSAGE_TOO_LARGE (no allocation)', async () => {
    const c = await TestClient.ready(url);
    const json = JSON.stringify({ t: 'x', p: { pad: '0'.repeat(MAX * 4) } });
    const z = deflateSync(json);
    expect(z.length).toBeLessThan(MAX);
    c.sendRaw(Buffer.concat([Buffer.from('C:'), z]));
    await c.error('MESSAGE_TOO_LARGE');
    c.close();
  });

  it('a frame over maxMessageSize closes that connection with 1009', async () => {
    const c = await TestClient.ready(url);
    c.sendRaw(JSON.stringify({ t: 'x', p: { pad: 'y'.repeat(MAX + 10) } }));
    expect((await c.closed).code).toBe(1009);
  });
});

describe('application-level bad input', () => {
  it('unknown types reach the app as message events', async () => {
    const c = await TestClient.ready(url);
    c.send({ t: 'totally_unknown_type', p: { a: 1 } });
    c.send({ t: 'ping', p: {} });
    await c.next('PONG');
    expect(seen).toContain('totally_unknown_type');
    c.close();
  });

  it('a throwing handler → HANDLER_ERROR to that connection only', async () => {
    const c = await TestClient.ready(url);
    c.send({ t: 'explode', p: {}, cid: 'boom' });
    expect((await c.error('HANDLER_ERROR')).cid).toBe('boom');
    expect(await bystander.quiet('error', 50)).toBe(true);
    c.close();
  });
});

/** A masked client text frame (what a browser would send), built by hand for the raw socket. */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  if (payload.length >= 126) throw new Error('keep it short');
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

describe('slow consumers', () => {
  it('a client that never reads loses publications and is closed with 4008; others keep theirs', async () => {
    const reader = await TestClient.ready(url);
    reader.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['flood'] } });
    await reader.next('subscription_update');
    // Only the raw socket's close counts: under CI load a reader that lagged would also get 4008.
    let stalledClosed = false;
    const closed = new Promise<number>((resolve) => {
      const off = server.on('disconnect', (ev) => {
        if (ev.connId !== reader.id && ev.code === 4008) {
          off();
          stalledClosed = true;
          resolve(ev.code);
        }
      });
    });
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.pause(); // never read: the kernel buffers fill, then uWS's backpressure grows
    sock.write(
      'GET /wse HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await new Promise((r) => setTimeout(r, 50)); // like a browser, speak only after the 101
    sock.write(
      clientFrame(
        JSON.stringify({ t: 'subscription_update', p: { action: 'subscribe', topics: ['flood'] } }),
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    const chunk = randomBytes(192 * 1024).toString('base64'); // incompressible: C: would shrink 'zzz…'
    // The reader paces the publisher (one publication in flight), so it never lags itself;
    // the raw socket reads nothing, so its backlog only grows until the server closes it.
    const got: number[] = [];
    let sent = 0;
    while (!stalledClosed) {
      server.broadcast('flood', { t: 'flood', p: { n: sent++, chunk } });
      got.push((await reader.next('flood', 10_000)).p.n as number);
    }
    expect(await closed).toBe(4008);
    expect(server.healthSnapshot().slow_consumers).toBeGreaterThanOrEqual(1);
    expect(got).toEqual([...Array(sent).keys()]);
    expect(reader.frames.some((f) => f.t === 'error')).toBe(false);
    sock.destroy();
    reader.close();
  });
});
