import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { startServer } from './helpers';

const KEY = 'k'.repeat(40);
let server: WSEServer;
let port: number;

beforeAll(async () => {
  ({ server, port } = await startServer({ apiKey: KEY }));
});
afterAll(() => server.stop());

/** A raw HTTP/1.1 exchange: writes `req`, collects what comes back for `ms` (or until close). */
function exchange(req: string, ms = 800): Promise<{ text: string; end: string }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    const done = (end: string) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ text, end });
    };
    s.on('data', (d) => {
      text += d.toString('latin1');
    });
    s.on('error', (e) => done(`error:${(e as NodeJS.ErrnoException).code}`));
    s.on('close', () => done('closed'));
    const timer = setTimeout(() => done('open'), ms);
    s.write(req);
  });
}
const post = (path: string, headers: string, contentLength: number) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}Content-Length: ${contentLength}\r\n\r\n`;
const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

describe('HTTP API refuses before reading (issue 18 item 6)', () => {
  it('answers 401/403 from the headers alone: the body is never awaited', async () => {
    // 900 KB announced, none sent: the answer must come anyway.
    expect(status((await exchange(post('/api/publish', '', 900_000))).text)).toBe(401);
    expect(
      status((await exchange(post('/api/broadcast', 'Authorization: apikey nope\r\n', 900_000))).text),
    ).toBe(401);
    const { server: off, port: offPort } = await startServer();
    const r = await fetch(`http://127.0.0.1:${offPort}/api/publish`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(403);
    await off.stop();
  });

  it('answers 413 from Content-Length alone', async () => {
    const r = await exchange(post('/api/publish', `Authorization: apikey ${KEY}\r\n`, 5 * 1024 * 1024));
    expect(status(r.text)).toBe(413);
  });

  it('bounds concurrent request bodies: the 65th gets 503 without being read', async () => {
    const held: net.Socket[] = [];
    for (let i = 0; i < 64; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      s.write(`${post('/api/publish', `Authorization: apikey ${KEY}\r\n`, 1000)}{"topic":"t",`);
      held.push(s);
    }
    await new Promise((r) => setTimeout(r, 200));
    const r = await exchange(post('/api/publish', `Authorization: apikey ${KEY}\r\n`, 20));
    expect(status(r.text)).toBe(503);
    expect(r.text).toMatch(/retry-after: 1/i);
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    // Aborted bodies were released: a full request goes through again.
    const ok = await fetch(`http://127.0.0.1:${port}/api/publish`, {
      method: 'POST',
      headers: { authorization: `apikey ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 't', data: 1 }),
    });
    expect(ok.status).toBe(200);
  });
});

describe('HTTP answers (issue 18 item 13)', () => {
  it('HEAD carries headers and Content-Length but no body; keep-alive goes on', async () => {
    const r = await exchange(
      'HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    const [head, rest] = [
      r.text.slice(0, r.text.indexOf('\r\n\r\n')),
      r.text.slice(r.text.indexOf('\r\n\r\n') + 4),
    ];
    expect(status(head)).toBe(200);
    expect(Number(/content-length: (\d+)/i.exec(head)?.[1])).toBeGreaterThan(10);
    // The next bytes are the second response, not a body of the first.
    expect(rest.startsWith('HTTP/1.1 200')).toBe(true);
  });

  it('invalid data → 400, not 500: 500 000-deep nesting and pri 99', async () => {
    const call = (body: string) =>
      fetch(`http://127.0.0.1:${port}/api/publish`, {
        method: 'POST',
        headers: { authorization: `apikey ${KEY}`, 'content-type': 'application/json' },
        body,
      });
    const deep = `{"topic":"t","data":${'['.repeat(500_000)}${']'.repeat(500_000)}}`;
    const a = await call(deep);
    expect(a.status).toBe(400);
    expect(((await a.json()) as { error: string }).error).toMatch(/deeper than 63/);
    const b = await call(JSON.stringify({ topic: 't', data: { t: 'x', p: {}, pri: 99 } }));
    expect(b.status).toBe(400);
    expect(((await b.json()) as { code: string }).code).toBeTypeOf('string');
    // A depth the codec accepts still goes through.
    const ok = await call(`{"topic":"t","data":${'['.repeat(60)}${']'.repeat(60)}}`);
    expect(ok.status).toBe(200);
  });

  it('a 20 KB header → 431; a 200 KB header is reset by uWS itself (documented), server unharmed', async () => {
    const big = (n: number) => `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(n)}\r\n\r\n`;
    expect(status((await exchange(big(20_000))).text)).toBe(431);
    const huge = await exchange(big(200_000));
    expect(huge.text).toBe('');
    expect(huge.end).toMatch(/error:ECONNRESET|closed/);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });
});
