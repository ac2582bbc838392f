import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';

const PKG = join(import.meta.dirname, '..', '..');

/**
 * Bundles `src/cli.ts` (workspace packages from source, npm dependencies external) into a file in
 * the package folder, so child processes — and the workers a `--workers` primary forks from
 * `process.argv[1]` — run the real CLI without a build step. Returns its path and a cleanup.
 */
export async function bundleCli(): Promise<{ path: string; remove(): void }> {
  const path = join(PKG, `.cli-test.${process.pid}.${Date.now()}.mjs`);
  await build({
    entryPoints: [join(PKG, 'src', 'cli.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    conditions: ['wse-source'],
    outfile: path,
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
  return { path, remove: () => rmSync(path, { force: true }) };
}

/** A running `wse-server` process with its output collected. */
export class CliProcess {
  readonly child: ChildProcess;
  out = '';
  err = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `nodeArgs` go before the script (e.g. `--cpu-prof`); a `--workers` primary's forks inherit them. */
  constructor(bundle: string, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []) {
    this.child = spawn(process.execPath, [...nodeArgs, bundle, ...args], {
      cwd: PKG,
      env: { ...process.env, VITEST: '', WSE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.err += d.toString();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Waits until stdout+stderr match `re`. */
  async waitOutput(re: RegExp, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.out + this.err)) {
      if (Date.now() > deadline) throw new Error(`no ${re} in output:\n${this.out}\n${this.err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null) this.child.kill(signal);
  }
}

/** GET a JSON document on a fresh TCP connection (so SO_REUSEPORT may pick any worker). */
export function getJson(port: number, path: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
  });
}

/** POST JSON on a fresh TCP connection; resolves with the parsed reply. */
export function postJson(
  port: number,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
