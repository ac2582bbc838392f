// Fan-out: N subscribers on one topic, the publisher inside the server process.
// Saturation: as fast as the slowest subscriber drains, with `inflight` deliveries in flight in
//   total (window = inflight / N messages). Measured in slices after a short warm-up each:
//   deliveries/s at the subscribers, server and generator CPU, gaps, latency under load.
// Light load: a fixed `lightRate` deliveries/s for `lightMs`, for latency without queues.
// Zero loss: after stopping, every subscriber must reach the last published seq.
//
// Two ways to run a tier:
//   fanoutOne     one server at a time (connect, measure, tear down) — used for the peers
//   fanoutPaired  several servers connected at once, measured in alternating short slices
//                 (A B C A B C …), so a neighbour's CPU burst on a shared box hits all of them
//                 alike. Used for the headline ratio: raw uWS vs ours.

import { performance } from 'node:perf_hooks';
import { round, sleep, waitFor } from '../lib/common.mjs';
import { merge, newHist, percentileMs } from '../lib/histogram.mjs';
import { boxCpu } from '../lib/server-proc.mjs';
import { connectOpts, startServer, tokensFor } from './session.mjs';

function snapshot(gen, srv) {
  const cpu = process.cpuUsage();
  return {
    t: performance.now(),
    deliveries: gen.deliveries(),
    server: srv.cpuSeconds(),
    gen: (cpu.user + cpu.system) / 1e6,
    box: boxCpu(),
  };
}

function ackPump(gen, srv) {
  let last = -1;
  const timer = setInterval(() => {
    const m = gen.minSeq();
    if (m > last) {
      last = m;
      srv.ack(m);
    }
  }, 1);
  return () => clearInterval(timer);
}

/** Starts the server and connects `n` subscribers with the target's protocol. */
export async function openSession(gen, targetName, n, cfg) {
  const { srv, target } = await startServer(targetName);
  const sess = { gen, srv, target, targetName, n, conn: null, acc: null };
  try {
    const tokens = target.jwt ? await tokensFor(n) : undefined;
    sess.conn = await gen.connect(connectOpts(target, srv, { count: n, subscribe: true, tokens }));
    if (sess.conn.ready === 0)
      throw new Error(`${targetName}: no subscriber connected: ${JSON.stringify(sess.conn.errors)}`);
    await waitFor(async () => (await srv.call('count')).subscribers >= sess.conn.ready, 5000);
    await gen.reset('all');
  } catch (err) {
    await closeSession(sess);
    throw err;
  }
  sess.window = Math.max(16, Math.min(4000, Math.round(cfg.inflight / n)));
  sess.batch = Math.max(8, Math.min(cfg.batch ?? 256, Math.ceil(sess.window / 2)));
  sess.acc = {
    secs: 0,
    deliveries: 0,
    server: 0,
    gen: 0,
    boxBusy: 0,
    boxTotal: 0,
    hist: newHist(),
    slices: [],
  };
  return sess;
}

export async function closeSession(sess) {
  await sess.gen.closeAll().catch(() => {});
  await sess.srv.stop();
}

/** One saturation slice: warm up, measure `ms`, stop, let every subscriber catch up. */
export async function slice(sess, warmMs, ms) {
  const { gen, srv, acc } = sess;
  const stopPump = ackPump(gen, srv);
  try {
    await srv.call('run', { mode: 'saturate', window: sess.window, batch: sess.batch });
    await sleep(warmMs);
    await gen.reset('hist');
    const a = snapshot(gen, srv);
    await sleep(ms);
    const b = snapshot(gen, srv);
    const { seq } = await srv.call('stop');
    const st = await gen.stats();
    await waitFor(() => gen.minSeq() >= seq, 3000, 2);
    const secs = (b.t - a.t) / 1000;
    const d = b.deliveries - a.deliveries;
    acc.secs += secs;
    acc.deliveries += d;
    acc.server += b.server - a.server;
    acc.gen += b.gen - a.gen;
    acc.boxBusy += b.box.busy - a.box.busy;
    acc.boxTotal += b.box.total - a.box.total;
    merge(acc.hist, st.hist);
    acc.slices.push(round(d / secs));
    return d / secs;
  } finally {
    stopPump();
  }
}

async function lightPhase(sess, cfg) {
  const { gen, srv } = sess;
  if (!(cfg.lightMs > 0)) return null;
  const rate = Math.max(5, Math.round(cfg.lightRate / sess.n));
  const stopPump = ackPump(gen, srv);
  try {
    await gen.reset('hist');
    await srv.call('run', { mode: 'rate', rate, window: sess.window, batch: sess.batch });
    await sleep(cfg.lightMs);
    const { seq } = await srv.call('stop');
    await waitFor(() => gen.minSeq() >= seq, 3000, 2);
    const ls = await gen.stats();
    return { rate, p50: percentileMs(ls.hist, 0.5), p99: percentileMs(ls.hist, 0.99) };
  } finally {
    stopPump();
  }
}

