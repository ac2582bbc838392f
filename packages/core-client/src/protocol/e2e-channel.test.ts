import { describe, expect, it } from 'vitest';
import { deriveDirectionalKeys, deriveSessionKey, generateKeyPair } from './crypto';
import { counterIv, E2EChannel, type E2EVersion } from './e2e-channel';
import { ProtocolError } from './errors';
import { decodeAnyFrame, decodeFrame } from './frame';

const text = (s: string) => new TextEncoder().encode(s);
const plain = (b: Uint8Array) => new TextDecoder().decode(b);

async function pair(version: E2EVersion): Promise<{ client: E2EChannel; server: E2EChannel }> {
  const c = await generateKeyPair();
  const s = await generateKeyPair();
  if (version === 1) {
    const k1 = await deriveSessionKey(c.privateKey, s.publicKey);
    const k2 = await deriveSessionKey(s.privateKey, c.publicKey);
    return {
      client: new E2EChannel(1, { send: k1, recv: k1 }),
      server: new E2EChannel(1, { send: k2, recv: k2 }),
    };
  }
  const kc = await deriveDirectionalKeys(c.privateKey, s.publicKey);
  const ks = await deriveDirectionalKeys(s.privateKey, c.publicKey);
  return {
    client: new E2EChannel(2, { send: kc.c2s, recv: kc.s2c }),
    server: new E2EChannel(2, { send: ks.s2c, recv: ks.c2s }),
  };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProtocolError);
  return (err as ProtocolError).code;
}

describe('counterIv', () => {
  it('is 4 zero bytes and a u64 big-endian counter', () => {
    expect(Buffer.from(counterIv(1)).toString('hex')).toBe('000000000000000000000001');
    expect(Buffer.from(counterIv(2 ** 32 + 5)).toString('hex')).toBe('000000000000000100000005');
  });
});

describe('E2E version 2', () => {
  it('round-trips in both directions with counters from 0', async () => {
    const { client, server } = await pair(2);
    const f0 = await client.seal(text('{"t":"a"}'));
    const f1 = await client.seal(text('{"t":"b"}'));
    expect(Buffer.from(f0.subarray(2, 14)).toString('hex')).toBe('000000000000000000000000');
    expect(Buffer.from(f1.subarray(2, 14)).toString('hex')).toBe('000000000000000000000001');
    expect(plain(await server.open(f0))).toBe('{"t":"a"}');
    expect(plain(await server.open(f1))).toBe('{"t":"b"}');
    expect(plain(await client.open(await server.seal(text('{"t":"c"}'))))).toBe('{"t":"c"}');
  });

  it('refuses a replayed frame', async () => {
    const { client, server } = await pair(2);
    const f0 = await client.seal(text('{"t":"a"}'));
    await server.open(f0);
    expect(await refusal(server.open(f0))).toBe('REPLAYED_FRAME');
  });

  it('refuses a reordered frame', async () => {
    const { client, server } = await pair(2);
    await client.seal(text('{"t":"a"}'));
    const f1 = await client.seal(text('{"t":"b"}'));
    expect(await refusal(server.open(f1))).toBe('REPLAYED_FRAME');
  });

  it('refuses a reflected frame (a server frame echoed back to the server)', async () => {
    const { server } = await pair(2);
    const out = await server.seal(text('{"t":"x"}'));
    // Same counter (0) as the server expects: only the per-direction key tells them apart.
    expect(await refusal(server.open(out))).toBe('DECRYPT_FAILED');
  });

  it('rotates: the sender restarts at 0, the server switches at the first frame under the new key', async () => {
    const { client, server } = await pair(2);
    await server.open(await client.seal(text('{"t":"rekey"}'))); // counter 0 under the old key
    // Both sides get a fresh directional pair, as a rotation gives them.
    const c = await generateKeyPair();
    const s = await generateKeyPair();
    const kc = await deriveDirectionalKeys(c.privateKey, s.publicKey);
    const ks = await deriveDirectionalKeys(s.privateKey, c.publicKey);
    server.expectRecv(ks.c2s);
    const old1 = await client.seal(text('{"t":"old"}')); // still old key, counter 1
    client.rotateSend(kc.c2s);
    const new0 = await client.seal(text('{"t":"new"}'));
    expect(plain(await server.open(old1))).toBe('{"t":"old"}');
    expect(server.rotating).toBe(true);
    expect(plain(await server.open(new0))).toBe('{"t":"new"}');
    expect(server.rotating).toBe(false);
    // A replay of the old-key frame: counter 1 is now the new key's next, and it fails to open.
    expect(await refusal(server.open(old1))).toBe('DECRYPT_FAILED');
    expect(await refusal(server.open(new0))).toBe('REPLAYED_FRAME');
  });
});

