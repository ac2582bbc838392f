import type { Socket } from 'node:net';
import { createClient } from '@wse/core-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WSEServer } from '../src/server';
import { type Frame, startServer, TestClient } from './helpers';

const MEMBERS = 301;
let server: WSEServer;
let url: string;
const members: WebSocket[] = [];

/** A member that joins and then ignores everything (decoding 45 000 presence events would dominate). */
async function member(i: number): Promise<WebSocket> {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  await new Promise((r) => ws.once('open', r));
  const subscribed = new Promise<void>((resolve) => {
    ws.on('message', (data, binary) => {
      if (!binary && data.toString().includes('"subscription_update"')) resolve();
    });
  });
  const presence = { i, blob: `${i}`.padEnd(4000, 'x') };
  // Uncompressed text frames (the raw codec would pick C: for these sizes).
  ws.send(JSON.stringify({ c: 'WSE', t: 'client_hello', p: { protocol_version: 1 } }));
  ws.send(
    JSON.stringify({
      c: 'WSE',
      t: 'subscription_update',
      p: { action: 'subscribe', topics: ['big'], presence },
    }),
  );
  await subscribed;
  return ws;
}

beforeAll(async () => {
  ({ server, url } = await startServer({ presence: {} }));
  // 301 anonymous users (one id each) with ~4 KB of presence data: ~1.2 MB of members.
  for (let i = 0; i < MEMBERS; i += 25)
    members.push(
      ...(await Promise.all(Array.from({ length: Math.min(25, MEMBERS - i) }, (_, k) => member(i + k)))),
    );
}, 60_000);

afterAll(async () => {
  for (const ws of members) ws.terminate();
  await server.stop();
});

async function query(c: TestClient, p: Record<string, unknown>): Promise<Frame> {
  const cid = `q-${Math.random()}`;
  c.send({ t: 'presence', p: { topic: 'big', ...p }, cid });
  return c.next((f) => f.cid === cid);
}

describe('presence queries are paged and bounded (issue 18 item 3)', () => {
  it('pages in user-id order: limit, ~256 KiB per page, next_cursor until the end', async () => {
    const c = await TestClient.ready(url);
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['big'] }, cid: 's' });
    await c.next('subscription_update');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await query(c, cursor === undefined ? { limit: 1000 } : { cursor, limit: 1000 });
      expect(page.t).toBe('presence');
      const ids = Object.keys(page.p.members as object);
      expect(JSON.stringify(page.p.members).length).toBeLessThan(300 * 1024);
      seen.push(...ids);
      cursor = page.p.next_cursor as string | undefined;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBeGreaterThanOrEqual(5); // 1.2 MB in ≤ 256 KiB pages
    expect(seen).toHaveLength(MEMBERS);
    expect(new Set(seen).size).toBe(MEMBERS);
    expect([...seen].sort()).toEqual(seen);
    const small = await query(c, { limit: 7 });
    expect(Object.keys(small.p.members as object)).toHaveLength(7);
    expect(small.p.next_cursor).toBe(seen[6]);
    expect((await query(c, { limit: 0 })).p.code).toBe('INVALID_MESSAGE');
    expect((await query(c, { cursor: 5 })).p.code).toBe('INVALID_MESSAGE');
    c.close();
  });

  it.each(['json', 'msgpack'] as const)(
    'the core client (%s) reads the whole membership (301 × 4 KB, over its 1 MiB frame limit)',
    async (format) => {
      const client = createClient({ endpoints: url, offline: false, format });
      client.on('error', () => {});
      await client.connect();
      await client.subscribe(['big'], { trackPresence: true });
      const deadline = Date.now() + 15_000;
      while (Object.keys(client.presence('big')).length < MEMBERS && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const got = client.presence('big');
      expect(Object.keys(got)).toHaveLength(MEMBERS);
      const first = Object.values(got)[0] as { data: { blob: string } };
      expect(first.data.blob).toHaveLength(4000);
      await client.close();
    },
  );

  it('a client that does not read, spamming queries, gets no replies past its backpressure; a bystander ping stays under 3 s', async () => {
    const spammer = await TestClient.ready(url);
    spammer.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['big'] }, cid: 's' });
    await spammer.next('subscription_update');
    const tcp = (spammer.ws as unknown as { _socket: Socket })._socket;
    tcp.pause();
    const bytesBefore = Number(/wse_bytes_sent_total (\d+)/.exec(await metrics())?.[1]);
    for (let i = 0; i < 2000; i++) spammer.send({ t: 'presence', p: { topic: 'big' }, cid: `x${i}` });
    const bystander = await TestClient.ready(url);
    let worst = 0;
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      bystander.send({ t: 'ping', p: {}, cid: `b${i}` });
      await bystander.next((f) => f.t === 'PONG' && f.cid === `b${i}`, 60_000);
      worst = Math.max(worst, Date.now() - started);
      await new Promise((r) => setTimeout(r, 25));
    }
    const sent = Number(/wse_bytes_sent_total (\d+)/.exec(await metrics())?.[1]) - bytesBefore;
    console.log(`presence spam: worst bystander ping ${worst} ms, ${(sent / 1e6).toFixed(1)} MB sent`);
    expect(worst).toBeLessThan(3000);
    // 2 000 full replies would be ~2.4 GB; pages stop once the socket is over its limit.
    expect(sent).toBeLessThan(200 * 1024 * 1024);
    spammer.ws.terminate();
    bystander.close();
  }, 60_000);
});

async function metrics(): Promise<string> {
  return (await fetch(url.replace('ws:', 'http:').replace('/wse', '/metrics'))).text();
}
