import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger';
import { AuthRefusalLog } from './auth-refusal-log';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', sink) };
}

describe('AuthRefusalLog', () => {
  it('writes one warn line per refusal at the default level: code, reason, remote, no token', async () => {
    const { lines, logger } = capture();
    new AuthRefusalLog(logger).refused('AUTH_FAILED', 'token is malformed', '203.0.113.7');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: 'token refused',
      code: 'AUTH_FAILED',
      reason: 'token is malformed',
      remote: '203.0.113.7',
    });
    expect(Object.keys(lines[0] ?? {})).not.toContain('token');
  });

  it('is rate-limited: at most `burst` lines per window, the rest counted on the next line', async () => {
    const { lines, logger } = capture();
    let now = 0;
    const log = new AuthRefusalLog(logger, () => now, 3, 1000);
    for (let i = 0; i < 50; i++) log.refused('AUTH_REQUIRED', 'no token', `10.0.0.${i}`);
    now = 1000;
    log.refused('AUTH_FAILED', 'bad signature', '10.0.0.99');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ code: 'AUTH_FAILED', suppressed: 47 });
  });
});
