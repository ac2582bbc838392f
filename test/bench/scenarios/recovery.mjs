// Recovery replay (ours, recovery on): subscribers receive one publication (their position), go
// away, `missed` publications happen, and they come back with subscription_update {recover: true}.
// Measured per client from sending the subscribe to receiving its reply, which the server sends
// after replaying every missed publication. Checks that exactly `missed` messages came back.

import { pct, round, waitFor } from '../lib/common.mjs';
import { connectOpts, startServer, tokensFor } from './session.mjs';

/** The scenario cannot run against this server build: reported as a note, not a failure. */
export class NotAvailable extends Error {}

async function once(gen, srv, target, clients, missed, tokens) {
  const first = await gen.connect(
    connectOpts(target, srv, { count: clients, subscribe: true, tokens, track: true }),
  );
  if (first.ready !== clients) throw new Error(`recovery: only ${first.ready}/${clients} connected`);
  if (first.hello?.features?.recovery !== true) {
    throw new NotAvailable(
      'the server does not advertise recovery yet (server_hello features.recovery is not true)',
    );
  }
  const { seq: s1 } = await srv.call('publishN', { n: 1 });
  await waitFor(() => gen.minSeq() >= s1, 3000, 5);
  const positions = await gen.positions();
  if (positions.some((p) => p === null))
    throw new Error('recovery: a publication carried no epoch/offset stamp');
  await gen.closeAll();
  const { seq: s2 } = await srv.call('publishN', { n: missed });
  await gen.reset('all');
  const back = await gen.connect(
    connectOpts(target, srv, { count: clients, subscribe: true, tokens, recovery: positions, startSeq: s1 }),
  );
  await waitFor(() => gen.minSeq() >= s2, 3000, 5);
  const st = await gen.stats(s2);
  await gen.closeAll();
  return { back, st, replies: back.subReplies };
}

export async function recoveryRun(gen, targetName, cfg) {
  const missed = cfg.recoveryMissed ?? 500;
  const { srv, target } = await startServer(targetName, {
    recoveryOptions: { bufferSize: Math.max(1024, missed * 2), maxMessages: missed },
  });
  try {
    const tokens = await tokensFor(Math.max(cfg.recoveryClients ?? 100, 1));
    const single = [];
    let replayedOk = true;
    let gaps = 0;
    let sample;
    for (let i = 0; i < (cfg.recoveryRounds ?? 5); i++) {
      const r = await once(gen, srv, target, 1, missed, tokens.slice(0, 1));
      single.push(...r.back.subMs);
      replayedOk &&= r.back.replayed.every((n) => n === missed);
      gaps += r.st.gaps + r.st.behind;
      sample ??= r.replies[0];
    }
    const k = cfg.recoveryClients ?? 100;
    const many = await once(gen, srv, target, k, missed, tokens.slice(0, k));
    replayedOk &&= many.back.replayed.every((n) => n === missed);
    gaps += many.st.gaps + many.st.behind;
    return {
      target: targetName,
      missed,
      singleP50Ms: round(pct(single, 0.5), 2),
      singleMaxMs: round(Math.max(...single), 2),
      clients: k,
      concurrentP50Ms: round(pct(many.back.subMs, 0.5), 2),
      concurrentMaxMs: round(Math.max(...many.back.subMs), 2),
      replayedPerSec: round((k * missed) / (Math.max(...many.back.subMs) / 1000)),
      allReplayed: replayedOk,
      gaps,
      reply: sample,
    };
  } finally {
    await gen.closeAll().catch(() => {});
    await srv.stop();
  }
}
