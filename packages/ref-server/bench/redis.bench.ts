// Redis engine benchmark (issue 14): deliveries/s through Redis with two server nodes, the ratio to
// single-node (memory engine) fan-out in the same run, and Socket.IO with its Redis adapter beside it.
// Run from packages/ref-server: node ../../scripts/run-ts.mjs bench/redis.bench.ts [--subs 100 --rounds 4 --round-ms 1500]
//
// One redis-server (the test harness's: /usr/bin/redis-server on a free port, no persistence), every
// server in THIS process (one event loop) and the project's load generator in a worker thread (raw
// sockets, frames counted without decoding). Modes, each with its own subscribers and topic:
//   wse memory    publish on M, N subscribers on M (memory engine, recovery on: the baseline)
//   wse redis A→B publish on A, N subscribers on B (redis engine, one prefix)
//   wse redis A+B publish on A, N/2 subscribers on A and N/2 on B
//   sio memory    Socket.IO (ws transport), publish and N subscribers on one server
//   sio redis A→B Socket.IO with @socket.io/redis-adapter (ioredis), emit on X, N subscribers on Y
// Rounds alternate the order of the modes; deliveries/s is measured after a 200 ms warm-up with at
// most 200 000 deliveries in flight. Limit of the figures: both nodes, the Redis client work of
// both and the fan-out share one core (Redis and the generator take the other), so the ratio is the
// CPU cost of a delivery through Redis against a local one — on separate machines A's half
// (stamping, the Lua script call) runs elsewhere.

import { rmSync } from 'node:fs';
import http from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server as SioServer } from 'socket.io';
import { WSEServer } from '../src/server';
import { RedisProcess, redisAvailable } from '../test/redis-harness';
import { deliveryRound } from './delivery-round';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const num = (k: string, d: number) => Number(args.get(k) ?? d);
const SUBS = num('subs', 100);
const ROUNDS = num('rounds', 4);
const ROUND_MS = num('round-ms', 1500);
const INFLIGHT = 200_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const PAD = 'x'.repeat(52);

interface LoadGenLike {
  start(): void;
  connect(o: Record<string, unknown>): Promise<{ ready: number }>;
  deliveries(): number;
  stats?(): Promise<unknown>;
  closeAll(): Promise<void>;
  terminate(): Promise<void>;
}

if (!redisAvailable('redis.bench')) {
  rmSync(fileURLToPath(import.meta.url), { force: true }); // run-ts's bundle: exit skips its cleanup
  process.exit(0);
}
const redis = await RedisProcess.launch();
const cleanups: Array<() => Promise<unknown> | unknown> = [];
process.on('exit', () => void redis.kill());

const common = {
  host: '127.0.0.1',
  port: 0,
  auth: false as const,
  logLevel: 'silent' as const,
  maxConnections: 100_000,
};
const engine = { type: 'redis' as const, url: redis.url, prefix: `bench${process.pid}` };
// Recovery on for the baseline too: the Redis engine always keeps the topic's stream (history).
const m = new WSEServer({ ...common, recovery: { enabled: true } });
const a = new WSEServer({ ...common, engine });
const b = new WSEServer({ ...common, engine });
for (const s of [m, a, b]) {
  await s.start();
  cleanups.push(() => s.stop());
}

/** A Socket.IO server (websocket transport, like the bench's `sio` target): every socket joins `bench`. */
async function sioServer(withRedis: boolean) {
  const httpServer = http.createServer();
  const io = new SioServer(httpServer, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
  });
  const clients: Redis[] = [];
  if (withRedis) {
    const pub = new Redis(redis.url);
    const sub = pub.duplicate();
    clients.push(pub, sub);
    for (const c of clients) c.on('error', () => {}); // shutdown noise; a real failure stalls the round
    io.adapter(createAdapter(pub, sub));
  }
  io.on('connection', (socket) => void socket.join('bench'));
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
  // Socket.IO (and its adapter) first, its Redis clients after: the adapter unsubscribes on close.
  cleanups.push(async () => {
    await new Promise((r) => io.close(() => r(undefined)));
    for (const c of clients) await c.quit().catch(() => c.disconnect());
  });
  const addr = httpServer.address();
  return { io, port: typeof addr === 'object' && addr ? addr.port : 0 };
}
const sioM = await sioServer(false);
const sioX = await sioServer(true);
const sioY = await sioServer(true);

