/**
 * Builds the docs site for the browser tests, once: a cross-process lock serialises builds (vitest
 * runs test files in parallel and VitePress builds share `.vitepress/.temp`), and a build newer than
 * every input is reused.
 *
 * @module
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where `vitepress build` writes the site. */
export const DOCS_DIST = join(ROOT, 'docs-site/.vitepress/dist');

const LOCK = join(tmpdir(), `wse-docs-build-${ROOT.replace(/[^a-z0-9]+/gi, '_')}.lock`);
const INPUTS = ['docs-site', 'packages', 'test/bench/results'];
const SKIP = new Set(['node_modules', 'dist', 'cache', '.temp', 'test', 'bench']);

/** The result of one `vitepress build`. */
export interface BuildResult {
  code: number | null;
  output: string;
  ms: number;
}

function newest(dir: string, depth = 0): number {
  if (depth > 12) return 0;
  if (!existsSync(dir)) return 0;
  let max = 0; // file times only: directory times move when builds create dist/ or .temp/
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP.has(entry.name)) max = Math.max(max, newest(p, depth + 1));
    } else if (/\.(md|ts|vue|css|json)$/.test(entry.name)) {
      max = Math.max(max, statSync(p).mtimeMs);
    }
  }
  return max;
}

/**
 * `true` when `DOCS_DIST` exists and is newer than the site's sources, the client source and the
 * package READMEs.
 *
 * @example
 * ```ts
 * if (!docsBuildIsFresh()) await runDocsBuild();
 * ```
 */
export function docsBuildIsFresh(): boolean {
  const index = join(DOCS_DIST, 'index.html');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  return INPUTS.every((d) => newest(join(ROOT, d)) <= built);
}

async function withLock<T>(fn: () => Promise<T>, waitMs = 180_000): Promise<T> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than the longest build is left over from a killed run.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > waitMs)
        rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > until) throw new Error(`docs build lock ${LOCK} held for over ${waitMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function build(): Promise<BuildResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const bin = join(ROOT, 'node_modules/vitepress/bin/vitepress.js');
    const child = spawn(process.execPath, [bin, 'build', 'docs-site'], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true' },
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('close', (code) => resolve({ code, output, ms: Date.now() - started }));
  });
}

/**
 * Runs `vitepress build docs-site` (under the lock) and reports its exit code and output.
 *
 * @example
 * ```ts
 * const r = await runDocsBuild();
 * expect(r.code, r.output).toBe(0);
 * ```
 */
export function runDocsBuild(): Promise<BuildResult> {
  return withLock(build);
}

/**
 * Makes sure a fresh build is in `DOCS_DIST`, building only when needed; throws with the build
 * output when the build fails.
 *
 * @example
 * ```ts
 * beforeAll(() => ensureDocsBuilt(), 120_000);
 * ```
 */
export async function ensureDocsBuilt(): Promise<void> {
  await withLock(async () => {
    if (docsBuildIsFresh()) return;
    const r = await build();
    if (r.code !== 0) throw new Error(`vitepress build failed (${r.code}):\n${r.output}`);
  });
}
