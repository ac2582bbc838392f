import { decodeAnyFrame, decryptBytes, E2EChannel, hexToBytes, toBytes } from '@wse/core-client/protocol';
import { loadVectorSessionKey, loadVectors } from '@wse/core-client/testing';
import { describe, expect, it } from 'vitest';
import type { SendStatus, SocketHandle } from '../transport/transport';
import { Connection } from './connection';

/** A socket that records what the connection hands to uWS. */
function fakeSocket() {
  const sent: Array<{ data: string | Uint8Array; binary: boolean }> = [];
  const closes: number[] = [];
  const handle: SocketHandle = {
    closed: false,
    send(data, binary): SendStatus {
      sent.push({ data, binary });
      return 1;
    },
    cork: (fn) => fn(),
    end: (code) => closes.push(code),
    bufferedAmount: () => 0,
    subscribe: () => {},
    unsubscribe: () => {},
  };
  return { handle, sent, closes };
}

function connection(format: 'json' | 'msgpack', threshold = 1024) {
  const conn = new Connection('c1', { userId: 'u', anonymous: true, claims: {} }, '127.0.0.1', format, {
    compressionThreshold: threshold,
    rateLimit: { capacity: 10, refillPerSec: 1 },
    now: () => 0,
    onSent: () => {},
    onSendError: (err) => {
      throw err;
    },
  });
  const socket = fakeSocket();
  conn.handle = socket.handle;
  return { conn, ...socket };
}

const vectors = loadVectors();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('server encode path against the golden vectors', () => {
  const plain = vectors.frames.filter((v) => !v.decodeOnly && v.kind !== 'encrypted');
  it.each(plain.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const { conn, sent } = connection(v.options.format ?? 'json', v.options.compressionThreshold ?? 1024);
    conn.sendEnvelope(v.envelope);
    const frame = sent[0] as { data: string | Uint8Array; binary: boolean };
    expect(hex(toBytes(frame.data))).toBe(v.hex);
    // JSON goes out as a text frame; C:/M: as binary (a "json binary" vector decodes the same text).
    expect(frame.binary).toBe(v.kind !== 'json');
  });

  const encrypted = vectors.frames.filter((v) => v.kind === 'encrypted');
  it.each(encrypted.map((v) => [v.name, v] as const))('%s (fresh IV, same plaintext)', async (_name, v) => {
    const key = await loadVectorSessionKey(v.direction);
    const { conn, sent } = connection(v.options.format ?? 'json');
    conn.e2e = new E2EChannel(1, { send: key, recv: key });
    conn.sendEnvelope(v.envelope);
    await conn.flushed();
    const out = sent[0]?.data as Uint8Array;
    expect(out[0]).toBe(0x45); // 'E'
    const mine = await decodeAnyFrame(out, { key });
    const golden = await decodeAnyFrame(hexToBytes(v.hex), { key });
    expect(mine).toEqual(golden);
    expect(hex(out.subarray(2, 14))).not.toBe(v.iv); // never the fixture IV
  });
});

