// Prints the browser bundle size (minified, then gzip -9) of the core entry, with and without
// msgpackr. Usage: npm run size -w @wse/core-client [-- --budget 20480]

import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const budgetArg = process.argv.indexOf('--budget');
const budget = budgetArg > 0 ? Number(process.argv[budgetArg + 1]) : 20 * 1024;

async function measure(label, external) {
  const result = await build({
    entryPoints: [`${root}src/index.ts`],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['wse-source', 'browser', 'module'],
    external,
    metafile: true,
    logLevel: 'error',
  });
  const code = result.outputFiles[0].contents;
  const gz = gzipSync(code, { level: 9 }).length;
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`${label.padEnd(34)} min ${kb(code.length).padStart(9)}   min+gzip ${kb(gz).padStart(8)}`);
  return { gz, metafile: result.metafile };
}

const full = await measure('core entry (everything)', []);
const lean = await measure('core entry without msgpackr', ['msgpackr']);
const inputs = Object.entries(Object.values(lean.metafile.outputs)[0].inputs)
  .map(([file, v]) => [v.bytesInOutput, file.replace(/^.*node_modules\//, '')])
  .sort((a, b) => b[0] - a[0])
  .slice(0, 12);
console.log('\nlargest inputs (minified bytes, without msgpackr):');
for (const [bytes, file] of inputs) console.log(`  ${String(bytes).padStart(6)}  ${file}`);
const verdict = lean.gz <= budget ? 'within' : 'OVER';
console.log(
  `\nbudget ${(budget / 1024).toFixed(1)} KB (without msgpackr): ${verdict}; full: ${(full.gz / 1024).toFixed(1)} KB`,
);
