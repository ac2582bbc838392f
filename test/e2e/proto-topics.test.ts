// Issue 18 item 9: topics named after Object.prototype members (`__proto__`, `constructor`,
// `toString`, `hasOwnProperty`) are topics like any other — the real @wse/core-client against the
// real server, with the socket cut mid-stream so recovery (positions keyed by those names, the
// server's reply keyed by them) has to work for every message to arrive exactly once.
import { createClient, type WSEClient } from '@wse/core-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxy, startServer } from '../support/wse-server';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => {});
});

const TOPICS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const PER_TOPIC = 300;

function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`waitFor: ${what} timed out`));
      setTimeout(check, 5);
    };
    check();
  });
}

describe('Object.prototype names as topics', () => {
  it(`${TOPICS.join(', ')}: ${PER_TOPIC} messages each, socket cut mid-stream, every offset once, in order, no recovery_failed`, async () => {
    const { server, port } = await startServer({ recovery: { bufferSize: 1024, maxMessages: 1000 } });
    cleanup.push(() => server.stop());
    const proxy = await startProxy(port);
    cleanup.push(() => proxy.close());
    const c: WSEClient = createClient({
      endpoints: proxy.url,
      reconnect: { baseMs: 20, maxMs: 100 },
      offline: false,
    });
    c.on('error', () => {});
    cleanup.push(() => c.close());
    const got = new Map<string, number[]>(TOPICS.map((t) => [t, []]));
    const failed: string[] = [];
    c.on('item', (m) => got.get(m.topic as string)?.push(m.offset as number));
    c.on('recovery_failed', (ev) => failed.push(ev.topic));
    await c.connect();
    const sub = await c.subscribe(TOPICS);
    expect([...sub.topics].sort()).toEqual([...TOPICS].sort());

    let sent = 0;
    const pump = setInterval(() => {
      for (let i = 0; i < 10 && sent < PER_TOPIC; i++, sent++) {
        for (const t of TOPICS) server.broadcast(t, { t: 'item', p: { n: sent } });
      }
    }, 1);
    cleanup.push(() => clearInterval(pump));
    await waitFor(() => (got.get('__proto__')?.length ?? 0) >= 60, 8000, 'first messages');
    proxy.cut(); // the client reconnects and recovers every topic from its positions
    await waitFor(() => sent >= PER_TOPIC, 8000, 'publisher');
    await waitFor(() => TOPICS.every((t) => got.get(t)?.length === PER_TOPIC), 10_000, 'every message');
    await new Promise((r) => setTimeout(r, 50));
    const all = Array.from({ length: PER_TOPIC }, (_, i) => i);
    for (const t of TOPICS) expect(got.get(t), t).toEqual(all);
    expect(failed).toEqual([]);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype); // nothing was polluted on the way
  });
});
