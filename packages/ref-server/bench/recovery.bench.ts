// Recovery benchmark (issue 5). Run from packages/ref-server: `npm run bench` (= node
// ../../scripts/run-ts.mjs bench/recovery.bench.ts, on source, nothing to build).
//
// 1. Stamping + storing cost per publication, in-process, no network: what the fan-out does once per
//    publication — RecoveryStore.stamp (recovery on), TopicSequencer.stamp (recovery off: numbered,
//    not kept) and a bare encodeFrame (what a publication cost before stamps existed).
// 2. Fan-out throughput, recovery on vs off, same run: two servers in this process, the same number
//    of subscribers from the project's load generator (test/bench/lib, raw sockets in a worker
//    thread, counting frames without decoding), alternating rounds, median deliveries/s.
// 3. Replay: a subscriber misses 500 publications and comes back with `recover: true`; the time from
//    sending the subscribe to its reply (the server replays every missed publication first).
//
// Options: --subs 100 --rounds 6 --round-ms 1500 --replays 20 --missed 500
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Envelope, encodeFrame } from '@wse/core-client/protocol';
import WebSocket from 'ws';
import { RecoveryStore } from '../src/recovery/recovery-store';
import { TopicSequencer } from '../src/recovery/topic-sequencer';
import { WSEServer } from '../src/server';
import { toPublication } from '../src/topics/publication';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const num = (k: string, d: number) => Number(args.get(k) ?? d);
const SUBS = num('subs', 100);
const ROUNDS = num('rounds', 6);
const ROUND_MS = num('round-ms', 1500);
const REPLAYS = num('replays', 20);
const MISSED = num('missed', 500);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (n: number, d = 2) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ── 1. per-publication cost ────────────────────────────────────────────────────────────────────
function stampCost(): Record<string, number> {
  const payload = () => toPublication('bench', { t: 'tick', p: { bseq: 1, bts: 0, text: 'x'.repeat(60) } });
  const store = new RecoveryStore({ bufferSize: 1024 });
  const seq = new TopicSequencer({ ttlSec: 300 });
  const n = 200_000;
  const run = (fn: (e: Envelope) => unknown) => {
    const envs = Array.from({ length: 1000 }, payload);
    for (let i = 0; i < 20_000; i++) fn(envs[i % 1000] as Envelope); // warm up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn(envs[i % 1000] as Envelope);
    return ((performance.now() - t0) * 1000) / n; // µs per publication
  };
  const out: Record<string, number[]> = { encode: [], off: [], on: [] };
  for (let r = 0; r < 3; r++) {
    out.encode?.push(run((e) => encodeFrame(e, { compressionThreshold: 1024 })));
    out.off?.push(run((e) => seq.stamp(`t${r}`, e)));
    out.on?.push(run((e) => store.stamp(`t${r}`, e)));
  }
  return { encode: median(out.encode ?? []), off: median(out.off ?? []), on: median(out.on ?? []) };
}

// ── 2. fan-out, recovery on vs off ─────────────────────────────────────────────────────────────
interface LoadGenLike {
  start(): void;
  connect(o: Record<string, unknown>): Promise<{ ready: number }>;
  deliveries(): number;
  closeAll(): Promise<void>;
  terminate(): Promise<void>;
}

async function fanout(gen: LoadGenLike, servers: Record<'on' | 'off', WSEServer>) {
  const rates: Record<'on' | 'off', number[]> = { on: [], off: [] };
  const pairs: number[] = []; // on/off of each adjacent pair of rounds (drift cancels within a pair)
  let previous: { which: 'on' | 'off'; rate: number } | undefined;
  const window = 200_000; // deliveries in flight, like test/bench's fan-out
  for (let round = 0; round < ROUNDS * 2; round++) {
    const which = (round % 2 === 0) === (Math.floor(round / 2) % 2 === 0) ? 'off' : 'on'; // off,on,on,off,…
    const server = servers[which];
    const conn = await gen.connect({
      proto: 'wse',
      port: server.port,
      path: '/wse',
      count: SUBS,
      subscribe: true,
      concurrency: 32,
      timeoutMs: 30_000,
    });
    if (conn.ready !== SUBS) throw new Error(`only ${conn.ready}/${SUBS} subscribers connected`);
    while (server.connectionCount() < SUBS) await sleep(5);
    await sleep(50);
    const d0 = gen.deliveries();
    let published = 0;
    let measuredFrom = -1;
    let start = 0;
    const t0 = performance.now();
    await new Promise<void>((done) => {
      const pump = () => {
        const now = performance.now();
        if (measuredFrom < 0 && now - t0 > 200) {
          measuredFrom = gen.deliveries();
          start = now;
        }
        if (measuredFrom >= 0 && now - start >= ROUND_MS) return done();
        const inFlight = published * SUBS - (gen.deliveries() - d0);
        if (inFlight < window) {
          for (let i = 0; i < 50; i++) {
            published++;
            server.broadcastLocal('bench', {
              t: 'tick',
              p: { bseq: published, bts: 0, text: 'x'.repeat(60) },
            });
          }
        }
        setImmediate(pump);
      };
      pump();
    });
    const rate = (gen.deliveries() - measuredFrom) / ((performance.now() - start) / 1000);
    rates[which].push(rate);
    if (round % 2 === 1 && previous) pairs.push(which === 'on' ? rate / previous.rate : previous.rate / rate);
    previous = { which, rate };
    await gen.closeAll();
    while (server.connectionCount() > 0) await sleep(5);
  }
  return { on: median(rates.on), off: median(rates.off), rates, pairRatio: median(pairs), pairs };
}

