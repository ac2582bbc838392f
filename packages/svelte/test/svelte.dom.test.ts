import { render, screen, waitFor } from '@testing-library/svelte';
import { createClient, type WSEClient } from '@wse/core-client';
import { get } from 'svelte/store';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clientOptions,
  countingSocket,
  SECRET,
  startServer,
  subscribesTo,
  type TestServer,
  userTopics,
} from '../../../test/support/wse-server';
import { connectionHealthStore, topicStore, wseStore } from '../src';
import Room from './Room.svelte';

let t: TestServer;
beforeAll(async () => {
  t = await startServer({ auth: { secret: SECRET }, presence: {} });
});
afterAll(() => t.server.stop());
beforeEach(() => waitFor(() => expect(t.server.connectionCount()).toBe(0)));
const clients: WSEClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const LINGER = 30; // Room.svelte uses the same
const text = (id: string) => screen.getByTestId(id).textContent;
const newClient = (sub = 'ada', WebSocket?: Parameters<typeof clientOptions>[2]) => {
  const c = createClient(clientOptions(t.url, sub, WebSocket));
  clients.push(c);
  return c;
};

describe('@wse/svelte against the reference server', () => {
  it('connects and renders topic events through $store', async () => {
    render(Room, { client: newClient() });
    await waitFor(() => expect(text('status')).toBe('connected/room'));
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['room']));
    // `server.broadcastLocal(topic, data)` arrives as `publication {topic, data}`.
    t.server.broadcastLocal('room', { text: 'hello' });
    t.server.broadcastLocal('other', { text: 'not for us' });
    t.server.broadcastLocal('room', { text: 'again' });
    await waitFor(() => expect(text('texts')).toBe('hello,again'));
  });

  it('updates the presence list when a second user joins and leaves', async () => {
    render(Room, { client: newClient() });
    await waitFor(() => expect(text('members')).toBe('ada'));
    const bob = newClient('bob');
    await bob.subscribe(['room'], { presence: { name: 'Bob' } });
    await waitFor(() => expect(text('members')).toBe('ada,bob'));
    await bob.close();
    await waitFor(() => expect(text('members')).toBe('ada'));
  });

  it('subscribes once for two components and unsubscribes after the last one unmounts', async () => {
    const { WebSocket, log } = countingSocket();
    const client = newClient('ada', WebSocket);
    const hold = wseStore(client, { lingerMs: LINGER }).subscribe(() => {}); // keeps the socket open
    const first = render(Room, { client });
    const second = render(Room, { client });
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['room']));
    first.unmount();
    await new Promise((r) => setTimeout(r, LINGER * 3));
    expect(userTopics(t.server, 'ada')).toEqual(['room']);
    second.unmount();
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual([]));
    expect(subscribesTo(log, 'room')).toBe(1);
    expect(log.opened).toBe(1);
    hold();
    await waitFor(() => expect(client.getSnapshot().state).toBe('closed')); // a moment after the last subscriber
  });

  it('follows the store contract: start on the first subscriber, stop after the last', async () => {
    const client = newClient();
    const news = topicStore<{ data: number }>(client, 'news', { lingerMs: LINGER, limit: 2 });
    expect(get(news)).toEqual([]); // get() starts and stops at once; the linger absorbs it
    const seen: number[][] = [];
    const stop = news.subscribe((list) => seen.push(list.map((m) => m.payload.data)));
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['news']));
    for (const n of [1, 2, 3]) t.server.broadcastLocal('news', n);
    await waitFor(() => expect(seen.at(-1)).toEqual([2, 3]));
    stop();
    await waitFor(() => expect(t.server.connectionCount()).toBe(0));
    expect(client.getSnapshot().state).toBe('closed');
  });

  it('topicStore({ queueGroup }) subscribes as a member of the group', async () => {
    const client = newClient();
    const jobs = topicStore<{ data: number }>(client, 'jobs', { lingerMs: LINGER, queueGroup: 'workers' });
    let latest: ReadonlyArray<{ payload: { data: number } }> = [];
    const stop = jobs.subscribe((v) => {
      latest = v;
    });
    await waitFor(() => expect(t.server.queueGroupStats('jobs')).toEqual({ workers: 1 }));
    t.server.broadcast('jobs', 7);
    await waitFor(() => expect(latest.map((m) => m.payload.data)).toEqual([7]));
    stop();
  });

  it('connectionHealthStore connects on subscribe and follows the snapshot, one value per change', async () => {
    const client = newClient();
    const health = connectionHealthStore(client, { lingerMs: LINGER });
    const seen: string[] = [];
    const stop = health.subscribe((h) => seen.push(h));
    await waitFor(() => expect(seen.at(-1)).toBe('healthy'));
    expect(client.getSnapshot().state).toBe('connected');
    // The first subscriber's retain() moves idle → connecting before derived() emits its first value;
    // connecting and negotiating are one word, which the store does not repeat.
    expect(seen).toEqual(['connecting', 'healthy']);
    await client.close();
    expect(seen.at(-1)).toBe('disconnected');
    stop();
  });
});
