// A throwaway redis-server for the Redis engine tests: Debian's binary on a free loopback port,
// no persistence (`--save '' --appendonly no`), stopped after. Without the binary the tests print
// one SKIPPED line and skip — except under CI=true, where a missing binary fails the run.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, Socket } from 'node:net';

export const REDIS_BIN = process.env.WSE_REDIS_SERVER ?? '/usr/bin/redis-server';

/** True when the binary exists; logs the SKIPPED line (or throws under CI) when it does not. */
export function redisAvailable(suite: string): boolean {
  if (existsSync(REDIS_BIN)) return true;
  if (process.env.CI === 'true') {
    throw new Error(
      `${REDIS_BIN} is missing and CI=true: install redis-server (apt-get install -y redis-server)`,
    );
  }
  console.log(`SKIPPED: ${suite} — ${REDIS_BIN} not found (apt-get install -y redis-server)`);
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

/** One redis-server process on a fixed port; `kill()` then `start()` brings it back empty. */
export class RedisProcess {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async launch(): Promise<RedisProcess> {
    const r = new RedisProcess(await freePort());
    await r.start();
    return r;
  }

  async start(): Promise<void> {
    const child = spawn(
      REDIS_BIN,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.child = child;
    const deadline = Date.now() + 5000;
    while (!(await accepting(this.port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('redis-server did not start within 5 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGKILL (a crash: everything in memory is lost) and wait for the exit. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
