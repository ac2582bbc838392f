import { describe, expect, it } from 'vitest';
import { isLoopback, parseAddress } from './cluster-socket';

describe('cluster socket addresses', () => {
  it('knows loopback peers (no zstd on their links): 127.0.0.0/8, ::1, v4-mapped 127.x', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a)).toBe(true);
    for (const a of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', 'fe80::1', '::'])
      expect(isLoopback(a)).toBe(false);
  });

  it('splits host:port and [v6]:port, refuses the rest', () => {
    expect(parseAddress('10.0.0.2:7001')).toEqual({ host: '10.0.0.2', port: 7001 });
    expect(parseAddress('[::1]:7001')).toEqual({ host: '::1', port: 7001 });
    expect(() => parseAddress('nope')).toThrow(RangeError);
  });
});
