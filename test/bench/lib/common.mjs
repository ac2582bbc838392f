// Small helpers shared by the scenarios.
import os from 'node:os';
import { SignJWT } from 'jose';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns truthy or `timeoutMs` passes; returns the last value. */
export async function waitFor(fn, timeoutMs, everyMs = 20) {
  const until = Date.now() + timeoutMs;
  let v = await fn();
  while (!v && Date.now() < until) {
    await sleep(everyMs);
    v = await fn();
  }
  return v;
}

export const BENCH_SECRET = 'wse-bench-secret-0123456789abcdef0123456789abcdef';

/** HS256 tokens, one per connection (distinct `sub`), allowed on every topic. */
export async function makeTokens(n, secret = BENCH_SECRET, start = 0) {
  const key = new TextEncoder().encode(secret);
  const now = Math.floor(Date.now() / 1000);
  const out = [];
  for (let i = start; i < start + n; i++) {
    out.push(
      await new SignJWT({ wse_topics: { allow: ['*'], deny: [] } })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(`bench-user-${i}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(key),
    );
  }
  return out;
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    date: new Date().toISOString(),
  };
}

export const round = (v, d = 0) =>
  v === null || v === undefined || Number.isNaN(v) ? null : Number(v.toFixed(d));

/** Percentile (0..1) of a plain array of numbers. */
export function pct(values, p) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * p) - 1))];
}
