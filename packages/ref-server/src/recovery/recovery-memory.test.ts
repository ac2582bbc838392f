import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Envelope } from '@wse/core-client/protocol';
import { describe, expect, it } from 'vitest';
import { STREAM_OVERHEAD } from './memory-cost';
import { RecoveryStore } from './recovery-store';
import { TopicSequencer } from './topic-sequencer';

// Issue 18 item 2: the budget bounds REAL memory (streams and entries are not free), state that
// nobody needs goes, and the store's heap stays near its budget.

const msg = (i: number, text = ''): Envelope => ({ c: 'U', t: 'msg', p: { i, text } });

describe('RecoveryStore.release (last subscriber left)', () => {
  it('drops a never-written stream, keeps one with publications', () => {
    const store = new RecoveryStore({});
    store.open('quiet');
    store.recoverTopic('quiet-too', [{ epoch: '0badcafe', offset: 3 }]);
    store.stamp('busy', msg(0));
    expect(store.stats()).toMatchObject({ buffers: 3, topics: 3 });
    for (const t of ['quiet', 'quiet-too', 'busy', 'unknown']) store.release(t);
    expect(store.stats()).toMatchObject({ buffers: 1, topics: 1, bytes: store.streams('busy')[0]?.bytes });
    expect(store.position('busy')).toEqual({ epoch: expect.any(String), offset: 0 });
  });

  it('the sequencer (recovery off) drops a counter that never numbered anything', () => {
    const seq = new TopicSequencer({ ttlSec: 300 });
    seq.open('quiet');
    seq.stamp('busy', msg(0));
    seq.release('quiet');
    seq.release('busy');
    expect(seq.stats().topics).toBe(1);
  });

  it('the sequencer keeps at most maxTopics counters (oldest created goes)', () => {
    const seq = new TopicSequencer({ ttlSec: 300, maxTopics: 100 });
    for (let i = 0; i < 1000; i++) seq.stamp(`t${i}`, msg(i));
    expect(seq.stats().topics).toBe(100);
    expect(seq.open('t999').offset).toBe(0); // the newest is still there
  });
});

describe('RecoveryStore budget counts overhead', () => {
  it('empty streams are charged and evicted: a budget of 10 streams holds 10', () => {
    const store = new RecoveryStore({ memoryBudget: 10 * STREAM_OVERHEAD });
    for (let i = 0; i < 10_000; i++) store.open(`t${i}`);
    const s = store.stats();
    expect(s.buffers).toBe(10);
    expect(s.bytes).toBe(10 * STREAM_OVERHEAD);
    expect(s.evictedBuffers).toBe(9990);
  });

  it('tiny publications are charged more than their text', () => {
    const store = new RecoveryStore({ memoryBudget: 1024 * 1024 });
    let text = 0;
    for (let i = 0; i < 50_000; i++) text += store.stamp(`t${i % 50}`, msg(i)).bytes;
    const s = store.stats();
    expect(s.bytes).toBeLessThanOrEqual(s.budget);
    // ~30-byte texts charged ~160 bytes each: far fewer retained than text-only accounting allowed
    expect(s.messages).toBeLessThan((1024 * 1024) / 150);
    expect(text).toBeGreaterThan(s.budget); // the test did push past the budget
  });
});

/** V8's gc, exposed for this test only (no flag needed on the command line). */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('RecoveryStore heap stays near its budget', () => {
  it('filled far past a 4 MiB budget with small publications, the heap grows by at most budget × 1.3 + 2 MiB', () => {
    const gc = exposeGc();
    const heap = () => {
      for (let i = 0; i < 3; i++) gc();
      return process.memoryUsage().heapUsed;
    };
    const budget = 4 * 1024 * 1024;
    const before = heap();
    const store = new RecoveryStore({ memoryBudget: budget, bufferSize: 256 });
    for (let i = 0; i < 60_000; i++) store.stamp(`room:${i % 500}`, msg(i, 'x'.repeat(i % 120)));
    for (let i = 0; i < 5_000; i++) store.open(`empty:${i}`);
    const grown = heap() - before;
    expect(store.stats().bytes).toBeLessThanOrEqual(budget);
    expect(store.stats().messages).toBeGreaterThan(10_000); // it really holds a lot
    // Measured ≈ 0.85 × budget. Before issue 18 (JSON-only accounting, envelope trees kept): ≈ 3×.
    expect(
      grown,
      `heap grew ${(grown / 1048576).toFixed(1)} MiB for a ${budget / 1048576} MiB budget`,
    ).toBeLessThan(budget * 1.3 + 2 * 1024 * 1024);
  }, 30_000);
});