/** Light phase, loss check, and the result row from the accumulated slices. */
async function finish(sess, cfg, mode) {
  const light = await lightPhase(sess, cfg);
  const { seq } = await sess.srv.call('stop');
  await waitFor(() => sess.gen.minSeq() >= seq, 3000, 5);
  const fin = await sess.gen.stats(seq);
  const a = sess.acc;
  const util = (x) => round(x / a.secs, 2);
  const idle = (a.boxTotal - a.boxBusy) / a.secs;
  return {
    target: sess.targetName,
    subscribers: sess.n,
    connected: sess.conn.ready,
    connectFailed: sess.conn.failed,
    serverFeatures: sess.conn.hello?.features,
    mode,
    window: sess.window,
    batch: sess.batch,
    seconds: round(a.secs, 2),
    slices: a.slices,
    deliveriesPerSec: round(a.deliveries / a.secs),
    messagesPerSec: round(a.deliveries / a.secs / sess.n),
    gaps: fin.gaps,
    dups: fin.dups,
    undelivered: fin.behind,
    closedUnexpected: fin.closedUnexpected,
    p50: percentileMs(a.hist, 0.5),
    p99: percentileMs(a.hist, 0.99),
    lightP50: light?.p50 ?? null,
    lightP99: light?.p99 ?? null,
    lightDeliveriesPerSec: light ? light.rate * sess.n : null,
    serverCpuS: round(a.server, 2),
    serverUtil: util(a.server),
    genCpuS: round(a.gen, 2),
    genUtil: util(a.gen),
    genNsPerDelivery: a.deliveries > 0 ? round((a.gen * 1e9) / a.deliveries) : null,
    otherUtil: util(Math.max(0, a.boxBusy - a.server - a.gen)),
    boxIdle: round(idle, 2),
    deliveriesPerServerCpuS: a.server > 0 ? round(a.deliveries / a.server) : null,
    bottleneck: bottleneck(a.server / a.secs, a.gen / a.secs, idle, cfg.workers),
  };
}

/** One server alone: connect, one measured slice of `durationMs`, light phase, tear down. */
export async function fanoutOne(gen, targetName, n, cfg) {
  const sess = await openSession(gen, targetName, n, cfg);
  try {
    await slice(sess, cfg.warmupMs, cfg.durationMs);
    return await finish(sess, cfg, 'alone');
  } finally {
    await closeSession(sess);
  }
}

/**
 * Several servers at once, one generator each (`gens[i]` serves `targets[i]`), measured in
 * `cfg.slices` rounds of alternating slices of `cfg.sliceMs`. Returns one row per target, plus the
 * per-round ratios of each target to the first (the baseline).
 */
export async function fanoutPaired(gens, targets, n, cfg) {
  const sessions = [];
  try {
    for (let i = 0; i < targets.length; i++) sessions.push(await openSession(gens[i], targets[i], n, cfg));
    const perRound = [];
    for (let r = 0; r < cfg.slices; r++) {
      const order = r % 2 === 0 ? sessions : [...sessions].reverse();
      const rates = new Map();
      // The first slice of each server also warms its JIT; later ones only refill the window.
      const warm = r === 0 ? Math.max(cfg.sliceWarmMs, cfg.warmupMs) : cfg.sliceWarmMs;
      for (const s of order) rates.set(s.targetName, await slice(s, warm, cfg.sliceMs));
      perRound.push(targets.map((t) => rates.get(t)));
    }
    const rows = [];
    for (const [i, s] of sessions.entries()) {
      const row = await finish(s, cfg, `paired ×${cfg.slices}`);
      row.roundRates = perRound.map((r) => round(r[i])); // round k of every target: same neighbours
      rows.push(row);
    }
    for (let i = 1; i < rows.length; i++) {
      const ratios = perRound.map((r) => r[i] / r[0]).sort((a, b) => a - b);
      rows[i].pairedRatios = ratios.map((x) => round(x, 3));
      rows[i].pairedRatioMedian = round(ratios[Math.floor((ratios.length - 1) / 2)], 3);
      rows[i].pairedBaseline = targets[0];
    }
    return rows;
  } finally {
    for (const s of sessions) await closeSession(s);
  }
}

/**
 * Who limited the run. The server is single-threaded: ≥ 0.9 of a core means it saturated. The
 * generator has `workers` threads on what is left of the box. Neither busy while the box has idle
 * time means the flow-control window (round trips), not CPU, was the limit.
 */
export function bottleneck(serverUtil, genUtil, boxIdle, workers) {
  if (serverUtil >= 0.9) return 'server';
  if (genUtil >= Math.min(workers, 1.9) * 0.9) return 'generator';
  if (boxIdle < 0.15) return 'box (shared CPU)';
  return 'window/latency';
}
