/**
 * One measured fan-out round, shared by the in-process benches (recovery, cluster, redis): publish
 * in batches of 50 while fewer than `inflight` deliveries are outstanding, skip the first 200 ms
 * (warm-up), measure deliveries/s for `roundMs`, then (with `settleMs`) wait until the deliveries
 * stop growing so the next round starts empty.
 *
 * @example
 * ```ts
 * const rate = await deliveryRound({ deliveries: () => gen.deliveries(), subs: 100, roundMs: 1500,
 *   inflight: 200_000, publish: (n) => server.broadcast('bench', tick(n)), settleMs: 5000 });
 * ```
 */
export async function deliveryRound(o: {
  deliveries: () => number;
  subs: number;
  roundMs: number;
  inflight: number;
  /** Called with the running publication number (1, 2, …). */
  publish: (n: number) => void;
  /** Wait for in-flight deliveries after the round, at most this long (0: do not wait). */
  settleMs?: number;
}): Promise<number> {
  const d0 = o.deliveries();
  let published = 0;
  let measuredFrom = -1;
  let start = 0;
  const t0 = performance.now();
  await new Promise<void>((done) => {
    const pump = () => {
      const now = performance.now();
      if (measuredFrom < 0 && now - t0 > 200) {
        measuredFrom = o.deliveries();
        start = now;
      }
      if (measuredFrom >= 0 && now - start >= o.roundMs) return done();
      if (published * o.subs - (o.deliveries() - d0) < o.inflight) {
        for (let i = 0; i < 50; i++) o.publish(++published);
      }
      setImmediate(pump);
    };
    pump();
  });
  const rate = (o.deliveries() - measuredFrom) / ((performance.now() - start) / 1000);
  const until = performance.now() + (o.settleMs ?? 0);
  for (let last = -1; last !== o.deliveries() && performance.now() < until; ) {
    last = o.deliveries();
    await new Promise((r) => setTimeout(r, 100));
  }
  return rate;
}
