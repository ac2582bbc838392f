// Hot-path micro-benchmarks (issue 16): the regression guard for the codec and the per-publication
// and per-connection costs. Reported by `npm run bench`, never asserted by `npm test`.
//   node --expose-gc ../../scripts/run-ts.mjs bench/hotpaths.bench.ts [--conns 1000] [--ms 300]
//
// 1. ns per operation, per CPU second of this thread (not wall time: on a shared box the thread is
//    descheduled for long stretches), best of 3 interleaved rounds:
//      toPublication            id (UUID v7) + ts + envelope validation: once per publication
//      stamp (recovery off/on)  the sequencer / recovery store: validation, stamp, JSON text, store
//      encodeFrame              a publication encoded without a stamp (the pre-recovery path)
//      decodeFrame (text/bin)   the client's decode of the stamped frame subscribers receive
//      JSON.parse (same frame)  the floor of any validated decode of that frame
// 2. Server heap bytes per idle connection: WSEServer in this process (JWT on, recovery on), the
//    project's load generator (test/bench/lib) in a worker thread, which has its own V8 heap, so the
//    main isolate's used heap after full GCs counts only the server's own objects: session,
//    identity, topic membership, timers, uWS user data wrappers. uWS's native per-socket memory is
//    not on the JS heap (test/bench's `memory` scenario measures the process RSS).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { decodeFrame, type Envelope, encodeFrame, toBytes } from '@wse/core-client/protocol';
import { RecoveryStore } from '../src/recovery/recovery-store';
import { TopicSequencer } from '../src/recovery/topic-sequencer';
import { WSEServer } from '../src/server';
import { toPublication } from '../src/topics/publication';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const CONNS = Number(args.get('conns') ?? 1000);
const MS = Number(args.get('ms') ?? 300);

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
let sink = 0;

/** ns per call of `fn` over about `MS` ms of CPU. */
function nsPerOp(fn: (i: number) => unknown): number {
  for (let i = 0; i < 20_000; i++) fn(i);
  let n = 0;
  const t0 = cpuMs();
  let t = t0;
  while (t - t0 < MS) {
    for (let i = 0; i < 1000; i++) sink += fn(n + i) ? 1 : 0;
    n += 1000;
    t = cpuMs();
  }
  return ((t - t0) * 1e6) / n;
}

// The bench payload of test/bench (servers/payload.mjs): ~100 bytes of JSON.
const payload = (seq: number) => ({ bseq: seq, bts: 1764100000000000, pad: 'x'.repeat(52) });
const event = (seq: number) => ({ t: 'bench_tick', p: payload(seq) });

function perOperation(): Array<[string, number]> {
  const seq = new TopicSequencer({ ttlSec: 300 });
  const store = new RecoveryStore({ bufferSize: 1024 });
  const envs: Envelope[] = Array.from({ length: 1000 }, (_, i) => toPublication('bench', event(i)));
  const frame = store.stamp('frame', envs[0] as Envelope).json;
  const bytes = toBytes(frame);
  const cases: Array<[string, (i: number) => unknown]> = [
    ['toPublication (id, ts, validation)', (i) => toPublication('bench', event(i))],
    ['stamp, recovery off (TopicSequencer)', (i) => seq.stamp('bench', envs[i % 1000] as Envelope)],
    ['stamp, recovery on (RecoveryStore)', (i) => store.stamp('bench', envs[i % 1000] as Envelope)],
    ['encodeFrame, no stamp', (i) => encodeFrame(envs[i % 1000] as Envelope)],
    [`decodeFrame, text (${bytes.length} B stamped frame)`, () => decodeFrame(frame).p],
    ['decodeFrame, binary (same frame)', () => decodeFrame(bytes).p],
    ['JSON.parse of the same frame (the floor)', () => JSON.parse(frame).p],
  ];
  const best = new Map<string, number>();
  for (let r = 0; r < 3; r++)
    for (const [name, fn] of cases) best.set(name, Math.min(best.get(name) ?? Infinity, nsPerOp(fn)));
  return [...best];
}

interface LoadGenLike {
  start(): void;
  connect(o: Record<string, unknown>): Promise<{ ready: number }>;
  closeAll(): Promise<void>;
  terminate(): Promise<void>;
}

const gc = (globalThis as { gc?: () => void }).gc;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(20);
  }
  return getHeapStatistics().used_heap_size;
}

async function perConnection(): Promise<{ bytes: number; conns: number }> {
  const root = resolve(import.meta.dirname ?? '.', '../../..');
  const lib = (p: string) => import(pathToFileURL(resolve(root, 'test/bench/lib', p)).href);
  const { LoadGen } = (await lib('loadgen.mjs')) as { LoadGen: new (w: number) => LoadGenLike };
  const { makeTokens, BENCH_SECRET } = (await lib('common.mjs')) as {
    makeTokens(n: number): Promise<string[]>;
    BENCH_SECRET: string;
  };
  const server = new WSEServer({
    host: '127.0.0.1',
    port: 0,
    auth: { secret: BENCH_SECRET },
    recovery: { enabled: true },
    logLevel: 'silent',
    maxConnections: 100_000,
  });
  const port = (await server.start()) as number;
  const gen = new LoadGen(1);
  gen.start();
  try {
    const tokens = await makeTokens(CONNS + 10);
    const opts = { proto: 'wse', port, path: '/wse', subscribe: true, concurrency: 32, timeoutMs: 60_000 };
    // Warm the code paths and first-use allocations with a few connections first.
    await gen.connect({ ...opts, count: 10, tokens: tokens.slice(CONNS) });
    await gen.closeAll();
    while (server.connectionCount() > 0) await sleep(5);
    const before = await heapUsed();
    const r = await gen.connect({ ...opts, count: CONNS, tokens: tokens.slice(0, CONNS) });
    while (server.connectionCount() < r.ready) await sleep(5);
    await sleep(200);
    const after = await heapUsed();
    return { bytes: (after - before) / r.ready, conns: r.ready };
  } finally {
    await gen.closeAll().catch(() => {});
    await gen.terminate().catch(() => {});
    await server.stop();
  }
}

console.log(`Hot paths (issue 16), Node ${process.version}, ns per op per CPU second, best of 3\n`);
for (const [name, ns] of perOperation())
  console.log(`  ${name.padEnd(46)} ${ns.toFixed(0).padStart(6)} ns  ${(1e9 / ns / 1e6).toFixed(2)} M/s`);
if (!gc) console.log('\n(run with --expose-gc for the per-connection heap figure)');
else {
  const m = await perConnection();
  console.log(
    `\nServer JS heap per idle connection (JWT on, recovery on, 1 topic): ${m.bytes.toFixed(0)} B  (${m.conns} connections)`,
  );
}
if (sink < 0) console.log(sink);
