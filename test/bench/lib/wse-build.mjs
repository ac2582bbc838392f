// Loads our packages for the benchmark straight from their TypeScript sources: esbuild bundles
// the workspace code (@wse/* resolved through the "wse-source" export condition) into
// test/bench/.cache/*.mjs and leaves every npm dependency external, so no `npm run build` is needed
// and the numbers always match the checked-out source. Set WSE_BENCH_FROM=dist to use the built
// packages instead (after `npm run build -w @wse/core-client -w @wse/ref-server`).

import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CACHE = fileURLToPath(new URL('../.cache/', import.meta.url));

// `server` is only an existence probe: the server class lives in server.ts (index.ts predates it).
const PROBES = { server: 'packages/ref-server/src/server.ts' };

const ENTRIES = {
  'ref-server': { src: 'packages/ref-server/src/index.ts', dist: 'packages/ref-server/dist/index.js' },
  protocol: {
    src: 'packages/core-client/src/protocol/index.ts',
    dist: 'packages/core-client/dist/protocol.js',
  },
};

const externalNpm = {
  name: 'external-npm',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@wse/')) return undefined; // bundle our own sources
      return { path: args.path, external: true };
    });
  },
};

/** Whether the source of an entry exists yet (the server is written in parallel). */
export function sourceExists(name) {
  return existsSync(ROOT + (PROBES[name] ?? ENTRIES[name].src));
}

/** Path of an importable ES module for `name` ('ref-server' | 'protocol'). */
export async function wseModulePath(name) {
  const e = ENTRIES[name];
  if (process.env.WSE_BENCH_FROM === 'dist') {
    if (!existsSync(ROOT + e.dist)) throw new Error(`${e.dist} missing: run npm run build first`);
    return ROOT + e.dist;
  }
  if (!existsSync(ROOT + e.src)) throw new Error(`${e.src} does not exist yet`);
  const { build } = await import('esbuild');
  mkdirSync(CACHE, { recursive: true });
  const out = `${CACHE}${name}.mjs`;
  await build({
    entryPoints: [ROOT + e.src],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['wse-source'],
    plugins: [externalNpm],
    sourcemap: 'inline',
    logLevel: 'error',
    // Bundled CJS helpers may call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __wseBenchCreateRequire } from 'node:module'; const require = __wseBenchCreateRequire(import.meta.url);",
    },
  });
  return out;
}

const envKey = (name) => `WSE_BENCH_MODULE_${name.replace(/\W/g, '_').toUpperCase()}`;

/**
 * Builds every entry once (in the parent) and exports the paths through the environment, so the
 * server children import the bundle instead of each running esbuild again.
 */
export async function prepareWse() {
  for (const name of Object.keys(ENTRIES)) {
    if (sourceExists(name) || process.env.WSE_BENCH_FROM === 'dist')
      process.env[envKey(name)] = await wseModulePath(name);
  }
}

export async function importWse(name) {
  const path = process.env[envKey(name)] ?? (await wseModulePath(name));
  return import(pathToFileURL(path).href);
}
