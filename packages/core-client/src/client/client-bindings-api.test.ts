// The client API the framework bindings are wired to: leases (retain/retainTopic), onTopic,
// reconnect, presence reads/tracking/updates, the unbound store contract and IDLE_SNAPSHOT.
import { describe, expect, it } from 'vitest';
import { type FakeOptions, FakeWSEServer, settle } from '../../test/fake-wse-server';
import { ManualClock } from '../env/manual-clock';
import { ManualEnvironment } from '../env/manual-environment';
import { createClient, DEFAULT_LINGER_MS, type WSEClient } from './client';
import { Leases } from './leases';
import { IDLE_SNAPSHOT } from './runtime';
import type { ClientMessage, ClientOptions } from './types';

function setup(fake: FakeOptions = {}, options: Partial<ClientOptions> = {}) {
  const server = new FakeWSEServer(fake);
  const clock = new ManualClock(1_000_000);
  const client = createClient({
    endpoints: ['memory://a'],
    offline: { storage: 'memory' },
    ...options,
    env: { clock, random: () => 0.5, transport: server.factory, environment: new ManualEnvironment(true) },
  });
  return { server, clock, client };
}

async function connected(client: WSEClient) {
  const p = client.connect();
  await settle();
  await p;
}

const subs = (server: FakeWSEServer, action: string) =>
  server.sent('subscription_update').filter((e) => e.p.action === action);

describe('Leases', () => {
  it('starts with the first user and stops lingerMs after the last, unless taken again', () => {
    const clock = new ManualClock();
    const leases = new Leases(clock);
    const log: string[] = [];
    const start = () => {
      log.push('start');
      return () => log.push('stop');
    };
    const a = leases.take('k', 100, start);
    const b = leases.take('k', 100, start);
    expect([a.started, b.started, a.lease.users]).toEqual([true, false, 2]);
    a.release();
    a.release(); // idempotent
    b.release();
    clock.advance(99);
    const c = leases.take('k', 100, start); // a remount inside the linger: no stop, no start
    expect(c.started).toBe(false);
    clock.advance(1_000);
    expect(log).toEqual(['start']);
    c.release();
    clock.advance(100);
    expect(log).toEqual(['start', 'stop']);
    expect(leases.take('k', 100, start).started).toBe(true); // a fresh lease after the stop
  });
});