const root = resolve(import.meta.dirname ?? '.', '../../..');
const { LoadGen } = (await import(pathToFileURL(resolve(root, 'test/bench/lib/loadgen.mjs')).href)) as {
  LoadGen: new (workers: number) => LoadGenLike;
};
const gen = new LoadGen(1);
gen.start();
cleanups.unshift(
  () => gen.closeAll(),
  () => gen.terminate(),
);
async function subscribers(proto: 'wse' | 'sio', port: number, topic: string, count: number) {
  const path = proto === 'wse' ? '/wse' : '/socket.io/?EIO=4&transport=websocket';
  const c = await gen.connect({
    proto,
    port,
    path,
    topic,
    count,
    subscribe: true,
    concurrency: 32,
    timeoutMs: 30_000,
  });
  if (c.ready !== count) throw new Error(`only ${c.ready}/${count} ${proto} subscribers on ${topic}`);
}
await subscribers('wse', m.port as number, 'local', SUBS);
await subscribers('wse', b.port as number, 'cross', SUBS);
await subscribers('wse', a.port as number, 'both', SUBS / 2);
await subscribers('wse', b.port as number, 'both', SUBS / 2);
await subscribers('sio', sioM.port, 'bench', SUBS);
await subscribers('sio', sioY.port, 'bench', SUBS);
await sleep(300); // B's channel subscriptions (interest follows the first local subscriber) settle

interface Mode {
  name: string;
  publish(seq: number): void;
  seq: number;
}
const body = (seq: number) => ({ bseq: seq, bts: 0, pad: PAD });
const modes: Mode[] = [
  { name: 'wse memory, 1 node', seq: 0, publish: (s) => m.broadcast('local', { t: 'tick', p: body(s) }) },
  {
    name: 'wse redis, pub A → subs B',
    seq: 0,
    publish: (s) => a.broadcast('cross', { t: 'tick', p: body(s) }),
  },
  {
    name: 'wse redis, pub A → subs A+B',
    seq: 0,
    publish: (s) => a.broadcast('both', { t: 'tick', p: body(s) }),
  },
  { name: 'sio memory, 1 node', seq: 0, publish: (s) => void sioM.io.to('bench').emit('m', body(s)) },
  { name: 'sio redis-adapter, X → Y', seq: 0, publish: (s) => void sioX.io.to('bench').emit('m', body(s)) },
];

function round(mode: Mode): Promise<number> {
  return deliveryRound({
    deliveries: () => gen.deliveries(),
    subs: SUBS,
    roundMs: ROUND_MS,
    inflight: INFLIGHT,
    publish: () => mode.publish(++mode.seq),
    settleMs: 5000, // let everything in flight arrive before the next round (bounded)
  });
}

const rates = new Map<string, number[]>(modes.map((x) => [x.name, []]));
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? modes : [...modes].reverse();
  for (const mode of order) rates.get(mode.name)?.push(await round(mode));
}
const fmt = (n: number, d = 3) => n.toFixed(d);
const med = (name: string) => median(rates.get(name) ?? []);
console.log(`\nRedis fan-out, ${SUBS} subscribers per mode, one topic, ${ROUNDS} rounds of ${ROUND_MS} ms:`);
for (const [name, xs] of rates)
  console.log(
    `  ${name.padEnd(30)} ${fmt(median(xs) / 1e6)} M deliveries/s   rounds: ${xs.map((x) => fmt(x / 1e6)).join(' ')}`,
  );
const wseMem = med('wse memory, 1 node');
const sioMem = med('sio memory, 1 node');
const sioRedis = med('sio redis-adapter, X → Y');
console.log(`  wse redis A→B / wse memory:      ${fmt(med('wse redis, pub A → subs B') / wseMem)}`);
console.log(`  wse redis A+B / wse memory:      ${fmt(med('wse redis, pub A → subs A+B') / wseMem)}`);
console.log(`  sio redis X→Y / sio memory:      ${fmt(sioRedis / sioMem)}`);
console.log(`  wse redis A→B / sio redis X→Y:   ${fmt(med('wse redis, pub A → subs B') / sioRedis)}`);
for (const fn of cleanups) await Promise.resolve(fn()).catch(() => {});
await redis.kill(); // last: the servers and adapters leave while it is still there
// No process.exit here: run-ts removes its bundle after this module finishes. A handle left open
// must not hang `npm run bench`, so an unref'd timer ends the process if anything lingers.
setTimeout(() => process.exit(0), 2000).unref();
