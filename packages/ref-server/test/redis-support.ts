// Shared by the Redis engine tests: one redis-server per test file, servers on it under a prefix
// of their own, and small client helpers.
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { WSEServerOptions } from '../src/options';
import type { WSEServer } from '../src/server';
import { type Frame, startServer, TestClient } from './helpers';
import { RedisProcess, redisAvailable } from './redis-harness';

/**
 * Registers the per-file hooks: launches redis-server (when the binary is there) and runs the
 * cleanups after each test. `HAVE_REDIS` false → the file's suites skip (one SKIPPED line printed).
 */
export function useRedis(suite: string) {
  const HAVE_REDIS = redisAvailable(suite);
  const ctx = {
    HAVE_REDIS,
    redis: undefined as unknown as RedisProcess,
    cleanup: [] as Array<() => unknown>,
  };
  let prefixSeq = 0;
  beforeAll(async () => {
    if (HAVE_REDIS) ctx.redis = await RedisProcess.launch();
  });
  afterAll(async () => {
    await ctx.redis?.kill();
  });
  afterEach(async () => {
    for (const fn of ctx.cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => {});
  });
  /** A fresh key prefix: tests never see each other's topics. */
  const prefix = () => `t${++prefixSeq}-${process.pid}`;
  /** A server on the shared Redis. */
  const server = async (p: string, options: WSEServerOptions = {}) => {
    const s = await startServer({
      engine: { type: 'redis', url: ctx.redis.url, prefix: p },
      recovery: { bufferSize: 1024, maxMessages: 500 },
      apiKey: 'k',
      ...options,
    });
    ctx.cleanup.push(() => s.server.stop());
    return s;
  };
  /** Two servers on one Redis under one prefix. */
  const pair = async (options: WSEServerOptions = {}) => {
    const p = prefix();
    return { a: await server(p, options), b: await server(p, options), prefix: p };
  };
  const client = async (url: string) => {
    const c = await TestClient.ready(url);
    ctx.cleanup.push(() => c.close());
    return c;
  };
  return { ctx, prefix, server, pair, client };
}

export type Reply = {
  success_topics: string[];
  failed_topics: Array<{ topic: string; code: string }>;
  recovery?: Record<string, { epoch: string; offset: number; recovered: boolean; count: number }>;
};

export async function subscribe(c: TestClient, topics: string[], extra: Record<string, unknown> = {}) {
  const cid = `s-${Math.random()}`;
  c.send({ t: 'subscription_update', p: { action: 'subscribe', topics, ...extra }, cid });
  return (await c.next((f) => f.t === 'subscription_update' && f.cid === cid)).p as Reply;
}

export const isPub = (f: Frame) => typeof f.tp === 'string';

export async function collect(c: TestClient, n: number, timeoutMs = 5000): Promise<Frame[]> {
  const out: Frame[] = [];
  while (out.length < n) out.push(await c.next(isPub, timeoutMs));
  return out;
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export async function publishAll(server: WSEServer, topic: string, n: number, from = 0) {
  for (let i = 0; i < n; i++) await server.publish(topic, { t: 'item', p: { n: from + i } });
}

export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 8000,
  what = 'condition',
) {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`waitFor: ${what} timed out`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
