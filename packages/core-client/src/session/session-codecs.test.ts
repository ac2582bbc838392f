import { describe, expect, it } from 'vitest';
import { FakeWSEServer, settle } from '../../test/fake-wse-server';
import { createClient } from '../client/client';
import { ManualClock } from '../env/manual-clock';
import { ManualEnvironment } from '../env/manual-environment';
import { frameKind } from '../protocol/frame-core';
import type { TransportFrame } from '../transport/transport';

// Real time, not rounds: the first dynamic import may take a while on a loaded machine.
async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('Session: lazily loaded codecs', () => {
  it('keeps send order while the first compressed frame waits for the zlib chunk', async () => {
    const server = new FakeWSEServer();
    const client = createClient({
      endpoints: ['memory://a'],
      offline: { storage: 'memory' },
      env: {
        clock: new ManualClock(1_000_000),
        random: () => 0.5,
        transport: server.factory,
        environment: new ManualEnvironment(true),
      },
    });
    const connecting = client.connect();
    await settle();
    await connecting;
    const conn = server.last;
    const raw: TransportFrame[] = [];
    const decode = conn.socket.onMessage;
    conn.socket.onMessage = (frame) => {
      raw.push(frame);
      decode?.(frame);
    };
    client.send('big', { text: 'x'.repeat(5000) });
    client.send('small', { n: 1 });
    client.send('big', { text: 'y'.repeat(5000) });
    await until(() => raw.length === 3);
    expect(conn.envelopes.slice(-3).map((e) => e.t)).toEqual(['big', 'small', 'big']);
    expect(raw.map((f) => frameKind(f))).toEqual(['zlib', 'json', 'zlib']);
    client.send('big', { text: 'z'.repeat(5000) }); // zlib is loaded now
    await until(() => raw.length === 4);
    expect(frameKind(raw[3]!)).toBe('zlib');
    await client.close();
  });
});
