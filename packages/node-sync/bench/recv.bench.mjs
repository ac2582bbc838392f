/**
 * recv throughput of @wse/node-sync: events/s through the thread boundary.
 *
 *   npm run bench -w @wse/node-sync            (or: node packages/node-sync/bench/recv.bench.mjs)
 *   BENCH_N=200000 node packages/node-sync/bench/recv.bench.mjs
 *
 * Setup: the ref-server runs in a child process (so this process can block); the package and the
 * server are bundled from source with esbuild into a temp dir first. A `bench_start {n, size}`
 * request makes the server publish n events of ~size payload bytes to topic `bench`.
 *
 * Scenarios:
 *   drain  — the events are already buffered in the worker (published while the caller did not
 *            read; bufferSize ≥ n); only the recv() loop is timed: the pure thread-boundary cost.
 *   stream — the caller reads while the server publishes: time from the start request to the last
 *            event (socket + decode + thread boundary, end to end).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, '..', 'src');
/** The native server transport stays external, imported by absolute path (the bundle lives in a temp dir). */
const nativeExternal = {
  name: 'native-external',
  setup(b) {
    const path = createRequire(import.meta.url).resolve('uWebSockets.js');
    b.onResolve({ filter: /^uWebSockets\.js$/ }, () => ({ path, external: true }));
  },
};
const N = Number(process.env.BENCH_N ?? 100_000);
const banner = {
  js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
};
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  conditions: ['wse-source'],
  external: ['bufferutil', 'utf-8-validate', 'uWebSockets.js'],
  banner,
  logLevel: 'error',
  // See test/child-harness.ts: honouring core-client's sideEffects:false drops lazy module inits.
  ignoreAnnotations: true,
  outExtension: { '.js': '.mjs' },
};

