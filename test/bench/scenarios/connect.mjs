// Connect storm: N connections opened as fast as the server accepts them (a bounded number of
// handshakes in flight per worker). A connection counts once it is usable: raw uWS / ws at the
// 101, Socket.IO at its CONNECT ack ("40{sid}"), WSE at server_hello (JWT verified, server_ready,
// client_hello answered). Ours runs with JWT on; raw uWS has no auth at all.

import { performance } from 'node:perf_hooks';
import { round } from '../lib/common.mjs';
import { connectOpts, startServer, tokensFor } from './session.mjs';

export async function connectOne(gen, targetName, n, cfg) {
  const { srv, target } = await startServer(targetName);
  try {
    const tokens = target.jwt ? await tokensFor(n) : undefined;
    const c0 = process.cpuUsage();
    const s0 = srv.cpuSeconds();
    const t0 = performance.now();
    const r = await gen.connect(
      connectOpts(target, srv, {
        count: n,
        subscribe: false,
        tokens,
        concurrency: cfg.connectConcurrency ?? 32,
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    const serverCpu = srv.cpuSeconds() - s0;
    const c1 = process.cpuUsage(c0);
    const genCpu = (c1.user + c1.system) / 1e6;
    const secs = r.elapsedMs / 1000;
    return {
      target: targetName,
      attempted: n,
      accepted: r.ready,
      failed: r.failed,
      errors: r.errors,
      seconds: round(secs, 3),
      connPerSec: round(r.ready / secs),
      serverCpuS: round(serverCpu, 2),
      serverUtil: round(serverCpu / wall, 2),
      serverCpuUsPerConn: r.ready ? round((serverCpu * 1e6) / r.ready) : null,
      genCpuS: round(genCpu, 2),
      genUtil: round(genCpu / wall, 2),
    };
  } finally {
    await gen.closeAll().catch(() => {});
    await srv.stop();
  }
}