describe('E2E version 1', () => {
  it('round-trips with random IVs', async () => {
    const { client, server } = await pair(1);
    const a = await client.seal(text('{"t":"a"}'));
    const b = await client.seal(text('{"t":"a"}'));
    expect(Buffer.from(a.subarray(2, 14))).not.toEqual(Buffer.from(b.subarray(2, 14)));
    expect(plain(await server.open(b))).toBe('{"t":"a"}');
    expect(plain(await server.open(a))).toBe('{"t":"a"}'); // fresh frames out of order: no counter
  });

  it('refuses a replayed frame, also after later frames (a reordered replay)', async () => {
    const { client, server } = await pair(1);
    const a = await client.seal(text('{"t":"a"}'));
    await server.open(a);
    expect(await refusal(server.open(a))).toBe('REPLAYED_FRAME');
    await server.open(await client.seal(text('{"t":"b"}')));
    expect(await refusal(server.open(a))).toBe('REPLAYED_FRAME');
  });

  it('refuses a reflected frame (one key both ways, so only the IV mark catches it)', async () => {
    const { server } = await pair(1);
    const out = await server.seal(text('{"t":"x"}'));
    expect(await refusal(server.open(out))).toBe('REPLAYED_FRAME');
  });

  it('keeps the replay cache bounded (oldest IV forgotten first)', async () => {
    const { client } = await pair(1);
    const k = await generateKeyPair();
    const s = await generateKeyPair();
    const key = await deriveSessionKey(k.privateKey, s.publicKey);
    const sender = new E2EChannel(1, { send: key, recv: key });
    const receiver = new E2EChannel(1, { send: key, recv: key }, 2);
    const frames = [];
    for (let i = 0; i < 3; i++) frames.push(await sender.seal(text(`{"t":"m${i}"}`)));
    for (const f of frames) await receiver.open(f);
    expect(await refusal(receiver.open(frames[2]!))).toBe('REPLAYED_FRAME');
    expect(plain(await receiver.open(frames[0]!))).toBe('{"t":"m0"}'); // evicted: the documented bound
    expect(client.version).toBe(1);
  });

  it('forged frames take no room in the replay cache, also when they fail between later frames', async () => {
    const key = await deriveSessionKey(
      (await generateKeyPair()).privateKey,
      (await generateKeyPair()).publicKey,
    );
    const sender = new E2EChannel(1, { send: key, recv: key });
    const receiver = new E2EChannel(1, { send: key, recv: key }, 3);
    const f = async (t: string) => sender.seal(text(`{"t":"${t}"}`));
    const forged = async () => {
      const frame = await f('x');
      frame.set(globalThis.crypto.getRandomValues(new Uint8Array(12)), 2); // an IV the tag does not cover
      return frame;
    };
    const [a, b, c, d, e] = [await f('a'), await f('b'), await f('c'), await f('d'), await f('e')];
    await receiver.open(a);
    await receiver.open(b);
    for (let i = 0; i < 10; i++) expect(await refusal(receiver.open(await forged()))).toBe('DECRYPT_FAILED');
    expect(await refusal(receiver.open(a))).toBe('REPLAYED_FRAME'); // a flood of forgeries evicts nothing
    // A forgery that fails after a later frame was taken: {a, b, forged} + c → {b, forged, c} → {b, c}.
    const [bad, good] = await Promise.allSettled([receiver.open(await forged()), receiver.open(c)]);
    expect(bad.status).toBe('rejected');
    expect(good.status).toBe('fulfilled');
    await receiver.open(d); // {b, c, d}: the forgery's slot was given back
    expect(await refusal(receiver.open(b))).toBe('REPLAYED_FRAME');
    await receiver.open(e); // {c, d, e}
    expect(plain(await receiver.open(b))).toBe('{"t":"b"}'); // evicted at last: the documented bound
  });

  it('refuses a replay cache size that is not an integer (≤ 0 turns the cache off)', async () => {
    const key = await deriveSessionKey(
      (await generateKeyPair()).privateKey,
      (await generateKeyPair()).publicKey,
    );
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new E2EChannel(1, { send: key, recv: key }, bad)).toThrow(RangeError);
    const off = new E2EChannel(1, { send: key, recv: key }, 0);
    const frame = await new E2EChannel(1, { send: key, recv: key }).seal(text('{"t":"a"}'));
    await off.open(frame);
    expect(plain(await off.open(frame))).toBe('{"t":"a"}'); // no cache: the documented opt-out
  });

  it('rotation: the trial under the pending key survives the caller reusing its buffer', async () => {
    const { client, server } = await pair(1);
    const c = await generateKeyPair();
    const s = await generateKeyPair();
    const k = await deriveSessionKey(c.privateKey, s.publicKey);
    server.expectRecv(k);
    client.rotateSend(k);
    const fresh = await client.seal(text('{"t":"new"}'));
    const opening = server.open(fresh);
    fresh.fill(0); // what uWS does to a message buffer once its callback returns
    expect(plain(await opening)).toBe('{"t":"new"}');
  });

  it('rotation: an old-key frame still opens until the first new-key frame', async () => {
    const { client, server } = await pair(1);
    const c = await generateKeyPair();
    const s = await generateKeyPair();
    const k = await deriveSessionKey(c.privateKey, s.publicKey);
    server.expectRecv(k);
    const old = await client.seal(text('{"t":"old"}'));
    client.rotateSend(k);
    const fresh = await client.seal(text('{"t":"new"}'));
    expect(plain(await server.open(old))).toBe('{"t":"old"}');
    expect(plain(await server.open(fresh))).toBe('{"t":"new"}');
    // The old key is gone after the switch: a fresh frame under it no longer opens.
    expect(await refusal(server.open(await client2(old, k)))).toBe('DECRYPT_FAILED');
  });
});

