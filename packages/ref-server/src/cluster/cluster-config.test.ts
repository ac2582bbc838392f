import { describe, expect, it } from 'vitest';
import { ConfigError, helpText, resolveConfig } from '../config';
import { resolveOptions } from '../options';

describe('cluster configuration', () => {
  it('flags, env and file turn the mesh on; --help lists them', () => {
    const { options, workers } = resolveConfig(
      ['--cluster-port', '7100', '--cluster-seeds', 'a:7001, b:7002', '--workers', '2'],
      { WSE_CLUSTER_ADVERTISE: '10.0.0.5:7100' },
    );
    expect(options.cluster).toEqual({ port: 7100, seeds: ['a:7001', 'b:7002'], advertise: '10.0.0.5:7100' });
    expect(workers).toBe(2);
    expect(resolveConfig(['--workers', 'auto'], {}).workers).toBe('auto');
    const file = resolveConfig(['--config', 'c.json'], {}, () =>
      JSON.stringify({ clusterPeers: 'x:1', clusterDeadAfter: 900 }),
    );
    expect(file.options.cluster).toEqual({ peers: ['x:1'], deadAfterMs: 900 });
    for (const flag of [
      '--workers',
      '--cluster-port',
      '--cluster-seeds',
      '--cluster-tls-ca',
      'WSE_CLUSTER_PEERS',
    ]) {
      expect(helpText()).toContain(flag);
    }
    expect(resolveConfig([], {}).options.cluster).toBeUndefined();
  });

  it('refuses half an mTLS setup, bad worker counts and bad addresses', () => {
    expect(() => resolveConfig(['--cluster-tls-ca', 'ca.pem'], {})).toThrow(ConfigError);
    expect(() => resolveConfig(['--workers', '0'], {})).toThrow(/workers/);
    expect(() => resolveOptions({ cluster: { seeds: ['nope'] } })).toThrow(/cluster.seeds/);
    expect(() => resolveOptions({ cluster: { pingIntervalMs: 5000, deadAfterMs: 4000 } })).toThrow(
      /deadAfterMs/,
    );
    expect(resolveOptions({ cluster: {} }).cluster).toMatchObject({
      port: 7007,
      deadAfterMs: 15_000,
      pingIntervalMs: 5000,
      zstd: true,
      zstdLoopback: false,
    });
  });
});
