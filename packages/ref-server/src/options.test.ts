import { describe, expect, it } from 'vitest';
import { InvalidOptionError, resolveOptions } from './options';

describe('resolveOptions', () => {
  it('fills defaults', () => {
    const o = resolveOptions({});
    expect(o).toMatchObject({
      host: '0.0.0.0',
      port: 5007,
      path: '/wse',
      maxConnections: 10_000,
      maxMessageSize: 1024 * 1024,
      pingInterval: 25_000,
      idleTimeout: 60_000,
      rateLimit: { capacity: 100_000, refillPerSec: 10_000 },
      maxSubscriptionsPerConnection: 128,
      maxTopics: 100_000,
      compressionThreshold: 1024,
      maxInboundQueueSize: 131_072,
      publishPolicy: 'deny',
      requireEncryption: false,
      logLevel: 'info',
    });
    expect(o.recovery).toMatchObject({ enabled: false, maxMessages: 500 });
    expect(resolveOptions({ recovery: {} }).recovery.enabled).toBe(true);
    expect(o.presence.maxDataSize).toBe(4096);
  });

  it('is silent under vitest and binds loopback in dev mode', () => {
    expect(resolveOptions({}, { vitest: true }).logLevel).toBe('silent');
    expect(resolveOptions({ dev: true, host: '0.0.0.0' }).host).toBe('127.0.0.1');
  });

  it.each([
    [{ port: -1 }, 'port'],
    [{ port: 70000 }, 'port'],
    [{ maxConnections: 0 }, 'maxConnections'],
    [{ maxMessageSize: 1.5 }, 'maxMessageSize'],
    [{ path: 'wse' }, 'path'],
    [{ rateLimit: { capacity: -1 } }, 'rateLimit.capacity'],
    [{ publishPolicy: 'sometimes' }, 'publishPolicy'],
    [{ logLevel: 'loud' }, 'logLevel'],
    [{ auth: {} }, 'auth'],
    [{ recovery: { maxMessages: 0 } }, 'recovery.maxMessages'],
    [{ presence: { enabled: 'yes' } }, 'presence.enabled'],
    [{ authorizeSubscribe: 3 }, 'authorizeSubscribe'],
    [{ pingInterval: Number.NaN }, 'pingInterval'],
  ])('rejects %j naming %s', (input, name) => {
    const attempt = () => resolveOptions(input as never);
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(`"${name}"`);
  });

  it('accepts Infinity as compression threshold', () => {
    expect(resolveOptions({ compressionThreshold: Infinity }).compressionThreshold).toBe(Infinity);
  });
});