// A new v1 frame under a key other than `k` (the server's old key was the pair's; any other fails).
async function client2(_old: Uint8Array, k: CryptoKey): Promise<Uint8Array> {
  const c = await generateKeyPair();
  const s = await generateKeyPair();
  const other = await deriveSessionKey(c.privateKey, s.publicKey);
  expect(other).not.toBe(k);
  return new E2EChannel(1, { send: other, recv: other }).seal(text('{"t":"stale"}'));
}

describe('frames with the older category prefix (docs-site/protocol §1)', () => {
  it.each(['WSE', 'S', 'U'])('%s{…} decodes as text and as binary', (prefix) => {
    const json = `${prefix}{"t":"client_hello","p":{"x":1}}`;
    expect(decodeFrame(json).t).toBe('client_hello');
    expect(decodeFrame(text(json)).p).toEqual({ x: 1 });
  });

  it('also inside E:', async () => {
    const { client, server } = await pair(2);
    const sealed = await client.seal(text('WSE{"t":"ping","p":{}}'));
    const env = await decodeAnyFrame(sealed, { open: (b) => server.open(b) });
    expect(env.t).toBe('ping');
    expect(env.encrypted).toBe(true);
  });

  it('anything else before { is still refused', () => {
    expect(() => decodeFrame('X{"t":"a"}')).toThrow(ProtocolError);
    expect(() => decodeFrame(text('WS{"t":"a"}'))).toThrow(ProtocolError);
  });
});
