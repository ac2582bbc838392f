import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers';
import { bundleCli, CliProcess, getJson, postJson } from './cli-process';
import { freePort } from './cluster-support';

// Real `wse-server` processes on loopback: kill -9, restarts, --workers, signals.
let cli: { path: string; remove(): void };
const procs: CliProcess[] = [];
beforeAll(async () => {
  cli = await bundleCli();
}, 30_000);
afterAll(() => {
  for (const p of procs) p.kill();
  cli?.remove();
});

const BASE = ['--anonymous', '--host', '127.0.0.1', '--log-level', 'warn'];

function run(args: string[]): CliProcess {
  const p = new CliProcess(cli.path, [...BASE, ...args]);
  procs.push(p);
  return p;
}

async function node(clusterPort: number, seeds: string[]): Promise<{ proc: CliProcess; port: number }> {
  const args = ['--port', '0', '--cluster-host', '127.0.0.1', '--cluster-port', String(clusterPort)];
  if (seeds.length) args.push('--cluster-seeds', seeds.join(','));
  const proc = run(args);
  await proc.waitOutput(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(proc.out)?.[1]);
  return { proc, port };
}

interface Peer {
  id: string;
  state: string;
  direction: string;
}
async function cluster(port: number): Promise<{ id: string; peers: Peer[] }> {
  const h = await getJson(port, '/health');
  return h.cluster as { id: string; peers: Peer[] };
}
async function upIds(port: number): Promise<string[]> {
  return (await cluster(port)).peers.filter((p) => p.state === 'up').map((p) => p.id);
}

describe('cluster processes', () => {
  it('kill -9 B: A and C mark it dead within 15 s; B restarts, rejoins, no link doubled', async () => {
    const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()];
    const a = await node(pa, []);
    const seed = [`127.0.0.1:${pa}`];
    let b = await node(pb, seed);
    const c = await node(pc, seed);
    const all = () => [a, b, c];
    const meshed = async () =>
      (await Promise.all(all().map((n) => upIds(n.port)))).every((ids) => ids.length === 2);
    await until(meshed, 15_000, 'full mesh');
    const bId = (await cluster(b.port)).id;

    b.proc.kill('SIGKILL');
    const t0 = Date.now();
    const isDead = async (n: { port: number }) =>
      (await cluster(n.port)).peers.find((p) => p.id === bId)?.state === 'dead';
    await until(async () => (await isDead(a)) && (await isDead(c)), 15_000, 'B marked dead');
    expect(Date.now() - t0).toBeLessThan(15_000);

    b = await node(pb, seed);
    await until(meshed, 20_000, 'B rejoined');
    // One link per pair: both ends of every pair agree on who dialled it.
    const infos = await Promise.all(all().map((n) => cluster(n.port)));
    for (const info of infos) {
      const up = info.peers.filter((p) => p.state === 'up');
      expect(new Set(up.map((p) => p.id)).size).toBe(2);
      for (const p of up) {
        const back = infos
          .find((x) => x.id === p.id)
          ?.peers.find((x) => x.id === info.id && x.state === 'up');
        expect(back?.direction).toBe(p.direction === 'out' ? 'in' : 'out');
      }
    }
  }, 60_000);

  it('--workers 2: cross-worker delivery, a killed worker restarts, a plain server on the port fails, SIGINT drains', async () => {
    const port = await freePort();
    const primary = run(['--workers', '2', '--port', String(port), '--api-key', 'k']);
    await primary.waitOutput(/with 2 workers/, 20_000);

    const clients = await Promise.all(
      [...Array(6)].map(() => TestClient.ready(`ws://127.0.0.1:${port}/wse`)),
    );
    for (const c of clients) {
      c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['x'] } });
      await c.next('subscription_update');
    }
    const publish = (data: unknown) =>
      postJson(port, '/api/publish', { topic: 'x', data }, { authorization: 'apikey k' });
    // Interest crosses the loopback mesh asynchronously: probe until every client heard one.
    const heard = new Set<TestClient>();
    await until(
      async () => {
        await publish({ t: 'probe', p: {} });
        await new Promise((r) => setTimeout(r, 50));
        for (const c of clients) if (c.frames.some((f) => f.t === 'probe')) heard.add(c);
        return heard.size === clients.length;
      },
      10_000,
      'probes everywhere',
    );
    const delivered: number[] = [];
    for (let i = 0; i < 20; i++) delivered.push((await publish({ t: 'n', p: { i } })).delivered as number);
    // Every client gets every publication exactly once. Each worker stamps what it accepted in its
    // own stream, so order holds per stream (epoch), not across the two workers' streams.
    for (const c of clients) {
      const got = [];
      for (let i = 0; i < 20; i++) got.push(await c.next('n', 5000));
      expect(got.map((f) => f.p.i as number).sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
      for (const epoch of new Set(got.map((f) => f.e))) {
        const stream = got.filter((f) => f.e === epoch);
        expect(stream.map((f) => f.o)).toEqual([...stream.map((f) => f.o as number)].sort((x, y) => x - y));
        expect(stream.map((f) => f.p.i)).toEqual(
          [...stream.map((f) => f.p.i as number)].sort((x, y) => x - y),
        );
      }
      expect(await c.quiet('n', 100)).toBe(true);
    }
    // Some publication was accepted by a worker that did not hold all six subscribers.
    expect(delivered.some((n) => n < 6)).toBe(true);

    const second = run(['--port', String(port)]);
    expect((await second.exited).code).toBe(1);
    expect(second.err).toContain(String(port));

    const pids = new Set<number>();
    await until(
      async () => pids.add((await getJson(port, '/health')).pid as number).size === 2,
      10_000,
      'both workers',
    );
    const [victim] = [...pids];
    process.kill(victim as number, 'SIGKILL');
    await primary.waitOutput(/worker \d exited/);
    await until(
      async () => {
        const pid = (await getJson(port, '/health').catch(() => ({ pid: 0 }))).pid as number;
        return pid !== 0 && !pids.has(pid);
      },
      15_000,
      'restarted worker',
    );

    const watcher = await TestClient.ready(`ws://127.0.0.1:${port}/wse`);
    primary.kill('SIGINT');
    expect((await watcher.closed).code).toBe(4300);
    expect(await primary.exited).toEqual({ code: 0, signal: null });
    for (const c of clients) c.close();
  }, 90_000);
});

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
