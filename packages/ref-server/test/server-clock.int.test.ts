// The server's timers run on its injected clock (issue 17.4): with a ManualClock nothing fires until
// the test advances it — the in-band auth deadline, the idle sweep and drainInbound()'s timeout —
// against the real server on port 0.
import { ManualClock } from '@wse/core-client/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { SECRET, startServer, TestClient } from './helpers';

const realWait = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves to 'pending' if `p` has not settled within `ms` of real time. */
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, realWait(ms).then(() => 'pending' as const)]);

let server: WSEServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('server timers on an injected clock', () => {
  it('in-band auth deadline: fires when the clock passes it, not before', async () => {
    const clock = new ManualClock(Date.now());
    let url: string;
    ({ server, url } = await startServer({ clock, auth: { secret: SECRET, inBandTimeoutMs: 5_000 } }));
    const c = await TestClient.connect(url, { waitReady: false });
    expect(await within(c.closed, 300)).toBe('pending');
    clock.advance(4_999);
    expect(await within(c.closed, 200)).toBe('pending');
    clock.advance(1);
    expect(await c.error('AUTH_REQUIRED')).toBeTruthy();
    expect((await c.closed).code).toBe(4401);
  });

  it('idle sweep: a silent connection is closed with 1000 once the clock passes idleTimeout', async () => {
    const clock = new ManualClock(Date.now());
    let url: string;
    ({ server, url } = await startServer({ clock, idleTimeout: 60_000, pingInterval: 25_000 }));
    const c = await TestClient.ready(url);
    expect(await within(c.closed, 300)).toBe('pending');
    clock.advance(59_000);
    expect(await within(c.closed, 200)).toBe('pending');
    expect(c.frames.filter((f) => f.t === 'ping').length).toBeGreaterThanOrEqual(2); // sweep pings
    clock.advance(2_000);
    expect(await c.closed).toEqual({ code: 1000, reason: 'idle timeout' });
  });

  it('drainInbound() times out on the clock; drain() closes with 4300', async () => {
    const clock = new ManualClock(Date.now());
    let url: string;
    ({ server, url } = await startServer({ clock }));
    const inbound = server.drainInbound(10, 5_000);
    expect(await within(inbound, 200)).toBe('pending');
    clock.advance(5_000);
    expect(await inbound).toEqual([]);

    const c = await TestClient.ready(url);
    await server.drain({ timeoutMs: 10_000 }); // its poll runs on the clock; the closes are immediate
    expect((await c.closed).code).toBe(4300);
  });
});
