import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { SECRET, startServer, TestClient, token } from './helpers';

let server: WSEServer;
let url: string;
let port: number;
beforeAll(async () => {
  ({ server, url, port } = await startServer({
    auth: { secret: SECRET, audience: 'wse', leewaySec: 0, inBandTimeoutMs: 300 },
  }));
});
afterAll(() => server.stop());

const tok = (sub: string, o: Parameters<typeof token>[1] = {}) => token(sub, { aud: 'wse', ...o });

/** Connects and expects an auth error then a close code. */
async function refused(
  target: string,
  headers: Record<string, string> | undefined,
  code: string,
  close: number,
) {
  const c = await TestClient.connect(target, { headers, waitReady: false });
  await c.error(code);
  expect((await c.closed).code).toBe(close);
  expect(c.frames.some((f) => f.t === 'server_ready')).toBe(false);
}

describe('token at the upgrade', () => {
  it('accepts a bearer header and reports user id and expiry', async () => {
    const c = await TestClient.connect(url, {
      headers: { authorization: `Bearer ${await tok('alice')}` },
      waitReady: false,
    });
    const ready = await c.next('server_ready');
    const details = ready.p.details as Record<string, unknown>;
    expect(details.user_id).toBe('alice');
    expect(details.token_expires_in).toBeGreaterThan(3500);
    expect(server.connections().some((i) => i.userId === 'alice' && !i.anonymous)).toBe(true);
    c.close();
  });

  it('accepts the access_token cookie and the token query parameter', async () => {
    const a = await TestClient.connect(url, { headers: { cookie: `x=1; access_token=${await tok('bob')}` } });
    a.close();
    const b = await TestClient.connect(`${url}?token=${await tok('carol')}`);
    b.close();
  });

  it('refuses a bad signature, alg none, a wrong audience and garbage with AUTH_FAILED / 4401', async () => {
    const wrongKey = await tok('mallory', { secret: 'another-secret-entirely' });
    const [h, p] = (await tok('mallory')).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    const wrongAud = await token('mallory', { aud: 'other' });
    for (const bad of [wrongKey, none, `${h}.${p}.`, wrongAud, 'not-a-jwt']) {
      await refused(url, { authorization: `Bearer ${bad}` }, 'AUTH_FAILED', 4401);
    }
  });

  it('refuses an expired token with AUTH_EXPIRED / 4403', async () => {
    await refused(
      url,
      { authorization: `Bearer ${await tok('old', { expSec: -60 })}` },
      'AUTH_EXPIRED',
      4403,
    );
  });

  it('refuses a token in a huge cookie without harm to the server', async () => {
    const big = `access_token=${'a'.repeat(64 * 1024)}`;
    await refused(url, { cookie: big }, 'AUTH_FAILED', 4401).catch(() => {
      // uWS may refuse an oversized header block at the HTTP layer instead: also fine
    });
    const huge = `access_token=${'a'.repeat(5 * 1024 * 1024)}`;
    await expect(
      TestClient.connect(url, { headers: { cookie: huge }, waitReady: false }).then((c) => c.closed),
    ).rejects.toThrow();
    const ok = await TestClient.connect(url, { headers: { authorization: `Bearer ${await tok('after')}` } });
    ok.close();
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('counts auth failures in /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/wse_auth_failures_total [1-9]/);
  });
});

describe('in-band auth', () => {
  it('accepts client_hello.p.token, then server_ready and server_hello', async () => {
    const c = await TestClient.connect(url, { waitReady: false });
    c.send({ t: 'client_hello', p: { protocol_version: 1, token: await tok('dora') } });
    const ready = await c.next('server_ready');
    expect((ready.p.details as Record<string, unknown>).user_id).toBe('dora');
    await c.next('server_hello');
    c.close();
  });

  it('anything else first → AUTH_REQUIRED / 4401', async () => {
    const c = await TestClient.connect(url, { waitReady: false });
    c.send({ t: 'chat', p: {} });
    await c.error('AUTH_REQUIRED');
    expect((await c.closed).code).toBe(4401);
  });

  it('silence past inBandTimeoutMs → AUTH_REQUIRED / 4401', async () => {
    await refused(url, undefined, 'AUTH_REQUIRED', 4401);
  });

  it('a bad in-band token → AUTH_FAILED / 4401', async () => {
    const c = await TestClient.connect(url, { waitReady: false });
    c.send({ t: 'client_hello', p: { token: 'nope' } });
    await c.error('AUTH_FAILED');
    expect((await c.closed).code).toBe(4401);
  });
});

describe('refresh and expiry', () => {
  it('auth_refresh with a valid token → auth_refreshed', async () => {
    const c = await TestClient.ready(url, {}, { authorization: `Bearer ${await tok('erin')}` });
    c.send({ t: 'auth_refresh', p: { token: await tok('erin', { expSec: 7200 }) }, cid: 'r1' });
    const r = await c.next('auth_refreshed');
    expect(r.cid).toBe('r1');
    expect(r.p.token_expires_in).toBeGreaterThan(7000);
    c.close();
  });

  it('auth_refresh with a bad or foreign token → AUTH_FAILED / 4401', async () => {
    const c = await TestClient.ready(url, {}, { authorization: `Bearer ${await tok('erin')}` });
    c.send({ t: 'auth_refresh', p: { token: await tok('someone-else') } });
    await c.error('AUTH_FAILED');
    expect((await c.closed).code).toBe(4401);
    const d = await TestClient.ready(url, {}, { authorization: `Bearer ${await tok('erin')}` });
    d.send({ t: 'auth_refresh', p: { token: 'garbage' } });
    await d.error('AUTH_FAILED');
    expect((await d.closed).code).toBe(4401);
  });

  it('closes with 4403 when the token expires', async () => {
    const now = Math.floor(Date.now() / 1000);
    const short = await new SignJWT({ aud: 'wse' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('brief')
      .setExpirationTime(now + 1)
      .sign(new TextEncoder().encode(SECRET));
    const c = await TestClient.ready(url, {}, { authorization: `Bearer ${short}` });
    await c.error('AUTH_EXPIRED', 3000);
    expect((await c.closed).code).toBe(4403);
  });
});

describe('topic ACL from wse_topics', () => {
  it('allow/deny globs decide subscriptions, deny wins', async () => {
    const t = await tok('fay', { claims: { wse_topics: { allow: ['room:*'], deny: ['room:admin'] } } });
    const c = await TestClient.ready(url, {}, { authorization: `Bearer ${t}` });
    c.send({
      t: 'subscription_update',
      p: { action: 'subscribe', topics: ['room:1', 'room:admin', 'other'] },
    });
    const r = await c.next('subscription_update');
    expect(r.p.success_topics).toEqual(['room:1']);
    expect(
      (r.p.failed_topics as Array<{ topic: string; code: string }>).map((f) => [f.topic, f.code]),
    ).toEqual([
      ['room:admin', 'FORBIDDEN'],
      ['other', 'FORBIDDEN'],
    ]);
    c.close();
  });
});
