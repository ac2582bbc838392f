/**
 * Measures a browser bundle of an entry as an app bundler ships it: esbuild with code splitting
 * (ESM, minified), each output file gzipped (-9) on its own, as it is fetched.
 *   initial = the entry chunk + the chunks it imports statically: what a page loads up front.
 *   lazy    = each dynamic import() target (+ chunks only it needs): fetched on first use.
 * Used by `npm run size` (scripts/size.ts, the report) and by test/bundle-size.test.ts (the budget
 * and what must not ship, in `npm test`).
 *
 * @module
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The initial-load budget of the root entry, min+gzip bytes (20 KB). */
export const INITIAL_BUDGET = 20 * 1024;

/** Minified and min+gzip bytes. */
export interface Size {
  min: number;
  gz: number;
}

/** A set of output files with their summed size and their inputs (minified bytes, largest first). */
export interface ChunkSet extends Size {
  files: Set<string>;
  inputs: Array<[number, string]>;
}

/** One measurement: the initial load, every lazy chunk, and each output's size and text. */
export interface BundleMeasure {
  initial: ChunkSet & { merged: number };
  lazy: Array<ChunkSet & { name: string }>;
  sizes: Map<string, Size>;
  /** Every output file's text, by path relative to the package. */
  texts: Map<string, string>;
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** 'pkg:fflate/esm/browser.js' for dependencies, 'protocol/zlib.ts' for our sources. */
export const short = (file: string): string =>
  file.includes('node_modules/')
    ? `pkg:${file.replace(/^.*node_modules\//, '')}`
    : file.replace(/^src\//, '');

/**
 * Bundles `entry` (relative to the package, e.g. `src/index.ts`) for browsers and measures it.
 *
 * @example
 * ```ts
 * const m = await measureBundle('src/index.ts');
 * if (m.initial.gz > INITIAL_BUDGET) process.exitCode = 1;
 * ```
 */
export async function measureBundle(entry: string, external: string[] = []): Promise<BundleMeasure> {
  const outdir = mkdtempSync(join(tmpdir(), 'wse-size-'));
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [entry],
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
    const key = (p: string) => relative(root, p);
    const contents = new Map(result.outputFiles.map((f) => [key(f.path), f.contents]));
    const texts = new Map(result.outputFiles.map((f) => [key(f.path), f.text]));
    const sizes = new Map(
      [...contents].map(([file, c]) => [file, { min: c.length, gz: gzipSync(c, { level: 9 }).length }]),
    );
    const outputs = result.metafile.outputs;
    const out = (file: string) => outputs[file] as (typeof outputs)[string];
    const closure = (start: string, skip = new Set<string>()) => {
      const seen = new Set<string>();
      const walk = (file: string) => {
        if (seen.has(file) || skip.has(file)) return;
        seen.add(file);
        for (const i of out(file).imports) if (i.kind === 'import-statement' && !i.external) walk(i.path);
      };
      walk(start);
      return seen;
    };
    const sum = (files: Set<string>): Size =>
      [...files].reduce(
        (t, f) => ({ min: t.min + (sizes.get(f)?.min ?? 0), gz: t.gz + (sizes.get(f)?.gz ?? 0) }),
        { min: 0, gz: 0 },
      );
    const inputsOf = (files: Set<string>): Array<[number, string]> =>
      [...files]
        .flatMap((f) =>
          Object.entries(out(f).inputs).map(([input, v]): [number, string] => [
            v.bytesInOutput,
            short(input),
          ]),
        )
        .filter(([bytes]) => bytes > 0)
        .sort((a, b) => b[0] - a[0]);

    const entryFile = Object.keys(outputs).find((f) => out(f).entryPoint === entry) as string;
    const initial = closure(entryFile);
    const lazy: BundleMeasure['lazy'] = [];
    const seenTargets = new Set<string>();
    for (const f of initial) {
      for (const i of out(f).imports) {
        if (i.kind !== 'dynamic-import' || i.external || seenTargets.has(i.path)) continue;
        seenTargets.add(i.path);
        const files = closure(i.path, initial);
        const name = short(out(i.path).entryPoint ?? i.path);
        lazy.push({ name, files, ...sum(files), inputs: inputsOf(files) });
      }
    }
    // Rollup/Vite keep code shared with lazy chunks in the entry chunk: the initial load as one file.
    const merged = gzipSync(Buffer.concat([...initial].map((f) => contents.get(f) as Uint8Array)), {
      level: 9,
    }).length;
    return {
      initial: { files: initial, ...sum(initial), inputs: inputsOf(initial), merged },
      lazy,
      sizes,
      texts,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
