import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AuthAlgorithm, AuthOptions } from './auth/token-verifier';
import { MIN_SECRET_BYTES, type WSEServerOptions } from './options';

/**
 * A bad command line, environment variable or config file entry. The message names the option and
 * where the value came from.
 *
 * @example
 * try { resolveConfig(['--port', 'x'], {}); } catch (e) { if (e instanceof ConfigError) console.error(e.message); }
 */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Kind = 'string' | 'int' | 'number' | 'bool' | 'enum' | 'list';
type Value = string | number | boolean | string[];
type Groups = {
  o: WSEServerOptions;
  auth: AuthOptions;
  recovery: NonNullable<WSEServerOptions['recovery']>;
  presence: NonNullable<WSEServerOptions['presence']>;
  rate: NonNullable<WSEServerOptions['rateLimit']>;
};

interface OptionSpec {
  /** kebab-case flag without `--`; env is WSE_<FLAG_SNAKE>, file key is camelCase (or the flag). */
  flag: string;
  kind: Kind;
  def: string;
  help: string;
  values?: readonly string[];
  min?: number;
  max?: number;
  apply(g: Groups, v: Value): void;
}

const spec = (
  flag: string,
  kind: Kind,
  def: string,
  help: string,
  apply: OptionSpec['apply'],
  extra: Partial<OptionSpec> = {},
): OptionSpec => ({ flag, kind, def, help, apply, ...extra });
const int = (min: number, max?: number) => (max === undefined ? { min } : { min, max });

/**
 * Every CLI option, in `--help` order. Defaults shown are the server's own (`options.ts`); an option
 * that is not given is left undefined so the server applies them.
 */
