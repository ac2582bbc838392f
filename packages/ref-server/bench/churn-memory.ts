// Issue 18 item 2, the attack measured: one anonymous connection subscribes (recover: true) to 100
// new topics and unsubscribes them, N times. Prints recovery buffers, topics, heap and RSS.
//   node --expose-gc ../../scripts/run-ts.mjs bench/churn-memory.ts [cycles=10000] [recovery=on|off]
import { decodeFrame } from '@wse/core-client/protocol';
import WebSocket from 'ws';
import { WSEServer } from '../src/server';

const cycles = Number(process.argv[2] ?? 10_000);
const recovery = (process.argv[3] ?? 'on') === 'on';
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
const mem = () => {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
};

const server = new WSEServer({
  host: '127.0.0.1',
  port: 0,
  auth: false,
  logLevel: 'silent',
  recovery: { enabled: recovery },
});
const port = await server.start();
const ws = new WebSocket(`ws://127.0.0.1:${port}/wse`);
let last = '';
let waiting: (() => void) | undefined;
ws.on('message', (d: Buffer, binary: boolean) => {
  const env = decodeFrame(binary ? new Uint8Array(d) : d.toString(), { maxMessageSize: 1 << 24 });
  if (env.cid === 'end') {
    last = env.t;
    waiting?.();
  }
});
await new Promise((r) => ws.once('open', r));
const before = mem();
const started = Date.now();
for (let r = 0; r < cycles; r++) {
  const topics = Array.from({ length: 100 }, (_, i) => `t:${r}:${i}`);
  ws.send(JSON.stringify({ t: 'subscription_update', p: { action: 'subscribe', topics, recover: true } }));
  ws.send(
    JSON.stringify({
      t: 'subscription_update',
      p: { action: 'unsubscribe', topics },
      cid: r === cycles - 1 ? 'end' : undefined,
    }),
  );
  if (r % 200 === 199) await new Promise((r2) => setTimeout(r2, 1)); // let the server read
}
await new Promise<void>((r) => {
  waiting = r;
  if (last) r();
});
const after = mem();
const stats = server.recoveryStats();
console.log(
  `recovery ${recovery ? 'on' : 'off'}: ${cycles} cycles × 100 topics in ${((Date.now() - started) / 1000).toFixed(1)} s → buffers ${stats.buffers}, recovery topics ${stats.topics ?? '-'}, server topics ${server.healthSnapshot().topics}; heap ${mib(before.heap)} → ${mib(after.heap)}, RSS ${mib(before.rss)} → ${mib(after.rss)}`,
);
ws.close();
await server.stop();
process.exit(0);
