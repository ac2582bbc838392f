// Browser bundle size of the core entry (src/index.ts), as an app bundler ships it: esbuild with
// code splitting (ESM, minified), each output file gzipped (-9) on its own, as it is fetched.
//   initial = the entry chunk + the chunks it imports statically: what a page loads up front.
//   lazy    = each dynamic import() target (+ chunks only it needs): fetched on first use.
// Measured twice: everything bundled (the real bundle), and with msgpackr external (the lazy
// msgpack chunk then holds only our scanner). Exits 1 when the initial load is over the budget.
// Usage: npm run size -w @wse/core-client [-- --budget 20480]   (bytes of min+gzip; default 20 KB)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const budgetArg = process.argv.indexOf('--budget');
const budget = budgetArg > 0 ? Number(process.argv[budgetArg + 1]) : 20 * 1024;
if (!Number.isFinite(budget) || budget <= 0) {
  console.error('size: --budget needs a positive number of bytes');
  process.exit(2);
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
// 'pkg:fflate/esm/browser.js' for dependencies, 'protocol/zlib.ts' for our sources.
const short = (file) =>
  file.includes('node_modules/')
    ? `pkg:${file.replace(/^.*node_modules\//, '')}`
    : file.replace(/^src\//, '');

async function measure(external) {
  const outdir = mkdtempSync(join(tmpdir(), 'wse-size-'));
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: ['src/index.ts'],
      bundle: true,
      splitting: true,
      minify: true,
      write: false,
      format: 'esm',
      outdir,
      platform: 'browser',
      target: 'es2022',
      conditions: ['wse-source', 'browser', 'module'],
      external,
      metafile: true,
      logLevel: 'error',
    });
    const key = (p) => relative(root, p);
    const contents = new Map(result.outputFiles.map((f) => [key(f.path), f.contents]));
    const sizes = new Map(
      [...contents].map(([file, c]) => [file, { min: c.length, gz: gzipSync(c, { level: 9 }).length }]),
    );
    const outputs = result.metafile.outputs;
    const closure = (start, skip = new Set()) => {
      const seen = new Set();
      const walk = (file) => {
        if (seen.has(file) || skip.has(file)) return;
        seen.add(file);
        for (const i of outputs[file].imports) if (i.kind === 'import-statement' && !i.external) walk(i.path);
      };
      walk(start);
      return seen;
    };
    const sum = (files) =>
      [...files].reduce((t, f) => ({ min: t.min + sizes.get(f).min, gz: t.gz + sizes.get(f).gz }), {
        min: 0,
        gz: 0,
      });
    const inputsOf = (files) =>
      [...files]
        .flatMap((f) =>
          Object.entries(outputs[f].inputs).map(([input, v]) => [v.bytesInOutput, short(input)]),
        )
        .filter(([bytes]) => bytes > 0)
        .sort((a, b) => b[0] - a[0]);

    const entry = Object.keys(outputs).find((f) => outputs[f].entryPoint === 'src/index.ts');
    const initial = closure(entry);
    const lazy = [];
    const seenTargets = new Set();
    for (const f of initial) {
      for (const i of outputs[f].imports) {
        if (i.kind !== 'dynamic-import' || i.external || seenTargets.has(i.path)) continue;
        seenTargets.add(i.path);
        const files = closure(i.path, initial);
        const name = short(outputs[i.path].entryPoint ?? i.path);
        lazy.push({ name, files, ...sum(files), inputs: inputsOf(files) });
      }
    }
    // Rollup/Vite keep code shared with lazy chunks in the entry chunk: the initial load as one file.
    const merged = gzipSync(Buffer.concat([...initial].map((f) => contents.get(f))), { level: 9 }).length;
    return { initial: { files: initial, ...sum(initial), inputs: inputsOf(initial), merged }, lazy, sizes };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const row = (label, s) =>
  console.log(`  ${label.padEnd(44)} min ${kb(s.min).padStart(9)}   min+gzip ${kb(s.gz).padStart(8)}`);
// The npm packages inside a set of inputs (for labels).
const packagesOf = (inputs) => [
  ...new Set(inputs.filter(([, f]) => f.startsWith('pkg:')).map(([, f]) => f.slice(4).split('/')[0])),
];

function report(title, m) {
  console.log(title);
  row(`initial: entry + ${m.initial.files.size - 1} static chunk(s)`, m.initial);
  for (const l of m.lazy) {
    const pkgs = packagesOf(l.inputs);
    row(`lazy:    ${l.name}${pkgs.length ? ` (+ ${pkgs.join(', ')})` : ''}`, l);
  }
  // Lazy chunks can share files (e2e and crypto both load the crypto helpers): count each once.
  const files = new Set([...m.initial.files, ...m.lazy.flatMap((l) => [...l.files])]);
  const all = [...files].reduce(
    (t, f) => ({ min: t.min + m.sizes.get(f).min, gz: t.gz + m.sizes.get(f).gz }),
    {
      min: 0,
      gz: 0,
    },
  );
  row('everything (initial + all lazy chunks)', all);
}

const full = await measure([]);
const lean = await measure(['msgpackr']);
report('core entry, code splitting (the real browser bundle):', full);
report('\nsame with msgpackr external:', lean);

console.log('\nlargest inputs of the initial load (minified bytes):');
for (const [bytes, file] of full.initial.inputs.slice(0, 12))
  console.log(`  ${String(bytes).padStart(6)}  ${file}`);
console.log('initial files (each gzipped on its own, as fetched):');
for (const f of full.initial.files)
  console.log(`  ${kb(full.sizes.get(f).gz).padStart(8)}  ${f.replace(/^.*\//, '')}`);
console.log(`  (the same as one file, as Rollup/Vite would emit it: ${kb(full.initial.merged)} min+gzip)`);

const over = full.initial.gz > budget;
console.log(
  `\nbudget ${kb(budget)} (${budget} B) min+gzip for the initial load: ${over ? 'OVER' : 'within'} ` +
    `(${full.initial.gz} B, ${over ? '+' : '-'}${Math.abs(budget - full.initial.gz)} B)`,
);
if (over) process.exitCode = 1;
