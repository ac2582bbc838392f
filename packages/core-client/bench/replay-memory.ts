// Memory of a full E2E v1 replay cache (1 024 IVs): ReplayWindow vs the Set<string> + FIFO it
// replaced (rebuilt here as the baseline, byte for byte the old `#remember`). Counts the JS heap
// AND the ArrayBuffer backing stores (typed arrays over 64 bytes live outside the V8 heap, so
// heapUsed alone would flatter the window).
// Usage (from packages/core-client): node --expose-gc ../../scripts/run-ts.mjs bench/replay-memory.ts
import { DEFAULT_REPLAY_CACHE, E2EChannel } from '../src/protocol/e2e-channel';
import { ReplayWindow } from '../src/protocol/replay-window';

const COUNT = 2000; // caches ("connections") per measurement
const N = DEFAULT_REPLAY_CACHE;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function used(): { heap: number; buffers: number } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

function measure(name: string, make: () => unknown): void {
  const before = used();
  const keep: unknown[] = [];
  for (let i = 0; i < COUNT; i++) keep.push(make());
  const after = used();
  const heap = (after.heap - before.heap) / COUNT;
  const buffers = (after.buffers - before.buffers) / COUNT;
  console.log(
    `${name.padEnd(38)} heap ${Math.round(heap).toLocaleString('en').padStart(7)} B  buffers ${Math.round(buffers).toLocaleString('en').padStart(7)} B  total ${Math.round(
      heap + buffers,
    )
      .toLocaleString('en')
      .padStart(7)} B per connection`,
  );
  if (keep.length !== COUNT) throw new Error('unreachable');
}

const iv = () => globalThis.crypto.getRandomValues(new Uint8Array(12));

// The old cache just filled (its hash table at its 1 024-entry size) and in steady state: the
// first eviction (the 1 025th add) grows the table to 2 048 entries, and it stays there.
for (const [name, adds] of [
  [`old Set<string>, ${N} IVs, just full`, N],
  [`old Set<string>, ${N} IVs, evicting`, N + 100],
] as const)
  measure(name, () => {
    const seen = new Set<string>();
    for (let i = 0; i < adds; i++) {
      seen.add(String.fromCharCode(...iv()));
      if (seen.size > N) seen.delete(seen.values().next().value as string);
    }
    return seen;
  });

measure(`ReplayWindow, ${N} IVs`, () => {
  const w = new ReplayWindow(N);
  for (let i = 0; i < N + 100; i++) w.add(iv());
  return w;
});

const key = await globalThis.crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
  'encrypt',
  'decrypt',
]);
measure('E2EChannel v1 before its 1st frame', () => new E2EChannel(1, { send: key, recv: key }));
measure('E2EChannel v2', () => new E2EChannel(2, { send: key, recv: key }));
