import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { frameCeiling } from '../src/transport/frame-ceiling';
import { startServer, TestClient } from './helpers';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('close codes the client sees (issue 18 item 12, issue 15 item 7)', () => {
  it('a 3 MiB frame on a 1 MiB server closes with 1009 and a reason', async () => {
    const { server, url } = await startServer();
    expect(frameCeiling(MiB)).toBe(8 * MiB);
    const c = await TestClient.ready(url);
    c.sendRaw(JSON.stringify({ t: 'x', p: { pad: 'y'.repeat(3 * MiB) } }));
    const closed = await c.closed;
    expect(closed.code).toBe(1009);
    expect(closed.reason).toMatch(/exceeds maxMessageSize 1048576/);
    await server.stop();
  });

  it('past the hard ceiling (8 × maxMessageSize) uWS drops the socket: 1006, server unharmed', async () => {
    const { server, url } = await startServer({ maxMessageSize: 64 * 1024 });
    expect(frameCeiling(64 * 1024)).toBe(4 * MiB);
    const c = await TestClient.ready(url);
    c.sendRaw(JSON.stringify({ t: 'x', p: { pad: 'y'.repeat(5 * MiB) } }));
    expect((await c.closed).code).toBe(1006);
    const other = await TestClient.ready(url);
    other.send({ t: 'ping', p: {} });
    await other.next('PONG');
    other.close();
    await server.stop();
  });

  it('invalid UTF-8 in a text frame: uWS closes without a close frame (1006, documented), server unharmed', async () => {
    const { server, url } = await startServer();
    const seen = new Promise<{ code: number; reason: string }>((resolve) => {
      server.on('disconnect', (ev) => resolve({ code: ev.code, reason: ev.reason }));
    });
    const c = await TestClient.ready(url);
    c.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    // uWS 20.30 validates text frames before the app sees them and drops the socket with no
    // close frame: the client cannot get 1007. The server side reports the reason.
    expect((await c.closed).code).toBe(1006);
    expect(await seen).toMatchObject({ reason: 'Received invalid UTF-8' });
    const other = await TestClient.ready(url);
    other.send({ t: 'ping', p: {} });
    await other.next('PONG');
    other.close();
    await server.stop();
  });

  it('a slow consumer that reads again later sees 4008, not 1006', async () => {
    const { server, url } = await startServer({ maxBackpressure: 64 * 1024, slowConsumerGraceMs: 200 });
    const slow = await TestClient.ready(url);
    slow.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['flood'] } });
    await slow.next('subscription_update');
    const tcp = (slow.ws as unknown as { _socket: Socket })._socket;
    tcp.pause(); // stop reading: the kernel buffers fill, then uWS's backpressure grows
    const disconnect = new Promise<number>((resolve) => {
      server.on('disconnect', (ev) => resolve(ev.code));
    });
    const chunk = randomBytes(192 * 1024).toString('base64'); // incompressible
    let n = 0;
    const pump = setInterval(() => {
      for (let i = 0; i < 8; i++) server.broadcast('flood', { t: 'flood', p: { n: n++, chunk } });
    }, 5);
    while ((server.healthSnapshot() as { slow_consumers: number }).slow_consumers < 1) await sleep(20);
    await sleep(600); // past the grace period: the server has decided 4008
    clearInterval(pump);
    tcp.resume(); // reads what was buffered, then the close frame
    const closed = await Promise.race([
      slow.closed,
      sleep(15_000).then(() => ({ code: -1, reason: 'none' })),
    ]);
    expect(closed).toEqual({ code: 4008, reason: 'slow consumer' });
    expect(await disconnect).toBe(4008);
    await server.stop();
  }, 30_000);
});