export const CLI_OPTIONS: readonly OptionSpec[] = [
  spec('host', 'string', '0.0.0.0', 'interface to bind (--dev forces 127.0.0.1)', (g, v) => {
    g.o.host = v as string;
  }),
  spec(
    'port',
    'int',
    '5007',
    'TCP port; 0 picks a free one',
    (g, v) => {
      g.o.port = v as number;
    },
    int(0, 65535),
  ),
  spec('path', 'string', '/wse', 'WebSocket path', (g, v) => {
    g.o.path = v as string;
  }),
  spec(
    'max-connections',
    'int',
    '10000',
    'connections beyond this are closed with 4503',
    (g, v) => {
      g.o.maxConnections = v as number;
    },
    int(1),
  ),
  spec(
    'max-message-size',
    'int',
    '1048576',
    'bytes; larger frames close with 1009',
    (g, v) => {
      g.o.maxMessageSize = v as number;
    },
    int(1),
  ),
  spec(
    'ping-interval',
    'int',
    '25000',
    'ms between server pings',
    (g, v) => {
      g.o.pingInterval = v as number;
    },
    int(1),
  ),
  spec(
    'idle-timeout',
    'int',
    '60000',
    'ms of client silence before close 1000',
    (g, v) => {
      g.o.idleTimeout = v as number;
    },
    int(1),
  ),
  spec(
    'rate-limit-capacity',
    'int',
    '100000',
    'inbound token bucket size per connection',
    (g, v) => {
      g.rate.capacity = v as number;
    },
    int(1),
  ),
  spec(
    'rate-limit-refill',
    'number',
    '10000',
    'tokens added per second',
    (g, v) => {
      g.rate.refillPerSec = v as number;
    },
    int(0),
  ),
  spec(
    'max-backpressure',
    'int',
    '1048576',
    'unsent bytes before publications are skipped',
    (g, v) => {
      g.o.maxBackpressure = v as number;
    },
    int(1),
  ),
  spec(
    'slow-consumer-grace',
    'int',
    '5000',
    'ms over max-backpressure before close 4008',
    (g, v) => {
      g.o.slowConsumerGraceMs = v as number;
    },
    int(0),
  ),
  spec(
    'max-subscriptions',
    'int',
    '128',
    'topics per connection',
    (g, v) => {
      g.o.maxSubscriptionsPerConnection = v as number;
    },
    int(1),
  ),
  spec(
    'max-topics',
    'int',
    '100000',
    'topics with subscribers on this node (client subscribes past it: TOO_MANY_SUBSCRIPTIONS)',
    (g, v) => {
      g.o.maxTopics = v as number;
    },
    int(1),
  ),
  spec(
    'compression-threshold',
    'int',
    '1024',
    'bytes; larger JSON frames are sent as C: (zlib)',
    (g, v) => {
      g.o.compressionThreshold = v as number;
    },
    int(0),
  ),
  spec(
    'max-inbound-queue-size',
    'int',
    '131072',
    'bound of the events()/drainInbound() queue',
    (g, v) => {
      g.o.maxInboundQueueSize = v as number;
    },
    int(1),
  ),
  spec(
    'publish-policy',
    'enum',
    'deny',
    'client publish: deny | allow',
    (g, v) => {
      g.o.publishPolicy = v as 'deny' | 'allow';
    },
    { values: ['deny', 'allow'] },
  ),
  spec('require-encryption', 'bool', 'false', 'refuse application frames without E2E', (g, v) => {
    g.o.requireEncryption = v as boolean;
  }),
  spec(
    'key-rotation-interval',
    'int',
    '0',
    'ms; ask E2E clients to rotate their keys this often (0 = off)',
    (g, v) => {
      g.o.keyRotationIntervalMs = v as number;
    },
    int(0),
  ),
  spec(
    'jwt-secret',
    'string',
    '-',
    'HS256 secret, at least 32 bytes outside --dev (enables auth)',
    (g, v) => {
      g.auth.secret = v as string;
    },
  ),
  spec('jwt-previous-secret', 'string', '-', 'previous HS256 secret, accepted during rotation', (g, v) => {
    g.auth.previousSecret = v as string;
  }),
  spec('jwt-public-key-file', 'string', '-', 'PEM SPKI public key file (RS256 / ES256)', (g, v) => {
    g.auth.publicKey = v as string; // replaced by the file's content in resolveConfig
  }),
  spec('jwks-url', 'string', '-', 'JWKS URL (RS256 / ES256)', (g, v) => {
    g.auth.jwksUrl = v as string;
  }),
  spec(
    'jwt-algorithms',
    'list',
    'by key',
    'comma list of HS256,RS256,ES256',
    (g, v) => {
      g.auth.algorithms = v as AuthAlgorithm[];
    },
    { values: ['HS256', 'RS256', 'ES256'] },
  ),
  spec('jwt-issuer', 'string', '-', 'required iss claim', (g, v) => {
    g.auth.issuer = v as string;
  }),
  spec('jwt-audience', 'string', '-', 'required aud claim', (g, v) => {
    g.auth.audience = v as string;
  }),
  spec(
    'jwt-leeway',
    'int',
    '30',
    'seconds of clock tolerance for exp/nbf',
    (g, v) => {
      g.auth.leewaySec = v as number;
    },
    int(0),
  ),
  spec('auth-cookie-name', 'string', 'access_token', 'cookie that carries the token', (g, v) => {
    g.auth.cookieName = v as string;
  }),
  spec('allow-query-token', 'bool', 'true', 'accept ?token= on the upgrade URL', (g, v) => {
    g.auth.allowQueryToken = v as boolean;
  }),
  spec(
    'auth-timeout',
    'int',
    '5000',
    'ms to wait for an in-band client_hello token',
    (g, v) => {
      g.auth.inBandTimeoutMs = v as number;
    },
    int(1),
  ),
  spec('anonymous', 'bool', 'false', 'no auth, without the startup warning', (g, v) => {
    if (v) g.o.auth = false;
  }),
  spec('api-key', 'string', '-', 'enables POST /api/publish and /api/broadcast', (g, v) => {
    g.o.apiKey = v as string;
  }),
  spec('recovery', 'bool', 'false', 'message recovery (any recovery-* option implies it)', (g, v) => {
    g.recovery.enabled = v as boolean;
  }),
  spec(
    'recovery-buffer-size',
    'int',
    '128',
    'publications kept per topic stream',
    (g, v) => {
      g.recovery.bufferSize = v as number;
    },
    int(1),
  ),
  spec(
    'recovery-ttl',
    'int',
    '300',
    'seconds an idle topic buffer is kept',
    (g, v) => {
      g.recovery.ttlSec = v as number;
    },
    int(1),
  ),
  spec(
    'recovery-max-messages',
    'int',
    '500',
    'largest replay per recovery request',
    (g, v) => {
      g.recovery.maxMessages = v as number;
    },
    int(1),
  ),
  spec(
    'recovery-memory-budget',
    'int',
    '268435456',
    'bytes for all recovery buffers',
    (g, v) => {
      g.recovery.memoryBudget = v as number;
    },
    int(1),
  ),
  spec('presence', 'bool', 'false', 'presence (any presence-* option implies it)', (g, v) => {
    g.presence.enabled = v as boolean;
  }),
  spec(
    'presence-max-data-size',
    'int',
    '4096',
    'bytes of presence data per member',
    (g, v) => {
      g.presence.maxDataSize = v as number;
    },
    int(1),
  ),
  spec(
    'presence-max-members',
    'int',
    '10000',
    'members per topic',
    (g, v) => {
      g.presence.maxMembers = v as number;
    },
    int(1),
  ),
  spec('static-dir', 'string', '-', 'directory served over HTTP (playground)', (g, v) => {
    g.o.staticDir = v as string;
  }),
  spec(
    'log-level',
    'enum',
    'info',
    'silent | error | warn | info | debug',
    (g, v) => {
      g.o.logLevel = v as NonNullable<WSEServerOptions['logLevel']>;
    },
    { values: ['silent', 'error', 'warn', 'info', 'debug'] },
  ),
  spec('dev', 'bool', 'false', 'local dev: 127.0.0.1, POST /dev/token, recovery+presence on', (g, v) => {
    g.o.dev = v as boolean;
  }),
];

