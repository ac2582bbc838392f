import { describe, expect, it } from 'vitest';
import { ManualClock } from '../env/manual-clock';
import { OfflineQueue } from '../offline/offline-queue';
import { MemoryQueueStorage } from '../offline/queue-storage';
import type { Envelope } from '../protocol/envelope';
import { Outbound } from './outbound';

// Issue 18.15: with batching on (a poor link), a message stays in storage until its batch is
// handed to the session — a page unload in the batch window must not lose it.
async function setup(up = true) {
  const clock = new ManualClock(0);
  const storage = new MemoryQueueStorage();
  const queue = new OfflineQueue({ storage }, clock);
  await queue.restore();
  const sent: Envelope[] = [];
  const state = { up, throwOnSend: false };
  const out = new Outbound(queue, clock, {
    canSend: () => state.up,
    transmit: (env) => {
      if (state.throwOnSend) throw new Error('socket gone');
      sent.push(env);
    },
    onQueued: () => {},
    onError: () => {},
  });
  out.setBatching(100, 10);
  const stored = async () => {
    await queue.flush();
    return (await storage.load()).map((m) => m.type);
  };
  return { clock, queue, out, sent, state, stored };
}

const msg = (n: number) => ({ id: `id-${n}`, type: `m${n}`, payload: { n }, priority: 5 });

describe('Outbound batching keeps messages stored until their batch is sent', () => {
  it('direct sends wait in storage during the batch window, leave it once transmitted', async () => {
    const { clock, out, sent, stored } = await setup();
    out.send(msg(1));
    out.send(msg(2));
    expect(sent).toEqual([]);
    expect(await stored()).toEqual(['m1', 'm2']); // a page unload now loses nothing
    clock.advance(100);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.t).toBe('batch');
    expect((sent[0]!.p.messages as Envelope[]).map((e) => e.t)).toEqual(['m1', 'm2']);
    expect(await stored()).toEqual([]);
  });

  it('queued messages flushed into a batch stay stored until it is sent', async () => {
    const { clock, out, sent, state, stored } = await setup(false);
    out.send(msg(1));
    out.send(msg(2));
    state.up = true;
    out.flush();
    expect(sent).toEqual([]);
    expect(await stored()).toEqual(['m1', 'm2']);
    clock.advance(100);
    expect(sent).toHaveLength(1);
    expect(await stored()).toEqual([]);
  });

  it('a batch that cannot be sent leaves its messages queued, once each, in order', async () => {
    const { clock, out, queue, sent, state, stored } = await setup();
    out.send(msg(1));
    out.send(msg(2));
    state.throwOnSend = true;
    clock.advance(100);
    expect(sent).toEqual([]);
    expect(queue.size).toBe(2);
    expect(await stored()).toEqual(['m1', 'm2']);
    state.throwOnSend = false;
    out.flush();
    clock.advance(100);
    expect(sent.flatMap((e) => (e.p.messages as Envelope[]).map((m) => m.t))).toEqual(['m1', 'm2']);
    expect(await stored()).toEqual([]);
  });

  it('stop() puts batched messages back in line (still stored), not twice', async () => {
    const { out, queue, stored } = await setup();
    out.send(msg(1));
    out.stop();
    expect(queue.size).toBe(1);
    expect(queue.inFlight).toBe(0);
    expect(await stored()).toEqual(['m1']);
  });
});
