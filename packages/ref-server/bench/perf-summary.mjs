// Reads `perf record -g -e cpu-clock:u` samples that `workers.bench.ts --prof-dir DIR --perf FILE
// --node-args --perf-basic-prof` leaves, keeps the samples taken inside each server's own load rounds
// (DIR/rounds.json, CLOCK_MONOTONIC), and prints µs of user CPU per delivery by symbol and by
// shared object and by activity (from the call chain), per process role (single, primary, worker). JIT code is named through the
// /tmp/perf-<pid>.map files `--perf-basic-prof` writes. Kernel time is not sampled (paranoid 2):
// the bench prints it from /proc (`system`).
//
// Run: node bench/perf-summary.mjs DIR FILE [--top 30]

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, file] = process.argv.slice(2);
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 30;
if (!dir || !file) throw new Error('usage: node bench/perf-summary.mjs DIR FILE [--top 30]');
const rounds = JSON.parse(readFileSync(join(dir, 'rounds.json'), 'utf8'));
const hz = 2999; // workers.bench.ts records at -F 2999

const roles = new Map(); // pid → { server, role }
for (const [server, pids] of Object.entries(rounds.pids))
  pids.forEach((pid, i) => {
    roles.set(pid, { server, role: i > 0 ? 'worker' : server === 'single' ? 'single' : 'primary' });
  });
const windows = rounds.windows.map((w) => ({
  name: w.name,
  a: Number(BigInt(w.startNs) / 1000n) / 1e6,
  b: Number(BigInt(w.endNs) / 1000n) / 1e6,
}));
const deliveries = new Map();
for (const w of rounds.windows) deliveries.set(w.name, (deliveries.get(w.name) ?? 0) + w.deliveries);

/**
 * What a sample was doing, from its call chain (needs `perf record -g`, which the bench uses): the
 * first rule whose marker is on the stack wins. Markers are symbol names of Node, V8 and uWS, and
 * the names of our functions (the bundle keeps them).
 */
const ACTIVITIES = [
  ['JIT compile (background threads)', ['OptimizingCompileDispatcher', 'Compiler::', 'CompileTask']],
  [
    'GC',
    ['Heap::', 'ConcurrentMarking', 'Scavenger', 'MarkCompact', 'Sweeper', 'Evacuat', 'IncrementalMarking'],
  ],
  ['mesh link write (socket.write)', ['Writable.write', 'writeGeneric', 'Socket._write']],
  ['mesh forward (encode + queue)', ['forward B:']],
  ['HTTP request (parse, auth, stamp, local publish)', ['uWS::HttpResponse', 'uWS::HttpRequest', 'route B:']],
  ['mesh link read (decode, checks, remote delivery)', ['LibuvStreamWrap', 'uv__read', 'onData B:']],
  ['fan-out flush (setImmediate → uWS publish)', ['CheckImmediate', 'processImmediate']],
  ['timers (PING, RESYNC, heartbeats, metrics)', ['processTimers', 'listOnTimeout', 'uv__run_timers']],
  ['uWS socket I/O outside JS', ['uws_linux']],
  ['event loop poll (epoll)', ['epoll_pwait', 'uv__io_poll']],
];
const activityOf = (frames) => {
  for (const [name, markers] of ACTIVITIES)
    if (frames.some((f) => markers.some((m) => f.includes(m)))) return name;
  return 'other';
};

const out = execFileSync('perf', ['script', '-i', file, '-F', 'pid,time,ip,sym,dso'], {
  maxBuffer: 1 << 30,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'ignore'],
});
const acc = new Map(); // role → { sym: Map, dso: Map, act: Map, n }
let cur;
const finish = () => {
  const who = cur && roles.get(cur.pid);
  if (!who || cur.frames.length === 0) return;
  if (!windows.some((w) => w.name === who.server && cur.t >= w.a && cur.t < w.b)) return;
  const [leaf, dso] = cur.frames[0];
  const a = acc.get(who.role) ?? { sym: new Map(), dso: new Map(), act: new Map(), n: 0, server: who.server };
  const add = (m, k) => m.set(k, (m.get(k) ?? 0) + 1);
  add(a.sym, `${leaf} [${dso}]`);
  add(a.dso, dso);
  add(a.act, activityOf(cur.frames.map(([f, d]) => `${f} ${d}`)));
  a.n += 1;
  acc.set(who.role, a);
};
for (const line of out.split('\n')) {
  const h = /^\s*(\d+)\s+([\d.]+):\s*$/.exec(line);
  if (h) {
    finish();
    cur = { pid: Number(h[1]), t: Number(h[2]), frames: [] };
    continue;
  }
  const f = /^\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$/.exec(line);
  if (!f || !cur) continue;
  const dso = f[2].replace(/^\/tmp\/perf-\d+\.map$/, 'JIT').replace(/^.*\//, '');
  const sym = (f[1].replace(/\+0x[0-9a-f]+$/, '') || '??').replace(/file:\/\/\S*\.cli-bench\.\d+\.mjs/, 'B');
  cur.frames.push([sym, dso]);
}
finish();
for (const [role, a] of acc) {
  const d = deliveries.get(a.server);
  const per = (n) => ((n / hz / d) * 1e6).toFixed(3);
  console.log(`\n== ${role}: ${per(a.n)} µs user CPU per delivery (${a.n} samples, ${d} deliveries)`);
  const list = (m) =>
    [...m]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([k, v]) => `   ${per(v).padStart(7)} µs ${((v / a.n) * 100).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  console.log(
    `  by activity:\n${list(a.act)}\n  by object:\n${list(a.dso)}\n  by symbol (self):\n${list(a.sym)}`,
  );
}