// ── 3. replay time ─────────────────────────────────────────────────────────────────────────────
function open(url: string): Promise<{
  ws: WebSocket;
  frames: Array<Record<string, unknown>>;
  wait(p: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}> {
  return new Promise((resolveOpen, reject) => {
    const ws = new WebSocket(url);
    const frames: Array<Record<string, unknown>> = [];
    let waiter: (() => void) | undefined;
    ws.on('message', (data, binary) => {
      if (!binary) frames.push(JSON.parse(String(data)));
      waiter?.();
    });
    ws.on('error', reject);
    const wait = async (p: (f: Record<string, unknown>) => boolean) => {
      for (;;) {
        const f = frames.find(p);
        if (f) return f;
        await new Promise<void>((r) => {
          waiter = r;
        });
      }
    };
    ws.on('open', () => resolveOpen({ ws, frames, wait }));
  });
}

async function replay(server: WSEServer): Promise<{ p50: number; max: number; ok: boolean }> {
  const url = `ws://127.0.0.1:${server.port}/wse`;
  const times: number[] = [];
  let ok = true;
  for (let i = 0; i < REPLAYS; i++) {
    const topic = `replay-${i}`;
    const a = await open(url);
    await a.wait((f) => f.t === 'server_ready');
    a.ws.send(JSON.stringify({ t: 'subscription_update', p: { action: 'subscribe', topics: [topic] } }));
    await a.wait((f) => f.t === 'subscription_update');
    server.broadcastLocal(topic, { t: 'tick', p: { n: 0 } });
    const first = await a.wait((f) => f.tp === topic);
    a.ws.close();
    for (let k = 0; k < MISSED; k++)
      server.broadcastLocal(topic, { t: 'tick', p: { n: k + 1, text: 'x'.repeat(60) } });
    const b = await open(url);
    await b.wait((f) => f.t === 'server_ready');
    const t0 = performance.now();
    b.ws.send(
      JSON.stringify({
        t: 'subscription_update',
        p: {
          action: 'subscribe',
          topics: [topic],
          recover: true,
          recovery: { [topic]: { epoch: first.e, offset: first.o } },
        },
      }),
    );
    const reply = await b.wait((f) => f.t === 'subscription_update');
    times.push(performance.now() - t0);
    const replayed = b.frames.filter((f) => f.tp === topic).length;
    const r = (reply.p as { recovery: Record<string, { recovered: boolean; count: number }> }).recovery[
      topic
    ];
    ok &&= r?.recovered === true && r.count === MISSED && replayed === MISSED;
    b.ws.close();
  }
  return { p50: median(times), max: Math.max(...times), ok };
}

// ── main ───────────────────────────────────────────────────────────────────────────────────────
const cost = stampCost();
console.log('\nStamping + storing per publication (in-process, ~140-byte envelope, median of 3 × 200 000):');
console.log(`  encodeFrame only (before stamps)     ${fmt(cost.encode as number)} µs`);
console.log(`  recovery off: TopicSequencer.stamp   ${fmt(cost.off as number)} µs`);
console.log(
  `  recovery on:  RecoveryStore.stamp    ${fmt(cost.on as number)} µs   (+${fmt((cost.on as number) - (cost.off as number))} µs for keeping it)`,
);

const common = {
  host: '127.0.0.1',
  port: 0,
  auth: false as const,
  logLevel: 'silent' as const,
  maxConnections: 100_000,
};
const servers = {
  on: new WSEServer({ ...common, recovery: { bufferSize: 1024, maxMessages: Math.max(500, MISSED) } }),
  off: new WSEServer(common),
};
await servers.on.start();
await servers.off.start();
const root = resolve(import.meta.dirname ?? '.', '../../..');
const { LoadGen } = (await import(pathToFileURL(resolve(root, 'test/bench/lib/loadgen.mjs')).href)) as {
  LoadGen: new (workers: number) => LoadGenLike;
};
const gen = new LoadGen(1);
gen.start();
try {
  const f = await fanout(gen, servers);
  console.log(
    `\nFan-out, ${SUBS} subscribers, one topic, ${ROUNDS} rounds each of ${ROUND_MS} ms, alternating (median):`,
  );
  console.log(
    `  recovery off  ${fmt(f.off / 1e6, 3)} M deliveries/s   rounds: ${f.rates.off.map((r) => fmt(r / 1e6, 3)).join(' ')}`,
  );
  console.log(
    `  recovery on   ${fmt(f.on / 1e6, 3)} M deliveries/s   rounds: ${f.rates.on.map((r) => fmt(r / 1e6, 3)).join(' ')}`,
  );
  console.log(
    `  on / off, median of adjacent pairs: ${fmt(f.pairRatio, 3)}  (cost of recovery: ${fmt((1 - f.pairRatio) * 100, 1)} %)   pairs: ${f.pairs.map((r) => fmt(r, 3)).join(' ')}`,
  );
  const r = await replay(servers.on);
  console.log(
    `\nReplay of ${MISSED} missed publications on reconnect (${REPLAYS} runs, subscribe sent → reply received):`,
  );
  console.log(
    `  p50 ${fmt(r.p50)} ms   max ${fmt(r.max)} ms   every replay complete and in the reply: ${r.ok}`,
  );
} finally {
  await gen.closeAll().catch(() => {});
  await gen.terminate().catch(() => {});
  await servers.on.stop();
  await servers.off.stop();
}
