// Presence against the real server (docs-site/protocol §5): one member per user however many
// connections, a leave on every way a subscription ends, limits, queries that match the events,
// and the app's `presence` events.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WSEServerOptions } from '../src/options';
import type { WSEServer } from '../src/server';
import type { PresenceEvent } from '../src/session/event-hub';
import { type Frame, SECRET, startServer, TestClient, token } from './helpers';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Env {
  server: WSEServer;
  url: string;
  port: number;
  events: PresenceEvent[];
}

async function server(options: WSEServerOptions = {}): Promise<Env> {
  const s = await startServer({ auth: { secret: SECRET }, presence: {}, ...options });
  cleanup.push(() => s.server.stop());
  const events: PresenceEvent[] = [];
  s.server.on('presence', (ev) => {
    events.push(ev);
  });
  return { ...s, events };
}

async function user(env: Env, sub: string): Promise<TestClient> {
  const c = await TestClient.ready(env.url, {}, { authorization: `Bearer ${await token(sub)}` });
  cleanup.push(() => c.close());
  return c;
}

async function join(c: TestClient, topic: string, data?: unknown): Promise<Frame> {
  const cid = `j-${Math.random()}`;
  const p: Record<string, unknown> = { action: 'subscribe', topics: [topic] };
  if (data !== undefined) p.presence = data;
  c.send({ t: 'subscription_update', p, cid });
  return c.next((f) => f.t === 'subscription_update' && f.cid === cid);
}

async function query(c: TestClient, t: 'presence' | 'presence_stats', topic: string): Promise<Frame> {
  const cid = `q-${Math.random()}`;
  c.send({ t, p: { topic }, cid });
  return c.next((f) => f.cid === cid);
}

