/**
 * Test harness: bundles the package from source into a temp dir (the child process needs
 * runnable JS), spawns `node` child scripts that use the blocking client, and talks to them
 * over JSON lines (child → test on stdout, test → child on stdin).
 *
 * Layout of the bundle dir: `index.mjs` + `worker.mjs` (ESM), `cjs/index.cjs` + `cjs/worker.cjs`
 * (CommonJS), `prelude.mjs` (helpers for child scripts). `connectSync` finds the worker next to
 * itself, exactly as it finds `dist/worker.js` when installed.
 */

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { SECRET, startServer as startTestServer, type TestServer } from '../../../test/support/wse-server';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Bundled CJS dependencies call `require`; give ESM bundles a real one. */
const ESM_BANNER =
  "import { createRequire as __wseCreateRequire } from 'node:module'; const require = __wseCreateRequire(import.meta.url);";

/** Builds index + worker (ESM and CJS) from source into `dir`. */
export async function bundlePackage(dir: string): Promise<void> {
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    conditions: ['wse-source'],
    external: ['bufferutil', 'utf-8-validate'],
    logLevel: 'error' as const,
    // core-client is `sideEffects: false` and its lazy codec imports make esbuild wrap modules in
    // lazy inits; honouring sideEffects then drops `init_errors()` ("class extends undefined").
    ignoreAnnotations: true,
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: { index: join(SRC, 'index.ts'), worker: join(SRC, 'worker.ts') },
      format: 'esm',
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      banner: { js: ESM_BANNER },
    }),
    build({
      ...common,
      entryPoints: { index: join(SRC, 'index.ts'), worker: join(SRC, 'worker.ts') },
      format: 'cjs',
      outdir: join(dir, 'cjs'),
      outExtension: { '.js': '.cjs' },
    }),
  ]);
  writeFileSync(join(dir, 'prelude.mjs'), PRELUDE);
}

/** Helpers every child script imports: `out(obj)`, `waitLine()`, `sleep(ms)`, `errInfo(err)`. */
const PRELUDE = `
import { readSync } from 'node:fs';
import * as sync from './index.mjs';
export { sync };
export function out(obj) { process.stdout.write(JSON.stringify(obj) + '\\n'); }
const nap = new Int32Array(new SharedArrayBuffer(4));
export function sleep(ms) { Atomics.wait(nap, 0, 0, ms); }
let pending = '';
/** Blocks until the test writes a line on stdin (null at EOF). */
export function waitLine() {
  const buf = Buffer.alloc(4096);
  for (;;) {
    const i = pending.indexOf('\\n');
    if (i >= 0) { const line = pending.slice(0, i); pending = pending.slice(i + 1); return line; }
    let n;
    try { n = readSync(0, buf, 0, buf.length, null); }
    catch (e) { if (e.code === 'EAGAIN') { sleep(5); continue; } throw e; }
    if (n === 0) return null;
    pending += buf.toString('utf8', 0, n);
  }
}
export function errInfo(err) {
  return {
    name: err?.name, code: err?.code, message: err?.message,
    isWSEError: err instanceof sync.WSEError,
    isTimeout: err instanceof sync.WSETimeoutError && err instanceof sync.TimeoutError,
    isConnection: err instanceof sync.WSEConnectionError && err instanceof sync.TransportError,
    isAuth: err instanceof sync.WSEAuthError && err instanceof sync.AuthError,
    isServer: err instanceof sync.WSEServerError && err instanceof sync.ServerError,
  };
}
`;

/** A running child script. */
export interface Child {
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  /** Resolves with the first line (old or new) matching `pred`. */
  next(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Writes a line to the child's stdin. */
  tell(line: string): void;
  /** Exit code and the wall-clock time of the exit (ms since epoch). */
  readonly exited: Promise<{ code: number | null; at: number }>;
  readonly proc: ChildProcessWithoutNullStreams;
}

/** A temp dir with the bundle; `cleanup()` removes it. */
export async function createBundleDir(): Promise<{ dir: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'wse-node-sync-'));
  await bundlePackage(dir);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let counter = 0;

/** Writes `source` as a child script next to the bundle and runs it with `node`. */
export function runChild(dir: string, source: string, env: Record<string, string> = {}, ext = 'mjs'): Child {
  const file = join(dir, `child-${process.pid}-${counter++}.${ext}`);
  writeFileSync(file, source);
  const proc = spawn(process.execPath, [file], { cwd: dir, env: { ...process.env, ...env }, stdio: 'pipe' });
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ raw: line });
      }
    }
    for (const w of waiters) w();
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => {
    proc.on('exit', (code) => {
      resolve({ code, at: Date.now() });
      for (const w of waiters) w();
    });
  });
  const next = (pred: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const hit = lines.find(pred);
        if (hit) {
          done();
          resolve(hit);
        } else if (proc.exitCode !== null) {
          done();
          reject(
            new Error(
              `child exited (${proc.exitCode}) first; lines: ${JSON.stringify(lines)}; stderr: ${err}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`no matching line in ${timeoutMs} ms; lines: ${JSON.stringify(lines)}; stderr: ${err}`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    lines,
    stderr: () => err,
    next,
    tell: (line) => proc.stdin.write(`${line}\n`),
    exited,
    proc,
  };
}

/** Resolves after `ms`. */
export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A ref-server on 127.0.0.1 (`port` 0 = any free port) with auth ({@link SECRET}) and recovery on. */
export function startServer(port = 0): Promise<TestServer> {
  return startTestServer({ port, auth: { secret: SECRET }, recovery: { enabled: true } });
}
