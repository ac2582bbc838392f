import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../config';
import { InvalidOptionError, resolveOptions } from '../options';

describe('engine option', () => {
  it('defaults to memory; redis takes a url and a prefix (default wse)', () => {
    expect(resolveOptions({}).engine).toEqual({ type: 'memory' });
    expect(resolveOptions({ engine: { type: 'redis', url: 'redis://127.0.0.1:6379' } }).engine).toEqual({
      type: 'redis',
      url: 'redis://127.0.0.1:6379',
      prefix: 'wse',
      presenceTtlSec: 15,
    });
    expect(
      resolveOptions({ engine: { type: 'redis', url: 'rediss://u:p@h:6380/2', prefix: 'app.v2' } }).engine,
    ).toMatchObject({ prefix: 'app.v2' });
  });

  it('refuses two engines at once: a cluster mesh and redis', () => {
    expect(() =>
      resolveOptions({ cluster: { port: 0 }, engine: { type: 'redis', url: 'redis://127.0.0.1:6379' } }),
    ).toThrow(/choose one engine/);
  });

  it('refuses a bad type, url or prefix, naming the option', () => {
    const bad: Array<[unknown, string]> = [
      [{ type: 'kafka' }, 'engine.type'],
      [{ type: 'redis' }, 'engine.url'],
      [{ type: 'redis', url: 'http://x' }, 'engine.url'],
      [{ type: 'redis', url: 'redis://x', prefix: 'a{b}' }, 'engine.prefix'],
      [{ type: 'redis', url: 'redis://x', prefix: '' }, 'engine.prefix'],
      [{ type: 'redis', url: 'redis://x', presenceTtlSec: 0.5 }, 'engine.presenceTtlSec'],
      ['redis', 'engine'],
    ];
    for (const [engine, option] of bad) {
      let err: unknown;
      try {
        resolveOptions({ engine: engine as never });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect((err as InvalidOptionError).option).toBe(option);
    }
  });

  it('CLI: --redis / --redis-prefix, WSE_REDIS, and a prefix without a url is an error', () => {
    expect(resolveConfig(['--redis', 'redis://r:6379', '--redis-prefix', 'x'], {}).options.engine).toEqual({
      type: 'redis',
      url: 'redis://r:6379',
      prefix: 'x',
      presenceTtlSec: undefined,
    });
    expect(resolveConfig([], { WSE_REDIS: 'redis://env:1' }).options.engine).toMatchObject({
      url: 'redis://env:1',
    });
    expect(resolveConfig([], {}).options.engine).toBeUndefined();
    expect(() => resolveConfig(['--redis-prefix', 'x'], {})).toThrow(ConfigError);
    expect(resolveConfig(['--help'], {}).help).toContain('--redis');
  });
});
