// Spawns one server under test in its own process and talks to it over IPC. CPU seconds are read
// from /proc/<pid>/stat (utime+stime of all its threads), so a busy child need not answer to be
// measured. Every child is registered and SIGKILLed when the parent exits, whatever the reason.

import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CHILD = new URL('../servers/child.mjs', import.meta.url);
const live = new Set();
const CLK_TCK = 100; // getconf CLK_TCK on Linux/x86-64 and arm64

function killAll() {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** CPU seconds (user+system) of a process, from /proc. */
export function procCpuSeconds(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // after the comm field: state is f[0], utime is field 14 overall → f[11], stime → f[12]
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** Busy and total jiffies of the whole box, from /proc/stat. */
export function boxCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

export class ServerProc {
  constructor(kind, opts = {}) {
    this.kind = kind;
    this.opts = opts;
    this.nextId = 0;
    this.pending = new Map();
    this.child = null;
    this.port = 0;
    this.pid = 0;
  }

  start(timeoutMs = 30_000) {
    const execArgv = ['--expose-gc', ...(this.opts.execArgv ?? [])];
    const child = fork(CHILD, [this.kind, JSON.stringify(this.opts.server ?? {})], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...(this.opts.env ?? {}) },
    });
    this.child = child;
    live.add(child);
    child.on('exit', () => {
      live.delete(child);
      for (const p of this.pending.values()) p.reject(new Error(`${this.kind} server exited`));
      this.pending.clear();
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.kind} server did not start in ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.on('message', (m) => {
        if (m.ev === 'started') {
          clearTimeout(timer);
          this.port = m.port;
          this.pid = m.pid;
          this.info = m.info;
          resolve(this);
        } else if (m.ev === 'error') {
          clearTimeout(timer);
          reject(new Error(`${this.kind} server failed to start: ${m.error}`));
        } else if (m.id !== undefined) {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          if (m.ok) p.resolve(m.result);
          else p.reject(new Error(`${this.kind} server: ${m.error}`));
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.kind} server exited with ${code} before starting`));
      });
    });
  }

  call(cmd, args = {}, timeoutMs = 30_000) {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.kind} server: '${cmd}' timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ ...args, id, cmd });
    });
  }

  /** Fire-and-forget flow-control message. */
  ack(seq) {
    if (this.child?.connected) this.child.send({ cmd: 'ack', seq });
  }

  cpuSeconds() {
    return procCpuSeconds(this.pid);
  }

  async stop() {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
}

/** Soft limit on open files for this process (the children inherit it). */
export function openFileLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return Number(line.trim().split(/\s+/)[3]);
  } catch {
    return 1024;
  }
}
