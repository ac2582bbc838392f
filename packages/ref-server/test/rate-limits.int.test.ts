import { describe, expect, it } from 'vitest';
import { SECRET, startServer, TestClient, token } from './helpers';

const errors = (c: TestClient, code?: string) =>
  c.frames.filter((f) => f.t === 'error' && (code === undefined || f.p.code === code));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate limit (issue 18 items 10, 11)', () => {
  it('sends RATE_LIMITED at most once a second, with the count of dropped frames', async () => {
    const { server, url } = await startServer({ rateLimit: { capacity: 5, refillPerSec: 0 } });
    const c = await TestClient.ready(url); // client_hello took 1 token: 4 left
    for (let i = 0; i < 50; i++) c.send({ t: 'ping', p: {} });
    await sleep(300);
    expect(c.frames.filter((f) => f.t === 'PONG')).toHaveLength(4);
    const first = errors(c, 'RATE_LIMITED');
    expect(first).toHaveLength(1);
    expect(first[0]?.p.dropped).toBe(1);
    await sleep(800);
    c.send({ t: 'ping', p: {} });
    const second = await c.next((f) => f.t === 'error' && f.p.code === 'RATE_LIMITED' && f !== first[0]);
    // 46 dropped in the burst (the first one was reported), plus this one.
    expect(second.p.dropped).toBe(46);
    expect(server.healthSnapshot().rate_limited).toBe(47);
    await server.stop();
  });

  it('counts undecodable frames against the limit (no error reply per garbage frame)', async () => {
    const { server, url } = await startServer({ rateLimit: { capacity: 5, refillPerSec: 0 } });
    const c = await TestClient.ready(url);
    for (let i = 0; i < 200; i++) c.sendRaw('{not json');
    await sleep(400);
    // 4 tokens left → 4 INVALID_MESSAGE replies, then one RATE_LIMITED for the other 196.
    expect(errors(c, 'INVALID_MESSAGE')).toHaveLength(4);
    expect(errors(c, 'RATE_LIMITED')).toHaveLength(1);
    expect(errors(c)).toHaveLength(5);
    await server.stop();
  });

  it('a flood of bad E: frames costs no more replies than the limit allows', async () => {
    const { server, url } = await startServer({ rateLimit: { capacity: 5, refillPerSec: 0 } });
    const c = await TestClient.connect(url);
    await c.helloEncrypted(); // 1 token
    const forged = new Uint8Array(2 + 12 + 32);
    forged.set([0x45, 0x3a]);
    for (let i = 0; i < 200; i++) c.sendRaw(forged);
    await sleep(500);
    // At most 4 decrypt attempts (and encrypted error replies), plus one RATE_LIMITED.
    expect(errors(c).length).toBeLessThanOrEqual(5);
    expect(errors(c, 'RATE_LIMITED').length).toBeLessThanOrEqual(1);
    await server.stop();
  });

  it('charges big frames by size: 1 token plus 1 per KiB', async () => {
    const { server, url } = await startServer({ rateLimit: { capacity: 100, refillPerSec: 0 } });
    const c = await TestClient.ready(url); // 99 left
    const big = JSON.stringify({ t: 'big', p: { pad: 'x'.repeat(50 * 1024) } });
    c.sendRaw(big); // 1 + 50 tokens → 48 left
    c.sendRaw(big); // needs 51: dropped
    await c.error('RATE_LIMITED');
    await server.stop();
  });
});

describe('before authentication (issue 18 item 5)', () => {
  it('refuses a first frame over 16 KiB unread, even a client_hello with a valid token', async () => {
    const { server, url } = await startServer({ auth: { secret: SECRET, inBandTimeoutMs: 2000 } });
    const big = await TestClient.connect(url, { waitReady: false });
    const hello = { t: 'client_hello', p: { token: await token('ada'), pad: 'x'.repeat(20 * 1024) } };
    big.sendRaw(JSON.stringify(hello));
    const err = await big.error('AUTH_REQUIRED');
    expect(String(err.p.message)).toMatch(/16384 bytes/);
    expect((await big.closed).code).toBe(4401);
    // The same hello compressed (C:, a few hundred bytes) inflates past the bound: refused too.
    const zipped = await TestClient.connect(url, { waitReady: false });
    zipped.send(hello);
    expect((await zipped.error('AUTH_REQUIRED')).p.reason).toBe('FRAME_TOO_LARGE');
    expect((await zipped.closed).code).toBe(4401);
    // A deep 1 MiB frame before the token is refused the same way, never parsed.
    const deep = await TestClient.connect(url, { waitReady: false });
    deep.sendRaw('['.repeat(1024 * 1024 - 1));
    await deep.error('AUTH_REQUIRED');
    expect((await deep.closed).code).toBe(4401);
    // A normal hello is fine.
    const ok = await TestClient.connect(url, { waitReady: false });
    ok.send({ t: 'client_hello', p: { token: await token('bob') } });
    await ok.next('server_ready');
    ok.close();
    await server.stop();
  });
});
