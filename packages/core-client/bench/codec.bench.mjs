// Wire codec micro-benchmark: encode/decode ops/s per frame kind.
// Runs on source: esbuild bundles src/protocol into a temp file first (no build step, dist untouched).
// Usage: npm run bench -w @wse/core-client   (BENCH_MS=2000 for longer runs)
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

// Written next to this file (not /tmp) so the bundle's bare imports (msgpackr, fflate) resolve
// from this package; removed as soon as it is loaded.
const bundlePath = fileURLToPath(new URL('./.protocol-bench.mjs', import.meta.url));
await build({
  entryPoints: [fileURLToPath(new URL('../src/protocol/index.ts', import.meta.url))],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  packages: 'external',
  outfile: bundlePath,
  logLevel: 'error',
});
let codec;
try {
  codec = await import(pathToFileURL(bundlePath).href);
} finally {
  rmSync(bundlePath, { force: true });
}

const MS = Number(process.env.BENCH_MS ?? 1000);

// Sync calls are timed without `await` so the microtask queue does not dominate small frames.
async function measure(fn, isAsync) {
  for (let i = 0; i < 200; i++) isAsync ? await fn() : fn(); // warm-up: let V8 optimise
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < MS) {
    if (isAsync) for (let i = 0; i < 100; i++) await fn();
    else for (let i = 0; i < 100; i++) fn();
    ops += 100;
    now = performance.now();
  }
  return Math.round((ops * 1000) / (now - start));
}

const base = { id: '0190f3a0-7c00-7000-8000-000000000001', ts: '2024-07-01T12:00:00.000Z', v: 1 };
const small = { c: 'U', t: 'chat', p: { text: 'hello', user: 'u1' }, ...base };
const rows = Array.from({ length: 60 }, (_, i) => ({
  id: i,
  name: `item-${i}`,
  price: 10 + i / 7,
  tags: ['a', 'b'],
}));
const large = { c: 'S', t: 'orders_snapshot', p: { rows }, ...base };
const key = await codec.importSessionKey(new Uint8Array(32).fill(1));

const cases = [
  ['JSON text', small, {}, false],
  ['C: zlib (4 KB JSON)', large, {}, false],
  ['M: msgpack', small, { format: 'msgpack' }, false],
  ['E: AES-GCM (JSON inside)', small, {}, true],
];

const fmt = (n) => n.toLocaleString('en-US').padStart(10);
console.log(`Node ${process.version}, ${MS} ms per measurement, sync calls except E: (awaited one by one)\n`);
console.log(
  `${'frame'.padEnd(28)}${'bytes'.padStart(7)}${'JSON'.padStart(7)}${'encode/s'.padStart(12)}${'decode/s'.padStart(12)}`,
);
for (const [name, env, options, encrypted] of cases) {
  const frame = encrypted
    ? await codec.encodeEncryptedFrame(env, key, options)
    : codec.encodeFrame(env, options);
  const size = codec.toBytes(frame).length;
  const json = codec.toBytes(codec.encodeFrame(env, { compressionThreshold: Infinity })).length;
  const enc = encrypted
    ? await measure(() => codec.encodeEncryptedFrame(env, key, options), true)
    : await measure(() => codec.encodeFrame(env, options), false);
  const dec = encrypted
    ? await measure(() => codec.decodeAnyFrame(frame, { key }), true)
    : await measure(() => codec.decodeFrame(frame), false);
  console.log(
    `${name.padEnd(28)}${String(size).padStart(7)}${String(json).padStart(7)}${fmt(enc)}  ${fmt(dec)}`,
  );
}

// E2E through the shared E2EChannel (what client and server run): version 1 (random IV + replay
// cache + IV mark) against version 2 (a key per direction, counter IVs). Decoding needs fresh,
// in-order frames, so they are sealed beforehand (not timed).
const k2 = await codec.importSessionKey(new Uint8Array(32).fill(2));
console.log(`\nE2E channel (seal = encode + encrypt; open = decrypt + decode), ${MS} ms each`);
console.log(`${'frame'.padEnd(28)}${'bytes'.padStart(7)}${'seal/s'.padStart(12)}${'open/s'.padStart(12)}`);
for (const [label, env] of [
  ['small', small],
  ['4 KB JSON', large],
]) {
  for (const version of [1, 2]) {
    const keys = version === 1 ? { send: key, recv: key } : { send: key, recv: k2 };
    const peerKeys = version === 1 ? { send: key, recv: key } : { send: k2, recv: key };
    const tx = new codec.E2EChannel(version, keys);
    const plain = () => codec.toBytes(codec.encodeFrame(env, { compressionThreshold: Infinity }));
    const seal = await measure(() => tx.seal(plain()), true);
    const sender = new codec.E2EChannel(version, keys);
    const rx = new codec.E2EChannel(version, peerKeys);
    const frames = [];
    const n = Math.max(2000, Math.round(seal * (MS / 1000)));
    for (let i = 0; i < n; i++) frames.push(await sender.seal(plain()));
    // Every frame once, in order (a replay would be refused): open/s = frames / elapsed.
    const started = performance.now();
    for (const f of frames) await codec.decodeAnyFrame(f, { open: (b) => rx.open(b) });
    const open = Math.round((n * 1000) / (performance.now() - started));
    const name = `E: v${version} ${label}`;
    console.log(`${name.padEnd(28)}${String(frames[0].length).padStart(7)}${fmt(seal)}  ${fmt(open)}`);
  }
}
