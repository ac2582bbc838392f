import { describe, expect, it, vi } from 'vitest';
import { type FakeOptions, FakeWSEServer, settle } from '../../test/fake-wse-server';
import { ManualClock } from '../env/manual-clock';
import { ManualEnvironment } from '../env/manual-environment';
import { AuthError, ServerError, TimeoutError, type WSEError } from '../protocol/errors';
import { createClient, type WSEClient } from './client';
import type { ClientOptions } from './types';

function setup(fake: FakeOptions = {}, options: Partial<ClientOptions> = {}) {
  const server = new FakeWSEServer(fake);
  const clock = new ManualClock(1_000_000);
  const environment = new ManualEnvironment(true);
  const client = createClient({
    endpoints: ['memory://a'],
    offline: { storage: 'memory' },
    ...options,
    env: { clock, random: () => 0.5, transport: server.factory, environment, ...options.env },
  });
  const errors: WSEError[] = [];
  client.on('error', (e) => errors.push(e));
  return { server, clock, client, errors, environment };
}

/** Advances in steps so async replies (PONGs) land in between, like real time. */
async function advance(clock: ManualClock, ms: number, step = 5_000) {
  for (let left = ms; left > 0; left -= step) {
    clock.advance(Math.min(step, left));
    await settle();
  }
}

async function connected(client: WSEClient) {
  const p = client.connect();
  await settle();
  await p;
}

describe('WSEClient: negotiation', () => {
  it('connect() resolves on server_hello; the snapshot reports the session', async () => {
    const { server, client } = setup({}, { token: 'tok' });
    const states: string[] = [];
    client.on('state', (s) => states.push(s));
    await connected(client);
    expect(states).toEqual(['connecting', 'negotiating', 'connected']);
    const snap = client.getSnapshot();
    expect(snap).toMatchObject({
      state: 'connected',
      connectionId: 'conn-1',
      userId: 'u1',
      endpoint: 'memory://a',
    });
    expect(Object.isFrozen(snap)).toBe(true);
    const hello = server.sent('client_hello')[0]!;
    expect(hello.p).toMatchObject({ protocol_version: 1, token: 'tok', features: { msgpack: false } });
    expect(server.last.socket.request.headers).toBeUndefined();
  });

  it('sends the token in the Authorization header when told to', async () => {
    const { server, client } = setup({}, { token: 'tok', tokenTransport: 'header' });
    await connected(client);
    expect(server.last.socket.request.headers).toEqual({ Authorization: 'Bearer tok' });
    expect(server.sent('client_hello')[0]!.p.token).toBeUndefined();
  });

  it('retries when server_ready never comes (connect timeout)', async () => {
    const { server, client, clock } = setup({ ready: false }, { connectTimeoutMs: 5_000 });
    void client.connect().catch(() => {});
    await settle();
    expect(client.getSnapshot().state).toBe('negotiating');
    clock.advance(5_000);
    expect(client.getSnapshot().state).toBe('reconnecting');
    expect(server.last.socket.isOpen).toBe(false);
    clock.advance(250); // backoff: 0.5 × 500
    await settle();
    expect(server.conns).toHaveLength(2);
  });

  it('reconnects after the server closes an idle connection with 1000 (Decided: CLOSE_CODE_INFO[1000].reconnect)', async () => {
    const { server, client, clock } = setup();
    await connected(client);
    server.last.close(1000, 'idle timeout');
    await settle();
    expect(client.getSnapshot().state).toBe('reconnecting');
    clock.advance(250); // backoff: 0.5 × 500
    await settle();
    expect(client.getSnapshot().state).toBe('connected');
    expect(server.conns).toHaveLength(2);
  });

  it('4401 with a fixed token is terminal', async () => {
    const { server, client } = setup({}, { token: 'bad' });
    await connected(client);
    server.last.send('error', { code: 'AUTH_FAILED', message: 'nope' });
    server.last.close(4401, 'auth failed');
    await settle();
    expect(client.getSnapshot().state).toBe('failed');
    expect(client.getSnapshot().lastError).toBeInstanceOf(AuthError);
  });

  it('4401 reconnects when the token function yields a new token', async () => {
    let n = 0;
    const { server, client, clock } = setup({}, { token: () => `tok-${++n}` });
    await connected(client);
    server.last.close(4401, 'auth failed');
    await settle();
    expect(client.getSnapshot().state).toBe('reconnecting');
    clock.advance(250);
    await settle();
    expect(client.getSnapshot().state).toBe('connected');
    expect(server.sent('client_hello').map((h) => h.p.token)).toEqual(['tok-1', 'tok-3']);
  });

  it('refreshes the token ahead of token_expires_in', async () => {
    let n = 0;
    const { server, client, clock } = setup({ tokenExpiresIn: 100 }, { token: () => `tok-${++n}` });
    await connected(client);
    await advance(clock, 79_999);
    expect(server.sent('auth_refresh')).toHaveLength(0);
    await advance(clock, 1);
    expect(server.sent('auth_refresh').map((e) => e.p.token)).toEqual(['tok-2']);
  });
});

