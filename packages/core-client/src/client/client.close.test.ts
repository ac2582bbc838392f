/**
 * `close()` in the middle of things: the handshake, a request, a queue flush. Pending calls reject
 * with a typed error, nothing that was not sent leaves the queue or its storage, and no timer is
 * left behind (a timer would keep a Node process alive; see test/close-exit.int.test.ts for the
 * real-socket version).
 */
import { describe, expect, it } from 'vitest';
import { type FakeOptions, FakeWSEServer, settle } from '../../test/fake-wse-server';
import { ManualClock } from '../env/manual-clock';
import { ManualEnvironment } from '../env/manual-environment';
import { MemoryQueueStorage, type QueuedMessage } from '../offline/queue-storage';
import { TransportError } from '../protocol/errors';
import { createClient } from './client';
import type { ClientOptions } from './types';

/** Memory storage that remembers what it holds after every save. */
class RecordingStorage extends MemoryQueueStorage {
  saved: QueuedMessage[][] = [];
  override async save(items: QueuedMessage[]): Promise<void> {
    this.saved.push(items.map((m) => ({ ...m })));
    await super.save(items);
  }
}

function setup(fake: FakeOptions = {}, options: Partial<ClientOptions> = {}) {
  const server = new FakeWSEServer(fake);
  const clock = new ManualClock(1_000_000);
  const storage = new RecordingStorage();
  const client = createClient({
    endpoints: ['memory://a'],
    offline: { storage },
    ...options,
    env: { clock, random: () => 0.5, transport: server.factory, environment: new ManualEnvironment(true) },
  });
  client.on('error', () => {});
  return { server, clock, client, storage };
}

const stored = async (s: RecordingStorage) => (await s.load()).map((m) => (m.payload as { n: number }).n);

describe('close() mid-way', () => {
  it('mid-handshake: connect() rejects with CLIENT_CLOSED, no timer is left', async () => {
    const { client, clock, server } = setup({ hello: false });
    const connecting = client.connect();
    await settle();
    expect(client.getSnapshot().state).toBe('negotiating');
    await client.close();
    await expect(connecting).rejects.toBeInstanceOf(TransportError);
    await expect(connecting).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    expect(clock.pending).toBe(0);
    expect(server.last.socket.isOpen).toBe(false);
  });

  it('mid-request: the request rejects with CLIENT_CLOSED and its timer is cleared', async () => {
    const { client, clock } = setup();
    await Promise.all([client.connect(), settle()]);
    const reply = client.request('get_profile', { id: 7 }, { timeoutMs: 60_000 });
    await settle();
    await client.close();
    await expect(reply).rejects.toBeInstanceOf(TransportError);
    await expect(reply).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    expect(clock.pending).toBe(0);
  });

  it('mid-queue-flush: what was sent leaves storage, the rest stays stored and goes out once', async () => {
    const { client, clock, server, storage } = setup();
    for (let n = 0; n < 10; n++) client.send('chat', { n }); // queued: lazy connect is under way
    await settle();
    expect(client.getSnapshot().state).toBe('connected');
    expect(server.sent('chat')).toHaveLength(10);
    // Now a paced flush: a rate-limit warning slows the queue to 80 messages per 100 ms tick
    // (80 % of the fake server's refill of 1000/s).
    server.last.send('rate_limit_warning', { retry_after: 5 });
    await settle();
    for (let n = 10; n < 210; n++) client.send('chat', { n });
    await settle();
    clock.advance(100);
    await settle();
    const sent = server.sent('chat').map((e) => e.p.n as number);
    expect(sent.length).toBeGreaterThan(10);
    expect(sent.length).toBeLessThan(210);
    await client.close();
    expect(clock.pending).toBe(0);
    const rest = await stored(storage);
    expect([...sent, ...rest].sort((a, b) => a - b)).toEqual([...Array(210).keys()]);
    expect(rest.every((n) => !sent.includes(n))).toBe(true);
    // No save ever lacked a message that had not been handed to the socket by then.
    const last = storage.saved.at(-1)!.map((m) => (m.payload as { n: number }).n);
    expect(last).toEqual(rest);
    await Promise.all([client.connect(), settle()]);
    await settle();
    const all = server.sent('chat').map((e) => e.p.n as number);
    expect(all.sort((a, b) => a - b)).toEqual([...Array(210).keys()]);
    await client.close();
  });

  it('offline queue: a message leaves storage only once the socket took it', async () => {
    const { client, server, storage } = setup({}, { lazyConnect: false });
    client.send('chat', { n: 1 });
    await settle();
    expect(await stored(storage)).toEqual([1]);
    server.memory.autoAccept = false; // the socket never opens
    void client.connect().catch(() => {});
    await settle();
    await client.close();
    expect(await stored(storage)).toEqual([1]);
    server.memory.autoAccept = true;
    await Promise.all([client.connect(), settle()]);
    await settle();
    expect(server.sent('chat')).toHaveLength(1);
    expect(await stored(storage)).toEqual([]);
    await client.close();
  });
});
