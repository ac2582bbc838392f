import { type ChildProcess, fork } from 'node:child_process';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import type { ClusterOptions } from './cluster-options';

/**
 * `wse-server --workers N`: the primary process. The only file that imports `node:child_process`.
 *
 * N full servers (workers) listen on ONE port with SO_REUSEPORT (the kernel spreads connections)
 * and form a mesh over loopback, exactly as separate machines would (DESIGN.md "Processes, not
 * threads"). The primary serves nothing itself: it picks the ports, forks the workers (same script,
 * same arguments, plus `WSE_WORKER` in the environment), restarts a worker that dies (backoff 1 s
 * ×1.5 up to 30 s, reset once a worker stayed up 10 s), and on SIGINT/SIGTERM forwards SIGTERM so
 * every worker drains (clients get 4300) and stops; it exits when all have.
 *
 * With an outer cluster configured (`--cluster-*`), worker i is a node of it on cluster port
 * `port + i` (advertised likewise); without one, the workers mesh on free loopback ports.
 */

/** What a worker reads from `WSE_WORKER`. */
export interface WorkerAssignment {
  index: number;
  /** The shared HTTP/WebSocket port. */
  port: number;
  cluster: ClusterOptions;
}

/** The env var a worker finds its assignment in. */
export const WORKER_ENV = 'WSE_WORKER';

/** The assignment when this process is a worker, else undefined. */
export function workerAssignment(env: Record<string, string | undefined>): WorkerAssignment | undefined {
  const raw = env[WORKER_ENV];
  return raw ? (JSON.parse(raw) as WorkerAssignment) : undefined;
}

/** `auto` = one per CPU. */
export function workerCount(workers: number | 'auto'): number {
  return workers === 'auto' ? Math.max(1, availableParallelism()) : workers;
}

async function freePort(host: string): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, host, () => resolve());
  });
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Fails when something already listens on `host:port` (a plain server binds it exclusively). */
async function portFree(host: string, port: number): Promise<boolean> {
  const s = net.createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** The cluster settings of each worker. */
export async function planWorkers(
  n: number,
  port: number,
  outer: ClusterOptions | undefined,
): Promise<WorkerAssignment[]> {
  const host = outer?.host ?? '127.0.0.1';
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(outer ? (outer.port ?? 7007) + i : await freePort('127.0.0.1'));
  const advertiseHost = outer?.advertise?.replace(/:\d+$/, '');
  return ports.map((p, i) => ({
    index: i,
    port,
    cluster: {
      ...outer,
      host,
      port: p,
      advertise: advertiseHost ? `${advertiseHost}:${p}` : `${local}:${p}`,
      peers: [...(outer?.peers ?? []), ...ports.filter((_, j) => j !== i).map((q) => `${local}:${q}`)],
      seeds: outer?.seeds ?? [],
    },
  }));
}

/** What the primary needs from its surroundings. */
export interface PrimaryDeps {
  out(line: string): void;
  err(line: string): void;
  onSignal(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  exit(code: number): void;
  /** How long workers get to drain before they are killed [10 s + 5 s]. */
  drainTimeoutMs?: number;
  /** The script and arguments the workers run [process.argv]. */
  script?: string;
  args?: string[];
}

/**
 * Runs the primary: resolves once the workers are listening (or exits 1 when the port is taken).
 *
 * @example
 * ```ts
 * await runPrimary({ count: 2, host: '0.0.0.0', port: 5007, path: '/wse', cluster: undefined }, deps);
 * ```
 */
export async function runPrimary(
  o: { count: number; host: string; port: number; path: string; cluster?: ClusterOptions },
  deps: PrimaryDeps,
): Promise<void> {
  const probeHost = o.host === '0.0.0.0' ? '0.0.0.0' : o.host;
  const port = o.port === 0 ? await freePort(probeHost) : o.port;
  if (!(await portFree(probeHost, port))) {
    deps.err(`wse-server: could not start: port ${port} on ${o.host} is already in use`);
    return deps.exit(1);
  }
  const plan = await planWorkers(o.count, port, o.cluster);
  const script = deps.script ?? (process.argv[1] as string);
  const args = deps.args ?? process.argv.slice(2);
  const children = new Map<number, ChildProcess>();
  const startedAt = new Map<number, number>();
  const failures = new Map<number, number>();
  let stopping = false;
  let listening = 0;
  let announced = false;

  const spawn = (a: WorkerAssignment) => {
    const child = fork(script, args, {
      env: { ...process.env, [WORKER_ENV]: JSON.stringify(a) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.set(a.index, child);
    startedAt.set(a.index, Date.now());
    child.on('message', (m: { type?: string }) => {
      if (m?.type !== 'listening') return;
      listening += 1;
      if (!announced && listening >= o.count) {
        announced = true;
        deps.out(
          `WSE server listening on http://${o.host}:${port} (ws://${o.host}:${port}${o.path}) with ${o.count} workers`,
        );
      }
    });
    child.on('exit', (code, signal) => {
      children.delete(a.index);
      if (stopping) {
        if (children.size === 0) deps.exit(0);
        return;
      }
      const upFor = Date.now() - (startedAt.get(a.index) ?? 0);
      const n = upFor >= 10_000 ? 0 : (failures.get(a.index) ?? 0) + 1;
      failures.set(a.index, n);
      const delay = Math.min(30_000, 1000 * 1.5 ** Math.max(0, n - 1));
      deps.err(`wse-server: worker ${a.index} exited (${signal ?? code}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (!stopping) spawn(a);
      }, delay);
    });
  };
  for (const a of plan) spawn(a);

  const onSignal = () => {
    if (stopping) {
      deps.err('wse-server: second signal, killing workers');
      for (const c of children.values()) c.kill('SIGKILL');
      return deps.exit(130);
    }
    stopping = true;
    deps.err(`wse-server: draining ${children.size} workers (press Ctrl-C again to force)`);
    if (children.size === 0) return deps.exit(0);
    for (const c of children.values()) c.kill('SIGTERM');
    setTimeout(() => {
      for (const c of children.values()) c.kill('SIGKILL');
    }, deps.drainTimeoutMs ?? 15_000).unref();
  };
  deps.onSignal('SIGINT', onSignal);
  deps.onSignal('SIGTERM', onSignal);
}
