// Floods and close codes from issue 18 (items 10, 11, 12): what a hostile client gets back must be
// bounded by what it is allowed to send, and a connection the server ends must learn why (a close
// code, not 1006 — where the server can send one). Each test names the item it guards; on a main
// without the fix it fails.
import { describe, expect, it } from 'vitest';
import { HostileSocket, sleep } from './support/clients';
import { perTest } from './support/per-test';
import { record } from './support/results';

const SUITE = 'flood-attacks';
const { cleanup, server } = perTest();

async function hostile(url: string): Promise<HostileSocket> {
  const h = await HostileSocket.open(url);
  cleanup.push(() => h.end(100));
  return h;
}

const count = (list: string[], code: string) => list.filter((c) => c === code).length;

describe('floods and close codes', () => {
  // Issue 18 item 10 — fails until RATE_LIMITED is sent at most once per second per connection
  // (with the count): today every dropped frame gets its own error, doubling the traffic.
  it('5 000 frames over a 50-token bucket: at most one RATE_LIMITED per second back (item 10)', async () => {
    const srv = await server({ rateLimit: { capacity: 50, refillPerSec: 50 } });
    const h = await hostile(srv.url);
    const t0 = performance.now();
    for (let i = 0; i < 5000; i++) h.sendJson({ t: 'chat', p: { i } });
    await sleep(2000);
    const seconds = (performance.now() - t0) / 1000;
    const limited = count(h.errors, 'RATE_LIMITED');
    const bound = Math.ceil(seconds) + 1;
    record(
      SUITE,
      'RATE_LIMITED replies to a 5 000-frame burst',
      { framesSent: 5000, rateLimitedErrors: limited, windowS: Math.round(seconds * 10) / 10 },
      { bound: `≤ ${bound} (one per second)`, passed: limited >= 1 && limited <= bound, item: '10' },
    );
    expect(limited).toBeGreaterThanOrEqual(1);
    expect(limited).toBeLessThanOrEqual(bound);
  }, 30_000);

  // Issue 18 item 11 — fails until undecodable frames are charged by the rate limit: today 1 000
  // garbage frames get 1 000 error replies whatever the bucket says.
  it('1 000 undecodable frames over a 50-token bucket: the errors back are bounded by the bucket (item 11)', async () => {
    const srv = await server({ rateLimit: { capacity: 50, refillPerSec: 50 } });
    const h = await hostile(srv.url);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) h.send(`not json ${i}`);
    await sleep(1500);
    const seconds = (performance.now() - t0) / 1000;
    // What the bucket allows (capacity + refill over the window) plus one RATE_LIMITED per second.
    const bound = 50 + Math.ceil(50 * seconds) + Math.ceil(seconds) + 1;
    const replies = h.errors.length;
    record(
      SUITE,
      'error replies to 1 000 undecodable frames',
      { framesSent: 1000, errorReplies: replies, invalidMessage: count(h.errors, 'INVALID_MESSAGE') },
      { bound: `≤ ${bound} (bucket + refill + one RATE_LIMITED/s)`, passed: replies <= bound, item: '11' },
    );
    expect(replies).toBeGreaterThan(0);
    expect(replies).toBeLessThanOrEqual(bound);
  }, 30_000);

  // Issue 18 item 12 — fails until the server sends the close frame before dropping a slow
  // consumer: today it sees 1006 instead of 4008 and cannot tell it must reconnect and recover.
  it('a slow consumer learns 4008 (item 12)', async () => {
    const srv = await server({ maxBackpressure: 64 * 1024, slowConsumerGraceMs: 300 });
    const h = await hostile(srv.url);
    h.sendJson({ t: 'subscription_update', p: { action: 'subscribe', topics: ['feed'] }, cid: 's' });
    await h.waitCid('s', 5000);
    h.ws.pause(); // reads nothing: the server's unsent bytes pass maxBackpressure
    await srv.call('pump', { topic: 'feed', count: 40_000, perTick: 400, intervalMs: 1, pad: 500 });
    await sleep(2000);
    h.ws.resume();
    // The close frame comes after everything already buffered for it (megabytes): on a loaded box
    // reading that took over 5 s once, so allow up to 20 s for the close to arrive.
    await Promise.race([h.closed, sleep(20_000)]);
    record(
      SUITE,
      'slow consumer close code',
      { closeCode: h.closeCode ?? 'open' },
      { bound: '4008', passed: h.closeCode === 4008, item: '12' },
    );
    expect(h.closeCode).toBe(4008);
  }, 45_000);

  // Issue 18 item 12 asked for 1007; decided in the ref-server README ("Close codes"): uWS 20.30
  // drops a socket with invalid UTF-8 in a text frame itself, before the app sees the frame, so
  // 1007 cannot be sent. What must hold: the frame is never processed, the socket goes, the server
  // and its other connections stay up.
  it('invalid UTF-8 in a text frame: the socket is dropped (1006, decided), the server and a bystander stay up', async () => {
    const srv = await server({});
    const bystander = await hostile(srv.url);
    const h = await hostile(srv.url);
    h.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    await Promise.race([h.closed, sleep(3000)]);
    bystander.sendJson({ t: 'ping', p: {}, cid: 'after' });
    const answered = await bystander.waitCid('after', 3000);
    const passed = h.closeCode === 1006 && h.frames.length === 0 && answered && srv.alive();
    record(
      SUITE,
      'invalid UTF-8 text frame close code',
      { closeCode: h.closeCode ?? 'open', repliesToIt: h.frames.length, bystanderAnswered: answered },
      {
        bound: '1006 (uWS closes first: decided), nothing processed, bystander answered',
        passed,
        item: '12',
      },
    );
    expect(h.closeCode).toBe(1006);
    expect(h.frames).toEqual([]);
    expect(answered).toBe(true);
    expect(srv.alive()).toBe(true);
  }, 30_000);
});
