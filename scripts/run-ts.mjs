#!/usr/bin/env node
// Runs a TypeScript script on source (no build step): esbuild bundles it — with our workspace
// packages (@wse/*, through the `wse-source` condition) and leaving npm dependencies external —
// into a temporary .mjs next to the script (so bare imports resolve from its package), imports it,
// and removes the bundle. Usage: node scripts/run-ts.mjs path/to/script.ts [args…]
import { rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const entry = resolve(process.argv[2] ?? '');
const out = join(dirname(entry), `.${basename(entry, '.ts')}.${process.pid}.mjs`);
await build({
  entryPoints: [entry],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  conditions: ['wse-source'],
  outfile: out,
  logLevel: 'error',
  plugins: [
    {
      name: 'external-npm',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@wse/') ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
});
process.argv.splice(1, 2, entry);
try {
  await import(pathToFileURL(out).href);
} finally {
  rmSync(out, { force: true });
}
