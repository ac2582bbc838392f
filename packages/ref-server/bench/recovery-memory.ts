// Measures the real heap cost of what the recovery store and the topic tables hold, to pick the
// accounting constants of recovery/memory-cost.ts honestly. Run with:
//   node --expose-gc ../../scripts/run-ts.mjs bench/recovery-memory.ts
import { buildEnvelope } from '@wse/core-client/protocol';
import { RecoveryStore } from '../src/recovery/recovery-store';
import { TopicSequencer } from '../src/recovery/topic-sequencer';
import { TopicRegistry } from '../src/topics/topic-registry';

/** Keeps measured structures reachable until after the measurement. */
const keep: unknown[] = [];
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heap = () => {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
};

function perPublication(payloadChars: number, n: number, unicode = false, shape = 'text'): void {
  const store = new RecoveryStore({ bufferSize: 1024, memoryBudget: 2 ** 50 });
  keep.push(store);
  const ch = unicode ? 'é' : 'x';
  const topics = Math.ceil(n / 1024);
  const before = heap();
  for (let i = 0; i < n; i++) {
    const p =
      shape === 'numbers'
        ? { values: Array.from({ length: payloadChars / 2 }, (_, k) => k % 10), n: i }
        : { text: ch.repeat(payloadChars), n: i, user: `u${i % 100}` };
    store.stamp(`topic-${i % topics}`, buildEnvelope('chat_message', p));
  }
  const after = heap();
  const s = store.stats();
  const jsonBytes = s.bytes; // whatever the store accounts
  console.log(
    `pub ${shape} ${payloadChars}${unicode ? 'é' : 'x'}: heap/msg ${((after - before) / n).toFixed(0)} B, accounted/msg ${(jsonBytes / s.messages).toFixed(0)} B, heap/accounted ${((after - before) / jsonBytes).toFixed(2)} (buffers ${s.buffers})`,
  );
}

function perReservation(n: number): void {
  const store = new RecoveryStore({});
  keep.push(store);
  const before = heap();
  for (let i = 0; i < n; i++) store.open(`room:${i}`);
  const after = heap();
  const s = store.stats();
  console.log(
    `empty stream (open): heap ${((after - before) / n).toFixed(0)} B each, accounted ${(s.bytes / n).toFixed(0)} B`,
  );
}

function perCounter(n: number): void {
  const seq = new TopicSequencer({ ttlSec: 300 });
  keep.push(seq);
  const before = heap();
  for (let i = 0; i < n; i++) seq.open(`room:${i}`);
  const after = heap();
  console.log(`sequencer counter: heap ${((after - before) / n).toFixed(0)} B each`);
}

function perRegistryTopic(n: number): void {
  const reg = new TopicRegistry();
  keep.push(reg);
  const before = heap();
  for (let i = 0; i < n; i++) reg.add(`c${i % 100}`, `room:${i}`, 'compressed');
  const after = heap();
  console.log(`registry topic (1 subscriber): heap ${((after - before) / n).toFixed(0)} B each`);
}

const arg = process.argv[2] ?? 'all';
if (arg === 'all' || arg === 'pub') {
  perPublication(10, 100_000);
  perPublication(100, 100_000);
  perPublication(1000, 50_000);
  perPublication(4000, 20_000);
  perPublication(100, 50_000, true);
  perPublication(200, 50_000, false, 'numbers');
}
if (arg === 'all' || arg === 'topics') {
  perReservation(100_000);
  perCounter(100_000);
  perRegistryTopic(100_000);
}
console.log(`(${keep.length} structures kept alive)`);
