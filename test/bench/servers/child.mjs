// One server under test per child process. The parent talks to it over the IPC channel:
//   {id, cmd:'run', mode:'saturate'|'rate', window, batch, rate}  start publishing
//   {cmd:'ack', seq}                                              lowest seq every subscriber has
//   {id, cmd:'stop'} → {seq}                                      stop publishing
//   {id, cmd:'publishN', n} → {seq}                               publish n at once (recovery)
//   {id, cmd:'count'} → {subscribers, connections}
//   {id, cmd:'mem'} → {rss, heapUsed}                             after two full GCs
//   {id, cmd:'cpu'} → process.cpuUsage()
// The publisher lives here, next to the server, so the load generator only subscribes.
//   saturate: each event-loop turn publishes up to `batch` messages while fewer than `window`
//             messages are in flight to the slowest subscriber (published − acked).
//   rate:     publishes `rate` messages/s on a 1 ms timer (still bounded by `window`).
// Exits when the parent goes away, so a crashed parent leaves no server behind.

import { performance } from 'node:perf_hooks';
import { nowUs } from './payload.mjs';

const kind = process.argv[2];
const opts = JSON.parse(process.argv[3] ?? '{}');
const files = {
  uws: './uws.mjs',
  ws: './ws.mjs',
  sio: './sio.mjs',
  'sio-uws': './sio-uws.mjs',
  wse: './wse.mjs',
};

process.on('disconnect', () => process.exit(0));

let server;
try {
  server = await (await import(files[kind])).create(opts);
} catch (err) {
  process.send({ ev: 'error', error: String(err?.stack ?? err) });
  process.exit(1);
}

let seq = 0;
let acked = 0;
let run = null;

function tick() {
  const r = run;
  if (r === null) return;
  r.scheduled = false;
  let limit = r.batch;
  if (r.mode === 'rate') {
    const due = Math.floor(((performance.now() - r.t0) / 1000) * r.rate) - (seq - r.seq0);
    limit = Math.min(due, r.batch * 16);
  }
  const ts = nowUs();
  let n = 0;
  while (n < limit && seq - acked < r.window) {
    server.publish(++seq, ts);
    n++;
  }
  if (r.mode === 'rate') {
    r.scheduled = true;
    setTimeout(tick, 1);
  } else if (seq - acked < r.window) {
    r.scheduled = true;
    setImmediate(tick);
  } else {
    r.blocked = true; // resumed by the next ack
  }
}

async function handle(msg) {
  switch (msg.cmd) {
    case 'run':
      run = {
        mode: msg.mode,
        window: msg.window ?? 1000,
        batch: msg.batch ?? 64,
        rate: msg.rate ?? 0,
        t0: performance.now(),
        seq0: seq,
        scheduled: true,
        blocked: false,
      };
      setImmediate(tick);
      return { seq };
    case 'stop':
      run = null;
      return { seq };
    case 'publishN': {
      const ts = nowUs();
      for (let i = 0; i < msg.n; i++) server.publish(++seq, ts);
      // Let a queued publisher flush before answering.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      return { seq };
    }
    case 'count':
      return { subscribers: server.count(), connections: server.connections() };
    case 'mem': {
      for (let i = 0; i < 3; i++) {
        global.gc?.();
        await new Promise((r) => setTimeout(r, 20));
      }
      const m = process.memoryUsage();
      return {
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        gc: typeof global.gc === 'function',
      };
    }
    case 'cpu':
      return process.cpuUsage();
    case 'exit':
      setImmediate(() => process.exit(0));
      return {};
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
}

process.on('message', (msg) => {
  if (msg.cmd === 'ack') {
    if (msg.seq > acked) acked = msg.seq;
    if (run?.blocked && seq - acked < run.window) {
      run.blocked = false;
      run.scheduled = true;
      setImmediate(tick);
    }
    return;
  }
  handle(msg).then(
    (result) => process.send({ id: msg.id, ok: true, result }),
    (err) => process.send({ id: msg.id, ok: false, error: String(err?.stack ?? err) }),
  );
});

process.send({ ev: 'started', port: server.port, pid: process.pid, info: server.info ?? {} });
