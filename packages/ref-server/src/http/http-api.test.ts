import { describe, expect, it, vi } from 'vitest';
import { type HttpFacade, type HttpResponse, handleHttp } from './http-api';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const EMPTY = new Uint8Array();
const KEY = 'k3y-0123456789';

function facade(over: Partial<HttpFacade> = {}) {
  return {
    healthSnapshot: vi.fn(() => ({ status: 'ok', connections: 2 })),
    publish: vi.fn(() => 5),
    broadcastAll: vi.fn(() => 7),
    metricsText: vi.fn(async () => 'wse_connections 2\n'),
    mintDevToken: vi.fn(async (sub: string) => ({ token: `tok-${sub}`, expires_in: 3600 })),
    ...over,
  };
}
const bodyOf = (r: HttpResponse | null) => JSON.parse(String(r?.body)) as Record<string, unknown>;
const auth = { authorization: `apikey ${KEY}` };

describe('handleHttp: health and metrics', () => {
  it('GET /health returns the snapshot as JSON (query string ignored)', async () => {
    const r = await handleHttp('GET', '/health?x=1', {}, EMPTY, facade(), {});
    expect(r?.status).toBe(200);
    expect(r?.headers['content-type']).toMatch(/application\/json/);
    expect(bodyOf(r)).toEqual({ status: 'ok', connections: 2 });
  });

  it('GET /metrics returns Prometheus text with its content type', async () => {
    const r = await handleHttp('GET', '/metrics', {}, EMPTY, facade(), {});
    expect(r?.status).toBe(200);
    expect(r?.body).toBe('wse_connections 2\n');
    expect(r?.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const custom = await handleHttp('GET', '/metrics', {}, EMPTY, facade({ metricsContentType: 'x/y' }), {});
    expect(custom?.headers['content-type']).toBe('x/y');
  });

  it('answers 405 with Allow for a wrong method on a known route', async () => {
    const r = await handleHttp('POST', '/health', {}, EMPTY, facade(), {});
    expect(r?.status).toBe(405);
    expect(r?.headers.allow).toBe('GET');
    expect((await handleHttp('GET', '/api/publish', {}, EMPTY, facade(), { apiKey: KEY }))?.status).toBe(405);
  });

  it('returns null for anything else', async () => {
    for (const url of ['/', '/index.html', '/healthz', '/api', '/api/publish/x', '/wse']) {
      expect(await handleHttp('GET', url, {}, EMPTY, facade(), {})).toBeNull();
    }
  });

  it('turns a throwing facade into a bare 500 and reports the error', async () => {
    const onError = vi.fn();
    const boom = facade({
      healthSnapshot: () => {
        throw new Error('secret detail');
      },
    });
    const r = await handleHttp('GET', '/health', {}, EMPTY, boom, { onError });
    expect(r?.status).toBe(500);
    expect(String(r?.body)).not.toContain('secret detail');
    expect(onError).toHaveBeenCalledOnce();
  });
});

describe('handleHttp: POST /api/publish and /api/broadcast', () => {
  it('publishes with the right key', async () => {
    const f = facade();
    const r = await handleHttp('POST', '/api/publish', auth, enc({ topic: 'room:1', data: { x: 1 } }), f, {
      apiKey: KEY,
    });
    expect(r?.status).toBe(200);
    expect(bodyOf(r)).toEqual({ ok: true, delivered: 5 });
    expect(f.publish).toHaveBeenCalledWith('room:1', { x: 1 });
  });

  it('broadcasts with the right key (scheme is case-insensitive)', async () => {
    const f = facade();
    const r = await handleHttp(
      'POST',
      '/api/broadcast',
      { authorization: `ApiKey ${KEY}` },
      enc({ data: 'hi' }),
      f,
      {
        apiKey: KEY,
      },
    );
    expect(bodyOf(r)).toEqual({ ok: true, delivered: 7 });
    expect(f.broadcastAll).toHaveBeenCalledWith('hi');
  });

  it('401 without a key, with a wrong key, a prefix of the key, or another scheme', async () => {
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: 'apikey wrong' },
      { authorization: `apikey ${KEY.slice(0, -1)}` },
      { authorization: `Bearer ${KEY}` },
      { authorization: 'apikey' },
    ];
    for (const headers of cases) {
      const f = facade();
      const r = await handleHttp('POST', '/api/publish', headers, enc({ topic: 't', data: 1 }), f, {
        apiKey: KEY,
      });
      expect(r?.status).toBe(401);
      expect(r?.headers['www-authenticate']).toBe('apikey');
      expect(f.publish).not.toHaveBeenCalled();
    }
  });

  it('403 when no apiKey is configured, whatever the header says', async () => {
    const f = facade();
    for (const path of ['/api/publish', '/api/broadcast']) {
      const r = await handleHttp(
        'POST',
        path,
        { authorization: 'apikey ' },
        enc({ topic: 't', data: 1 }),
        f,
        {},
      );
      expect(r?.status).toBe(403);
      expect(bodyOf(r).error).toMatch(/--api-key/);
    }
    expect(f.publish).not.toHaveBeenCalled();
  });

  it('400 on bad JSON, non-object JSON, invalid UTF-8, missing data', async () => {
    const o = { apiKey: KEY };
    for (const body of [
      enc('{nope'),
      enc('[1,2]'),
      enc('"str"'),
      enc('null'),
      new Uint8Array([0xff, 0xfe]),
      EMPTY,
    ]) {
      expect((await handleHttp('POST', '/api/publish', auth, body, facade(), o))?.status).toBe(400);
    }
    const noData = await handleHttp('POST', '/api/broadcast', auth, enc({ topic: 't' }), facade(), o);
    expect(bodyOf(noData).error).toMatch(/data/);
  });

  it('400 on a missing or invalid topic', async () => {
    const f = facade();
    const cases = [
      { data: 1 },
      { topic: '', data: 1 },
      { topic: 5, data: 1 },
      { topic: 'a\nb', data: 1 },
      { topic: 'x'.repeat(300), data: 1 },
    ];
    for (const c of cases) {
      const r = await handleHttp('POST', '/api/publish', auth, enc(c), f, { apiKey: KEY });
      expect(r?.status).toBe(400);
    }
    expect(f.publish).not.toHaveBeenCalled();
  });

  it('413 over maxBodyBytes (default 1 MiB)', async () => {
    const f = facade();
    const big = enc({ topic: 't', data: 'x'.repeat(1024 * 1024) });
    expect((await handleHttp('POST', '/api/publish', auth, big, f, { apiKey: KEY }))?.status).toBe(413);
    const small = enc({ topic: 't', data: 'x'.repeat(100) });
    expect(
      (await handleHttp('POST', '/api/publish', auth, small, f, { apiKey: KEY, maxBodyBytes: 50 }))?.status,
    ).toBe(413);
    expect(f.publish).not.toHaveBeenCalled();
  });
});

