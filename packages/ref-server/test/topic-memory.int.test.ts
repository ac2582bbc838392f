import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { startServer, TestClient } from './helpers';

// Issue 18 item 2 over the wire: one anonymous connection subscribing (recover: true) to new topics
// and unsubscribing again must leave nothing behind, and the server holds at most maxTopics topics.

let server: WSEServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

/** `rounds` × (subscribe 100 new topics with recover: true, unsubscribe them); waits for the last reply. */
async function churn(c: TestClient, rounds: number, tag: string, close = false): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    const topics = Array.from({ length: 100 }, (_, i) => `${tag}:${r}:${i}`);
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics, recover: true }, cid: `s${r}` });
    if (!close) c.send({ t: 'subscription_update', p: { action: 'unsubscribe', topics }, cid: `u${r}` });
  }
  await c.next((f) => f.t === 'subscription_update' && f.cid === (close ? 's' : 'u') + (rounds - 1), 20_000);
  c.frames.length = 0; // the test client's own record of the replies is not the server's memory
}

describe('subscribe/unsubscribe churn leaves nothing', () => {
  for (const recovery of [true, false]) {
    it(`recovery ${recovery ? 'on' : 'off'}: 30 000 new topics subscribed with recover:true then unsubscribed → 0 buffers, 0 topics, heap back`, async () => {
      const started = await startServer({ recovery: { enabled: recovery } });
      server = started.server;
      const s = started.server;
      const c = await TestClient.ready(started.url);
      await churn(c, 20, 'warm'); // JIT and pools warm before the baseline
      const before = heap();
      await churn(c, 300, 'attack');
      const grown = heap() - before;
      expect(s.recoveryStats()).toMatchObject({ buffers: 0, topics: 0, messages: 0 });
      expect(s.healthSnapshot().topics).toBe(0);
      // Before the fix: ~30 000 streams/counters kept for the TTL (≈ 16 MB with recovery on).
      expect(grown, `heap grew ${(grown / 1048576).toFixed(1)} MiB`).toBeLessThan(6 * 1024 * 1024);
      c.close();
    }, 60_000);
  }

  it('a connection that closes with 100 recover:true subscriptions to quiet topics leaves nothing', async () => {
    const started = await startServer({ recovery: {} });
    server = started.server;
    const s = started.server;
    for (let k = 0; k < 5; k++) {
      const c = await TestClient.ready(started.url);
      await churn(c, 1, `close${k}`, true);
      c.close();
      await c.closed;
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(s.recoveryStats()).toMatchObject({ buffers: 0, topics: 0 });
    expect(s.healthSnapshot().topics).toBe(0);
  });

  it('a topic with publications keeps its stream after the last unsubscribe (someone may recover it)', async () => {
    const started = await startServer({ recovery: {} });
    server = started.server;
    const s = started.server;
    const c = await TestClient.ready(started.url);
    c.send({
      t: 'subscription_update',
      p: { action: 'subscribe', topics: ['kept'], recover: true },
      cid: 'a',
    });
    await c.next((f) => f.cid === 'a');
    s.broadcast('kept', { t: 'note', p: {} });
    await c.next('note');
    c.send({ t: 'subscription_update', p: { action: 'unsubscribe', topics: ['kept'] }, cid: 'b' });
    await c.next((f) => f.cid === 'b');
    expect(s.recoveryStats()).toMatchObject({ buffers: 1, messages: 1 });
  });
});

describe('maxTopics', () => {
  it('a subscribe that would create a topic past the server bound is refused with TOO_MANY_SUBSCRIPTIONS; existing topics stay open', async () => {
    const started = await startServer({ maxTopics: 3 });
    server = started.server;
    const a = await TestClient.ready(started.url);
    const b = await TestClient.ready(started.url);
    const sub = async (c: TestClient, topics: string[], cid: string) => {
      c.send({ t: 'subscription_update', p: { action: 'subscribe', topics }, cid });
      return c.next((f) => f.t === 'subscription_update' && f.cid === cid);
    };
    expect((await sub(a, ['t1', 't2', 't3', 't4'], 'a1')).p).toMatchObject({
      success: false,
      success_topics: ['t1', 't2', 't3'],
      failed_topics: [{ topic: 't4', code: 'TOO_MANY_SUBSCRIPTIONS' }],
    });
    const r = await sub(b, ['t1', 'new'], 'b1');
    expect(r.p).toMatchObject({
      success_topics: ['t1'],
      failed_topics: [{ topic: 'new', code: 'TOO_MANY_SUBSCRIPTIONS' }],
    });
    expect(String((r.p.failed_topics as Array<{ message: string }>)[0]?.message)).toMatch(/maxTopics/);
    a.send({ t: 'subscription_update', p: { action: 'unsubscribe', topics: ['t3'] }, cid: 'a2' });
    await a.next((f) => f.cid === 'a2');
    expect((await sub(b, ['new'], 'b2')).p).toMatchObject({ success: true, success_topics: ['new'] });
    expect(started.server.healthSnapshot().topics).toBe(3);
  });
});
