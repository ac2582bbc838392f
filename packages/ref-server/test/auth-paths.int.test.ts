import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { SECRET, startServer, TestClient, token } from './helpers';

// Audit of the ways into a connection (docs-site/protocol §3, §4): in-band auth, a second hello, refresh with
// another identity or a narrower ACL, expiry at refresh, alg confusion, ACL on publish/presence, a
// flood of one topic, and the dev token endpoint. One test per finding; see the report in the PR.

let server: WSEServer;
let url: string;
let port: number;
const events: Array<{ type: string; connId: string; userId: string }> = [];

beforeAll(async () => {
  ({ server, url, port } = await startServer({
    auth: { secret: SECRET, leewaySec: 0, inBandTimeoutMs: 400 },
    presence: { enabled: true },
    publishPolicy: 'allow',
  }));
  server.on('connect', (ev) => events.push({ type: 'connect', connId: ev.connId, userId: ev.userId }));
  server.on('disconnect', (ev) => events.push({ type: 'disconnect', connId: ev.connId, userId: ev.userId }));
});
afterAll(() => server.stop());

const bearer = async (sub: string, o: Parameters<typeof token>[1] = {}) => ({
  authorization: `Bearer ${await token(sub, o)}`,
});

describe('in-band client_hello token', () => {
  it('a second client_hello (another user’s token) → INVALID_MESSAGE, the identity stays', async () => {
    const c = await TestClient.connect(url, { waitReady: false });
    c.send({ t: 'client_hello', p: { protocol_version: 1, token: await token('ina') } });
    await c.next('server_ready');
    await c.next('server_hello');
    c.send({ t: 'client_hello', p: { protocol_version: 1, token: await token('root') }, cid: 'h2' });
    expect((await c.error('INVALID_MESSAGE')).cid).toBe('h2');
    expect(server.connectionInfo(c.id)?.userId).toBe('ina');
    c.close();
  });

  it('a token in client_hello after the upgrade authenticated is ignored: no switch of user', async () => {
    // Decided: the door's token is the identity; an in-band token on an authenticated connection is
    // neither verified nor used (clients may send both). Switching needs a new connection.
    const c = await TestClient.connect(url, { headers: await bearer('door') });
    c.send({ t: 'client_hello', p: { protocol_version: 1, token: await token('root') } });
    await c.next('server_hello');
    expect(server.connectionInfo(c.id)?.userId).toBe('door');
    c.send({ t: 'auth_refresh', p: { token: await token('root') } });
    await c.error('AUTH_FAILED');
    expect((await c.closed).code).toBe(4401);
  });

  it('an expired in-band token → AUTH_EXPIRED / 4403, and frames queued behind it are never run', async () => {
    const seen: string[] = [];
    const off = server.on('message', (ev) => seen.push(ev.t));
    const c = await TestClient.connect(url, { waitReady: false });
    c.send({ t: 'client_hello', p: { token: await token('late', { expSec: -5 }) } });
    c.send({ t: 'sneaky_app_message', p: {} });
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['x'] } });
    await c.error('AUTH_EXPIRED');
    expect((await c.closed).code).toBe(4403);
    expect(c.frames.some((f) => f.t === 'server_ready' || f.t === 'subscription_update')).toBe(false);
    expect(seen).toEqual([]);
    off();
  });

  it('a failed in-band auth emits neither connect nor disconnect (the app never saw a user)', async () => {
    events.length = 0;
    const c = await TestClient.connect(url, { waitReady: false });
    c.send({ t: 'client_hello', p: { token: 'not-a-jwt' } });
    await c.error('AUTH_FAILED');
    expect((await c.closed).code).toBe(4401);
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual([]);
  });

  it('an undecodable first frame → AUTH_REQUIRED / 4401 (not a wait for the timeout)', async () => {
    const c = await TestClient.connect(url, { waitReady: false });
    c.sendRaw('{not json');
    const err = await c.error('AUTH_REQUIRED', 200);
    expect(err.p.reason).toBe('INVALID_JSON');
    expect((await c.closed).code).toBe(4401);
  });
});