describe('WSEClient: reconnect, heartbeat, environment', () => {
  it('reconnects after 1006 and re-subscribes with recover + positions', async () => {
    const { server, client, clock } = setup();
    await connected(client);
    await Promise.all([client.subscribe(['news']), settle()]);
    server.last.send('news_item', { n: 1 }, { tp: 'news', e: 'a1b2c3d4', o: 7 });
    await settle();
    server.last.close(1006);
    await settle();
    expect(client.getSnapshot().state).toBe('reconnecting');
    clock.advance(250);
    await settle();
    expect(client.getSnapshot().state).toBe('connected');
    const resub = server.last.envelopes.find((e) => e.t === 'subscription_update')!;
    expect(resub.p).toMatchObject({
      action: 'subscribe',
      topics: ['news'],
      recover: true,
      recovery: { news: { epoch: 'a1b2c3d4', offset: 7 } },
    });
  });

  it('does not reconnect after close()', async () => {
    const { server, client, clock } = setup();
    await connected(client);
    await client.close();
    clock.advance(60_000);
    await settle();
    expect(client.getSnapshot().state).toBe('closed');
    expect(server.conns).toHaveLength(1);
  });

  it('answers server pings with PONG and detects a dead socket', async () => {
    const { server, client, clock } = setup({ pingInterval: 10_000, pong: false });
    await connected(client);
    server.last.send('ping', { server_time: 42 });
    await settle();
    const pong = server.sent('PONG')[0]!;
    expect(pong.p).toMatchObject({ server_time: 42, client_timestamp: clock.now() });
    expect(server.sent('ping')).toHaveLength(1); // our own first ping
    clock.advance(20_000);
    await settle();
    expect(client.getSnapshot().state).toBe('reconnecting');
  });

  it('survives a ping flood (bounded PONGs) and garbage frames', async () => {
    const { server, client, errors } = setup();
    await connected(client);
    for (let i = 0; i < 500; i++) server.last.send('ping', { server_time: i });
    server.last.socket.send('not json at all');
    server.last.socket.send(new Uint8Array([0x58, 0x3a, 1, 2, 3]));
    server.last.socket.send('{"t":');
    server.last.socket.send(`{"t":"huge","p":{"a":"${'x'.repeat(2 * 1024 * 1024)}"}}`);
    await settle(5);
    expect(server.sent('PONG').length).toBeLessThanOrEqual(10);
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(errors.some((e) => e.code === 'FRAME_TOO_LARGE')).toBe(true);
    expect(client.getSnapshot().state).toBe('connected');
  });

  it('goes offline with the network and comes back on online', async () => {
    const { server, client, environment } = setup();
    await connected(client);
    environment.setOnline(false);
    expect(client.getSnapshot().state).toBe('offline');
    environment.setOnline(true);
    await settle();
    expect(client.getSnapshot().state).toBe('connected');
    expect(server.conns).toHaveLength(2);
  });

  it('fails over to the next endpoint when one refuses; the breaker opens', async () => {
    const server = new FakeWSEServer();
    server.memory.refuse = (req) => req.url === 'memory://bad';
    const clock = new ManualClock(0);
    const client = createClient({
      endpoints: ['memory://bad', 'memory://good'],
      circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 60_000 },
      env: { clock, random: () => 0.5, transport: server.factory, environment: new ManualEnvironment() },
    });
    void client.connect();
    await vi.dynamicImportSettled(); // several endpoints: the first attempt waits for the strategies chunk
    for (let i = 0; i < 6 && client.getSnapshot().state !== 'connected'; i++) {
      await settle();
      clock.advance(20_000);
    }
    await settle();
    expect(client.getSnapshot()).toMatchObject({ state: 'connected', endpoint: 'memory://good' });
  });

  it('several endpoints: the first attempt waits for the strategies chunk and applies the strategy', async () => {
    const server = new FakeWSEServer();
    const tried: string[] = [];
    server.memory.refuse = (req) => tried.push(req.url) < 0;
    const client = createClient({
      endpoints: ['memory://a', 'memory://b'],
      endpointStrategy: 'weighted-random',
      env: {
        clock: new ManualClock(0),
        random: () => 0.99,
        transport: server.factory,
        environment: new ManualEnvironment(),
      },
    });
    void client.connect();
    expect(client.getSnapshot().endpoint).toBeNull(); // not picked in list order before the chunk
    await vi.dynamicImportSettled();
    await settle();
    expect(tried).toEqual(['memory://b']); // 0.99 of the weights → the second endpoint
    expect(client.getSnapshot()).toMatchObject({ state: 'connected', endpoint: 'memory://b' });
  });
});

