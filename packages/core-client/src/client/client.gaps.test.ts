import { describe, expect, it } from 'vitest';
import { type FakeOptions, FakeWSEServer, settle } from '../../test/fake-wse-server';
import { ManualClock } from '../env/manual-clock';
import { ManualEnvironment } from '../env/manual-environment';
import { createClient, type WSEClient } from './client';
import type { ClientOptions } from './types';

// Issue 18.15: the client gaps the audit left open, each closed.
function setup(fake: FakeOptions = {}, options: Partial<ClientOptions> = {}) {
  const server = new FakeWSEServer(fake);
  const clock = new ManualClock(1_000_000);
  const client = createClient({
    endpoints: ['memory://a'],
    offline: { storage: 'memory' },
    ...options,
    env: { clock, random: () => 0.5, transport: server.factory, environment: new ManualEnvironment(true) },
  });
  client.on('error', () => {});
  return { server, clock, client };
}

async function connected(client: WSEClient) {
  const p = client.connect();
  await settle();
  await p;
}

const recoverRequests = (server: FakeWSEServer) =>
  server.last.envelopes.filter((e) => e.t === 'subscription_update' && e.p.recover === true);

describe('a gap-recovery request with no reply', () => {
  it('times out and is sent again; a reply ends the retries', async () => {
    const { server, client, clock } = setup({}, { requestTimeoutMs: 4_000 });
    const seen: number[] = [];
    client.on('news_item', (m) => seen.push(m.offset!));
    await connected(client);
    await Promise.all([client.subscribe(['news']), settle()]);
    const pub = (o: number) => server.last.send('news_item', {}, { tp: 'news', e: 'a1b2c3d4', o });
    pub(1);
    server.options.subscriptions = false; // the server swallows the recovery request
    pub(3); // gap
    await settle();
    expect(recoverRequests(server)).toHaveLength(1);
    clock.advance(3_999);
    await settle();
    expect(recoverRequests(server)).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(recoverRequests(server)).toHaveLength(2);
    expect(recoverRequests(server)[1]!.p.recovery).toEqual({ news: { epoch: 'a1b2c3d4', offset: 1 } });
    // This time the server answers: replay, then the reply.
    server.options.subscriptions = true;
    server.options.recovery = () => ({ epoch: 'a1b2c3d4', offset: 3, recovered: true, count: 2 });
    clock.advance(4_000);
    await settle();
    expect(recoverRequests(server)).toHaveLength(3);
    pub(2);
    pub(3);
    await settle();
    clock.advance(20_000);
    await settle();
    expect(recoverRequests(server)).toHaveLength(3); // answered: no more retries
    pub(4);
    await settle();
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});

describe('a request rejected by close()', () => {
  it('is not sent on the next connect; plain queued sends still are', async () => {
    const { server, client } = setup({}, { lazyConnect: false });
    const req = client.request('get_profile', { id: 7 });
    client.send('note', { text: 'keep me' });
    await client.close();
    await expect(req).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    expect(client.getSnapshot().queued).toBe(1);
    await connected(client);
    await settle();
    expect(server.sent('get_profile')).toHaveLength(0);
    expect(server.sent('note')).toHaveLength(1);
  });
});

describe('a re-subscribe of more than max_subscriptions topics', () => {
  it('is split into requests of at most max_subscriptions topics', async () => {
    const { server, client } = setup({ maxSubscriptions: 3 });
    const topics = ['t1', 't2', 't3', 't4', 't5', 't6', 't7'];
    const subscribed = client.subscribe(topics); // queued while idle: answered by the re-subscribe
    await connected(client);
    await settle();
    const requests = server.last.envelopes.filter((e) => e.t === 'subscription_update');
    expect(requests.map((e) => e.p.topics)).toEqual([['t1', 't2', 't3'], ['t4', 't5', 't6'], ['t7']]);
    expect(requests.every((e) => e.p.recover === true)).toBe(true);
    // the call made before the connect settles once every part is answered
    await expect(subscribed).resolves.toMatchObject({ success: true, topics });
  });
});
