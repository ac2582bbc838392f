// Fan-out profile helper (issue 16): WSEServer (JWT off: auth is not on the publish path) in this
// process, 100 subscribers from the project's load generator in a worker thread, publications of
// the test/bench payload through broadcastLocal with 200 000 deliveries in flight, for --ms.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof ../../scripts/run-ts.mjs bench/fanout-profile.ts --recovery on
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WSEServer } from '../src/server';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const SUBS = Number(args.get('subs') ?? 100);
const MS = Number(args.get('ms') ?? 4000);
const root = resolve(import.meta.dirname ?? '.', '../../..');
const { LoadGen } = (await import(pathToFileURL(resolve(root, 'test/bench/lib/loadgen.mjs')).href)) as {
  LoadGen: new (
    w: number,
  ) => {
    start(): void;
    connect(o: Record<string, unknown>): Promise<{ ready: number }>;
    deliveries(): number;
    closeAll(): Promise<void>;
    terminate(): Promise<void>;
  };
};
const server = new WSEServer({
  host: '127.0.0.1',
  port: 0,
  auth: false,
  recovery: { enabled: args.get('recovery') === 'on' },
  logLevel: 'silent',
  maxBackpressure: 64 * 1024 * 1024,
});
const port = (await server.start()) as number;
const gen = new LoadGen(1);
gen.start();
const conn = await gen.connect({
  proto: 'wse',
  port,
  path: '/wse',
  count: SUBS,
  subscribe: true,
  concurrency: 32,
});
while (server.connectionCount() < conn.ready) await new Promise((r) => setTimeout(r, 5));
await new Promise((r) => setTimeout(r, 100));
const pad = 'x'.repeat(52);
let published = 0;
const d0 = gen.deliveries();
const c0 = process.cpuUsage();
const t0 = performance.now();
await new Promise<void>((done) => {
  const pump = () => {
    if (performance.now() - t0 >= MS) return done();
    if (published * SUBS - (gen.deliveries() - d0) < 200_000)
      for (let i = 0; i < 256; i++) {
        published++;
        server.broadcastLocal('bench', { t: 'bench_tick', p: { bseq: published, bts: 0, pad } });
      }
    setImmediate(pump);
  };
  pump();
});
const secs = (performance.now() - t0) / 1000;
const c = process.cpuUsage(c0);
const d = gen.deliveries() - d0;
console.log(
  `${SUBS} subscribers: ${(d / secs / 1e6).toFixed(2)} M deliveries/s, process CPU (server + generator) ${((c.user + c.system) / 1e6 / secs).toFixed(2)} cores`,
);
await gen.closeAll();
await gen.terminate();
await server.stop();
