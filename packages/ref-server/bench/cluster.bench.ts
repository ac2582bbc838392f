// Cluster benchmark (issue 12): "publish on A, subscribers on B" vs "publish on B, subscribers on B".
// Run from packages/ref-server: node ../../scripts/run-ts.mjs bench/cluster.bench.ts [--subs 100 --rounds 4 --round-ms 1500]
//
// Two mesh nodes in THIS process (one event loop, one core) and the project's load generator in a
// worker thread (raw sockets, frames counted without decoding). Rounds alternate single / cross,
// the subscribers stay connected to B throughout; deliveries/s is measured after a 200 ms warm-up
// with at most 200 000 deliveries in flight. Limit of the figure: A's forwarding and B's decoding
// of the cluster frames run on the same core as B's fan-out, so the ratio is the CPU cost of a
// remote delivery against a local one — on two machines A's half runs elsewhere.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WSEServer } from '../src/server';
import { deliveryRound } from './delivery-round';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const num = (k: string, d: number) => Number(args.get(k) ?? d);
const SUBS = num('subs', 100);
const ROUNDS = num('rounds', 4);
const ROUND_MS = num('round-ms', 1500);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

interface LoadGenLike {
  start(): void;
  connect(o: Record<string, unknown>): Promise<{ ready: number }>;
  deliveries(): number;
  closeAll(): Promise<void>;
  terminate(): Promise<void>;
}

const common = {
  host: '127.0.0.1',
  port: 0,
  auth: false as const,
  logLevel: 'silent' as const,
  maxConnections: 100_000,
};
const a = new WSEServer({ ...common, cluster: { host: '127.0.0.1', port: 0 } });
await a.start();
const aAddress = a.clusterInfo()?.address as string;
const b = new WSEServer({ ...common, cluster: { host: '127.0.0.1', port: 0, seeds: [aAddress] } });
await b.start();
while (a.clusterInfo()?.peers.filter((p) => p.state === 'up').length !== 1) await sleep(20);

const root = resolve(import.meta.dirname ?? '.', '../../..');
const { LoadGen } = (await import(pathToFileURL(resolve(root, 'test/bench/lib/loadgen.mjs')).href)) as {
  LoadGen: new (workers: number) => LoadGenLike;
};
const gen = new LoadGen(1);
gen.start();
const conn = await gen.connect({
  proto: 'wse',
  port: b.port,
  path: '/wse',
  count: SUBS,
  subscribe: true,
  concurrency: 32,
  timeoutMs: 30_000,
});
if (conn.ready !== SUBS) throw new Error(`only ${conn.ready}/${SUBS} subscribers connected`);
while (a.clusterInfo()?.peers[0]?.routing?.topics !== 1) await sleep(20); // B's SUB reached A

function round(publisher: WSEServer): Promise<number> {
  return deliveryRound({
    deliveries: () => gen.deliveries(),
    subs: SUBS,
    roundMs: ROUND_MS,
    inflight: 200_000,
    publish: (n) => publisher.broadcast('bench', { t: 'tick', p: { bseq: n, bts: 0, text: 'x'.repeat(60) } }),
    settleMs: Number.POSITIVE_INFINITY, // let everything in flight arrive before the next round
  });
}

const single: number[] = [];
const cross: number[] = [];
const pairs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? (['single', 'cross'] as const) : (['cross', 'single'] as const);
  const got: Record<string, number> = {};
  for (const which of order) got[which] = await round(which === 'single' ? b : a);
  single.push(got.single as number);
  cross.push(got.cross as number);
  pairs.push((got.cross as number) / (got.single as number));
}
const fmt = (n: number, d = 2) => n.toFixed(d);
console.log(
  `\nCluster fan-out, ${SUBS} subscribers on B, one topic, ${ROUNDS} paired rounds of ${ROUND_MS} ms:`,
);
console.log(
  `  publish on B (single node)  ${fmt(median(single) / 1e6, 3)} M deliveries/s   rounds: ${single.map((x) => fmt(x / 1e6, 3)).join(' ')}`,
);
console.log(
  `  publish on A (cross node)   ${fmt(median(cross) / 1e6, 3)} M deliveries/s   rounds: ${cross.map((x) => fmt(x / 1e6, 3)).join(' ')}`,
);
console.log(
  `  cross / single, median of pairs: ${fmt(median(pairs), 3)}   pairs: ${pairs.map((x) => fmt(x, 3)).join(' ')}`,
);
console.log(`  A → B: ${a.clusterInfo()?.msgOut} MSG frames, ${a.clusterInfo()?.drops} dropped`);
await gen.closeAll();
await gen.terminate();
await a.stop();
await b.stop();