describe('auth_refresh', () => {
  it('another sub → AUTH_FAILED / 4401; nothing behind it runs as the other user', async () => {
    const seen: string[] = [];
    const off = server.on('message', (ev) => seen.push(`${ev.userId}:${ev.t}`));
    const c = await TestClient.ready(url, {}, await bearer('alice'));
    c.send({
      t: 'batch',
      p: {
        messages: [
          { t: 'auth_refresh', p: { token: await token('admin') } },
          { t: 'after_refresh', p: {} },
        ],
      },
    });
    await c.error('AUTH_FAILED');
    expect((await c.closed).code).toBe(4401);
    expect(seen).toEqual([]);
    off();
  });

  it('a narrower wse_topics drops the subscriptions it no longer allows (presence leaves too)', async () => {
    const wide = await token('nora', { claims: { wse_topics: { allow: ['room:*', 'lobby'] } } });
    const c = await TestClient.ready(url, {}, { authorization: `Bearer ${wide}` });
    const watcher = await TestClient.ready(url, {}, await bearer('watcher'));
    watcher.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['room:2'] } });
    await watcher.next('subscription_update');
    c.send({
      t: 'subscription_update',
      p: { action: 'subscribe', topics: ['room:1', 'room:2', 'lobby'], presence: { n: 1 } },
    });
    expect((await c.next('subscription_update')).p.success_topics).toEqual(['room:1', 'room:2', 'lobby']);
    await watcher.next((f) => f.t === 'presence_join' && f.p.user_id === 'nora');

    const narrow = await token('nora', { claims: { wse_topics: { allow: ['room:*'], deny: ['room:2'] } } });
    c.send({ t: 'auth_refresh', p: { token: narrow }, cid: 'r' });
    const r = await c.next('auth_refreshed');
    expect(r.cid).toBe('r');
    expect([...(r.p.revoked_topics as string[])].sort()).toEqual(['lobby', 'room:2']);
    expect(server.connectionInfo(c.id)?.topics.sort()).toEqual(['room:1']);
    await watcher.next((f) => f.t === 'presence_leave' && f.p.user_id === 'nora' && f.p.topic === 'room:2');

    server.broadcast('room:2', { t: 'secret', p: {} });
    server.broadcast('room:1', { t: 'fine', p: {} });
    await c.next('fine');
    expect(c.frames.some((f) => f.t === 'secret')).toBe(false);

    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['room:2'] } });
    const again = await c.next('subscription_update');
    expect((again.p.failed_topics as Array<{ code: string }>)[0]?.code).toBe('FORBIDDEN');
    c.send({ t: 'publish', p: { topic: 'lobby', data: 1 }, cid: 'p' });
    expect((await c.error('FORBIDDEN')).cid).toBe('p');
    c.send({ t: 'presence', p: { topic: 'room:2' }, cid: 'q' });
    expect((await c.error('FORBIDDEN')).cid).toBe('q');
    c.close();
    watcher.close();
  });

  it('an expired token at refresh → AUTH_EXPIRED / 4403', async () => {
    const c = await TestClient.ready(url, {}, await bearer('eve'));
    c.send({ t: 'auth_refresh', p: { token: await token('eve', { expSec: -5 }) } });
    await c.error('AUTH_EXPIRED');
    expect((await c.closed).code).toBe(4403);
  });

  it('a refresh token without exp, or with a malformed wse_topics → AUTH_FAILED / 4401', async () => {
    const noExp = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('finn')
      .sign(new TextEncoder().encode(SECRET));
    const badAcl = await token('finn', { claims: { wse_topics: { allow: 'room:*' } } });
    for (const t of [noExp, badAcl]) {
      const c = await TestClient.ready(url, {}, await bearer('finn'));
      c.send({ t: 'auth_refresh', p: { token: t } });
      await c.error('AUTH_FAILED');
      expect((await c.closed).code).toBe(4401);
    }
  });
});

describe('topic ACL outside subscribe', () => {
  it('publish and presence queries on topics the token does not allow → FORBIDDEN', async () => {
    const t = await token('gus', { claims: { wse_topics: { allow: ['room:*'], deny: ['room:admin'] } } });
    const c = await TestClient.ready(url, {}, { authorization: `Bearer ${t}` });
    for (const topic of ['room:admin', 'other']) {
      c.send({ t: 'publish', p: { topic, data: 'x' }, cid: `pub-${topic}` });
      expect((await c.error('FORBIDDEN')).cid).toBe(`pub-${topic}`);
      for (const type of ['presence', 'presence_stats', 'presence_update']) {
        c.send({ t: type, p: { topic, data: {} }, cid: `${type}-${topic}` });
        expect((await c.error('FORBIDDEN')).cid).toBe(`${type}-${topic}`);
      }
    }
    c.close();
  });

  it('the same topic 10 000 times is refused whole; 128 times subscribes it once', async () => {
    const c = await TestClient.ready(url, {}, await bearer('hal'));
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: Array(10_000).fill('dup') } });
    await c.error('TOO_MANY_SUBSCRIPTIONS');
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: Array(128).fill('dup') } });
    const r = await c.next('subscription_update');
    expect(r.p.success_topics).toEqual(['dup']);
    expect(server.connectionInfo(c.id)?.topics).toEqual(['dup']);
    c.close();
  });
});

describe('alg confusion', () => {
  it('RS256 configured: an HS256 token signed with the PEM public key is refused (door and refresh)', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const rs = await startServer({ auth: { publicKey: pem } });
    try {
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: 'mallory', exp: now + 600 };
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(pem));
      const c = await TestClient.connect(rs.url, {
        headers: { authorization: `Bearer ${forged}` },
        waitReady: false,
      });
      await c.error('AUTH_FAILED');
      expect((await c.closed).code).toBe(4401);

      const good = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
      const d = await TestClient.ready(rs.url, {}, { authorization: `Bearer ${good}` });
      d.send({ t: 'auth_refresh', p: { token: forged } });
      await d.error('AUTH_FAILED');
      expect((await d.closed).code).toBe(4401);
    } finally {
      await rs.server.stop();
    }
  });
});

describe('dev token endpoint', () => {
  const mint = (p: number) =>
    fetch(`http://127.0.0.1:${p}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: 'dev-user' }),
    });

  it('is not served without dev (404), even with a secret', async () => {
    expect((await mint(port)).status).toBe(404);
  });

  it('is served with dev, and its tokens work', async () => {
    const dev = await startServer({ dev: true, host: '0.0.0.0', auth: { secret: SECRET } });
    try {
      const res = await mint(dev.port);
      expect(res.status).toBe(200);
      const { token: t } = (await res.json()) as { token: string };
      const c = await TestClient.ready(dev.url, {}, { authorization: `Bearer ${t}` });
      expect(server.connectionInfo(c.id)).toBeUndefined();
      expect(dev.server.connectionInfo(c.id)?.userId).toBe('dev-user');
      c.close();
    } finally {
      await dev.server.stop();
    }
  });
});
