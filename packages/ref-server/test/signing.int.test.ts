// Message signing on the real server (docs-site/protocol §6): the core client signs with WebCrypto, the server
// verifies with node:crypto before the app sees the message; tampered, old and replayed ones are
// answered INVALID_SIGNATURE and never reach the app.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createClient } from '@wse/core-client';
import { canonicalJson } from '@wse/core-client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WSEServer } from '../src/server';
import { startServer, TestClient } from './helpers';

const KEY = 'shared-signing-key-for-tests';
let server: WSEServer;
let url: string;
const seen: Array<{ t: string; p: Record<string, unknown> }> = [];
beforeAll(async () => {
  ({ server, url } = await startServer({
    requireSignatures: { key: KEY, types: ['order', 'publish'], maxSkewSec: 60 },
    publishPolicy: 'allow',
  }));
  server.on('message', (ev) => {
    seen.push({ t: ev.t, p: ev.p });
    if (ev.cid) server.reply(ev.connId, ev.cid, { ok: true });
  });
});
afterAll(() => server.stop());

function sign(p: unknown, signedAt = Math.floor(Date.now() / 1000), nonce = randomBytes(16).toString('hex')) {
  const hash = createHash('sha256').update(canonicalJson(p)).digest('hex');
  const input = `${hash}:${signedAt}:${nonce}`;
  return `${input}:${createHmac('sha256', KEY).update(input).digest('hex')}`;
}

describe('requireSignatures', () => {
  it('accepts what the core client signs (order and publish), and unsigned types that need none', async () => {
    const c = createClient({ endpoints: url, signing: { key: KEY, types: ['order', 'publish'] } });
    c.on('error', () => {});
    try {
      await c.connect();
      await expect(c.request('order', { sku: 'A-1', qty: 2 })).resolves.toEqual({ ok: true });
      await expect(c.request('chat', { text: 'not signed, not required' })).resolves.toEqual({ ok: true });
      const sub = createClient({ endpoints: url });
      await sub.subscribe(['deals']);
      const got = new Promise((resolve) => sub.on('*', (m) => resolve(m.payload)));
      c.publish('deals', { off: 10 });
      await expect(got).resolves.toEqual({ topic: 'deals', data: { off: 10 } });
      await sub.close();
      expect(seen.filter((s) => s.t === 'order')).toEqual([{ t: 'order', p: { sku: 'A-1', qty: 2 } }]);
    } finally {
      await c.close();
    }
  });

  it('refuses missing, tampered, old and replayed signatures with INVALID_SIGNATURE; the app never sees them', async () => {
    const c = await TestClient.ready(url);
    const before = seen.length;
    const refused = async (env: Record<string, unknown>, reason: string) => {
      const cid = `c-${Math.random()}`;
      c.send({ ...env, cid });
      const err = await c.next((f) => f.cid === cid);
      expect(err.t).toBe('error');
      expect(err.p).toMatchObject({ code: 'INVALID_SIGNATURE', reason });
    };
    const p = { sku: 'B-2', qty: 1 };
    await refused({ t: 'order', p }, 'missing');
    await refused({ t: 'order', p: { ...p, qty: 100 }, sig: sign(p) }, 'hash');
    await refused({ t: 'order', p, sig: sign(p, Math.floor(Date.now() / 1000) - 3600) }, 'expired');
    await refused({ t: 'publish', p: { topic: 'deals', data: 1 } }, 'missing');
    const good = sign(p);
    c.send({ t: 'order', p, sig: good, cid: 'first' });
    expect((await c.next((f) => f.cid === 'first')).t).toBe('response');
    await refused({ t: 'order', p, sig: good }, 'replayed');
    // Inside a batch each message is checked on its own.
    c.send({ t: 'batch', p: { messages: [{ t: 'order', p, sig: good, cid: 'in-batch' }] } });
    expect((await c.next((f) => f.cid === 'in-batch')).p.code).toBe('INVALID_SIGNATURE');
    expect(seen.length).toBe(before + 1);
    c.close();
  });

  it('refuses a bad option at construction', () => {
    expect(() => new WSEServer({ requireSignatures: { key: '', types: 'all' } })).toThrow(
      /requireSignatures/,
    );
  });
});
