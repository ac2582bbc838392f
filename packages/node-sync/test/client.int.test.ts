/**
 * The blocking client against the real server, from child processes (so blocking is real: the
 * server lives in this process, the sync client blocks the child's main thread).
 */
import type { WSEServer } from '@wse/ref-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { token as mintToken } from '../../../test/support/wse-server';
import { type Child, createBundleDir, runChild, startServer } from './child-harness';

let bundle: { dir: string; cleanup: () => void };
let server: WSEServer;
let url: string;
let token: string;
const children: Child[] = [];

beforeAll(async () => {
  bundle = await createBundleDir();
  ({ server, url } = await startServer());
  token = await mintToken('alice');
  server.on('message', (ev) => {
    if (ev.t === 'get_profile')
      server.reply(ev.connId, ev.cid, { id: ev.p.id, name: 'Ada', user: ev.userId });
  });
});

afterAll(async () => {
  await server?.stop();
  bundle?.cleanup();
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill();
});

function child(source: string, ext = 'mjs'): Child {
  const c = runChild(bundle.dir, source, { WSE_URL: url, WSE_TOKEN: token }, ext);
  children.push(c);
  return c;
}

describe('connect, subscribe, receive, send, request', () => {
  it('receives publications in order, sends, requests, and exits promptly after close()', async () => {
    const got: Array<{ t: string; p: Record<string, unknown> }> = [];
    const off = server.on('message', (ev) => {
      got.push({ t: ev.t, p: ev.p });
    });
    const c = child(`
      import { sync, out, waitLine, errInfo } from './prelude.mjs';
      const client = sync.connectSync(process.env.WSE_URL, { token: process.env.WSE_TOKEN, topics: ['updates'], timeoutMs: 5000 });
      const sub = client.subscribe(['room:1']);
      out({ step: 'subscribed', sub });
      waitLine();
      const events = [];
      for (const ev of client.iter({ idleMs: 3000, max: 100 })) events.push({ topic: ev.topic, n: ev.payload.n, type: ev.type });
      out({ step: 'received', events });
      const id = client.send('chat_message', { text: 'hi' });
      const res = client.request('get_profile', { id: 7 });
      out({ step: 'requested', id, res });
      const stats = client.stats();
      out({ step: 'stats', stats });
      out({ step: 'closing', at: Date.now() });
      client.close();
      let after;
      try { client.recv(10); } catch (err) { after = errInfo(err); }
      out({ step: 'closed', after });
    `);
    const sub = await c.next((l) => l.step === 'subscribed');
    expect(sub.sub).toMatchObject({ success: true, topics: ['room:1'] });
    for (let n = 0; n < 50; n++) {
      server.broadcastLocal('updates', { t: 'tick', p: { n } });
      server.broadcastLocal('room:1', { t: 'chat', p: { n: 1000 + n } });
    }
    c.tell('go');
    const received = await c.next((l) => l.step === 'received');
    const events = received.events as Array<{ topic: string; n: number; type: string }>;
    expect(events).toHaveLength(100);
    const expected = [];
    for (let n = 0; n < 50; n++)
      expected.push({ topic: 'updates', n, type: 'tick' }, { topic: 'room:1', n: 1000 + n, type: 'chat' });
    // `topic` comes from the recovery stamp (`tp`), which the server adds once recovery is wired.
    expect(events.map(({ n, type }) => ({ n, type }))).toEqual(expected.map(({ n, type }) => ({ n, type })));
    for (const [i, ev] of events.entries())
      if (ev.topic !== undefined) expect(ev.topic).toBe(expected[i]?.topic);
    const requested = await c.next((l) => l.step === 'requested');
    expect(requested.res).toEqual({ id: 7, name: 'Ada', user: 'alice' });
    expect(typeof requested.id).toBe('string');
    expect(got).toContainEqual({ t: 'chat_message', p: { text: 'hi' } });
    const stats = (await c.next((l) => l.step === 'stats')).stats as Record<string, unknown>;
    expect(stats).toMatchObject({
      state: 'connected',
      received: 100,
      delivered: 100,
      dropped: 0,
      buffered: 0,
      reconnects: 0,
    });
    expect(stats.topics).toEqual(expect.arrayContaining(['updates', 'room:1']));
    const closing = await c.next((l) => l.step === 'closing');
    const closed = await c.next((l) => l.step === 'closed');
    expect(closed.after).toMatchObject({ code: 'CLIENT_CLOSED', isConnection: true });
    const exit = await c.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - (closing.at as number)).toBeLessThan(1000);
    off();
  });
});

