import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { WSEServer } from '../src/server';

async function startLogs(auth: { secret: string }, dev = false): Promise<string> {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const server = new WSEServer({ host: '127.0.0.1', port: 0, auth, dev, logger });
  await server.start();
  await server.stop();
  return lines.join('');
}

describe('HS256 secret length (issue 18 item 14; the CLI refuses, see config.test.ts)', () => {
  it('the API logs an error for a secret under 32 bytes outside dev mode', async () => {
    expect(await startLogs({ secret: 'x' })).toMatch(/WEAK JWT SECRET: 1 bytes/);
    expect(await startLogs({ secret: 'x'.repeat(32) })).not.toMatch(/WEAK JWT SECRET/);
    expect(await startLogs({ secret: 'x' }, true)).not.toMatch(/WEAK JWT SECRET/);
  });
});
