// Browser bundle size of the core entry (src/index.ts), as an app bundler ships it (see
// bundle-size.ts for how it is measured). Measured twice: everything bundled (the real bundle), and
// with msgpackr external (the lazy msgpack chunk then holds only our scanner). Exits 1 when the
// initial load is over the budget; test/bundle-size.test.ts checks the same budget in `npm test`.
// Usage: npm run size -w @wse/core-client [-- --budget 20480]   (bytes of min+gzip; default 20 KB)

import { type BundleMeasure, INITIAL_BUDGET, measureBundle, type Size } from './bundle-size';

const budgetArg = process.argv.indexOf('--budget');
const budget = budgetArg > 0 ? Number(process.argv[budgetArg + 1]) : INITIAL_BUDGET;
if (!Number.isFinite(budget) || budget <= 0) {
  console.error('size: --budget needs a positive number of bytes');
  process.exit(2);
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const row = (label: string, s: Size) =>
  console.log(`  ${label.padEnd(44)} min ${kb(s.min).padStart(9)}   min+gzip ${kb(s.gz).padStart(8)}`);
// The npm packages inside a set of inputs (for labels).
const packagesOf = (inputs: Array<[number, string]>) => [
  ...new Set(inputs.filter(([, f]) => f.startsWith('pkg:')).map(([, f]) => f.slice(4).split('/')[0])),
];

function report(title: string, m: BundleMeasure): void {
  console.log(title);
  row(`initial: entry + ${m.initial.files.size - 1} static chunk(s)`, m.initial);
  for (const l of m.lazy) {
    const pkgs = packagesOf(l.inputs);
    row(`lazy:    ${l.name}${pkgs.length ? ` (+ ${pkgs.join(', ')})` : ''}`, l);
  }
  // Lazy chunks can share files (e2e and crypto both load the crypto helpers): count each once.
  const files = new Set([...m.initial.files, ...m.lazy.flatMap((l) => [...l.files])]);
  const all = [...files].reduce(
    (t, f) => ({ min: t.min + (m.sizes.get(f)?.min ?? 0), gz: t.gz + (m.sizes.get(f)?.gz ?? 0) }),
    { min: 0, gz: 0 },
  );
  row('everything (initial + all lazy chunks)', all);
}

const full = await measureBundle('src/index.ts');
const lean = await measureBundle('src/index.ts', ['msgpackr']);
report('core entry, code splitting (the real browser bundle):', full);
report('\nsame with msgpackr external:', lean);

console.log('\nlargest inputs of the initial load (minified bytes):');
for (const [bytes, file] of full.initial.inputs.slice(0, 12))
  console.log(`  ${String(bytes).padStart(6)}  ${file}`);
console.log('initial files (each gzipped on its own, as fetched):');
for (const f of full.initial.files)
  console.log(`  ${kb(full.sizes.get(f)?.gz ?? 0).padStart(8)}  ${f.replace(/^.*\//, '')}`);
console.log(`  (the same as one file, as Rollup/Vite would emit it: ${kb(full.initial.merged)} min+gzip)`);

const over = full.initial.gz > budget;
console.log(
  `\nbudget ${kb(budget)} (${budget} B) min+gzip for the initial load: ${over ? 'OVER' : 'within'} ` +
    `(${full.initial.gz} B, ${over ? '+' : '-'}${Math.abs(budget - full.initial.gz)} B)`,
);
if (over) process.exitCode = 1;