describe('WSEClient: quality (a lazy chunk fetched when a session comes up)', () => {
  it('turns PONG round trips into latency and a quality level', async () => {
    const { client, clock } = setup({ pingInterval: 1_000 });
    const levels: string[] = [];
    client.on('quality', (ev) => levels.push(ev.level));
    await connected(client);
    await vi.dynamicImportSettled();
    expect(client.getSnapshot()).toMatchObject({ quality: 'unknown', latency: { last: null } });
    await advance(clock, 3_000, 1_000); // own pings every second, answered at once
    expect(client.getSnapshot().latency.last).toBe(0);
    expect(client.getSnapshot().quality).not.toBe('unknown');
    expect(levels).toEqual([client.getSnapshot().quality]);
  });
});

describe('WSEClient: circuit breaker with a single endpoint', () => {
  /** Refuses every upgrade until `upAt`; returns the clock times of the attempts. */
  async function outage(options: Partial<ClientOptions>, upAt: number) {
    const server = new FakeWSEServer();
    const clock = new ManualClock(0);
    const attempts: number[] = [];
    server.memory.refuse = () => {
      attempts.push(clock.now());
      return clock.now() < upAt;
    };
    const client = createClient({
      endpoints: 'memory://only',
      ...options,
      env: { clock, random: () => 0.5, transport: server.factory, environment: new ManualEnvironment() },
    });
    void client.connect();
    const circuits = new Set<string>();
    for (let t = 0; t < 120_000 && client.getSnapshot().state !== 'connected'; t += 250) {
      await settle();
      circuits.add(client.getSnapshot().circuit);
      clock.advance(250);
    }
    await settle();
    return { client, attempts, circuits };
  }

  it('an open breaker never delays a reconnect beyond the backoff max (default 20 s, not 30 s)', async () => {
    // Attempts at 0, 250, 750, 1750, 3750 (backoff 0.5 × 500 × 2^n) fail: the 5th opens the breaker.
    const { client, attempts, circuits } = await outage({}, 5_000);
    expect(circuits.has('open')).toBe(true);
    expect(attempts.slice(0, 5)).toEqual([0, 250, 750, 1_750, 3_750]);
    expect(attempts[5]! - attempts[4]!).toBe(20_000); // capped at reconnect.maxMs
    expect(client.getSnapshot()).toMatchObject({ state: 'connected', circuit: 'closed' });
  });

  it('follows a smaller reconnect.maxMs, and caps an explicit resetTimeoutMs too', async () => {
    const { client, attempts } = await outage(
      { reconnect: { baseMs: 50, maxMs: 300 }, circuitBreaker: { resetTimeoutMs: 60_000 } },
      2_000,
    );
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(500); // 300 ms, rounded up to the 250 ms steps
    expect(client.getSnapshot().state).toBe('connected');
  });
});