const presenceFrames = (c: TestClient) => c.frames.filter((f) => f.t.startsWith('presence_'));
const summary = (frames: Frame[]) => frames.map((f) => `${f.t.slice(9)}:${String(f.p.user_id)}`);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('presence', () => {
  it('a user with two connections joins once and leaves once; queries match the events', async () => {
    const env = await server();
    const watcher = await user(env, 'watcher');
    await join(watcher, 'room');
    const tab1 = await user(env, 'ada');
    const tab2 = await user(env, 'ada');
    await join(tab1, 'room', { name: 'Ada' });
    expect((await tab1.next('presence_join')).p).toEqual({
      topic: 'room',
      user_id: 'ada',
      data: { name: 'Ada' },
    });
    await join(tab2, 'room', { name: 'Ada' });
    const members = await query(watcher, 'presence', 'room');
    expect(members.t).toBe('presence');
    expect(members.p).toEqual({ topic: 'room', members: { ada: { data: { name: 'Ada' }, connections: 2 } } });
    expect((await query(watcher, 'presence_stats', 'room')).p).toEqual({
      topic: 'room',
      num_users: 1,
      num_connections: 2,
    });
    expect(env.server.presence('room')).toEqual({ ada: { data: { name: 'Ada' }, connections: 2 } });
    tab1.close();
    await wait(50);
    expect(env.server.presenceStats('room')).toEqual({ num_users: 1, num_connections: 1 });
    tab2.close();
    await watcher.next('presence_leave');
    await wait(30);
    expect(summary(presenceFrames(watcher))).toEqual(['join:ada']);
    expect(env.events.map((e) => `${e.action}:${e.userId}`)).toEqual(['join:ada', 'leave:ada']);
    expect((await query(watcher, 'presence', 'room')).p).toEqual({ topic: 'room', members: {} });
    expect(env.server.presenceStats('room')).toEqual({ num_users: 0, num_connections: 0 });
  });

  it('every way a subscription ends produces the leave', async () => {
    const env = await server({ idleTimeout: 300, pingInterval: 60_000 });
    const watcher = await user(env, 'watcher');
    await join(watcher, 'room');
    const keepAlive = setInterval(() => watcher.send({ t: 'ping', p: { timestamp: Date.now() } }), 50);
    cleanup.push(() => clearInterval(keepAlive));
    const paths: Record<string, (c: TestClient) => void | Promise<void>> = {
      unsubscribe: (c) =>
        c.send({ t: 'subscription_update', p: { action: 'unsubscribe', topics: ['room'] } }),
      'client close': (c) => c.close(),
      'socket killed': (c) => c.ws.terminate(),
      'server unsubscribeConnection': (c) => {
        env.server.unsubscribeConnection(c.id, ['room']);
      },
      'server disconnect': (c) => {
        env.server.disconnect(c.id, 4000, 'bye');
      },
      'idle timeout': () => {}, // sends nothing: closed with 1000 after idleTimeout
    };
    for (const [path, end] of Object.entries(paths)) {
      const c = await user(env, `u-${path.replace(/\W/g, '')}`);
      await join(c, 'room', { path });
      await watcher.next((f) => f.t === 'presence_join' && (f.p.data as { path: string }).path === path);
      await end(c);
      const leave = await watcher.next('presence_leave', 2000);
      expect(leave.p).toMatchObject({ topic: 'room', user_id: `u-${path.replace(/\W/g, '')}` });
    }
    expect(env.server.presenceStats('room')).toEqual({ num_users: 0, num_connections: 0 });
  });

  it('a slow consumer closed with 4008 leaves too', async () => {
    const env = await server({ maxBackpressure: 64 * 1024, slowConsumerGraceMs: 100 });
    const watcher = await user(env, 'watcher');
    await join(watcher, 'room');
    const sock = net.connect(env.port, '127.0.0.1');
    cleanup.push(() => sock.destroy());
    await new Promise((r) => sock.once('connect', r));
    sock.pause(); // never reads
    sock.write(
      'GET /wse HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Authorization: Bearer ${await token('slow')}\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await wait(50);
    sock.write(
      maskedFrame(
        JSON.stringify({
          t: 'subscription_update',
          p: { action: 'subscribe', topics: ['room'], presence: {} },
        }),
      ),
    );
    await watcher.next((f) => f.t === 'presence_join' && f.p.user_id === 'slow');
    const closed = new Promise<number>((resolve) => {
      env.server.on('disconnect', (ev) => {
        if (ev.userId === 'slow') resolve(ev.code);
      });
    });
    const slowId = env.server.connections().find((c) => c.userId === 'slow')?.id as string;
    const chunk = randomBytes(48 * 1024).toString('base64'); // incompressible: no tiny C: frames
    const pump = setInterval(() => {
      for (let i = 0; i < 4; i++) env.server.sendEvent(slowId, { t: 'big', p: { chunk } });
    }, 5);
    cleanup.push(() => clearInterval(pump));
    expect(await closed).toBe(4008);
    clearInterval(pump);
    expect((await watcher.next('presence_leave', 2000)).p).toMatchObject({ user_id: 'slow' });
  });

  it('presence_update (client and server API) reaches subscribers; queries follow', async () => {
    const env = await server();
    const ada = await user(env, 'ada');
    const bob = await user(env, 'bob');
    await join(ada, 'room', { status: 'here' });
    await join(bob, 'room', { status: 'here' });
    ada.send({ t: 'presence_update', p: { topic: 'room', data: { status: 'away' } } });
    expect((await bob.next('presence_update')).p).toEqual({
      topic: 'room',
      user_id: 'ada',
      data: { status: 'away' },
    });
    const bobId = env.server.connections().find((c) => c.userId === 'bob')?.id as string;
    expect(env.server.updatePresence(bobId, 'room', { status: 'busy' })).toBe(true);
    expect(env.server.updatePresence(bobId, 'elsewhere', {})).toBe(false);
    expect((await ada.next((f) => f.t === 'presence_update' && f.p.user_id === 'bob')).p.data).toEqual({
      status: 'busy',
    });
    expect((await query(ada, 'presence', 'room')).p.members).toEqual({
      ada: { data: { status: 'away' }, connections: 1 },
      bob: { data: { status: 'busy' }, connections: 1 },
    });
    expect(env.events.filter((e) => e.action === 'update').map((e) => e.userId)).toEqual(['ada', 'bob']);
  });

  it('enforces maxDataSize and maxMembers with PRESENCE_DATA_TOO_LARGE / PRESENCE_FULL', async () => {
    const env = await server({ presence: { maxDataSize: 64, maxMembers: 2 } });
    const a = await user(env, 'a');
    const big = await join(a, 'room', { blob: 'x'.repeat(100) });
    expect(big.p).toMatchObject({ success: true, success_topics: ['room'] }); // subscribed, not a member
    expect((await a.error('PRESENCE_DATA_TOO_LARGE')).p).toMatchObject({ topic: 'room', limit: 64 });
    expect(env.server.presenceStats('room').num_users).toBe(0);
    a.send({ t: 'presence_update', p: { topic: 'room', data: { ok: 1 } }, cid: 'u1' });
    await a.next('presence_join');
    a.send({ t: 'presence_update', p: { topic: 'room', data: 'y'.repeat(100) }, cid: 'u2' });
    expect((await a.error('PRESENCE_DATA_TOO_LARGE')).cid).toBe('u2');
    const b = await user(env, 'b');
    await join(b, 'room', {});
    const c = await user(env, 'c');
    await join(c, 'room', {});
    const full = await c.error('PRESENCE_FULL');
    expect(full.p).toMatchObject({ topic: 'room', limit: 2 });
    const b2 = await user(env, 'b'); // an existing member's second tab is not a new member
    await join(b2, 'room', {});
    expect(await b2.quiet((f) => f.t === 'error', 100)).toBe(true);
    expect(env.server.presenceStats('room')).toEqual({ num_users: 2, num_connections: 3 });
  });

  it('queries need a subscription; with presence off they reach the app', async () => {
    const env = await server();
    const a = await user(env, 'a');
    expect((await query(a, 'presence', 'room')).p).toMatchObject({ code: 'FORBIDDEN' });
    const off = await startServer({ auth: false });
    cleanup.push(() => off.server.stop());
    const seen: string[] = [];
    off.server.on('message', (ev) => {
      seen.push(ev.t);
    });
    const c = await TestClient.ready(off.url);
    cleanup.push(() => c.close());
    c.send({ t: 'presence', p: { topic: 'room' } });
    await wait(50);
    expect(seen).toEqual(['presence']);
  });
});

/** A masked client text frame (RFC 6455), as a raw socket must send. */
function maskedFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const len = payload.length;
  const header =
    len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 255]);
  const body = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  return Buffer.concat([header, mask, body]);
}