describe('WSEClient: binding helpers', () => {
  it('retain() connects on the first lease and closes lingerMs after the last', async () => {
    const { server, clock, client } = setup();
    const r1 = client.retain({ lingerMs: 50 });
    const r2 = client.retain();
    await settle();
    expect(client.getSnapshot().state).toBe('connected');
    r1();
    r2();
    clock.advance(DEFAULT_LINGER_MS - 1);
    expect(client.getSnapshot().state).toBe('connected'); // the last release's linger counts
    const r3 = client.retain(); // remount: the pending close is cancelled
    clock.advance(5_000);
    expect(client.getSnapshot().state).toBe('connected');
    r3();
    clock.advance(DEFAULT_LINGER_MS);
    expect(client.getSnapshot().state).toBe('closed');
    expect(server.conns).toHaveLength(1);
  });

  it('retainTopic() subscribes once, joins when a later user brings presence, unsubscribes after the last', async () => {
    const { server, clock, client } = setup();
    await connected(client);
    const watch = client.retainTopic('room', { trackPresence: true, lingerMs: 10 });
    const join = client.retainTopic('room', { presence: { name: 'Ada' }, lingerMs: 10 });
    const again = client.retainTopic('room', { presence: { name: 'Ada' }, lingerMs: 10 });
    await settle();
    expect(subs(server, 'subscribe').map((e) => e.p.presence)).toEqual([undefined, { name: 'Ada' }]);
    watch();
    join();
    clock.advance(5);
    const back = client.retainTopic('room', { lingerMs: 10 }); // inside the linger
    again();
    back();
    clock.advance(10);
    await settle();
    expect(subs(server, 'subscribe')).toHaveLength(2);
    expect(subs(server, 'unsubscribe').map((e) => e.p.topics)).toEqual([['room']]);
    expect(client.getSnapshot().topics).toEqual([]);
  });

  it('retainTopic({ trackPresence }) on a topic subscribed without it starts tracking explicitly', async () => {
    const { server, client } = setup();
    await connected(client);
    client.retainTopic('room');
    await settle();
    expect(server.sent('presence')).toHaveLength(0);
    client.retainTopic('room', { trackPresence: true });
    await settle();
    expect(server.sent('presence').map((e) => e.p)).toEqual([{ topic: 'room' }]);
    expect(subs(server, 'subscribe')).toHaveLength(1);
  });

  it('presence(topic) reads without side effects; trackPresence(topic) queries once', async () => {
    const { server, client } = setup();
    await connected(client);
    await Promise.all([client.subscribe(['room']), settle()]);
    const empty = client.presence('room');
    expect(empty).toEqual({});
    expect(client.presence('room')).toBe(empty);
    await settle();
    expect(server.sent('presence')).toHaveLength(0);
    client.trackPresence('room');
    client.trackPresence('room');
    await settle();
    const q = server.sent('presence');
    expect(q).toHaveLength(1);
    server.last.send(
      'presence',
      { topic: 'room', members: { u2: { data: {}, connections: 1 } } },
      { cid: q[0]!.cid },
    );
    await settle();
    expect(Object.keys(client.presence('room'))).toEqual(['u2']);
  });

  it('updatePresence() sends presence_update and re-subscribes carry the new data', async () => {
    const { server, clock, client } = setup();
    await connected(client);
    await Promise.all([client.subscribe(['room'], { presence: { name: 'Ada' } }), settle()]);
    client.updatePresence('room', { name: 'Ada', typing: true });
    await settle();
    expect(server.sent('presence_update').map((e) => [e.c, e.p])).toEqual([
      ['WSE', { topic: 'room', data: { name: 'Ada', typing: true } }],
    ]);
    server.last.close(1011, 'boom');
    await settle();
    clock.advance(1_000); // backoff: 0.5 × 500
    await settle(6);
    expect(server.conns).toHaveLength(2);
    const last = subs(server, 'subscribe').at(-1)!;
    expect(last.p).toMatchObject({
      topics: ['room'],
      presence: { name: 'Ada', typing: true },
      recover: true,
    });
  });

  it('onTopic() routes application messages by their tp stamp', async () => {
    const { server, client } = setup();
    await connected(client);
    await Promise.all([client.subscribe(['room', 'other']), settle()]);
    const got: ClientMessage[] = [];
    const off = client.onTopic('room', (m) => got.push(m));
    server.last.send('chat', { n: 1 }, { tp: 'room', e: 'a1b2c3d4', o: 1 });
    server.last.send('chat', { n: 2 }, { tp: 'other', e: 'a1b2c3d4', o: 1 });
    server.last.send('chat', { n: 3 }); // no topic
    await settle();
    off();
    server.last.send('chat', { n: 4 }, { tp: 'room', e: 'a1b2c3d4', o: 2 });
    await settle();
    expect(got.map((m) => m.payload.n)).toEqual([1]);
  });

  it('reconnect() drops the socket and reconnects at once, keeping pending requests and queued sends', async () => {
    const { server, client } = setup({}, { requestTimeoutMs: 60_000 });
    await connected(client);
    await Promise.all([client.subscribe(['room']), settle()]);
    let settled = false;
    const answer = client.request('slow', {}).finally(() => {
      settled = true;
    });
    const done = client.reconnect();
    const queued = client.send('queued_while_reconnecting', {});
    await settle();
    await done;
    expect(server.conns).toHaveLength(2);
    expect(server.conns[0]!.socket.isOpen).toBe(false);
    expect(client.getSnapshot().state).toBe('connected');
    expect(settled).toBe(false); // not rejected: it keeps its timeout
    expect(server.last.envelopes.find((e) => e.t === 'queued_while_reconnecting')?.id).toBe(queued);
    expect(subs(server, 'subscribe').at(-1)!.p).toMatchObject({ topics: ['room'], recover: true });
    void answer.catch(() => {});
  });

  it('subscribe and getSnapshot work unbound; IDLE_SNAPSHOT equals a new client snapshot', async () => {
    const { client } = setup();
    const { subscribe, getSnapshot } = client;
    const seen: string[] = [];
    const stop = subscribe((s) => seen.push(s.state));
    expect(getSnapshot()).toEqual(IDLE_SNAPSHOT);
    expect(Object.isFrozen(IDLE_SNAPSHOT)).toBe(true);
    await connected(client);
    stop();
    expect(seen.at(-1)).toBe('connected');
  });
});
