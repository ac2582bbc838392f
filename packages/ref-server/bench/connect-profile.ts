// Connect-path profile helper (issue 16): WSEServer (JWT on) in this process, the project's load
// generator in a worker thread, N connections × 3 rounds through the full handshake.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof ../../scripts/run-ts.mjs bench/connect-profile.ts 2000
// then open the main thread's .cpuprofile (Chrome DevTools) or sum self time per function.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WSEServer } from '../src/server';

const root = resolve(import.meta.dirname ?? '.', '../../..');
const lib = (p: string) => import(pathToFileURL(resolve(root, 'test/bench/lib', p)).href);
const { LoadGen } = await lib('loadgen.mjs');
const { makeTokens, BENCH_SECRET } = await lib('common.mjs');
const server = new WSEServer({
  host: '127.0.0.1',
  port: 0,
  auth: { secret: BENCH_SECRET },
  recovery: { enabled: false },
  logLevel: 'silent',
  maxConnections: 100000,
});
const port = (await server.start()) as number;
const gen = new LoadGen(1);
gen.start();
const N = Number(process.argv[2] ?? 2000);
const tokens = await makeTokens(N);
for (let r = 0; r < 3; r++) {
  const c0 = process.cpuUsage();
  const res = await gen.connect({
    proto: 'wse',
    port,
    path: '/wse',
    subscribe: false,
    concurrency: 32,
    timeoutMs: 60000,
    count: N,
    tokens,
  });
  const c = process.cpuUsage(c0);
  console.log(
    `round ${r}: ${res.ready} ready, process CPU µs/conn ${((c.user + c.system) / res.ready).toFixed(0)} (includes the generator thread)`,
  );
  await gen.closeAll();
  while (server.connectionCount() > 0) await new Promise((r) => setTimeout(r, 5));
}
await gen.terminate();
await server.stop();
