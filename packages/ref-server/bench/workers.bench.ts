// Cluster benchmark (issue 12): `wse-server --workers 2` vs one plain `wse-server`, server CPU per delivery.
// Run from packages/ref-server: node ../../scripts/run-ts.mjs bench/workers.bench.ts [--subs 200 --rate 400 --rounds 4 --round-ms 3000 --warmup 6 --text 60]
//
// Both servers run at once as real CLI processes (the CLI bundled from source, as the process tests
// do), each with `subs` subscribers of one topic from the project's load generator (one worker
// thread, raw sockets, frames counted without decoding); with `--workers 2` the kernel spreads them
// over the two workers (SO_REUSEPORT), so each publication is fanned out on both and crosses the
// loopback mesh once. After `warmup` unmeasured rounds on each, rounds alternate the two servers; in a round the same fixed load — `rate`
// HTTP publications/s (`POST /api/publish`, 4 keep-alive sockets) — goes to one of them, and its
// CPU time (utime+stime from /proc/<pid>/stat, primary + workers) is divided by the deliveries
// counted. Limits of the figure: the load generator and this driver share the box's cores with the
// server, so a busy box adds scheduling noise to both sides alike; the rate is fixed, so the figure
// is the cost at that load, not at saturation; HTTP parsing is part of each publication's cost.
//
// Profiling (not for figures: sampling adds its own cost): `--prof-dir DIR` writes DIR/rounds.json
// (pids, round windows on CLOCK_MONOTONIC — the clock V8 stamps its samples with — and deliveries);
// `--node-args '--cpu-prof --cpu-prof-dir=DIR'` starts both servers with those node flags (Node 20
// refuses --cpu-prof in NODE_OPTIONS; a `--workers` primary forks its workers with its own execArgv,
// fork's default, so they get them too); `--perf FILE` attaches `perf record -e cpu-clock:u` (on-CPU
// user time, what paranoid level 2 allows) to every server process, into FILE — pair it
// with `--node-args --perf-basic-prof` for JIT symbols. bench/cpuprof-summary.mjs reads the .cpuprofile
// files, bench/perf-summary.mjs the perf samples.

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { CliProcess, getJson } from '../test/cluster/cli-process';
import { freePort } from '../test/cluster/cluster-support';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const num = (k: string, d: number) => Number(args.get(k) ?? d);
const SUBS = num('subs', 200);
const RATE = num('rate', 400);
const ROUNDS = num('rounds', 4);
const ROUND_MS = num('round-ms', 3000);
const WARMUP = num('warmup', 6);
/** Characters of text per publication: 60 → a 233-byte stamped envelope (under zstd's 256 B); ≥ ~85 crosses it. */
const TEXT = num('text', 60);
const PROF_DIR = args.get('prof-dir');
const NODE_ARGS = (args.get('node-args') ?? '').split(' ').filter(Boolean);
const TARGET = 1.15;
const KEY = 'bench-key';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

interface LoadGenLike {
  start(): void;
  connect(o: Record<string, unknown>): Promise<{ ready: number }>;
  deliveries(): number;
  closeAll(): Promise<void>;
  terminate(): Promise<void>;
}

/** CPU seconds (user, system) of one process from /proc/<pid>/stat. */
function cpuOf(pid: number): { user: number; sys: number } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 }; // CLK_TCK = 100 on Linux x86-64 and arm64
}
/** The process and its direct children (the workers), primary first. */
function familyOf(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  return [pid, ...children.filter(Boolean).map(Number)];
}
/** CPU seconds (user, system) of a process and of its children, summed. */
function cpuSeconds(pid: number): { user: number; sys: number; primary: number } {
  const all = familyOf(pid).map(cpuOf);
  const sum = (k: 'user' | 'sys') => all.reduce((n, c) => n + c[k], 0);
  const p = all[0] as { user: number; sys: number };
  return { user: sum('user'), sys: sum('sys'), primary: p.user + p.sys };
}

interface Target {
  name: string;
  proc: CliProcess;
  port: number;
  agent: http.Agent;
}

