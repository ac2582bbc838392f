// Reads what `workers.bench.ts --cpu-prof DIR` leaves: the servers' .cpuprofile files and
// DIR/rounds.json. Counts only the samples taken inside each server's own load rounds, and prints
// µs of sampled CPU per delivery by function (self time) and by file, per process role (single,
// primary, worker). Sampled time is on-CPU JavaScript and the native code it calls (uWS, libuv,
// GC); kernel time of syscalls shows up as the native frame that made them, not separately.
//
// Run: node bench/cpuprof-summary.mjs DIR [--top 25]

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 25;
if (!dir) throw new Error('usage: node bench/cpuprof-summary.mjs DIR [--top 25]');
const rounds = JSON.parse(readFileSync(join(dir, 'rounds.json'), 'utf8'));

/** Role of a pid: which server it belongs to and whether it is that server's first process. */
function roleOf(pid) {
  for (const [name, pids] of Object.entries(rounds.pids)) {
    const i = pids.indexOf(pid);
    if (i === 0) return { server: name, role: name === 'single' ? 'single' : 'primary' };
    if (i > 0) return { server: name, role: 'worker' };
  }
  return undefined;
}

const short = (url) =>
  url
    .replace(/^file:\/\/.*\/node_modules\//, 'npm:')
    .replace(/^file:\/\/.*\/\.cli-bench\.\d+\.mjs$/, 'bundle')
    .replace(/^file:\/\//, '');

const byRole = new Map(); // role → { fn: Map, file: Map, total, deliveries }
for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
  const pid = Number(f.split('.')[3]);
  const who = roleOf(pid);
  if (!who) continue;
  const prof = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const windows = rounds.windows
    .filter((w) => w.name === who.server)
    .map((w) => [Number(BigInt(w.startNs) / 1000n), Number(BigInt(w.endNs) / 1000n), w.deliveries]);
  const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
  const acc = byRole.get(who.role) ?? { fn: new Map(), file: new Map(), total: 0, deliveries: 0, procs: 0 };
  acc.procs += 1;
  // Deliveries are per server; count them once per role (a worker role sums two processes' time).
  if (acc.procs === 1) acc.deliveries = windows.reduce((n, w) => n + w[2], 0);
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i];
    const dt = (prof.timeDeltas[i + 1] ?? 0) / 1; // µs until the next sample
    if (!windows.some(([a, b]) => t >= a && t < b)) continue;
    const cf = nodes.get(prof.samples[i]).callFrame;
    const file = cf.url ? short(cf.url) : `(${cf.functionName || 'native'})`;
    const fn = `${cf.functionName || '(anonymous)'} ${cf.url ? `${short(cf.url)}:${cf.lineNumber + 1}` : ''}`;
    acc.fn.set(fn, (acc.fn.get(fn) ?? 0) + dt);
    acc.file.set(file, (acc.file.get(file) ?? 0) + dt);
    acc.total += dt;
  }
  byRole.set(who.role, acc);
}

for (const [role, acc] of byRole) {
  const per = (us) => (us / acc.deliveries).toFixed(3);
  console.log(
    `\n== ${role} (${acc.procs} process${acc.procs > 1 ? 'es' : ''}): ${per(acc.total)} µs sampled per delivery (${(acc.total / 1e6).toFixed(2)} s over ${acc.deliveries} deliveries)`,
  );
  const list = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, v]) => `   ${per(v).padStart(7)} µs ${((v / acc.total) * 100).toFixed(1).padStart(5)} %  ${k}`,
      )
      .join('\n');
  console.log(`  by file:\n${list(acc.file)}`);
  console.log(`  by function (self):\n${list(acc.fn)}`);
}
