#!/usr/bin/env node
// Runs bench/recovery.bench.ts on source: esbuild bundles it with our workspace packages (@wse/*
// through the `wse-source` export condition, relative imports) and leaves npm dependencies
// external, into a temporary .mjs next to this file, imports it, and removes it.
// Usage (from packages/ref-server): npm run bench [-- --subs 100 --rounds 6 --round-ms 1500 …]
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const entry = fileURLToPath(new URL('./recovery.bench.ts', import.meta.url));
const out = fileURLToPath(new URL(`./.recovery.bench.${process.pid}.mjs`, import.meta.url));
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
try {
  await import(pathToFileURL(out).href);
} finally {
  rmSync(out, { force: true });
}
