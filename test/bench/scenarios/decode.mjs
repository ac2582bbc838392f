// Client-side decode rate, one core: the same ~100-byte payload as each protocol puts it on the
// wire, decoded the way each client library does per incoming WebSocket message.
//   ours        @wse/core-client decodeFrame (text frame, and the same JSON as a binary frame)
//   socket.io   engine.io-parser decodePacket → socket.io-parser Decoder.add → 'decoded' (what
//               socket.io-client runs per message; the non-debug ESM build browsers bundle)
//   centrifuge  its JSON codec's decodeReplies on a publication push (taken from a Centrifuge
//               instance: the class is not exported)
//   JSON.parse  of the bare payload, the floor for any JSON protocol

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { round } from '../lib/common.mjs';
import { importWse, sourceExists } from '../lib/wse-build.mjs';
import { payloadObject } from '../servers/payload.mjs';

const require = createRequire(import.meta.url);

// Every decoder runs `ROUNDS` times, interleaved with the others, best kept: a neighbour's burst
// on a shared box then costs one round, not the figure.
const ROUNDS = 3;

// Rates are per CPU second of this process, not per wall second: on a shared box the decoder is
// descheduled for long stretches, and wall-clock rates of the same code varied 4× between runs.
// The generator's worker threads are idle while this runs, so the process's CPU is the decoder's.
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

function measure(fn, ms) {
  const warm = performance.now() + Math.min(200, ms / 3);
  while (performance.now() < warm) for (let i = 0; i < 1000; i++) fn();
  let n = 0;
  const t0 = cpuMs();
  const until = t0 + ms;
  let t = t0;
  while (t < until) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
    t = cpuMs();
  }
  return n / ((t - t0) / 1000);
}

async function socketIoDecoder() {
  const pkgDir = (name) =>
    require.resolve(`${name}/package.json`, { paths: [process.cwd()] }).replace(/package\.json$/, '');
  let sioDir;
  let eioDir;
  try {
    sioDir = pkgDir('socket.io-parser');
    eioDir = pkgDir('engine.io-parser');
  } catch {
    // exports maps hide package.json: resolve the entry and walk up
    sioDir = require.resolve('socket.io-parser').replace(/build\/.*$/, '');
    eioDir = require.resolve('engine.io-parser').replace(/build\/.*$/, '');
  }
  const sio = await import(pathToFileURL(`${sioDir}build/esm/index.js`).href);
  const eio = await import(pathToFileURL(`${eioDir}build/esm/index.js`).href);
  return { sio, eio };
}

export async function runDecode(cfg) {
  const ms = cfg.decodeMs ?? 700;
  const payload = payloadObject(123456, 1764100000000000);
  const rows = [];
  let sink = 0;

  const bare = JSON.stringify(payload);
  rows.push({
    codec: 'JSON.parse (bare payload)',
    id: 'json',
    bytes: bare.length,
    fn: () => (sink += JSON.parse(bare).bseq),
  });

  if (sourceExists('protocol')) {
    const p = await importWse('protocol');
    const env = p.buildEnvelope('bench_tick', payload, {
      seq: 42,
      stamp: { topic: 'bench', epoch: '0123abcd', offset: 41 },
    });
    const text = p.encodeFrame(env, { compressionThreshold: Number.POSITIVE_INFINITY });
    const bytes = p.toBytes(text);
    // The floor for any validated decode of this frame: V8's JSON.parse of the same 256 bytes.
    rows.push({
      codec: 'JSON.parse (the WSE frame, no validation: the floor)',
      id: 'json-frame',
      bytes: bytes.length,
      fn: () => (sink += JSON.parse(text).p.bseq),
    });
    rows.push({
      codec: 'WSE decodeFrame (text)',
      id: 'wse-text',
      bytes: bytes.length,
      fn: () => (sink += p.decodeFrame(text).p.bseq),
    });
    rows.push({
      codec: 'WSE decodeFrame (binary)',
      id: 'wse-binary',
      bytes: bytes.length,
      fn: () => (sink += p.decodeFrame(bytes).p.bseq),
    });
  } else {
    rows.push({
      codec: 'WSE decodeFrame',
      id: 'wse-text',
      bytes: null,
      msgsPerSec: null,
      note: 'codec source missing',
    });
  }

  const { sio, eio } = await socketIoDecoder();
  const sioText = `4${new sio.Encoder().encode({ type: sio.PacketType.EVENT, nsp: '/', data: ['m', payload] })[0]}`;
  const decoder = new sio.Decoder();
  decoder.on('decoded', (packet) => {
    sink += packet.data[1].bseq;
  });
  rows.push({
    codec: 'socket.io-client (engine.io + socket.io parsers)',
    id: 'sio',
    bytes: sioText.length,
    fn: () => {
      const packet = eio.decodePacket(sioText);
      decoder.add(packet.data);
    },
  });

  const { Centrifuge } = await import('centrifuge');
  const codec = new Centrifuge('ws://127.0.0.1:1/connection/websocket', { websocket: class {} })._codec;
  const cText = JSON.stringify({ push: { channel: 'bench', pub: { data: payload, offset: 42 } } });
  rows.push({
    codec: 'centrifuge JSON codec',
    id: 'centrifuge',
    bytes: cText.length,
    fn: () => (sink += codec.decodeReplies(cText)[0].push.pub.data.bseq),
  });

  for (let k = 0; k < ROUNDS; k++) {
    for (const r of rows) if (r.fn) r.msgsPerSec = Math.max(r.msgsPerSec ?? 0, measure(r.fn, ms / ROUNDS));
  }
  for (const r of rows) {
    r.msgsPerSec = round(r.msgsPerSec);
    delete r.fn;
  }
  return { rows, sink: sink > 0 };
}
