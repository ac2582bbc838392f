// Presence in Redis across nodes: one join/leave per user on every node whatever node the
// connections are on, queries read Redis and agree everywhere, and a node killed with SIGKILL loses
// its users within the stated bound (presenceTtlSec × 1.25).
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Frame, TestClient, token } from './helpers';
import { subscribe, useRedis, waitFor } from './redis-support';

const { ctx, prefix, server } = useRedis('Redis presence tests (redis-presence.int.test.ts)');
const TTL_SEC = 2;
/** ≥ 32 bytes: the CLI refuses shorter HS256 secrets outside --dev. */
const SECRET = 'redis-presence-test-secret-0123456789abcdef';

async function node(p: string) {
  return server(p, { auth: { secret: SECRET }, presence: {}, engine: redisEngine(p) });
}
function redisEngine(p: string) {
  return { type: 'redis' as const, url: ctx.redis.url, prefix: p, presenceTtlSec: TTL_SEC };
}

async function user(url: string, sub: string) {
  const c = await TestClient.ready(
    url,
    {},
    { authorization: `Bearer ${await token(sub, { secret: SECRET })}` },
  );
  ctx.cleanup.push(() => c.close());
  return c;
}

async function query(c: TestClient, t: 'presence' | 'presence_stats', topic: string): Promise<Frame> {
  const cid = `q-${Math.random()}`;
  c.send({ t, p: { topic }, cid });
  return c.next((f) => f.cid === cid);
}

const events = (c: TestClient) =>
  c.frames.filter((f) => f.t.startsWith('presence_')).map((f) => `${f.t.slice(9)}:${String(f.p.user_id)}`);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A real `wse-server` process on the shared Redis (so it can be killed with SIGKILL). */
async function childNode(p: string): Promise<{ url: string; child: ChildProcess }> {
  const root = resolve(import.meta.dirname, '../../..');
  const child = spawn(
    process.execPath,
    [
      'scripts/run-ts.mjs',
      'packages/ref-server/src/cli.ts',
      ...['--host', '127.0.0.1', '--port', '0', '--jwt-secret', SECRET, '--presence'],
      ...['--redis', ctx.redis.url, '--redis-prefix', p, '--redis-presence-ttl', String(TTL_SEC)],
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  ctx.cleanup.push(() => {
    child.kill('SIGKILL');
    // run-ts.mjs removes its bundle when the script ends; a SIGKILLed one leaves it behind.
    rmSync(resolve(root, `packages/ref-server/src/.cli.${child.pid}.mjs`), { force: true });
  });
  const port = await new Promise<number>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`child server did not start: ${out}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    child.once('exit', (code) => fail(new Error(`child server exited ${code}: ${out}`)));
  });
  return { url: `ws://127.0.0.1:${port}/wse`, child };
}

describe.skipIf(!ctx.HAVE_REDIS)('Redis engine: presence across nodes', () => {
  it('one join and one leave per user on every node; queries agree everywhere', async () => {
    const p = prefix();
    const a = await node(p);
    const b = await node(p);
    const alice = await user(a.url, 'alice');
    const bob = await user(b.url, 'bob');
    await subscribe(alice, ['room'], { presence: { name: 'Alice' } });
    await waitFor(() => events(alice).includes('join:alice'), 3000, 'own join');
    await subscribe(bob, ['room'], { presence: { name: 'Bob' } });
    await waitFor(() => events(alice).length === 2 && events(bob).length === 1, 3000, 'joins');
    const alice2 = await user(b.url, 'alice'); // a second tab, on the other node: no second join
    await subscribe(alice2, ['room'], { presence: { name: 'Alice' } });
    const expected = {
      alice: { data: { name: 'Alice' }, connections: 2 },
      bob: { data: { name: 'Bob' }, connections: 1 },
    };
    await waitFor(async () => (await a.server.presenceAsync('room')).alice?.connections === 2, 3000, 'count');
    expect((await query(alice, 'presence', 'room')).p.members).toEqual(expected);
    expect((await query(bob, 'presence', 'room')).p.members).toEqual(expected);
    expect((await query(bob, 'presence_stats', 'room')).p).toEqual({
      topic: 'room',
      num_users: 2,
      num_connections: 3,
    });
    expect(() => a.server.presence('room')).toThrow(/presenceAsync/);

    alice2.close(); // not her last connection: nobody hears a leave
    await waitFor(async () => (await b.server.presenceAsync('room')).alice?.connections === 1, 3000, 'tab');
    bob.send({ t: 'presence_update', p: { topic: 'room', data: { name: 'Bobby' } } });
    await waitFor(() => events(alice).includes('update:bob'), 3000, 'update');
    expect(events(alice)).toEqual(['join:alice', 'join:bob', 'update:bob']); // once each, though 2 nodes
    alice.close();
    await waitFor(() => events(bob).includes('leave:alice'), 3000, 'leave');
    await wait(200);
    expect(events(bob)).toEqual(['join:bob', 'update:bob', 'leave:alice']);
    expect(await b.server.presenceAsync('room')).toEqual({
      bob: { data: { name: 'Bobby' }, connections: 1 },
    });
  });

  it('a node killed with SIGKILL: its users leave on the others within presenceTtlSec × 1.25', async () => {
    const p = prefix();
    const a = await node(p);
    const watcher = await user(a.url, 'watcher');
    await subscribe(watcher, ['lobby'], { presence: {} });
    const c = await childNode(p);
    const carol = await user(c.url, 'carol');
    await subscribe(carol, ['lobby'], { presence: { name: 'Carol' } });
    await waitFor(() => events(watcher).includes('join:carol'), 5000, 'carol joins');
    expect(Object.keys(await a.server.presenceAsync('lobby')).sort()).toEqual(['carol', 'watcher']);

    const killedAt = Date.now();
    c.child.kill('SIGKILL');
    await waitFor(() => events(watcher).includes('leave:carol'), 10_000, 'carol leaves');
    const took = Date.now() - killedAt;
    // Bound: entries expire ≤ TTL after the last refresh; a sweep runs every TTL/4. (+0.5 s for the test's own polling.)
    expect(took).toBeLessThanOrEqual(TTL_SEC * 1250 + 500);
    expect(await a.server.presenceAsync('lobby')).toEqual({ watcher: { data: {}, connections: 1 } });
    expect(events(watcher).filter((e) => e === 'leave:carol')).toHaveLength(1);
  });
});