const BY_FLAG = new Map(CLI_OPTIONS.map((s) => [s.flag, s]));
const BY_KEY = new Map(CLI_OPTIONS.flatMap((s) => [[s.flag, s] as const, [camel(s.flag), s] as const]));

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** `max-connections` → `WSE_MAX_CONNECTIONS`. @example envName('jwt-secret'); // 'WSE_JWT_SECRET' */
export function envName(flag: string): string {
  return `WSE_${flag.replace(/-/g, '_').toUpperCase()}`;
}

/**
 * Turns command line, environment and an optional JSON config file into server options.
 *
 * - Precedence: flags > env (`WSE_*`) > file (`--config` / `WSE_CONFIG`) > the server's defaults
 *   (options not given stay undefined). An empty env var counts as unset.
 * - Flags: `--name value`, `--name=value`; booleans also `--name`, `--no-name`, `--name=false`.
 *   Env booleans: `1/true/yes/on`, `0/false/no/off`. Numbers must be plain decimal (`1e3`, `10k`,
 *   `12px` are errors naming the option).
 * - The file is a flat JSON object keyed by the option names in camelCase (`maxConnections`) or
 *   kebab-case (`max-connections`); values may be JSON numbers/booleans or strings.
 * - `--dev`: host 127.0.0.1, `/dev/token`, recovery and presence on (unless explicitly off), and a
 *   random JWT secret when no key source is given (reported in `notices`).
 * - `--help` / `-h`: returns `help` and skips validation of everything else.
 * Throws {@link ConfigError}.
 *
 * @example
 * const { options } = resolveConfig(['--port', '8080', '--recovery'], { WSE_JWT_SECRET: 's3cret' });
 * // options = { port: 8080, recovery: { enabled: true }, auth: { secret: 's3cret' } }
 */
