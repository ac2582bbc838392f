import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SECRET, startServer, TestClient } from './helpers';

// Issue 15.10: a browser app on another port (Vite on :5173) can mint a dev token — dev mode only.
const VITE = 'http://localhost:5173';

function mint(port: number, origin: string) {
  return fetch(`http://127.0.0.1:${port}/dev/token`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ sub: 'ada' }),
  });
}

function preflight(port: number, origin: string) {
  return fetch(`http://127.0.0.1:${port}/dev/token`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });
}

describe('CORS on /dev/token', () => {
  it('dev mode: preflight and POST answer a loopback origin', async () => {
    const { server, port } = await startServer({ dev: true, auth: { secret: SECRET } });
    const pre = await preflight(port, VITE);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(VITE);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')).toContain('content-type');
    const res = await mint(port, VITE);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(VITE);
    expect(res.headers.get('vary')).toBe('Origin');
    expect(typeof ((await res.json()) as { token: unknown }).token).toBe('string');
    // another site the developer happens to visit gets no CORS headers: the browser blocks it
    const evil = await preflight(port, 'https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect((await mint(port, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    await server.stop();
  });

  it('not in dev mode: no /dev/token, no CORS headers anywhere', async () => {
    const { server, port } = await startServer({ auth: { secret: SECRET }, apiKey: 'k1' });
    const pre = await preflight(port, VITE);
    expect(pre.status).toBe(404);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const res = await mint(port, VITE);
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const health = await fetch(`http://127.0.0.1:${port}/health`, { headers: { origin: VITE } });
    expect(health.headers.get('access-control-allow-origin')).toBeNull();
    await server.stop();
  });
});

describe('refused tokens are logged at the default level (issue 15.4)', () => {
  it('one warn line with code, reason and remote address; never the token', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const { server, url } = await startServer({ auth: { secret: SECRET }, logger });
    const bad = 'eyJhbGciOiJIUzI1NiJ9.e30.c2VjcmV0LXNpZ25hdHVyZQ';
    const c = await TestClient.connect(`${url}?token=${bad}`, { waitReady: false });
    await c.closed;
    await server.stop();
    const refused = lines.filter((l) => l.msg === 'token refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({
      level: 40,
      code: 'AUTH_FAILED',
      remote: expect.stringContaining('127.0.0.1'),
    });
    expect(typeof refused[0]?.reason).toBe('string');
    expect(JSON.stringify(lines)).not.toContain(bad);
  });
});
