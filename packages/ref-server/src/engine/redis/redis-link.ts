import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * The only file that imports the Redis client (ioredis). Everything else in the Redis engine talks
 * to {@link RedisLink}, so the client's rules live here:
 *
 * - Two connections: `cmd` for scripts and reads, `sub` for SUBSCRIBE (a RESP2 connection in
 *   subscriber mode accepts nothing but (UN)SUBSCRIBE and PING).
 * - No offline queue and no per-request retries: a command issued while Redis is down fails at
 *   once, and one in flight when the link drops fails at the drop. A publish is never held back and
 *   replayed later behind the caller's back (it would arrive out of order with what others published
 *   meanwhile); the caller hears `ENGINE_UNAVAILABLE` instead.
 * - Reconnect with capped exponential backoff and jitter (100 ms × 2^n up to 5 s, ×[0.5, 1)).
 * - Every command times out after 5 s (a Redis that hangs fails like one that is down).
 * - Channels are NOT resubscribed by ioredis (`autoResubscribe: false`): the engine owns the set of
 *   wanted channels and restores it on `up`, so it knows when interest is live again.
 * - Scripts run by EVALSHA, falling back to EVAL on NOSCRIPT (a restarted Redis forgot them).
 *
 * @example
 * const link = createRedisLink('redis://127.0.0.1:6379', { onMessage, onStatus });
 * await link.connect();
 * await link.script(PUBLISH_SCRIPT, [metaKey, streamKey], [head, 1024, 300, epoch, channel]);
 */
export interface RedisLink {
  /** True while both connections are ready. */
  readonly up: boolean;
  /** True while the command connection is ready (publishes and reads can go). */
  readonly commandsUp: boolean;
  /** Resolves once both connections are ready; rejects after `timeoutMs`. */
  connect(timeoutMs?: number): Promise<void>;
  /** Runs a Lua script atomically on the command connection. */
  script(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  /** A plain command on the command connection (presence reads/writes). */
  command(name: string, args: readonly (string | number)[]): Promise<unknown>;
  /** Several commands in one MULTI/EXEC on the command connection. */
  multi(commands: ReadonlyArray<readonly [string, ...(string | number)[]]>): Promise<unknown[]>;
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /**
   * A PING through the subscriber connection. When it resolves, every message PUBLISHed before the
   * PING reached Redis has been handed to `onMessage` (one TCP stream, answered in order).
   */
  syncSubscriber(): Promise<void>;
  close(): Promise<void>;
}

/** A Lua script with its SHA1, computed once. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

/** Callbacks of a {@link RedisLink}. */
export interface RedisLinkEvents {
  onMessage(channel: string, message: string): void;
  /** `up` flips: true when both connections are ready again, false when either drops. */
  onStatus(up: boolean, reason?: string): void;
}

/**
 * A script ready for {@link RedisLink.script}.
 *
 * @example
 * const PING = luaScript("return redis.call('PING')");
 */
export function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Reconnect delay for the n-th attempt (1-based): 100 ms × 2^(n-1), capped at 5 s, full jitter ×[0.5, 1). */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 6));
  return Math.round(base * (0.5 + random() / 2));
}

/**
 * Opens the two connections to `url` (`redis://[user:pass@]host:port[/db]`, or `rediss://` for TLS).
 *
 * @example
 * const link = createRedisLink(process.env.REDIS_URL!, { onMessage: console.log, onStatus: console.log });
 */
export function createRedisLink(url: string, events: RedisLinkEvents): RedisLink {
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: false,
    connectTimeout: 2000,
    // A Redis that accepts but does not answer must not hold a subscribe (and what it buffers) forever.
    commandTimeout: 5000,
    retryStrategy: (times) => reconnectDelay(times),
  };
  const cmd = new Redis(url, { ...options, connectionName: 'wse-cmd' });
  const sub = new Redis(url, { ...options, connectionName: 'wse-sub' });
  let up = false;
  let closing = false;
  const refresh = (reason?: string) => {
    const now = !closing && cmd.status === 'ready' && sub.status === 'ready';
    if (now === up) return;
    up = now;
    events.onStatus(up, reason);
  };
  for (const c of [cmd, sub]) {
    c.on('ready', () => refresh());
    c.on('close', () => refresh('connection closed'));
    c.on('end', () => refresh('connection ended'));
    // ioredis re-emits socket errors; without a listener Node would throw them. The status change
    // that follows is what the engine acts on.
    c.on('error', () => {});
  }
  sub.on('message', (channel: string, message: string) => events.onMessage(channel, message));

  const runScript = async (s: LuaScript, keys: readonly string[], args: readonly (string | number)[]) => {
    try {
      return await cmd.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return cmd.eval(s.source, keys.length, ...keys, ...args);
    }
  };

  return {
    get up() {
      return up;
    },
    get commandsUp() {
      return !closing && cmd.status === 'ready';
    },
    async connect(timeoutMs = 5000) {
      closing = false; // a stopped server can start again: ioredis reconnects an ended client
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis at ${redactUrl(url)} unreachable`)), timeoutMs);
      });
      try {
        await Promise.race([Promise.all([cmd.connect(), sub.connect()]), timeout]);
      } catch (err) {
        closing = true;
        cmd.disconnect();
        sub.disconnect();
        throw err;
      } finally {
        clearTimeout(timer);
      }
      refresh();
    },
    script: runScript,
    command: (name, args) => cmd.call(name, ...args),
    async multi(commands) {
      const res = await cmd.multi(commands.map((c) => [...c])).exec();
      if (!res) throw new Error('Redis MULTI aborted');
      return res.map(([err, value]) => {
        if (err) throw err;
        return value;
      });
    },
    async subscribe(channel) {
      await sub.subscribe(channel);
    },
    async unsubscribe(channel) {
      await sub.unsubscribe(channel);
    },
    async syncSubscriber() {
      await sub.ping();
    },
    async close() {
      closing = true;
      refresh('closed');
      await Promise.allSettled([cmd.quit(), sub.quit()]);
      cmd.disconnect();
      sub.disconnect();
      // ioredis reports `end` only once the socket is closed; a start() before that would be refused.
      await Promise.all([ended(cmd), ended(sub)]);
    },
  };
}

/** Resolves when the client has fully ended (or after 1 s). */
function ended(client: Redis): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    client.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The URL without its password, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(invalid url)';
  }
}
