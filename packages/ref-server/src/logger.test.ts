import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

function sink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('is silent by default under vitest', () => {
    expect(createLogger().level).toBe('silent');
  });

  it('writes JSON at the chosen level', async () => {
    const { lines, stream } = sink();
    const log = createLogger('info', stream);
    log.debug('hidden');
    log.info({ port: 1 }, 'listening');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ msg: 'listening', port: 1, name: 'wse-server' });
  });

  it('rejects an unknown level', () => {
    expect(() => createLogger('loud' as 'info')).toThrow(/logLevel/);
  });
});
