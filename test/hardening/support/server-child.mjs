// One WSE server per child process, so the hardening suite measures the server ALONE: its RSS
// (/proc/<pid>/status), its CPU and its event loop, none of it mixed with the attacking clients.
// Loaded from the TypeScript sources through the esbuild bundle whose path the parent puts in
// WSE_HARDENING_SERVER_MODULE (see server-process.ts). Options arrive as JSON in argv[2]
// ("Infinity" strings become Infinity). The parent talks over IPC:
//   {id, cmd:'mem'}                          → {rss, heapUsed, external, arrayBuffers} after two full GCs
//   {id, cmd:'stats'}                        → recovery stats, connections, topics, handles, loop delay
//   {id, cmd:'pump', topic, count, perTick, intervalMs, pad} → starts publishing `count` events
//                                              {t:'item', p:{n, pad}} to `topic` (returns at once)
//   {id, cmd:'pumpStatus'}                   → {sent, done}
//   {id, cmd:'fill', topics, perTopic, size} → publishes perTopic events to each of `topics` topics
//   {id, cmd:'broadcastAll', data}           → server.broadcastAll(data)
//   {id, cmd:'resetLoopDelay'}               → clears the loop-delay histogram
// It exits when the parent goes away, so a crashed test run leaves no server behind.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

process.on('disconnect', () => process.exit(0));

const options = JSON.parse(process.argv[2] ?? '{}', (_k, v) => (v === 'Infinity' ? Infinity : v));
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

let server;
try {
  const { WSEServer } = await import(pathToFileURL(process.env.WSE_HARDENING_SERVER_MODULE).href);
  server = new WSEServer({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...options });
  // The suite's app handler: answer any request that has a cid, like a real app would.
  server.on('message', (ev) => {
    if (ev.cid) server.reply(ev.connId, ev.cid, { ok: true });
  });
  server.on('error', () => {}); // counted by the server's own metrics; never fatal here
  const port = await server.start();
  process.send({ ev: 'started', port, pid: process.pid });
} catch (err) {
  process.send({ ev: 'error', error: String(err?.stack ?? err) });
  process.exit(1);
}

const pump = { sent: 0, done: true, timer: null };

function startPump({ topic, count, perTick = 1, intervalMs = 1, pad = 0 }) {
  if (pump.timer) clearInterval(pump.timer);
  pump.sent = 0;
  pump.done = false;
  const padding = 'p'.repeat(pad);
  pump.timer = setInterval(() => {
    for (let i = 0; i < perTick && pump.sent < count; i++) {
      server.broadcast(topic, { t: 'item', p: { n: pump.sent, pad: padding } });
      pump.sent++;
    }
    if (pump.sent >= count) {
      clearInterval(pump.timer);
      pump.timer = null;
      pump.done = true;
    }
  }, intervalMs);
}

function memory() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

function stats() {
  const health = server.healthSnapshot();
  return {
    recovery: server.recoveryStats(),
    connections: server.connectionCount(),
    topics: health.topics,
    handles: process.getActiveResourcesInfo().length,
    loopDelayMaxMs: loop.max / 1e6,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    cpu: process.cpuUsage(),
  };
}

async function handle(msg) {
  switch (msg.cmd) {
    case 'mem':
      return memory();
    case 'stats':
      return stats();
    case 'resetLoopDelay':
      loop.reset();
      return {};
    case 'pump':
      startPump(msg);
      return {};
    case 'pumpStatus':
      return { sent: pump.sent, done: pump.done };
    case 'fill': {
      const data = 'f'.repeat(msg.size);
      for (let k = 0; k < msg.perTopic; k++)
        for (let i = 0; i < msg.topics; i++) server.broadcast(`fill:${i}`, { t: 'fill', p: { data } });
      await new Promise((r) => setImmediate(r)); // the fan-out flushes once per turn
      return {};
    }
    case 'broadcastAll':
      return { delivered: server.broadcastAll(msg.data) };
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
}

process.on('message', (msg) => {
  handle(msg).then(
    (result) => process.send({ id: msg.id, ok: true, result }),
    (err) => process.send({ id: msg.id, ok: false, error: String(err?.stack ?? err) }),
  );
});