describe('Connection', () => {
  it('fills seq and cid on events and keeps encrypted frames in order', async () => {
    const key = await loadVectorSessionKey();
    const { conn, sent } = connection('json');
    conn.sendEvent('a', { n: 1 });
    conn.e2e = new E2EChannel(1, { send: key, recv: key });
    for (let i = 0; i < 5; i++) conn.sendEvent('b', { i }, { cid: `x${i}` });
    await conn.flushed();
    const first = await decodeAnyFrame(sent[0]?.data as string);
    expect(first).toMatchObject({ t: 'a', seq: 1 });
    const rest = await Promise.all(sent.slice(1).map((s) => decodeAnyFrame(s.data as Uint8Array, { key })));
    expect(rest.map((e) => [e.p.i, e.seq, e.cid])).toEqual([
      [0, 2, 'x0'],
      [1, 3, 'x1'],
      [2, 4, 'x2'],
      [3, 5, 'x3'],
      [4, 6, 'x4'],
    ]);
  });

  it('never compresses inside E:, nor for a client that said compression: false', async () => {
    const key = await loadVectorSessionKey();
    const big = { pad: 'x'.repeat(4096) };
    const enc = connection('json');
    enc.conn.e2e = new E2EChannel(1, { send: key, recv: key });
    enc.conn.sendEvent('big', big);
    await enc.conn.flushed();
    const inner = await decryptBytes(key, enc.sent[0]?.data as Uint8Array);
    expect(inner[0]).toBe(0x7b); // '{'
    const plain = connection('json');
    plain.conn.sendEvent('big', big);
    expect((plain.sent[0] as { data: Uint8Array }).data[0]).toBe(0x43); // 'C:' by default
    const noZ = connection('json');
    noZ.conn.compress = false;
    noZ.conn.sendEvent('big', big);
    expect(typeof noZ.sent[0]?.data).toBe('string');
    // Rides uWS under the topic's uncompressed name, not one send per publication.
    expect(noZ.conn.uwsVariant).toBe('plain');
    expect(noZ.conn.direct).toBe(false);
    expect(plain.conn.uwsVariant).toBe('compressed');
    expect(enc.conn.uwsVariant).toBe('none');
    expect(connection('msgpack').conn.uwsVariant).toBe('none');
  });

  it('closes after pending encrypted frames and ignores sends after close', async () => {
    const key = await loadVectorSessionKey();
    const { conn, sent, closes } = connection('json');
    conn.e2e = new E2EChannel(1, { send: key, recv: key });
    conn.sendError('AUTH_FAILED', 'no');
    conn.close(4401);
    expect(closes).toEqual([]);
    await conn.flushed();
    await new Promise((r) => setTimeout(r, 0));
    expect(sent.length).toBe(1);
    expect(closes).toEqual([4401]);
  });
});

describe('the send gate (Connection.admits, issue 18)', () => {
  function gated(identity: boolean, requireEncryption: boolean) {
    const socket = fakeSocket();
    const conn = new Connection(
      'c2',
      identity ? { userId: 'u', anonymous: true, claims: {} } : undefined,
      '127.0.0.1',
      'json',
      {
        compressionThreshold: 1024,
        requireEncryption,
        rateLimit: { capacity: 10, refillPerSec: 1 },
        now: () => 0,
        onSent: () => {},
        onSendError: () => {},
      },
    );
    conn.handle = socket.handle;
    const everyPath = () => {
      conn.sendEvent('server_ready', {});
      conn.sendEvent('ping', {});
      conn.sendError('AUTH_REQUIRED', 'token please');
      conn.sendEvent('chat', { secret: 1 });
      conn.sendEvent('error', { code: 'X', secret: 1 }, {}, 'data'); // an app send claiming to be an error
      conn.sendFrame('{"t":"raw"}');
      conn.sendPublication({ envelope: { c: 'U', t: 'pub', p: {} }, json: '{"t":"pub"}' });
      conn.sendEncrypted(new Uint8Array([1]));
      return socket.sent.map((s) => String(s.data));
    };
    return { conn, everyPath };
  }

  it('before authentication: errors only', () => {
    const { conn, everyPath } = gated(false, false);
    expect(conn.direct).toBe(true); // kept off uWS's shared frames
    conn.compress = false;
    expect(conn.uwsVariant).toBe('none'); // …under either name, compression or not
    const sent = everyPath();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('AUTH_REQUIRED');
  });

  it('requireEncryption without a key: control frames and errors, no data', () => {
    const { conn, everyPath } = gated(true, true);
    expect(conn.direct).toBe(true);
    const types = everyPath().map((s) => (JSON.parse(s) as { t: string }).t);
    expect(types).toEqual(['server_ready', 'ping', 'error']);
  });

  it('authenticated, no requireEncryption: everything', () => {
    const { conn, everyPath } = gated(true, false);
    expect(conn.direct).toBe(false);
    expect(everyPath()).toHaveLength(7); // sendEncrypted without a key sends nothing
  });
});