const BASE = ['--anonymous', '--host', '127.0.0.1', '--log-level', 'warn', '--api-key', KEY];
// The CLI bundled from source (test/cluster/cli-process.ts's bundleCli resolves its paths from the
// test folder, which a bundled bench does not have): workspace packages in, npm dependencies out.
const PKG = resolve(import.meta.dirname ?? '.', '..');
const cli = {
  path: resolve(PKG, `.cli-bench.${process.pid}.mjs`),
  remove: () => rmSync(cli.path, { force: true }),
};
await build({
  entryPoints: [resolve(PKG, 'src/cli.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  conditions: ['wse-source'],
  outfile: cli.path,
  logLevel: 'error',
  plugins: [
    {
      name: 'external-npm',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (a) =>
          a.path.startsWith('@wse/') ? undefined : { path: a.path, external: true },
        );
      },
    },
  ],
});
process.on('exit', () => cli.remove());
async function start(name: string, extra: string[], ready: RegExp): Promise<Target> {
  const port = await freePort();
  const proc = new CliProcess(cli.path, [...BASE, '--port', String(port), ...extra], {}, NODE_ARGS);
  await proc.waitOutput(ready, 30_000);
  return { name, proc, port, agent: new http.Agent({ keepAlive: true, maxSockets: 4 }) };
}