describe('payloads and buffering', () => {
  it('carries a large payload across the thread boundary intact', async () => {
    const c = child(`
      import { sync, out, waitLine } from './prelude.mjs';
      const client = sync.connectSync(process.env.WSE_URL, { token: process.env.WSE_TOKEN, topics: ['big'] });
      out({ step: 'ready' });
      waitLine();
      const ev = client.recv(5000);
      const s = ev.payload.blob;
      let sum = 0;
      for (let i = 0; i < s.length; i++) sum = (sum * 31 + s.charCodeAt(i)) >>> 0;
      out({ step: 'got', length: s.length, sum, rows: ev.payload.rows.length });
      client.close();
    `);
    await c.next((l) => l.step === 'ready');
    // ~600 KiB of poorly compressible text plus a structured part.
    let blob = '';
    let x = 12345;
    while (blob.length < 600_000) {
      x = (x * 1103515245 + 12345) >>> 0;
      blob += x.toString(36);
    }
    let sum = 0;
    for (let i = 0; i < blob.length; i++) sum = (sum * 31 + blob.charCodeAt(i)) >>> 0;
    const rows = Array.from({ length: 2000 }, (_, i) => ({ i, name: `row-${i}` }));
    server.broadcastLocal('big', { t: 'blob', p: { blob, rows } });
    c.tell('go');
    const got = await c.next((l) => l.step === 'got');
    expect(got).toMatchObject({ length: blob.length, sum, rows: 2000 });
    expect((await c.exited).code).toBe(0);
  });

  it('buffers while the caller is busy, drops the oldest beyond bufferSize and counts it', async () => {
    const c = child(`
      import { sync, out, waitLine, sleep } from './prelude.mjs';
      const client = sync.connectSync(process.env.WSE_URL, { token: process.env.WSE_TOKEN, topics: ['burst'], bufferSize: 10, batchSize: 4 });
      out({ step: 'ready' });
      waitLine();
      let stats = client.stats();
      while (stats.received < 25) { sleep(10); stats = client.stats(); }
      out({ step: 'before', stats });
      const ns = [];
      for (const ev of client.iter({ idleMs: 300 })) ns.push(ev.payload.n);
      out({ step: 'after', ns, stats: client.stats() });
      client.close();
    `);
    await c.next((l) => l.step === 'ready');
    for (let n = 0; n < 25; n++) server.broadcastLocal('burst', { t: 'tick', p: { n } });
    c.tell('go');
    const before = (await c.next((l) => l.step === 'before')).stats;
    expect(before).toMatchObject({ received: 25, buffered: 10, bufferSize: 10, dropped: 15, delivered: 0 });
    const after = await c.next((l) => l.step === 'after');
    expect(after.ns).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(after.stats).toMatchObject({ received: 25, buffered: 0, dropped: 15, delivered: 10 });
    expect((await c.exited).code).toBe(0);
  });

  it('recv(0) returns what is buffered without waiting, then null', async () => {
    const c = child(`
      import { sync, out, waitLine, sleep } from './prelude.mjs';
      const client = sync.connectSync(process.env.WSE_URL, { token: process.env.WSE_TOKEN, topics: ['poll'] });
      const t0 = performance.now();
      const empty = client.recv(0);
      out({ step: 'ready', empty, ms: performance.now() - t0 });
      waitLine();
      while (client.stats().received < 3) sleep(5);
      const ns = [client.recv(0), client.recv(0), client.recv(0), client.recv(0)].map((e) => e && e.payload.n);
      out({ step: 'polled', ns });
      client.close();
    `);
    const ready = await c.next((l) => l.step === 'ready');
    expect(ready.empty).toBeNull();
    expect(ready.ms as number).toBeLessThan(200);
    for (let n = 0; n < 3; n++) server.broadcastLocal('poll', { t: 'tick', p: { n } });
    c.tell('go');
    expect((await c.next((l) => l.step === 'polled')).ns).toEqual([0, 1, 2, null]);
  });
});

describe('process lifetime and module formats', () => {
  it('a script that never calls close() still exits promptly', async () => {
    const c = child(`
      import { sync, out } from './prelude.mjs';
      const client = sync.connectSync(process.env.WSE_URL, { token: process.env.WSE_TOKEN, topics: ['x'] });
      out({ step: 'done', at: Date.now(), state: client.stats().state });
    `);
    const done = await c.next((l) => l.step === 'done');
    expect(done.state).toBe('connected');
    const exit = await c.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - (done.at as number)).toBeLessThan(1000);
  });

  it('works through require() (CommonJS build, worker.cjs found next to index.cjs)', async () => {
    const c = child(
      `
      const { connectSync, WSETimeoutError } = require('./cjs/index.cjs');
      const client = connectSync(process.env.WSE_URL, { token: process.env.WSE_TOKEN, topics: ['cjs'] });
      const res = client.request('get_profile', { id: 9 });
      let timeout = null;
      try { client.request('nobody_answers', {}, { timeoutMs: 200 }); } catch (err) { timeout = err instanceof WSETimeoutError; }
      client.close();
      process.stdout.write(JSON.stringify({ step: 'done', res, timeout }) + '\\n');
    `,
      'cjs',
    );
    const done = await c.next((l) => l.step === 'done');
    expect(done).toMatchObject({ res: { id: 9, name: 'Ada' }, timeout: true });
    expect((await c.exited).code).toBe(0);
  });
});

describe('queue groups', () => {
  it('two blocking workers with subscribe(["jobs"], { queueGroup }) share the jobs, each job once', async () => {
    const worker = () =>
      child(`
        import { sync, out, waitLine } from './prelude.mjs';
        const client = sync.connectSync(process.env.WSE_URL, { token: process.env.WSE_TOKEN, timeoutMs: 5000 });
        const sub = client.subscribe(['jobs'], { queueGroup: 'workers' });
        out({ step: 'subscribed', sub });
        waitLine();
        const jobs = [];
        for (const ev of client.iter({ idleMs: 1000, max: 20 })) jobs.push(ev.payload.data.n);
        out({ step: 'done', jobs });
        client.close();
      `);
    const workers = [worker(), worker()];
    for (const w of workers) {
      const sub = await w.next((l) => l.step === 'subscribed');
      expect(sub.sub).toMatchObject({ success: true, topics: ['jobs'] });
    }
    expect(server.queueGroupStats('jobs')).toEqual({ workers: 2 });
    for (let n = 0; n < 20; n++) server.broadcast('jobs', { n });
    for (const w of workers) w.tell('go');
    const shares = await Promise.all(
      workers.map(async (w) => (await w.next((l) => l.step === 'done')).jobs as number[]),
    );
    expect(shares.map((s) => s.length)).toEqual([10, 10]);
    expect(shares.flat().sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });
});
