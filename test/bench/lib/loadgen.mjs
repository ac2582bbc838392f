// Parent side of the load generator: a pool of worker threads sharing a SharedArrayBuffer of
// counters (deliveries, min sequence seen, ready, closed) that the parent reads without messaging.

import { Worker } from 'node:worker_threads';
import { HIST_SIZE, merge, newHist } from './histogram.mjs';

const SLOTS = 4;

export class LoadGen {
  constructor(workers = 2) {
    this.n = workers;
    this.sab = new SharedArrayBuffer(workers * SLOTS * 8);
    this.shared = new Float64Array(this.sab);
    this.workers = [];
    this.reqId = 0;
    this.pending = new Map();
    this.active = []; // per worker: has connections
  }

  start() {
    for (let i = 0; i < this.n; i++) {
      const w = new Worker(new URL('./loadgen-worker.mjs', import.meta.url), {
        workerData: { index: i, sab: this.sab, slots: SLOTS },
      });
      w.on('message', (m) => {
        const p = this.pending.get(m.reqId);
        if (!p) return;
        this.pending.delete(m.reqId);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(`worker ${i}: ${m.error}`));
      });
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(w);
      this.active.push(false);
    }
  }

  call(i, msg) {
    const reqId = ++this.reqId;
    return new Promise((resolve, reject) => {
      this.pending.set(reqId, { resolve, reject });
      this.workers[i].postMessage({ ...msg, reqId });
    });
  }

  all(msg) {
    return Promise.all(this.workers.map((_, i) => this.call(i, msg)));
  }

  /**
   * Opens `count` connections spread over the workers. `opts`: proto ('raw'|'sio'|'wse'), port,
   * path, subscribe, tokens, recovery (per-connection positions), concurrency (per worker).
   */
  async connect(opts) {
    const per = [];
    let offset = 0;
    for (let i = 0; i < this.n; i++) {
      const c = Math.floor(opts.count / this.n) + (i < opts.count % this.n ? 1 : 0);
      per.push({ c, offset });
      offset += c;
    }
    const results = await Promise.all(
      per.map(({ c, offset: off }, i) => {
        if (c === 0) return null;
        this.active[i] = true;
        return this.call(i, { cmd: 'connect', opts: { ...opts, count: c, offset: off } });
      }),
    );
    const out = { ready: 0, failed: 0, elapsedMs: 0, errors: {}, subMs: [], replayed: [], subReplies: [] };
    for (const r of results) {
      if (!r) continue;
      out.ready += r.ready;
      out.failed += r.failed;
      out.elapsedMs = Math.max(out.elapsedMs, r.elapsedMs);
      for (const [k, v] of Object.entries(r.errors)) out.errors[k] = (out.errors[k] ?? 0) + v;
      out.subMs.push(...r.subMs);
      out.replayed.push(...r.replayed);
      out.subReplies.push(...r.subReplies);
      out.hello ??= r.hello;
    }
    return out;
  }

  deliveries() {
    let d = 0;
    for (let i = 0; i < this.n; i++) d += this.shared[i * SLOTS];
    return d;
  }

  /** Lowest sequence number every connected subscriber has reached (-1 when none). */
  minSeq() {
    let m = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.n; i++) {
      if (!this.active[i]) continue;
      const v = this.shared[i * SLOTS + 1];
      if (v >= 0 && v < m) m = v;
    }
    return m === Number.POSITIVE_INFINITY ? -1 : m;
  }

  closedUnexpected() {
    let d = 0;
    for (let i = 0; i < this.n; i++) d += this.shared[i * SLOTS + 3];
    return d;
  }

  /** what: 'hist' (new latency window) or 'all' (also loss counters). */
  async reset(what = 'hist') {
    await this.all({ cmd: 'reset', what });
  }

  async stats(expectSeq) {
    const rs = await this.all({ cmd: 'stats', expectSeq });
    const hist = newHist();
    const out = { deliveries: 0, gaps: 0, dups: 0, behind: 0, conns: 0, open: 0, closedUnexpected: 0, hist };
    for (const r of rs) {
      out.deliveries += r.deliveries;
      out.gaps += r.gaps;
      out.dups += r.dups;
      out.behind += r.behind;
      out.conns += r.conns;
      out.open += r.open;
      out.closedUnexpected += r.closedUnexpected;
      merge(hist, Float64Array.from(r.hist));
    }
    return out;
  }

  async positions() {
    const rs = await this.all({ cmd: 'positions' });
    return rs.flatMap((r) => r.positions);
  }

  async rtt(durationMs, totalConns) {
    const per = Math.ceil(totalConns / this.n);
    const rs = await this.all({ cmd: 'rtt', durationMs, maxConns: per });
    const hist = new Float64Array(HIST_SIZE);
    let count = 0;
    let elapsedMs = 0;
    let lost = 0;
    for (const r of rs) {
      merge(hist, Float64Array.from(r.hist));
      count += r.count;
      elapsedMs = Math.max(elapsedMs, r.elapsedMs);
      lost += r.lost;
    }
    return { hist, count, elapsedMs, lost };
  }

  async closeAll() {
    await this.all({ cmd: 'close' });
    this.active.fill(false);
  }

  async terminate() {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
