/**
 * The server under attack, in its own process (`server-child.mjs`): its RSS, peak RSS and CPU are
 * read from `/proc/<pid>` (a busy server need not answer to be measured), and `kill9()` is a real
 * SIGKILL. The ref-server sources are bundled once per test process with esbuild (npm dependencies
 * stay external), like the benchmarks do, so nothing needs building first.
 *
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { HARDENING, ROOT } from './paths';

const CACHE = `${HARDENING}.cache/`;
const CHILD = `${HARDENING}support/server-child.mjs`;
const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64 and arm64

let bundle: Promise<string> | undefined;
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Bundles `packages/ref-server/src` once per process into test/hardening/.cache (pid-unique). */
function serverModule(): Promise<string> {
  bundle ??= (async () => {
    mkdirSync(CACHE, { recursive: true });
    const out = `${CACHE}ref-server.${process.pid}.mjs`;
    // WSE_HARDENING_SERVER_ROOT points the suite at another checkout's server (e.g. an older commit,
    // to see a test fail on the code it guards against); default: this repository.
    const root = process.env.WSE_HARDENING_SERVER_ROOT ?? ROOT;
    await build({
      entryPoints: [`${root}/packages/ref-server/src/index.ts`],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['wse-source'],
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
      banner: {
        js: "import { createRequire as __wseCreateRequire } from 'node:module'; const require = __wseCreateRequire(import.meta.url);",
      },
    });
    process.once('exit', () => rmSync(out, { force: true }));
    return out;
  })();
  return bundle;
}

/** Server options as JSON (functions cannot cross the process boundary; `Infinity` may). */
export type ChildServerOptions = Record<string, unknown>;

/** What `mem` answers: bytes, after two full GCs in the server. */
export interface ServerMemory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** What `stats` answers. */
export interface ServerStats {
  recovery: { buffers: number; messages: number; bytes: number; budget: number };
  connections: number;
  topics: number;
  handles: number;
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  cpu: { user: number; system: number };
}

/**
 * A WSE server in a child process on 127.0.0.1.
 *
 * @example
 * ```ts
 * const srv = await ServerProcess.start({ recovery: { enabled: true } });
 * const before = srv.rss();
 * await srv.stop();
 * ```
 */
export class ServerProcess {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Resolves with the exit code or signal when the child ends. */
  readonly exited: Promise<string>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly options: ChildServerOptions,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve(String(signal ?? code)));
    });
    child.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      const p = m.id === undefined ? undefined : this.pending.get(m.id);
      if (!p || m.id === undefined) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    child.once('exit', () => {
      live.delete(child);
      for (const p of this.pending.values()) p.reject(new Error('server process exited'));
      this.pending.clear();
    });
  }

  /** Starts a server (port 0 unless `options.port`); rejects if it cannot listen in `timeoutMs`. */
  static async start(options: ChildServerOptions = {}, timeoutMs = 20_000): Promise<ServerProcess> {
    const module = await serverModule();
    const json = JSON.stringify(options, (_k, v) => (v === Infinity ? 'Infinity' : v));
    const child = fork(CHILD, [json], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, WSE_HARDENING_SERVER_MODULE: module, NODE_ENV: 'production' },
    });
    live.add(child);
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms`)), timeoutMs);
      child.once('message', (m: { ev: string; port?: number; error?: string }) => {
        clearTimeout(timer);
        if (m.ev === 'started' && m.port) resolve(m.port);
        else reject(new Error(`server failed to start: ${m.error}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code} before starting`));
      });
    });
    return new ServerProcess(child, port, options);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/wse`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Still running (not exited, not killed)? */
  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** An IPC command (see server-child.mjs); rejects after `timeoutMs` (a frozen server cannot answer). */
  call<T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`server: '${cmd}' got no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ ...args, id, cmd });
    });
  }

  mem(): Promise<ServerMemory> {
    return this.call('mem');
  }

  stats(): Promise<ServerStats> {
    return this.call('stats');
  }

  /** Resident set size now, from /proc (bytes). */
  rss(): number {
    return statusField(this.pid, 'VmRSS');
  }

  /** Peak resident set size since the process started, from /proc (bytes): catches short spikes. */
  peakRss(): number {
    return statusField(this.pid, 'VmHWM');
  }

  /** CPU seconds (user + system, all threads) from /proc. */
  cpuSeconds(): number {
    const s = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  }

  /** SIGKILL, no goodbye: sockets die with the process, in-memory state (recovery buffers) is lost. */
  async kill9(): Promise<void> {
    if (!this.alive()) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Ends the process (SIGKILL: the suite never needs a graceful drain, and a frozen one ignores it). */
  stop(): Promise<void> {
    return this.kill9();
  }
}

function statusField(pid: number, field: string): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Bytes → MiB with one decimal, for messages and results. */
export const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