export function resolveConfig(
  argv: string[],
  env: Record<string, string | undefined>,
  readFile: (p: string) => string = (p) => readFileSync(p, 'utf8'),
  deps: { randomSecret?: () => string } = {},
): { options: WSEServerOptions; help?: string; notices: string[] } {
  if (argv.includes('--help') || argv.includes('-h')) return { options: {}, help: helpText(), notices: [] };
  const { values: flags, config: flagConfig } = parseArgv(argv);
  const values = new Map<OptionSpec, Value>();
  const configPath = flagConfig ?? nonEmpty(env.WSE_CONFIG);
  if (configPath !== undefined) {
    for (const [spec, v] of parseFile(configPath, readFile)) values.set(spec, v);
  }
  for (const spec of CLI_OPTIONS) {
    const raw = nonEmpty(env[envName(spec.flag)]);
    if (raw !== undefined) values.set(spec, parseValue(spec, raw, envName(spec.flag)));
  }
  for (const [spec, v] of flags) values.set(spec, v);

  const g: Groups = { o: {}, auth: {}, recovery: {}, presence: {}, rate: {} };
  for (const [spec, v] of values) spec.apply(g, v);
  if (g.auth.publicKey !== undefined) g.auth.publicKey = readKeyFile(g.auth.publicKey, readFile);
  const notices = applyDev(g, deps.randomSecret);
  assemble(g);
  return { options: g.o, notices };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function parseArgv(argv: string[]): { values: Map<OptionSpec, Value>; config?: string } {
  const values = new Map<OptionSpec, Value>();
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (name === 'config') {
      config = inline ?? argv[++i];
      if (config === undefined || config === '') throw new ConfigError('--config needs a file path');
      continue;
    }
    let spec = BY_FLAG.get(name);
    if (
      !spec &&
      name.startsWith('no-') &&
      BY_FLAG.get(name.slice(3))?.kind === 'bool' &&
      inline === undefined
    ) {
      name = name.slice(3);
      spec = BY_FLAG.get(name);
      inline = 'false';
    }
    if (!spec) throw new ConfigError(`unknown option --${name} (see --help)`);
    if (spec.kind === 'bool' && inline === undefined) {
      values.set(spec, true);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined || (inline === undefined && raw.startsWith('--')))
      throw new ConfigError(`--${name} needs a value`);
    values.set(spec, parseValue(spec, raw, `--${name}`));
  }
  return { values, config };
}

