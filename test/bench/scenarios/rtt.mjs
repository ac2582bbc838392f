// Point-to-point request/reply: `conns` connections, each with one request in flight (closed
// loop), for `rttMs`. Raw uWS and ws echo the frame; Socket.IO answers with an ack; WSE sends a
// message with a `cid` that the application handler answers through server.reply().

import { round } from '../lib/common.mjs';
import { percentileMs } from '../lib/histogram.mjs';
import { withServer } from './session.mjs';

export async function rttOne(gen, targetName, cfg) {
  const conns = cfg.rttConns ?? 16;
  return withServer(gen, targetName, { count: conns, subscribe: false }, async ({ srv }) => {
    await gen.rtt(Math.min(300, cfg.rttMs), conns); // warm-up
    const s0 = srv.cpuSeconds();
    const r = await gen.rtt(cfg.rttMs, conns);
    const serverCpu = srv.cpuSeconds() - s0;
    const secs = r.elapsedMs / 1000;
    return {
      target: targetName,
      conns,
      roundTrips: r.count,
      perSec: round(r.count / secs),
      p50: percentileMs(r.hist, 0.5),
      p99: percentileMs(r.hist, 0.99),
      lost: r.lost,
      serverUtil: round(serverCpu / secs, 2),
    };
  });
}
