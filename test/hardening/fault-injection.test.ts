// Fault injection: a chaos proxy (support/chaos-proxy.ts) between many real @wse/core-client
// subscribers (recovery on, short heartbeat) and a server in its own process that publishes a
// numbered stream. The proxy delays, black-holes, cuts and half-opens connections on a seeded
// schedule, and refuses connections for a while; then the server is SIGKILLed mid-stream and
// restarted on the same port. Invariant: every subscriber ends with every offset exactly once, in
// order, or with an explicit `recovery_failed` that explains each gap — never a silent one.
import type { WSEClient } from '@wse/core-client';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ChaosProxy, type Fault } from './support/chaos-proxy';
import { auditRecording, type Recording, recordClient, sleep, waitFor } from './support/clients';
import { record } from './support/results';
import { ServerProcess } from './support/server-process';

const SUITE = 'fault-injection';
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => {});
});

const SERVER = {
  auth: false,
  // Big enough that every gap this schedule makes is recoverable: a recovery_failed here would be
  // a bug, so the first test demands none.
  recovery: { enabled: true, bufferSize: 8192, maxMessages: 8000 },
  pingInterval: 1000,
};
// Own pings every 250 ms, dead after 250 + 1000 ms of silence: a black-holed socket is noticed fast.
const CLIENT = { heartbeat: { pingIntervalMs: 250, deadGraceMs: 1000 } };

async function server(options: Record<string, unknown> = SERVER): Promise<ServerProcess> {
  const srv = await ServerProcess.start(options);
  cleanup.push(() => srv.stop());
  return srv;
}

async function proxyTo(port: number, seed: number): Promise<ChaosProxy> {
  const rand = fc.sample(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
    seed,
    numRuns: 100_000,
  });
  let i = 0;
  const proxy = await ChaosProxy.start(port, () => rand[i++ % rand.length] as number);
  cleanup.push(() => proxy.close());
  return proxy;
}

async function subscribers(url: string, n: number, topic: string) {
  const all: Array<{ client: WSEClient; rec: Recording }> = [];
  for (let i = 0; i < n; i++) {
    const s = await recordClient(url, topic, CLIENT);
    cleanup.push(() => s.client.close());
    all.push(s);
  }
  return all;
}

const lastOffset = (rec: Recording): number => rec.offsets[rec.offsets.length - 1] ?? -1;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('fault injection through a chaos proxy', () => {
  it('delays, black holes, cuts, half-open sockets and an outage: every offset exactly once', async () => {
    const TOTAL = 2400;
    const srv = await server();
    const proxy = await proxyTo(srv.port, 18);
    proxy.delayMs = 2;
    proxy.jitterMs = 8;
    const subs = await subscribers(proxy.url, 12, 'feed');
    await srv.call('pump', { topic: 'feed', count: TOTAL, perTick: 3, intervalMs: 10 }); // ≈ 300/s, 8 s
    // The schedule: a fault every 600 ms on a quarter of the healthy connections, and one 500 ms
    // outage in the middle. Faults stop once the publisher is done; then everyone must catch up.
    const faults: Fault[] = ['cut', 'drop', 'half-open'];
    let step = 0;
    let status = { sent: 0, done: false };
    while (!status.done) {
      await sleep(600);
      step++;
      if (step === 8) {
        proxy.down();
        await sleep(500);
        proxy.up();
      } else proxy.apply(faults[step % faults.length] as Fault, 0.25);
      status = await srv.call<{ sent: number; done: boolean }>('pumpStatus');
    }
    proxy.delayMs = 0;
    proxy.jitterMs = 0;
    const caughtUp = () => subs.every((s) => lastOffset(s.rec) === TOTAL - 1);
    await waitFor(caughtUp, 20_000, 'every subscriber at the last offset').catch(() => {});
    const reconnects = Object.values(proxy.applied).reduce((a, b) => a + b, 0);
    const problems = subs.flatMap((s, i) => auditRecording(s.rec, TOTAL).map((p) => `sub ${i}: ${p}`));
    const exact = subs.filter((s) => s.rec.offsets.length === TOTAL && s.rec.failed.length === 0).length;
    const passed = problems.length === 0 && exact === subs.length;
    record(
      SUITE,
      'chaos proxy under 12 subscribers',
      {
        publications: TOTAL,
        subscribers: subs.length,
        faultsApplied: reconnects,
        cuts: proxy.applied.cut,
        blackHoles: proxy.applied.drop,
        halfOpen: proxy.applied['half-open'],
        refused: proxy.applied.refused,
        exactlyOnce: exact,
      },
      { bound: 'all subscribers: 0..N-1 exactly once, in order, no recovery_failed', passed },
    );
    expect(problems).toEqual([]);
    for (const s of subs) {
      expect(s.rec.failed).toEqual([]);
      expect(s.rec.offsets).toEqual(range(TOTAL));
    }
    expect(proxy.applied.cut + proxy.applied.drop + proxy.applied['half-open']).toBeGreaterThan(10);
  }, 60_000);

  it('kill -9 mid-stream and a restart on the same port: recovery_failed for the new epoch, no silent gap', async () => {
    const first = await server();
    const port = first.port;
    const proxy = await proxyTo(port, 9);
    const subs = await subscribers(proxy.url, 8, 'feed');
    await first.call('pump', { topic: 'feed', count: 100_000, perTick: 2, intervalMs: 10 });
    await waitFor(() => subs.every((s) => s.rec.offsets.length >= 300), 10_000, '300 delivered each');
    await first.kill9(); // mid-stream: buffers and epochs die with the process
    const killedAt = Date.now();
    let second: ServerProcess | undefined;
    while (!second) {
      // The proxy resets the server's FINs, so the port is free at once; retry briefly anyway.
      second = await server({ ...SERVER, port }).catch(async (err) => {
        if (Date.now() - killedAt > 5000) throw err;
        await sleep(100);
        return undefined;
      });
    }
    const restartMs = Date.now() - killedAt;
    const AFTER = 500;
    await second.call('pump', { topic: 'feed', count: AFTER, perTick: 5, intervalMs: 10 });
    await waitFor(
      () => subs.every((s) => s.rec.failed.length > 0 && lastOffset(s.rec) === AFTER - 1),
      15_000,
      'every subscriber told and caught up on the new server',
    ).catch(() => {});
    const problems = subs.flatMap((s, i) => auditRecording(s.rec, 0).map((p) => `sub ${i}: ${p}`));
    const firstEpoch = subs[0]?.rec.epochs[0];
    const told = subs.filter((s) => s.rec.failed.some((f) => f.topic === 'feed' && f.epoch !== firstEpoch));
    record(
      SUITE,
      'kill -9 and restart on the same port',
      { subscribers: subs.length, restartMs, toldRecoveryFailed: told.length, problems: problems.length },
      {
        bound: 'each subscriber: recovery_failed for the new epoch, contiguous before and after',
        passed: problems.length === 0 && told.length === subs.length,
      },
    );
    expect(problems).toEqual([]);
    expect(told).toHaveLength(subs.length);
    for (const s of subs) {
      // Before the kill: a contiguous prefix of the first epoch; after: the new epoch to its end.
      const before = s.rec.offsets.filter((_, i) => s.rec.epochs[i] === firstEpoch);
      expect(before).toEqual(range(before.length));
      expect(lastOffset(s.rec)).toBe(AFTER - 1);
      expect(s.rec.epochs[s.rec.epochs.length - 1]).not.toBe(firstEpoch);
    }
  }, 60_000);
});
