// Memory per idle connection: server RSS after N connections (handshake done, subscribed to one
// topic where the server supports topics) minus RSS before, divided by N. Both readings after
// forced full GCs in the server process (--expose-gc).

import { round, sleep } from '../lib/common.mjs';
import { connectOpts, startServer, tokensFor } from './session.mjs';

export async function memoryOne(gen, targetName, n, cfg) {
  const { srv, target } = await startServer(targetName);
  try {
    const tokens = target.jwt ? await tokensFor(n) : undefined;
    // Warm the server's code paths with a few connections first, so lazily compiled code and
    // first-use allocations are not charged to the idle connections.
    await gen.connect(connectOpts(target, srv, { count: 10, subscribe: true, tokens }));
    await gen.closeAll();
    await sleep(200);
    const m0 = await srv.call('mem');
    const r = await gen.connect(connectOpts(target, srv, { count: n, subscribe: true, tokens }));
    await sleep(cfg.memorySettleMs ?? 500);
    const m1 = await srv.call('mem');
    return {
      target: targetName,
      connections: r.ready,
      failed: r.failed,
      rssBeforeMB: round(m0.rss / 2 ** 20, 1),
      rssAfterMB: round(m1.rss / 2 ** 20, 1),
      bytesPerConn: r.ready ? round((m1.rss - m0.rss) / r.ready) : null,
      heapBytesPerConn: r.ready ? round((m1.heapUsed - m0.heapUsed) / r.ready) : null,
    };
  } finally {
    await gen.closeAll().catch(() => {});
    await srv.stop();
  }
}
