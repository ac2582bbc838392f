import { describe, expect, it } from 'vitest';
import { InboundQueue } from './inbound-queue';

describe('InboundQueue', () => {
  it('is bounded and counts overflow', async () => {
    const q = new InboundQueue<number>(2);
    expect(q.push(1)).toBe(true);
    expect(q.push(2)).toBe(true);
    expect(q.push(3)).toBe(false);
    expect(q.dropped).toBe(1);
    expect(await q.take(10, 0)).toEqual([1, 2]);
    expect(q.size).toBe(0);
  });

  it('take waits for the first item or times out', async () => {
    const q = new InboundQueue<number>(10);
    setTimeout(() => q.push(7), 5);
    expect(await q.take(5, 1000)).toEqual([7]);
    const t0 = Date.now();
    expect(await q.take(5, 20)).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
  });

  it('iterates until closed', async () => {
    const q = new InboundQueue<number>(10);
    const seen: number[] = [];
    const done = (async () => {
      for await (const n of q.iterate()) seen.push(n);
    })();
    q.push(1);
    await new Promise((r) => setTimeout(r, 1));
    q.push(2);
    q.close();
    await done;
    expect(seen).toEqual([1, 2]);
  });

  it('compacts after many items', async () => {
    const q = new InboundQueue<number>(5000);
    for (let i = 0; i < 3000; i++) q.push(i);
    expect((await q.take(2000, 0)).length).toBe(2000);
    expect(await q.take(1, 0)).toEqual([2000]);
    expect(q.size).toBe(999);
  });
});
