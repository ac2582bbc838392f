import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SyncSignal } from './sync-signal';

/** A raw worker that bumps slot 0 and notifies after `delayMs` (same layout as SyncSignal). */
function notifyLater(buffer: SharedArrayBuffer, delayMs: number, times = 1): Worker {
  const code = `
    const { workerData } = require('node:worker_threads');
    const cell = new Int32Array(workerData.buffer, 0, 1);
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < workerData.times; i++) {
      Atomics.wait(nap, 0, 0, workerData.delayMs);
      Atomics.add(cell, 0, 1);
      Atomics.notify(cell, 0);
    }
  `;
  return new Worker(code, { eval: true, workerData: { buffer, delayMs, times } });
}

describe('SyncSignal', () => {
  it('times out when nobody notifies', () => {
    const s = new SyncSignal();
    const t = performance.now();
    expect(s.wait(s.snapshot(), 30)).toBe('timed-out');
    expect(performance.now() - t).toBeGreaterThanOrEqual(25);
  });

  it('returns at once when a notify happened after the snapshot (no lost wake-up)', () => {
    const s = new SyncSignal();
    const seen = s.snapshot();
    new SyncSignal(s.buffer).notify();
    const t = performance.now();
    expect(s.wait(seen, 5000)).toBe('not-equal');
    expect(performance.now() - t).toBeLessThan(50);
    expect(s.snapshot()).toBe(seen + 1);
  });

  it('wakes a blocked thread when another thread notifies', async () => {
    const s = new SyncSignal();
    const seen = s.snapshot();
    const w = notifyLater(s.buffer, 50);
    const t = performance.now();
    expect(s.wait(seen, 5000)).toBe('ok');
    const waited = performance.now() - t;
    expect(waited).toBeGreaterThanOrEqual(30);
    expect(waited).toBeLessThan(2000);
    await w.terminate();
  });

  it('counts every notify, so a waiter that re-snapshots sees each one', async () => {
    const s = new SyncSignal();
    const w = notifyLater(s.buffer, 5, 20);
    let seen = s.snapshot();
    const start = seen;
    while (seen - start < 20) {
      s.wait(seen, 2000);
      seen = s.snapshot();
    }
    expect(seen - start).toBe(20);
    await w.terminate();
  });

  it('wraps the counter without breaking wait semantics', () => {
    const s = new SyncSignal();
    new Int32Array(s.buffer)[0] = 2 ** 31 - 1;
    const seen = s.snapshot();
    s.notify();
    expect(s.snapshot()).toBe(-(2 ** 31));
    expect(s.wait(seen, 1000)).toBe('not-equal');
  });
});
