/**
 * The soak: mixed load on one server process for a while, sampling it at a fixed interval, and a
 * verdict on growth. Used by `npm run soak` (10 minutes, a sample every 10 s) and by the suite's
 * short variant (soak.test.ts: the same 60 samples over a shorter run).
 *
 * Load, all at once: 20 core-client subscribers with recovery on a 200/s stream; 5 presence
 * members; connection churn (a core client every 400 ms that subscribes with presence, publishes
 * and leaves); `POST /api/publish` every 200 ms; a hostile socket every 300 ms (garbage, a deep
 * frame, a zlib bomb, then gone); a ping probe every 200 ms.
 *
 * The rule ("unbounded growth"): fit a least-squares line through the after-GC samples of the
 * second half of the run (the first half is warm-up, allocator arenas and V8 sizing settle there);
 * slope × the second half's duration is the growth of the trend — for the heap it must stay under
 * 4 MiB (a leak of one small object per message shows within minutes), for RSS (native memory too:
 * uWS buffers, zlib, malloc arenas, which grow in steps of 5–15 MiB for the first minute or two,
 * then level off) under `maxRssTrendMiB` (32 MiB). Handles:
 * the second half's maximum may exceed the first half's by at most 10. Stalls: every sample's max
 * event-loop delay and the probe's max RTT < 3 s (the box is shared: with a load average of 13 on
 * 2 cores a healthy server showed 1.8 s; the attacks this guards against stall for 5–40 s).
 *
 * @module
 */
import type { WSEClient } from '@wse/core-client';
import { HostileSocket, PingProbe, recordClient, sleep } from './clients';
import { deepJson, zlibBomb } from './fuzz-frames';
import { mib, ServerProcess } from './server-process';

/** One sample of the server. */
export interface SoakSample {
  /** seconds since the start */
  t: number;
  rssMiB: number;
  heapMiB: number;
  /** Buffers and other memory V8 tracks outside its heap. */
  externalMiB: number;
  handles: number;
  connections: number;
  loopDelayMaxMs: number;
  pingMaxMs: number;
  delivered: number;
}

export interface SoakResult {
  durationS: number;
  samples: SoakSample[];
  rssTrendMiB: number;
  heapTrendMiB: number;
  handlesFirstHalfMax: number;
  handlesSecondHalfMax: number;
  loopDelayMaxMs: number;
  pingMaxMs: number;
  failures: string[];
}

