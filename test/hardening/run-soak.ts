// `npm run soak [-- --minutes N]`: the long soak (10 minutes by default, a sample every 10 s;
// support/soak.ts has the load and the rule). Prints every sample, records the figures into
// results/ (summary.md/json, and soak-<N>min.json with every sample) and exits 1 on growth.
import { writeFileSync } from 'node:fs';
import { HARDENING } from './support/paths';
import { record, writeSummary } from './support/results';
import { runSoak } from './support/soak';

const arg = process.argv.indexOf('--minutes');
const minutes = arg > 0 ? Number(process.argv[arg + 1]) : 10;
if (!(minutes > 0)) {
  process.stderr.write('usage: npm run soak -- --minutes <N>\n');
  process.exit(2);
}
const log = (line: string) => process.stdout.write(`${line}\n`);
log(`soak: ${minutes} min of mixed load, a sample every ${(minutes * 60) / 60} s`);
const r = await runSoak({ durationMs: minutes * 60_000, log });
writeFileSync(`${HARDENING}results/soak-${minutes}min.json`, `${JSON.stringify(r, null, 2)}\n`);
const last = r.samples[r.samples.length - 1];
record(
  'soak',
  `${minutes} min (npm run soak)`,
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
writeSummary();
log(r.failures.length === 0 ? 'soak: passed' : `soak: FAILED\n  ${r.failures.join('\n  ')}`);
process.exit(r.failures.length === 0 ? 0 : 1);
