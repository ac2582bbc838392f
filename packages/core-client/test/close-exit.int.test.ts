/**
 * `close()` leaves nothing behind that keeps a Node process alive: a child process connects a
 * client to the real server, closes it, and must exit within 1 s of `close()` resolving.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, startServer, type TestServer, token } from '../../../test/support/wse-server';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
let srv: TestServer;

beforeAll(async () => {
  srv = await startServer({ auth: { secret: SECRET } });
});
afterAll(async () => {
  await srv.server.stop();
});

function runChild(
  mode: string,
  tok: string,
): Promise<{ line: string; exitAfterCloseMs: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, 'scripts/run-ts.mjs'), join(here, 'close-exit-child.ts'), srv.url, mode, tok],
      { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    let closedAt = 0;
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (!closedAt && out.includes('closed ')) closedAt = Date.now();
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(kill);
      if (!closedAt) reject(new Error(`child never closed (exit ${code}): ${out} ${err}`));
      else resolve({ line: `${out.trim()} ${err.trim()}`, exitAfterCloseMs: Date.now() - closedAt, code });
    });
  });
}

describe('close() and the Node event loop', () => {
  it('mid-request (subscribed, sends, refresh timer): the process exits within 1 s', async () => {
    const r = await runChild('request', await token('u1', { expSec: 120 }));
    expect(r.line).toContain('"request":"TransportError:CLIENT_CLOSED"');
    expect(r.code).toBe(0);
    expect(r.exitAfterCloseMs).toBeLessThan(1_000);
  });

  it('mid-handshake: connect() rejects and the process exits within 1 s', async () => {
    const r = await runChild('handshake', await token('u1'));
    expect(r.line).toContain('"connect":"connect rejected: CLIENT_CLOSED"');
    expect(r.code).toBe(0);
    expect(r.exitAfterCloseMs).toBeLessThan(1_000);
  });
});