describe('WSEClient: messages', () => {
  it('delivers typed events, per type and to *, and async iteration ends on close', async () => {
    const { server, client } = setup();
    await connected(client);
    const seen: unknown[] = [];
    client.on('chat_message', (ev) => seen.push(ev.payload));
    const iter = client[Symbol.asyncIterator]();
    server.last.send('chat_message', { text: 'hi' });
    await settle();
    expect(seen).toEqual([{ text: 'hi' }]);
    expect((await iter.next()).value).toMatchObject({ type: 'chat_message', payload: { text: 'hi' } });
    await client.close();
    expect((await iter.next()).done).toBe(true);
  });

  it('a throwing handler becomes an error event and delivery goes on', async () => {
    const { server, client, errors } = setup();
    await connected(client);
    const seen: number[] = [];
    client.on('tick', () => {
      throw new Error('boom');
    });
    client.on('tick', (ev) => seen.push(ev.payload.n as number));
    server.last.send('tick', { n: 1 });
    server.last.send('tick', { n: 2 });
    await settle();
    expect(seen).toEqual([1, 2]);
    expect(errors.map((e) => e.code)).toEqual(['HANDLER_ERROR', 'HANDLER_ERROR']);
    expect(client.getSnapshot().state).toBe('connected');
  });

  it('queues sends while disconnected and flushes them in order after server_hello', async () => {
    const { server, client } = setup({}, { lazyConnect: false });
    client.send('a', { n: 1 });
    client.send('b', { n: 2 });
    client.send('c', { n: 3 }, { priority: 10 });
    expect(client.getSnapshot().queued).toBe(3);
    await connected(client);
    const types = server.last.envelopes.map((e) => e.t).filter((t) => ['a', 'b', 'c'].includes(t));
    expect(types).toEqual(['c', 'a', 'b']);
    expect(client.getSnapshot().queued).toBe(0);
  });

  it('request() resolves by cid; rejects on error frames and timeouts', async () => {
    const { server, client, clock } = setup();
    await connected(client);
    const answer = client.request('get_profile', { id: 7 });
    await settle();
    const req = server.sent('get_profile')[0]!;
    server.last.send('profile', { name: 'Ada' }, { cid: req.cid });
    expect(await answer).toEqual({ name: 'Ada' });

    const denied = client.request('secret', {});
    await settle();
    server.last.send('error', { code: 'FORBIDDEN', message: 'no' }, { cid: server.sent('secret')[0]!.cid });
    await expect(denied).rejects.toBeInstanceOf(ServerError);

    const slow = client.request('slow', {}, { timeoutMs: 1000 });
    clock.advance(1000);
    await expect(slow).rejects.toBeInstanceOf(TimeoutError);
  });

  it('RATE_LIMITED holds sends for retry_after and keeps them queued', async () => {
    const { server, client, clock } = setup();
    await connected(client);
    server.last.send('error', { code: 'RATE_LIMITED', message: 'slow down', retry_after: 2 });
    await settle();
    client.send('x', { n: 1 });
    await settle();
    expect(server.sent('x')).toHaveLength(0);
    expect(client.getSnapshot().queued).toBe(1);
    clock.advance(2_000);
    await settle();
    expect(server.sent('x')).toHaveLength(1);
  });

  it('subscribe(listener) is the store contract; subscribe(topics) subscribes', async () => {
    const { client } = setup();
    const snaps: unknown[] = [];
    const stop = client.subscribe((s) => snaps.push(s));
    const before = client.getSnapshot();
    await connected(client);
    const reply = client.subscribe(['room:1']);
    await settle();
    await expect(reply).resolves.toMatchObject({ success: true, topics: ['room:1'] });
    expect(client.getSnapshot()).not.toBe(before);
    expect(client.getSnapshot().topics).toEqual(['room:1']);
    stop();
    expect(snaps.length).toBeGreaterThan(2);
  });
});

describe('WSEClient: recovery and presence', () => {
  it('drops duplicates, asks to recover on a gap once, re-baselines on recovered:false', async () => {
    const failed: unknown[] = [];
    const { server, client } = setup({
      recovery: (_t, p) =>
        p.recover ? { epoch: 'a1b2c3d4', offset: 20, recovered: false, count: 0 } : undefined,
    });
    client.on('recovery_failed', (ev) => failed.push(ev));
    const seen: number[] = [];
    client.on('news_item', (ev) => seen.push(ev.offset!));
    await connected(client);
    await Promise.all([client.subscribe(['news']), settle()]);
    const pub = (o: number) => server.last.send('news_item', {}, { tp: 'news', e: 'a1b2c3d4', o });
    pub(1);
    pub(2);
    pub(2); // duplicate
    pub(5); // gap
    pub(6); // still a gap, recovery already in flight
    await settle();
    const recovers = server.last.envelopes.filter((e) => e.t === 'subscription_update' && e.p.recover);
    expect(recovers).toHaveLength(1);
    expect(recovers[0]!.p.recovery).toEqual({ news: { epoch: 'a1b2c3d4', offset: 2 } });
    expect(failed).toEqual([{ topic: 'news', epoch: 'a1b2c3d4', offset: 20 }]);
    pub(21);
    await settle();
    expect(seen).toEqual([1, 2, 21]);
  });

  it('presence(topic) is kept current from sync + events', async () => {
    const { server, client } = setup();
    const events: string[] = [];
    client.on('presence', (ev) => events.push(`${ev.action}:${ev.userId}`));
    await connected(client);
    void client.subscribe(['room'], { presence: { name: 'Ada' } });
    await settle();
    const q = server.sent('presence')[0]!;
    expect(q.p).toEqual({ topic: 'room' });
    server.last.send(
      'presence',
      { topic: 'room', members: { u1: { data: { name: 'Ada' }, connections: 1 } } },
      { cid: q.cid },
    );
    server.last.send('presence_join', { topic: 'room', user_id: 'u2', data: { name: 'Bob' } });
    await settle();
    expect(Object.keys(client.presence('room')).sort()).toEqual(['u1', 'u2']);
    server.last.send('presence_leave', { topic: 'room', user_id: 'u1' });
    await settle();
    expect(Object.keys(client.presence('room'))).toEqual(['u2']);
    expect(events).toEqual(['sync:null', 'join:u2', 'leave:u1']);
  });
});