function publish(t: Target, seq: number): Promise<void> {
  const body = JSON.stringify({
    topic: 'bench',
    data: { t: 'tick', p: { bseq: seq, bts: 0, text: 'x'.repeat(TEXT) } },
  });
  return new Promise((done, fail) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: t.port,
        path: '/api/publish',
        method: 'POST',
        agent: t.agent,
        headers: { 'content-type': 'application/json', authorization: `apikey ${KEY}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? done() : fail(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

if (PROF_DIR) mkdirSync(PROF_DIR, { recursive: true });
const single = await start('single', [], /listening on http:\/\/127\.0\.0\.1:\d+/);
const workers = await start('workers', ['--workers', '2'], /with 2 workers/);
// Both workers up and meshed: fresh connections land on either, each must report one peer up.
const meshed = new Set<string>();
for (let i = 0; meshed.size < 2; i++) {
  if (i > 400) throw new Error('the two workers did not mesh');
  const c = (await getJson(workers.port, '/health')).cluster as {
    id: string;
    peers: Array<{ state: string }>;
  };
  if (c.peers.some((p) => p.state === 'up')) meshed.add(c.id);
  await sleep(25);
}

const root = resolve(import.meta.dirname ?? '.', '../../..');
const { LoadGen } = (await import(pathToFileURL(resolve(root, 'test/bench/lib/loadgen.mjs')).href)) as {
  LoadGen: new (workers: number) => LoadGenLike;
};
const gen = new LoadGen(1);
gen.start();
for (const t of [single, workers]) {
  const c = await gen.connect({
    proto: 'wse',
    port: t.port,
    path: '/wse',
    count: SUBS,
    subscribe: true,
    concurrency: 32,
    timeoutMs: 30_000,
  });
  if (c.ready !== SUBS) throw new Error(`${t.name}: only ${c.ready}/${SUBS} subscribers connected`);
}

let seq = 0;
/** Waits until no delivery has arrived for 150 ms. */
async function settle(): Promise<void> {
  for (let last = -1; last !== gen.deliveries(); ) {
    last = gen.deliveries();
    await sleep(150);
  }
}
// Interest crosses the workers' mesh asynchronously: probe until one publication reaches all.
for (let i = 0; ; i++) {
  if (i > 100) throw new Error('interest did not reach both workers');
  const d0 = gen.deliveries();
  await publish(workers, ++seq);
  await settle();
  if (gen.deliveries() - d0 === SUBS) break;
}

interface RoundResult {
  us: number;
  rate: number;
  lost: number;
  /** µs per delivery: user and system time of all processes, and the primary's share (user+sys). */
  user: number;
  sys: number;
  primary: number;
  window: { name: string; startNs: string; endNs: string; deliveries: number };
}

/** One round of the fixed load on `t`; returns µs of server CPU per delivery and deliveries/s. */
async function round(t: Target): Promise<RoundResult> {
  await settle();
  const d0 = gen.deliveries();
  const c0 = cpuSeconds(t.proc.child.pid as number);
  const ns0 = process.hrtime.bigint();
  const t0 = performance.now();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  while (performance.now() - t0 < ROUND_MS) {
    const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
    for (; sent < due; sent++) {
      const p = publish(t, ++seq).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(5);
  }
  await Promise.all(inFlight);
  await settle();
  const secs = (performance.now() - t0) / 1000;
  const delivered = gen.deliveries() - d0;
  const c1 = cpuSeconds(t.proc.child.pid as number);
  const per = (x: number) => (x / delivered) * 1e6;
  const user = per(c1.user - c0.user);
  const sys = per(c1.sys - c0.sys);
  return {
    us: user + sys,
    user,
    sys,
    primary: per(c1.primary - c0.primary),
    rate: delivered / secs,
    lost: sent * SUBS - delivered,
    window: {
      name: t.name,
      startNs: String(ns0),
      endNs: String(process.hrtime.bigint()),
      deliveries: delivered,
    },
  };
}

// Unmeasured warm-up rounds first: until V8 has optimized the hot paths, every process spends CPU on
// its background compiler, and `--workers 2` compiles the same code twice (once per worker), so
// counting warm-up would charge a one-off start-up cost to each delivery.
for (let i = 0; i < WARMUP; i++) for (const t of [single, workers]) await round(t);
// perf attaches to the processes as they are now (after the probe: both workers meshed and warm).
const perfFile = args.get('perf');
const perf = perfFile
  ? spawn(
      'perf',
      [
        'record',
        '-g',
        '-e',
        'cpu-clock:u',
        '-F',
        '2999',
        '-k',
        'CLOCK_MONOTONIC',
        '-o',
        perfFile,
        '-p',
      ].concat([single, workers].flatMap((t) => familyOf(t.proc.child.pid as number)).join(',')),
      { stdio: 'inherit' },
    )
  : undefined;
if (perf) await sleep(500);
// Idle cost: CPU of each server over a quiet stretch (timers, GC, metrics), as µs per delivery at
// the bench's rate — the share of each round's figure that does not depend on the load.
const idle = new Map<string, number>();
await settle();
for (const t of [single, workers]) {
  const c0 = cpuSeconds(t.proc.child.pid as number);
  await sleep(ROUND_MS);
  const c1 = cpuSeconds(t.proc.child.pid as number);
  idle.set(t.name, ((c1.user + c1.sys - c0.user - c0.sys) / (ROUND_MS / 1000) / (RATE * SUBS)) * 1e6);
}
const us: Record<string, number[]> = { single: [], workers: [] };
const ratios: number[] = [];
const split: Record<string, Array<{ user: number; sys: number; primary: number }>> = {
  single: [],
  workers: [],
};
const windows: RoundResult['window'][] = [];
let lost = 0;
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? [single, workers] : [workers, single];
  const got = new Map<string, number>();
  for (const t of order) {
    const x = await round(t);
    lost += x.lost;
    got.set(t.name, x.us);
    us[t.name]?.push(x.us);
    split[t.name]?.push(x);
    windows.push(x.window);
  }
  ratios.push((got.get('workers') as number) / (got.get('single') as number));
}
const fmt = (n: number, d = 2) => n.toFixed(d);
console.log(
  `\n--workers 2 vs one process: ${SUBS} subscribers, one topic, ${RATE} publications/s (${RATE * SUBS} deliveries/s), ${ROUNDS} paired rounds of ${ROUND_MS} ms`,
);
for (const name of ['single', 'workers'])
  console.log(
    `  ${name === 'single' ? 'one process ' : '--workers 2 '}  ${fmt(median(us[name] ?? []))} µs server CPU per delivery   rounds: ${(us[name] ?? []).map((x) => fmt(x)).join(' ')}`,
  );
for (const name of ['single', 'workers']) {
  const xs = split[name] ?? [];
  console.log(
    `  ${name === 'single' ? 'one process ' : '--workers 2 '}  medians: user ${fmt(median(xs.map((x) => x.user)))} µs, system ${fmt(median(xs.map((x) => x.sys)))} µs${name === 'workers' ? `, of which the primary ${fmt(median(xs.map((x) => x.primary)), 3)} µs` : ''}; idle ${fmt(idle.get(name) ?? 0, 3)} µs`,
  );
}
const ratio = median(ratios);
console.log(
  `  workers / single, median of pairs: ${fmt(ratio, 3)} (target ≤ ${TARGET}: ${ratio <= TARGET ? 'met' : 'NOT met'})   pairs: ${ratios.map((x) => fmt(x, 3)).join(' ')}   lost: ${lost}`,
);
if (PROF_DIR) {
  const pids = (t: Target) => familyOf(t.proc.child.pid as number);
  writeFileSync(
    resolve(PROF_DIR, 'rounds.json'),
    JSON.stringify({ pids: { single: pids(single), workers: pids(workers) }, windows }, null, 1),
  );
  // What the servers printed (e.g. with --node-args '--trace-opt --trace-deopt').
  for (const t of [single, workers])
    writeFileSync(resolve(PROF_DIR, `${t.name}.out`), t.proc.out + t.proc.err);
}
if (perf) {
  perf.kill('SIGINT');
  await new Promise((r) => perf.once('exit', r));
}
await gen.closeAll();
await gen.terminate();
for (const t of [single, workers]) {
  t.agent.destroy();
  t.proc.kill('SIGINT');
  await t.proc.exited;
}
cli.remove();