function parseFile(path: string, readFile: (p: string) => string): Map<OptionSpec, Value> {
  let data: unknown;
  try {
    data = JSON.parse(readFile(path));
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ConfigError(`config file ${path}: must be a JSON object`);
  const out = new Map<OptionSpec, Value>();
  for (const [key, v] of Object.entries(data)) {
    const spec = BY_KEY.get(key);
    if (!spec) throw new ConfigError(`config file ${path}: unknown option "${key}" (see --help)`);
    const where = `"${key}" in ${path}`;
    if (spec.kind === 'list' && Array.isArray(v)) out.set(spec, parseValue(spec, v.join(','), where));
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      out.set(spec, parseValue(spec, String(v), where));
    else throw new ConfigError(`${where}: must be a string, number or boolean`);
  }
  return out;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

function parseValue(spec: OptionSpec, raw: string, where: string): Value {
  const bad = (why: string) => new ConfigError(`invalid value for ${where}: "${raw}" ${why}`);
  switch (spec.kind) {
    case 'bool': {
      const s = raw.trim().toLowerCase();
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
      throw bad('is not a boolean (use true/false, 1/0)');
    }
    case 'int':
    case 'number': {
      const re = spec.kind === 'int' ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
      const n = Number(raw.trim());
      if (!re.test(raw.trim()) || !Number.isFinite(n) || (spec.kind === 'int' && !Number.isSafeInteger(n)))
        throw bad(`is not ${spec.kind === 'int' ? 'an integer' : 'a number'}`);
      if (spec.min !== undefined && n < spec.min) throw bad(`is below ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw bad(`is above ${spec.max}`);
      return n;
    }
    case 'enum':
      if (!spec.values?.includes(raw)) throw bad(`is not one of ${spec.values?.join(', ')}`);
      return raw;
    case 'list': {
      const items = raw.split(',').map((s) => s.trim());
      const wrong = items.find((s) => !spec.values?.includes(s));
      if (wrong !== undefined) throw bad(`has "${wrong}", not one of ${spec.values?.join(', ')}`);
      return items;
    }
    default:
      if (raw.length === 0) throw bad('must not be empty');
      return raw;
  }
}

function readKeyFile(path: string, readFile: (p: string) => string): string {
  try {
    return readFile(path);
  } catch (err) {
    throw new ConfigError(`--jwt-public-key-file: cannot read ${path}: ${(err as Error).message}`);
  }
}

function applyDev(g: Groups, randomSecret?: () => string): string[] {
  if (!g.o.dev) return [];
  const notices: string[] = [];
  if (g.o.host !== undefined && g.o.host !== '127.0.0.1')
    notices.push(`--dev binds 127.0.0.1 only; ignoring host ${g.o.host}`);
  g.o.host = '127.0.0.1';
  g.recovery.enabled ??= true;
  g.presence.enabled ??= true;
  // The playground publishes from the browser; production keeps the default (deny).
  g.o.publishPolicy ??= 'allow';
  if (g.o.auth !== false && g.auth.secret === undefined) {
    g.auth.secret = (randomSecret ?? (() => randomBytes(32).toString('base64url')))();
    notices.push(
      `dev mode: generated JWT secret ${g.auth.secret} (pass --jwt-secret to keep tokens valid across restarts); ` +
        'mint tokens with POST /dev/token {"sub": "ada"}',
    );
  }
  return notices;
}

function assemble(g: Groups): void {
  const hasAuth = Object.keys(g.auth).length > 0;
  if (hasAuth && g.o.auth === false)
    throw new ConfigError('--anonymous cannot be combined with --jwt-* options');
  if (hasAuth) {
    if (g.auth.secret === undefined && g.auth.publicKey === undefined && g.auth.jwksUrl === undefined)
      throw new ConfigError('auth options need a key: --jwt-secret, --jwt-public-key-file or --jwks-url');
    if (!g.o.dev) {
      weakSecret('--jwt-secret', g.auth.secret);
      weakSecret('--jwt-previous-secret', g.auth.previousSecret);
    }
    g.o.auth = g.auth;
  }
  if (Object.keys(g.recovery).length > 0) g.o.recovery = g.recovery;
  if (Object.keys(g.presence).length > 0) g.o.presence = g.presence;
  if (Object.keys(g.rate).length > 0) g.o.rateLimit = g.rate;
}

function weakSecret(flag: string, secret: string | undefined): void {
  if (secret === undefined) return;
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES)
    throw new ConfigError(
      `${flag} is ${bytes} bytes: an HS256 secret must be at least ${MIN_SECRET_BYTES} bytes outside --dev ` +
        '(make one with: openssl rand -base64 32)',
    );
}

/**
 * The `--help` text: every option with its env var and default.
 *
 * @example
 * console.log(helpText());
 */
export function helpText(): string {
  const rows = CLI_OPTIONS.map((s) => {
    const arg = s.kind === 'bool' ? '' : s.kind === 'int' || s.kind === 'number' ? ' <n>' : ' <value>';
    return [`--${s.flag}${arg}`, envName(s.flag), `${s.help} [default: ${s.def}]`];
  });
  rows.push(['--config <file.json>', 'WSE_CONFIG', 'flat JSON file of the options above (camelCase keys)']);
  rows.push(['--help, -h', '', 'show this help']);
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  const lines = rows.map((r) => `  ${r[0]!.padEnd(w0)}  ${r[1]!.padEnd(w1)}  ${r[2]}`);
  return [
    'Usage: wse-server [options]',
    '',
    'Every option is also an env var and a config-file key. Precedence: flags > env > file > defaults.',
    'Booleans: --flag, --no-flag, --flag=false; env 1/0, true/false.',
    '',
    ...lines,
    '',
  ].join('\n');
}
