// Memory per idle connection: server RSS after N connections (handshake done, subscribed to one
// topic where the server supports topics) minus RSS before, divided by N. Every reading after
// forced full GCs in the server process (--expose-gc): 0.5 s after the connect burst, and again
// after `memoryIdleMs` of idleness (the steady state; the summary and the targets use this one).

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
    await sleep(500);
    const m1 = await srv.call('mem');
    // Idle: V8 keeps the heap pages the connect burst's garbage needed (young generation growth)
    // until its memory reducer runs, after several seconds without allocation. The second reading
    // is the steady state of idle connections; the first one shows the burst.
    let m2 = null;
    if (cfg.memoryIdleMs > 0) {
      await sleep(cfg.memoryIdleMs);
      m2 = await srv.call('mem');
    }
    const per = (a, b) => (r.ready ? round((a - b) / r.ready) : null);
    return {
      target: targetName,
      connections: r.ready,
      failed: r.failed,
      rssBeforeMB: round(m0.rss / 2 ** 20, 1),
      rssAfterMB: round(m1.rss / 2 ** 20, 1),
      bytesPerConn: r.ready ? round((m1.rss - m0.rss) / r.ready) : null,
      heapBytesPerConn: r.ready ? round((m1.heapUsed - m0.heapUsed) / r.ready) : null,
      // Where RSS goes besides live JS objects: heap pages V8 committed but does not use, and
      // memory outside the heap that V8 knows of (Buffers, ArrayBuffers).
      heapCommittedPerConn: r.ready ? round((m1.heapTotal - m0.heapTotal) / r.ready) : null,
      externalPerConn: r.ready ? round((m1.external - m0.external) / r.ready) : null,
      idleMs: m2 ? cfg.memoryIdleMs : null,
      idleBytesPerConn: m2 ? per(m2.rss, m0.rss) : null,
      idleHeapBytesPerConn: m2 ? per(m2.heapUsed, m0.heapUsed) : null,
      idleHeapCommittedPerConn: m2 ? per(m2.heapTotal, m0.heapTotal) : null,
    };
  } finally {
    await gen.closeAll().catch(() => {});
    await srv.stop();
  }
}
