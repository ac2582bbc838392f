import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, TestClient } from './helpers';

const FLOOD = fileURLToPath(new URL('./attackers/flood.mjs', import.meta.url));
/** Attackers still running: killed after each test even when an assertion failed. */
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Largest ping round trip a bystander sees while `attack` runs (pinging every 20 ms). */
async function worstPing(bystander: TestClient, attack: () => Promise<void>): Promise<number> {
  let worst = 0;
  let stop = false;
  const pinger = (async () => {
    for (let i = 0; !stop; i++) {
      const started = Date.now();
      bystander.send({ t: 'ping', p: {}, cid: `b${i}` });
      await bystander.next((f) => f.t === 'PONG' && f.cid === `b${i}`, 60_000);
      worst = Math.max(worst, Date.now() - started);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await attack();
  stop = true;
  await pinger;
  return worst;
}

/** Starts the flood in another process; resolves once its sockets are open, with a stopper. */
async function flood(url: string, sockets: number, count: number, frame: Buffer | { deep: number }) {
  const binary = Buffer.isBuffer(frame);
  const b64 = 'deep' in frame ? `deep:${frame.deep}` : frame.toString('base64');
  const child = fork(FLOOD, [url, String(sockets), String(count), b64, binary ? '1' : '0'], {
    stdio: 'ignore',
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await new Promise((r) => child.once('message', r));
  return { child, stop: () => child.kill('SIGKILL') };
}

describe('CPU attacks do not freeze bystanders (issue 18 items 4, 5)', () => {
  it('20 sockets × 2 000 C: frames: a bystander ping stays under 3 s', async () => {
    const { server, url } = await startServer();
    const bystander = await TestClient.ready(url);
    const json = JSON.stringify({ t: 'noise', p: { text: 'lorem ipsum dolor sit amet '.repeat(5) } });
    const frame = Buffer.concat([Buffer.from('C:'), deflateSync(json)]);
    let received = 0;
    server.on('message', (ev) => {
      if (ev.t === 'noise') received++;
    });
    const attacker = await flood(url, 20, 2000, frame);
    const worst = await worstPing(bystander, async () => {
      const deadline = Date.now() + 60_000;
      while (received < 20 * 2000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    });
    attacker.stop();
    console.log(`C: flood: ${received} frames decoded, worst bystander ping ${worst} ms`);
    expect(received).toBe(20 * 2000);
    expect(worst).toBeLessThan(3000);
    await server.stop();
  }, 90_000);

  it('10 sockets × 10 frames of 1 MiB `[[[…`: refused by the depth scan, a bystander ping stays under 3 s', async () => {
    const { server, url } = await startServer({ maxMessageSize: 2 * 1024 * 1024 });
    const bystander = await TestClient.ready(url);
    let refused = 0;
    const attacker = await flood(url, 10, 10, { deep: 1024 * 1024 });
    const started = Date.now();
    const worst = await worstPing(bystander, async () => {
      // Wait until all 100 MiB were read (and answered JSON_TOO_DEEP): 100 × 1 025 tokens fit
      // the default bucket, so none is dropped by the rate limit.
      while (Date.now() - started < 60_000) {
        const m = await (await fetch(url.replace('ws:', 'http:').replace('/wse', '/metrics'))).text();
        const line = /wse_bytes_received_total (\d+)/.exec(m);
        refused = Math.floor(Number(line?.[1] ?? 0) / (1024 * 1024));
        if (refused >= 100) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    attacker.stop();
    console.log(`deep JSON flood: ${refused} MiB read, worst bystander ping ${worst} ms`);
    expect(refused).toBeGreaterThanOrEqual(100);
    expect(worst).toBeLessThan(3000);
    await server.stop();
  }, 90_000);
});
