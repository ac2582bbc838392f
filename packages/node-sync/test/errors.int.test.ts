/**
 * Every blocking call has a time limit and fails with a typed error instead of hanging.
 */
import { createServer } from 'node:net';
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
  token = await mintToken('bob');
  server.on('message', (ev) => {
    if (ev.t === 'fail_please') throw new Error('handler failed on purpose');
  });
});

afterAll(async () => {
  await server?.stop();
  bundle?.cleanup();
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill();
});

function child(source: string, env: Record<string, string> = {}): Child {
  const c = runChild(bundle.dir, source, { WSE_URL: url, WSE_TOKEN: token, ...env });
  children.push(c);
  return c;
}

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('timeouts', () => {
  it('recv returns null after its timeout; request throws WSETimeoutError after its timeout', async () => {
    const c = child(`
      import { sync, out, errInfo } from './prelude.mjs';
      const client = sync.connectSync(process.env.WSE_URL, { token: process.env.WSE_TOKEN, topics: ['quiet'] });
      let t = performance.now();
      const ev = client.recv(250);
      out({ step: 'recv', ev, ms: performance.now() - t });
      t = performance.now();
      try { client.request('nobody_answers', { q: 1 }, { timeoutMs: 300 }); out({ step: 'request', ok: true }); }
      catch (err) { out({ step: 'request', err: errInfo(err), ms: performance.now() - t }); }
      t = performance.now();
      const none = [...client.iter({ idleMs: 150 })];
      out({ step: 'iter', n: none.length, ms: performance.now() - t });
      // The client still works after a timed-out call (its late reply, if any, is ignored).
      out({ step: 'after', state: client.stats().state });
      client.close();
    `);
    const recv = await c.next((l) => l.step === 'recv');
    expect(recv.ev).toBeNull();
    expect(recv.ms as number).toBeGreaterThanOrEqual(240);
    expect(recv.ms as number).toBeLessThan(1000);
    const req = await c.next((l) => l.step === 'request');
    expect(req.err).toMatchObject({
      name: 'WSETimeoutError',
      code: 'TIMEOUT',
      isTimeout: true,
      isWSEError: true,
    });
    expect(req.ms as number).toBeGreaterThanOrEqual(290);
    expect(req.ms as number).toBeLessThan(1500);
    const iter = await c.next((l) => l.step === 'iter');
    expect(iter.n).toBe(0);
    expect(iter.ms as number).toBeLessThan(1000);
    expect((await c.next((l) => l.step === 'after')).state).toBe('connected');
    expect((await c.exited).code).toBe(0);
  });

  it('connectSync to a port nobody listens on throws WSEConnectionError CONNECT_FAILED within timeoutMs', async () => {
    const port = await freePort();
    const c = child(
      `
      import { sync, out, errInfo } from './prelude.mjs';
      const t = performance.now();
      try { sync.connectSync(process.env.DEAD_URL, { timeoutMs: 800 }); out({ step: 'done', ok: true }); }
      catch (err) { out({ step: 'done', err: errInfo(err), cause: err.cause?.code, ms: performance.now() - t }); }
    `,
      { DEAD_URL: `ws://127.0.0.1:${port}/wse` },
    );
    const done = await c.next((l) => l.step === 'done');
    expect(done.err).toMatchObject({
      name: 'WSEConnectionError',
      code: 'CONNECT_FAILED',
      isConnection: true,
    });
    expect(done.ms as number).toBeGreaterThanOrEqual(790);
    expect(done.ms as number).toBeLessThan(2000);
    expect((await c.exited).code).toBe(0);
  });
});

describe('auth and server errors', () => {
  it('a rejected token surfaces as WSEAuthError (AUTH_FAILED) without waiting for the timeout', async () => {
    const bad = await mintToken('mallory', { secret: 'some-other-secret-0123456789' });
    const c = child(
      `
      import { sync, out, errInfo } from './prelude.mjs';
      const t = performance.now();
      for (const token of [process.env.BAD_TOKEN, 'not-a-jwt']) {
        try { sync.connectSync(process.env.WSE_URL, { token, timeoutMs: 5000 }); out({ step: 'auth', ok: true }); }
        catch (err) { out({ step: 'auth', err: errInfo(err), ms: performance.now() - t }); }
      }
      out({ step: 'end' });
    `,
      { BAD_TOKEN: bad },
    );
    await c.next((l) => l.step === 'end');
    const results = c.lines.filter((l) => l.step === 'auth');
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r.err).toMatchObject({
        name: 'WSEAuthError',
        code: 'AUTH_FAILED',
        isAuth: true,
        isWSEError: true,
      });
      expect(r.ms as number).toBeLessThan(4000);
    }
    expect((await c.exited).code).toBe(0);
  });

  it('a server error frame for a request surfaces as WSEServerError with the wire code', async () => {
    const c = child(`
      import { sync, out, errInfo } from './prelude.mjs';
      const client = sync.connectSync(process.env.WSE_URL, { token: process.env.WSE_TOKEN });
      try { client.request('fail_please', {}, { timeoutMs: 3000 }); out({ step: 'done', ok: true }); }
      catch (err) { out({ step: 'done', err: errInfo(err) }); }
      client.close();
    `);
    const done = await c.next((l) => l.step === 'done');
    expect(done.err).toMatchObject({ name: 'WSEServerError', code: 'HANDLER_ERROR', isServer: true });
    expect((await c.exited).code).toBe(0);
  });

  it('a missing worker entry is reported as WSEConnectionError WORKER_NOT_FOUND', async () => {
    const c = child(`
      import { sync, out, errInfo } from './prelude.mjs';
      try { sync.connectSync(process.env.WSE_URL, { workerPath: './does-not-exist.mjs' }); }
      catch (err) { out({ step: 'done', err: errInfo(err) }); }
    `);
    const done = await c.next((l) => l.step === 'done');
    expect(done.err).toMatchObject({ code: 'WORKER_NOT_FOUND', isConnection: true });
  });
});
