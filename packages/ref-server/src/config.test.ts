import { describe, expect, it } from 'vitest';
import { CLI_OPTIONS, ConfigError, envName, helpText, resolveConfig } from './config';

const S32 = 's'.repeat(32);
const P32 = 'p'.repeat(32);
const ENV32 = 'env-secret-of-at-least-32-bytes!';

const noFile = (p: string): string => {
  throw new Error(`ENOENT: ${p}`);
};
const files = (map: Record<string, string>) => (p: string) => {
  const v = map[p];
  if (v === undefined) throw new Error(`ENOENT: ${p}`);
  return v;
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('leaves everything undefined when nothing is given (the server applies defaults)', () => {
    expect(resolveConfig([], {}, noFile)).toEqual({ options: {}, notices: [] });
  });

  it('maps flags to options, both --flag value and --flag=value', () => {
    const { options } = resolveConfig(
      [
        '--port',
        '8080',
        '--host=::1',
        '--path',
        '/ws',
        '--max-connections',
        '50',
        '--jwt-secret',
        S32,
        '--jwt-previous-secret',
        P32,
        '--jwt-issuer',
        'iss',
        '--jwt-audience',
        'aud',
        '--api-key',
        'k',
        '--recovery',
        '--presence',
        '--ping-interval',
        '1000',
        '--idle-timeout',
        '2000',
        '--rate-limit-capacity',
        '10',
        '--rate-limit-refill',
        '2.5',
        '--max-message-size',
        '4096',
        '--max-backpressure',
        '8192',
        '--max-subscriptions',
        '3',
        '--compression-threshold',
        '0',
        '--static-dir',
        './site',
        '--log-level',
        'debug',
        '--publish-policy',
        'allow',
        '--jwt-algorithms',
        'HS256',
        '--no-allow-query-token',
      ],
      {},
      noFile,
    );
    expect(options).toEqual({
      port: 8080,
      host: '::1',
      path: '/ws',
      maxConnections: 50,
      auth: {
        secret: S32,
        previousSecret: P32,
        issuer: 'iss',
        audience: 'aud',
        algorithms: ['HS256'],
        allowQueryToken: false,
      },
      apiKey: 'k',
      recovery: { enabled: true },
      presence: { enabled: true },
      pingInterval: 1000,
      idleTimeout: 2000,
      rateLimit: { capacity: 10, refillPerSec: 2.5 },
      maxMessageSize: 4096,
      maxBackpressure: 8192,
      maxSubscriptionsPerConnection: 3,
      compressionThreshold: 0,
      staticDir: './site',
      logLevel: 'debug',
      publishPolicy: 'allow',
    });
  });

  it('reads WSE_* env vars, booleans as 1/0/true/false, empty = unset', () => {
    const { options } = resolveConfig(
      [],
      {
        WSE_MAX_CONNECTIONS: '7',
        WSE_JWT_SECRET: ENV32,
        WSE_API_KEY: 'ek',
        WSE_RECOVERY: '1',
        WSE_PRESENCE: 'false',
        WSE_PORT: '',
      },
      noFile,
    );
    expect(options).toEqual({
      maxConnections: 7,
      auth: { secret: ENV32 },
      apiKey: 'ek',
      recovery: { enabled: true },
      presence: { enabled: false },
    });
  });

  it('precedence: flags > env > file > defaults', () => {
    const readFile = files({
      'c.json': JSON.stringify({
        port: 1000,
        host: 'file-host',
        maxConnections: 11,
        'api-key': 'file-key',
        logLevel: 'warn',
      }),
    });
    const { options } = resolveConfig(
      ['--config', 'c.json', '--port', '3000'],
      { WSE_PORT: '2000', WSE_HOST: 'env-host', WSE_API_KEY: 'env-key' },
      readFile,
    );
    expect(options.port).toBe(3000);
    expect(options.host).toBe('env-host');
    expect(options.apiKey).toBe('env-key');
    expect(options.maxConnections).toBe(11);
    expect(options.logLevel).toBe('warn');
    expect(options.idleTimeout).toBeUndefined();
  });

  it('finds the file through WSE_CONFIG too, and --config wins over it', () => {
    const readFile = files({ 'a.json': '{"port": 1}', 'b.json': '{"port": 2}' });
    expect(resolveConfig([], { WSE_CONFIG: 'a.json' }, readFile).options.port).toBe(1);
    expect(resolveConfig(['--config=b.json'], { WSE_CONFIG: 'a.json' }, readFile).options.port).toBe(2);
  });

  it('config file errors name the file and key', () => {
    expect(configError(() => resolveConfig(['--config', 'x.json'], {}, noFile)).message).toMatch(/x\.json/);
    const bad = files({
      'bad.json': '{oops',
      'arr.json': '[]',
      'unk.json': '{"rateLimit": {}}',
      'num.json': '{"port": "80x"}',
    });
    expect(configError(() => resolveConfig(['--config', 'bad.json'], {}, bad)).message).toMatch(/bad\.json/);
    expect(configError(() => resolveConfig(['--config', 'arr.json'], {}, bad)).message).toMatch(
      /JSON object/,
    );
    expect(configError(() => resolveConfig(['--config', 'unk.json'], {}, bad)).message).toMatch(
      /unknown option "rateLimit"/,
    );
    expect(configError(() => resolveConfig(['--config', 'num.json'], {}, bad)).message).toMatch(
      /"port" in num\.json/,
    );
  });

  it('parses numbers strictly and names the option and source', () => {
    for (const v of ['abc', '1e3', '10k', '', ' ', '1.5', '0x10', '99999']) {
      const e = configError(() => resolveConfig(['--port', v], {}, noFile));
      expect(e.message).toContain('--port');
    }
    expect(configError(() => resolveConfig([], { WSE_MAX_CONNECTIONS: '12px' }, noFile)).message).toContain(
      'WSE_MAX_CONNECTIONS',
    );
    expect(configError(() => resolveConfig(['--max-connections', '0'], {}, noFile)).message).toMatch(
      /below 1/,
    );
    expect(configError(() => resolveConfig(['--rate-limit-refill', '-1'], {}, noFile)).message).toMatch(
      /below 0/,
    );
    expect(configError(() => resolveConfig([], { WSE_RECOVERY: 'maybe' }, noFile)).message).toMatch(
      /WSE_RECOVERY.*boolean/,
    );
    expect(configError(() => resolveConfig(['--log-level', 'loud'], {}, noFile)).message).toMatch(
      /--log-level/,
    );
    expect(configError(() => resolveConfig(['--jwt-algorithms', 'HS256,none'], {}, noFile)).message).toMatch(
      /none/,
    );
  });

  it('rejects unknown flags, positionals and missing values', () => {
    expect(configError(() => resolveConfig(['--bogus'], {}, noFile)).message).toMatch(
      /unknown option --bogus/,
    );
    expect(configError(() => resolveConfig(['serve'], {}, noFile)).message).toMatch(/unexpected argument/);
    expect(configError(() => resolveConfig(['--port'], {}, noFile)).message).toMatch(/--port needs a value/);
    expect(configError(() => resolveConfig(['--host', '--dev'], {}, noFile)).message).toMatch(
      /--host needs a value/,
    );
    expect(configError(() => resolveConfig(['--no-port'], {}, noFile)).message).toMatch(
      /unknown option --no-port/,
    );
  });

  it('reads the public key file and rejects auth settings without a key', () => {
    const readFile = files({ 'key.pem': '-----BEGIN PUBLIC KEY-----\n…' });
    const { options } = resolveConfig(
      ['--jwt-public-key-file', 'key.pem', '--jwt-audience', 'a'],
      {},
      readFile,
    );
    expect(options.auth).toEqual({ publicKey: '-----BEGIN PUBLIC KEY-----\n…', audience: 'a' });
    expect(
      configError(() => resolveConfig(['--jwt-public-key-file', 'no.pem'], {}, readFile)).message,
    ).toMatch(/--jwt-public-key-file.*no\.pem/);
    expect(configError(() => resolveConfig(['--jwt-issuer', 'i'], {}, noFile)).message).toMatch(
      /--jwt-secret/,
    );
    expect(resolveConfig(['--jwks-url', 'https://id/jwks'], {}, noFile).options.auth).toEqual({
      jwksUrl: 'https://id/jwks',
    });
  });

  it('refuses an HS256 secret under 32 bytes outside --dev (the error says so, and so does --help)', () => {
    expect(configError(() => resolveConfig(['--jwt-secret', 'x'], {}, noFile)).message).toMatch(
      /--jwt-secret is 1 bytes: an HS256 secret must be at least 32 bytes outside --dev/,
    );
    expect(
      configError(() => resolveConfig([], { WSE_JWT_SECRET: S32, WSE_JWT_PREVIOUS_SECRET: 'short' }, noFile))
        .message,
    ).toMatch(/--jwt-previous-secret is 5 bytes/);
    expect(resolveConfig(['--jwt-secret', S32], {}, noFile).options.auth).toEqual({ secret: S32 });
    expect(resolveConfig(['--dev', '--jwt-secret', 'x'], {}, noFile).options.auth).toEqual({ secret: 'x' });
    expect(helpText()).toMatch(/HS256 secret, at least 32 bytes outside --dev/);
  });

  it('--anonymous sets auth: false and conflicts with jwt options', () => {
    expect(resolveConfig(['--anonymous'], {}, noFile).options.auth).toBe(false);
    expect(
      configError(() => resolveConfig(['--anonymous', '--jwt-secret', 's'], {}, noFile)).message,
    ).toMatch(/anonymous/);
  });

  it('recovery/presence tuning options form the groups', () => {
    const { options } = resolveConfig(
      ['--recovery-buffer-size', '256', '--presence-max-members', '9'],
      {},
      noFile,
    );
    expect(options.recovery).toEqual({ bufferSize: 256 });
    expect(options.presence).toEqual({ maxMembers: 9 });
  });

  describe('--dev', () => {
    it('binds 127.0.0.1, turns recovery, presence and client publish on and generates a secret (as a notice)', () => {
      const r = resolveConfig(['--dev'], {}, noFile, { randomSecret: () => 'RANDOM' });
      expect(r.options).toEqual({
        dev: true,
        host: '127.0.0.1',
        publishPolicy: 'allow',
        auth: { secret: 'RANDOM' },
        recovery: { enabled: true },
        presence: { enabled: true },
      });
      expect(r.notices.join('\n')).toContain('RANDOM');
    });

    it('uses a real random secret by default', () => {
      const secretOf = () => (resolveConfig(['--dev'], {}, noFile).options.auth as { secret: string }).secret;
      const a = secretOf();
      expect(a.length).toBeGreaterThanOrEqual(32);
      expect(secretOf()).not.toBe(a);
    });

    it('keeps a given secret, explicit off switches, and overrides the host with a notice', () => {
      const r = resolveConfig(
        ['--dev', '--host', '0.0.0.0', '--no-recovery'],
        { WSE_JWT_SECRET: 'mine', WSE_PRESENCE: '0' },
        noFile,
      );
      expect(r.options.host).toBe('127.0.0.1');
      expect(r.options.auth).toEqual({ secret: 'mine' });
      expect(r.options.recovery).toEqual({ enabled: false });
      expect(r.options.presence).toEqual({ enabled: false });
      expect(resolveConfig(['--dev', '--publish-policy', 'deny'], {}, noFile).options.publishPolicy).toBe(
        'deny',
      );
      expect(r.notices.join('\n')).toMatch(/127\.0\.0\.1/);
      expect(r.notices.join('\n')).not.toContain('mine');
    });

    it('with --anonymous generates no secret; WSE_DEV=1 works too', () => {
      expect(resolveConfig(['--dev', '--anonymous'], {}, noFile).options.auth).toBe(false);
      expect(resolveConfig([], { WSE_DEV: '1' }, noFile, { randomSecret: () => 'R' }).options.host).toBe(
        '127.0.0.1',
      );
    });
  });

  it('--help lists every option with its env var and default, ignoring bad input', () => {
    const r = resolveConfig(['--port', 'bad', '--help'], { WSE_PORT: 'worse' }, noFile);
    expect(r.help).toBeDefined();
    for (const spec of CLI_OPTIONS) {
      const line = r.help
        ?.split('\n')
        .find((l) => l.trimStart().startsWith(`--${spec.flag} `) || l.trim() === `--${spec.flag}`);
      expect(line, spec.flag).toBeDefined();
      expect(line).toContain(envName(spec.flag));
      expect(line).toContain(`[default: ${spec.def}]`);
    }
    expect(r.help).toContain('--config <file.json>');
    expect(resolveConfig(['-h'], {}, noFile).help).toBe(r.help);
  });

  it('covers the documented flag names', () => {
    const flags = new Set(CLI_OPTIONS.map((s) => s.flag));
    for (const f of [
      'max-connections',
      'jwt-secret',
      'jwt-previous-secret',
      'jwt-issuer',
      'jwt-audience',
      'jwt-public-key-file',
      'jwks-url',
      'api-key',
      'recovery',
      'presence',
      'host',
      'port',
      'path',
      'ping-interval',
      'idle-timeout',
      'rate-limit-capacity',
      'rate-limit-refill',
      'max-message-size',
      'max-backpressure',
      'max-subscriptions',
      'compression-threshold',
      'static-dir',
      'log-level',
      'dev',
    ]) {
      expect(flags.has(f), f).toBe(true);
    }
    expect(envName('max-connections')).toBe('WSE_MAX_CONNECTIONS');
  });
});