export interface SoakOptions {
  /** Sampled time (after the warm-up). */
  durationMs: number;
  /** Load before the first sample, not judged (default 0: a long run's first half is warm-up enough). */
  warmupMs?: number;
  /** Default: durationMs / 60 (10 s for 10 minutes). */
  sampleMs?: number;
  maxRssTrendMiB?: number;
  log?: (line: string) => void;
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The verdict on a run's samples (see the module comment for the rule). */
export function judge(
  samples: SoakSample[],
  durationS: number,
  maxRssTrendMiB = 32,
): Omit<SoakResult, 'samples'> {
  const half = samples.slice(Math.floor(samples.length / 2));
  const first = samples.slice(0, Math.floor(samples.length / 2));
  const t = half.map((s) => s.t);
  const span = durationS / 2;
  const rssTrendMiB =
    slope(
      t,
      half.map((s) => s.rssMiB),
    ) * span;
  const heapTrendMiB =
    slope(
      t,
      half.map((s) => s.heapMiB),
    ) * span;
  const handlesFirstHalfMax = Math.max(0, ...first.map((s) => s.handles));
  const handlesSecondHalfMax = Math.max(0, ...half.map((s) => s.handles));
  const loopDelayMaxMs = Math.max(0, ...samples.map((s) => s.loopDelayMaxMs));
  const pingMaxMs = Math.max(0, ...samples.map((s) => s.pingMaxMs));
  const failures: string[] = [];
  if (rssTrendMiB >= maxRssTrendMiB)
    failures.push(`RSS trend ${rssTrendMiB.toFixed(1)} MiB ≥ ${maxRssTrendMiB}`);
  if (heapTrendMiB >= 4) failures.push(`heap trend ${heapTrendMiB.toFixed(1)} MiB ≥ 4`);
  if (handlesSecondHalfMax > handlesFirstHalfMax + 10)
    failures.push(`handles grew: ${handlesFirstHalfMax} → ${handlesSecondHalfMax}`);
  if (loopDelayMaxMs >= 3000) failures.push(`event-loop delay ${loopDelayMaxMs.toFixed(0)} ms ≥ 3000`);
  if (pingMaxMs >= 3000) failures.push(`probe ping ${pingMaxMs.toFixed(0)} ms ≥ 3000`);
  return {
    durationS,
    rssTrendMiB,
    heapTrendMiB,
    handlesFirstHalfMax,
    handlesSecondHalfMax,
    loopDelayMaxMs,
    pingMaxMs,
    failures,
  };
}

const API_KEY = 'soak-api-key-0123456789abcdef-0123';

/** Runs the soak and returns the samples and the verdict. */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const sampleMs = o.sampleMs ?? o.durationMs / 60;
  const log = o.log ?? (() => {});
  const srv = await ServerProcess.start({
    auth: false,
    recovery: { enabled: true, memoryBudget: 32 * 1024 * 1024 },
    presence: { enabled: true },
    publishPolicy: 'allow',
    apiKey: API_KEY,
    maxMessageSize: 256 * 1024,
  });
  const clients: WSEClient[] = [];
  const timers: Array<ReturnType<typeof setInterval>> = [];
  try {
    const subs = [];
    for (let i = 0; i < 20; i++) subs.push(await recordClient(srv.url, 'feed'));
    for (let i = 0; i < 5; i++) {
      const m = await recordClient(srv.url, 'lobby');
      await m.client.subscribe(['room'], { presence: { member: i } });
      clients.push(m.client);
    }
    clients.push(...subs.map((s) => s.client));
    await srv.call('pump', { topic: 'feed', count: 1e9, perTick: 2, intervalMs: 10 });
    timers.push(setInterval(() => void churn(srv.url), 400));
    timers.push(setInterval(() => void httpPublish(srv.httpUrl), 200));
    const bomb = zlibBomb(8 * 1024 * 1024);
    const deep = deepJson(60_000);
    timers.push(setInterval(() => void hostile(srv.url, bomb, deep), 300));
    const probe = await PingProbe.start(srv.url, 200);
    await sleep(o.warmupMs ?? 0);
    await srv.call('resetLoopDelay');
    probe.reset();
    const samples: SoakSample[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < o.durationMs) {
      // On a fixed schedule (sample i at t0 + i × sampleMs), whatever the sampling itself costs.
      await sleep(Math.max(0, t0 + (samples.length + 1) * sampleMs - performance.now()));
      // Loop delay and ping of the window first, then the forced GCs of `mem` (outside any window).
      const stats = await srv.stats();
      const pingMaxMs = Math.round(probe.maxMs());
      const mem = await srv.mem();
      await srv.call('resetLoopDelay');
      probe.reset();
      const sample: SoakSample = {
        t: Math.round((performance.now() - t0) / 100) / 10,
        rssMiB: mib(mem.rss),
        heapMiB: mib(mem.heapUsed),
        externalMiB: mib(mem.external),
        handles: stats.handles,
        connections: stats.connections,
        loopDelayMaxMs: Math.round(stats.loopDelayMaxMs),
        pingMaxMs,
        delivered: subs.reduce((a, s) => a + s.rec.offsets.length, 0),
      };
      samples.push(sample);
      log(
        `t=${sample.t}s rss=${sample.rssMiB}MiB heap=${sample.heapMiB}MiB ext=${sample.externalMiB}MiB handles=${sample.handles} conns=${sample.connections} loop=${sample.loopDelayMaxMs}ms ping=${sample.pingMaxMs}ms delivered=${sample.delivered}`,
      );
    }
    await probe.stop();
    return { samples, ...judge(samples, o.durationMs / 1000, o.maxRssTrendMiB) };
  } finally {
    for (const t of timers) clearInterval(t);
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await srv.stop();
  }
}

let churned = 0;
async function churn(url: string): Promise<void> {
  const n = churned++;
  const topic = `churn:${n % 50}`;
  try {
    const { client } = await recordClient(url, topic);
    await client.subscribe(['room'], { presence: { churn: n } });
    client.send('publish', { topic, data: { t: 'item', p: { n } } });
    await sleep(1000);
    await client.close();
  } catch {
    // a churn client failing is the server's problem only if the sampled figures show it
  }
}

async function httpPublish(base: string): Promise<void> {
  await fetch(`${base}/api/publish`, {
    method: 'POST',
    headers: { authorization: `apikey ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 'http', data: { t: 'item', p: { at: Date.now() } } }),
    signal: AbortSignal.timeout(5000),
  }).catch(() => {});
}

async function hostile(url: string, bomb: Uint8Array, deep: string): Promise<void> {
  const h = await HostileSocket.open(url).catch(() => undefined);
  if (!h) return;
  h.send('not json');
  h.send(new Uint8Array([0x43, 0x3a, 1, 2, 3]));
  h.send(bomb);
  h.send(deep);
  await sleep(100);
  h.ws.terminate();
}