describe('handleHttp: POST /dev/token', () => {
  const json = { 'content-type': 'application/json' };

  it('mints a token in dev mode', async () => {
    const f = facade();
    const r = await handleHttp('POST', '/dev/token', json, enc({ sub: 'alice' }), f, { dev: true });
    expect(r?.status).toBe(200);
    expect(bodyOf(r)).toEqual({ token: 'tok-alice', expires_in: 3600 });
  });

  it('does not exist outside dev mode or without a minter', async () => {
    expect(await handleHttp('POST', '/dev/token', json, enc({ sub: 'a' }), facade(), {})).toBeNull();
    const noMint = facade({ mintDevToken: undefined });
    expect(await handleHttp('POST', '/dev/token', json, enc({ sub: 'a' }), noMint, { dev: true })).toBeNull();
  });

  it('400 on a bad sub, 415 without a JSON content type, 413 when too big', async () => {
    const f = facade();
    for (const sub of [undefined, '', 42, 'a\u0000b', 'x'.repeat(257)]) {
      expect((await handleHttp('POST', '/dev/token', json, enc({ sub }), f, { dev: true }))?.status).toBe(
        400,
      );
    }
    expect((await handleHttp('POST', '/dev/token', json, enc('{'), f, { dev: true }))?.status).toBe(400);
    const form = { 'content-type': 'text/plain' };
    expect((await handleHttp('POST', '/dev/token', form, enc({ sub: 'a' }), f, { dev: true }))?.status).toBe(
      415,
    );
    expect((await handleHttp('POST', '/dev/token', {}, enc({ sub: 'a' }), f, { dev: true }))?.status).toBe(
      415,
    );
    const big = enc({ sub: 'a', pad: 'x'.repeat(200) });
    expect(
      (await handleHttp('POST', '/dev/token', json, big, f, { dev: true, maxBodyBytes: 100 }))?.status,
    ).toBe(413);
    expect(f.mintDevToken).not.toHaveBeenCalled();
  });
});
