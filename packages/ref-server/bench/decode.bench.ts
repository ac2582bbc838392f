/**
 * µs per decoded frame: JSON, `C:` through the codec's fflate inflater, and `C:` through the
 * server's provider (`node:zlib`). Run: node scripts/run-ts.mjs packages/ref-server/bench/decode.bench.ts
 */
import { decodeFrame, decodeFrameWith, deflateZlib } from '@wse/core-client/protocol';
import { serverCodecs } from '../src/session/server-codecs';

const json = JSON.stringify({ t: 'publish', p: { topic: 'room', data: { text: 'hello '.repeat(20) } } });
const c = new Uint8Array(2 + deflateZlib(new TextEncoder().encode(json)).length);
c.set([0x43, 0x3a]);
c.set(deflateZlib(new TextEncoder().encode(json)), 2);

function measure(name: string, fn: () => unknown, n = 20_000): void {
  for (let i = 0; i < 2000; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
  console.log(`${name.padEnd(34)} ${us.toFixed(1)} µs/frame`);
}

console.log(`JSON ${json.length} B, C: ${c.length} B`);
measure('JSON text (decodeFrame)', () => decodeFrame(json));
measure('C: codec fflate (decodeFrame)', () => decodeFrame(c));
measure('C: server node:zlib (serverCodecs)', () => decodeFrameWith(serverCodecs, c));
