// The soak's short variant in `npm test`: the same mixed load and the same rule as `npm run soak`
// (support/soak.ts), 10 s of warm-up then 40 s sampled every 40/60 s (the 10-minute run samples
// every 10 s: the same 60 samples). The rule (support/soak.ts): the fitted growth over the second
// half < 32 MiB of RSS and < 4 MiB of heap; no handle growth; event-loop delay and ping < 3 s.
import { expect, it } from 'vitest';
import { record } from './support/results';
import { runSoak } from './support/soak';

const DURATION_MS = Number(process.env.WSE_SOAK_MS ?? 40_000);
const WARMUP_MS = 10_000;

it(
  `soak: ${(WARMUP_MS + DURATION_MS) / 1000} s of mixed load, no unbounded growth`,
  async () => {
    const r = await runSoak({ durationMs: DURATION_MS, warmupMs: WARMUP_MS });
    const last = r.samples[r.samples.length - 1];
    record(
      'soak',
      `${WARMUP_MS / 1000} + ${DURATION_MS / 1000} s (in npm test)`,
      {
        samples: r.samples.length,
        rssTrendMiB: r.rssTrendMiB,
        heapTrendMiB: r.heapTrendMiB,
        rssEndMiB: last?.rssMiB ?? 0,
        handles: `${r.handlesFirstHalfMax}→${r.handlesSecondHalfMax}`,
        loopDelayMaxMs: r.loopDelayMaxMs,
        pingMaxMs: r.pingMaxMs,
        delivered: last?.delivered ?? 0,
      },
      {
        bound: '2nd-half trend: RSS < 32 MiB, heap < 4 MiB; handles +≤10; loop & ping < 3 s',
        passed: r.failures.length === 0,
      },
    );
    expect(r.failures).toEqual([]);
    expect(last?.delivered ?? 0).toBeGreaterThan(0);
  },
  WARMUP_MS + DURATION_MS + 60_000,
);