const SERVER = `
import { WSEServer } from '@wse/ref-server';
const server = new WSEServer({ host: '127.0.0.1', port: 0, auth: false, logLevel: 'silent',
  maxBackpressure: 256 * 1024 * 1024, slowConsumerGraceMs: 60_000, maxMessageSize: 4 * 1024 * 1024 });
server.on('message', (ev) => {
  if (ev.t !== 'bench_start') return;
  const { n, size, topic } = ev.p;
  const pad = 'x'.repeat(Math.max(0, size - 20));
  let i = 0;
  const chunk = () => {
    const end = Math.min(n, i + 500);
    for (; i < end; i++) server.broadcastLocal(topic, { t: 'tick', p: { i, pad } });
    if (i < n) setImmediate(chunk);
    else server.reply(ev.connId, ev.cid, { published: n });
  };
  chunk();
});
const port = await server.start();
process.stdout.write(JSON.stringify({ port }) + '\\n');
`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'wse-node-sync-bench-'));
  try {
    await build({
      ...common,
      entryPoints: { index: join(src, 'index.ts'), worker: join(src, 'worker.ts') },
      outdir: dir,
    });
    // The server bundle resolves @wse/* from the monorepo (wse-source → TypeScript source).
    await build({
      ...common,
      stdin: { contents: SERVER, resolveDir: here, sourcefile: 'bench-server.ts', loader: 'ts' },
      outfile: join(dir, 'server.mjs'),
      outExtension: undefined,
      plugins: [nativeExternal],
    });
    const server = spawn(process.execPath, [join(dir, 'server.mjs')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise((resolve, reject) => {
      server.stdout.once('data', (d) => resolve(JSON.parse(String(d)).port));
      server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const { connectSync } = await import(join(dir, 'index.mjs'));
    const url = `ws://127.0.0.1:${port}/wse`;
    // Warm-up (JIT, connection setup paths); not reported.
    drain(connectSync, url, { n: 5000, size: 64, batchSize: 1 });
    drain(connectSync, url, { n: 5000, size: 64, batchSize: 512 });
    const rows = [];
    for (const size of [64, 1024, 16 * 1024]) {
      const n = size >= 16 * 1024 ? Math.min(N, 20_000) : N;
      for (const batchSize of [1, 512]) rows.push(drain(connectSync, url, { n, size, batchSize }));
      rows.push(stream(connectSync, url, { n, size, batchSize: 512 }));
      rows.push(await rawWs(url, { n, size }));
    }
    console.log(
      `\n@wse/node-sync recv throughput — node ${process.version}, ${process.platform}/${process.arch}\n`,
    );
    console.table(rows);
    server.kill();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One topic per scenario, so a slow earlier run cannot leak events into the next. */
let topicSeq = 0;
const nextTopic = () => `bench-${topicSeq++}`;

const nap = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(nap, 0, 0, ms);

function drain(connectSync, url, { n, size, batchSize }) {
  const topic = nextTopic();
  const client = connectSync(url, { topics: [topic], bufferSize: n, batchSize, timeoutMs: 60_000 });
  const tIn = performance.now();
  client.request('bench_start', { n, size, topic }, { timeoutMs: 120_000 });
  while (client.stats().received < n) sleep(5);
  const inMs = performance.now() - tIn;
  const t0 = performance.now();
  let got = 0;
  while (got < n && client.recv(5000)) got++;
  const ms = performance.now() - t0;
  const s = client.stats();
  client.close();
  if (got !== n || s.dropped !== 0) throw new Error(`drain: got ${got}/${n}: ${JSON.stringify(s)}`);
  return { ...row('drain', size, batchSize, n, ms), 'into worker ms': Math.round(inMs) };
}

function stream(connectSync, url, { n, size, batchSize }) {
  const topic = nextTopic();
  const client = connectSync(url, { topics: [topic], bufferSize: n, batchSize, timeoutMs: 60_000 });
  const idleMs = 3000;
  const t0 = performance.now();
  let last = t0;
  client.send('bench_start', { n, size, topic });
  let got = 0;
  while (got < n && client.recv(idleMs)) {
    got++;
    last = performance.now();
  }
  const s = client.stats();
  client.close();
  if (s.dropped !== 0) throw new Error(`stream: ${JSON.stringify(s)}`);
  // The server may skip publications to a connection over its backpressure limit (slow consumer);
  // without recovery they are gone, so report them instead of waiting for them.
  return { ...row('stream', size, batchSize, got, last - t0), 'lost by server': n - got };
}

/**
 * Baseline without the client: a bare `ws` socket that subscribes and counts publication frames
 * (no decode, no thread). Shows how much of `stream` is server fan-out + socket.
 */
async function rawWs(url, { n, size }) {
  const topic = nextTopic();
  const ws = new WebSocket(url);
  let got = 0;
  let t0 = 0;
  const done = new Promise((resolve) => {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : String(data);
      if (text.includes('"server_ready"')) {
        ws.send(
          JSON.stringify({
            c: 'WSE',
            t: 'client_hello',
            p: { client_version: 'bench', protocol_version: 1, features: {} },
          }),
        );
        ws.send(
          JSON.stringify({
            c: 'WSE',
            t: 'subscription_update',
            p: { action: 'subscribe', topics: [topic] },
          }),
        );
      } else if (text.includes('"subscription_update"')) {
        t0 = performance.now();
        ws.send(JSON.stringify({ c: 'U', t: 'bench_start', p: { n, size, topic }, cid: 'raw' }));
      } else if (isBinary || text.includes('"tick"')) {
        if (++got === n) resolve(performance.now() - t0);
      }
    });
  });
  const ms = await done;
  ws.close();
  return row('raw ws (no client)', size, '-', n, ms);
}

function row(scenario, size, batchSize, n, ms) {
  return {
    scenario,
    'payload B': size,
    batchSize,
    events: n,
    ms: Math.round(ms),
    'events/s': Math.round((n / ms) * 1000),
    'MB/s': Number(((n * size) / ms / 1000).toFixed(1)),
  };
}

await main();
