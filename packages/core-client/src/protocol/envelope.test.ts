import { describe, expect, it } from 'vitest';
import { buildEnvelope, categoryOf, PROTOCOL_TYPES, parseEnvelope, uuidv7 } from './envelope';
import { ProtocolError } from './errors';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  throw new Error('did not throw');
};

describe('categoryOf', () => {
  it('applies the category rule', () => {
    expect(categoryOf('orders_snapshot')).toBe('S');
    expect(categoryOf('snapshot_orders')).toBe('S');
    expect(categoryOf('server_ready')).toBe('WSE');
    expect(categoryOf('PONG')).toBe('WSE');
    expect(categoryOf('chat_message')).toBe('U');
  });

  it('knows every protocol type named in docs-site/protocol', () => {
    const named =
      'server_ready client_hello server_hello ping PONG error auth_refresh auth_refreshed ' +
      'subscription_update subscription subscribe publish presence presence_join presence_leave ' +
      'presence_update presence_stats rate_limit_warning batch config_update';
    for (const t of named.split(' ')) expect(PROTOCOL_TYPES.has(t), t).toBe(true);
  });
});

describe('uuidv7', () => {
  it('has version 7, the RFC variant and the timestamp in front', () => {
    const id = uuidv7(0x0190f3a07c00, (b) => b.fill(0xff));
    expect(id).toBe('0190f3a0-7c00-7fff-bfff-ffffffffffff');
    expect(uuidv7()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts by time', () => {
    expect(uuidv7(1000) < uuidv7(2000)).toBe(true);
  });

  it('writes every random byte in place, in order (table lookup, shared scratch buffer)', () => {
    const counting = (b: Uint8Array) => {
      for (let i = 0; i < b.length; i++) b[i] = 0x10 * i + i; // 00 11 22 … ff
    };
    expect(uuidv7(0, counting)).toBe('00000000-0000-7677-8899-aabbccddeeff');
    // A second call does not see the first call's bytes.
    expect(uuidv7(0, (b) => b.fill(0))).toBe('00000000-0000-7000-8000-000000000000');
    // The timestamp part is cached per millisecond: it must follow every change of `now`.
    const zero = (b: Uint8Array) => b.fill(0);
    expect(uuidv7(0x0190f3a07c00, zero).slice(0, 14)).toBe('0190f3a0-7c00-');
    expect(uuidv7(0x0190f3a07c01, zero).slice(0, 14)).toBe('0190f3a0-7c01-');
    expect(uuidv7(0x0190f3a07c00, zero).slice(0, 14)).toBe('0190f3a0-7c00-');
    expect(uuidv7(0xffffffffffff, zero).slice(0, 14)).toBe('ffffffff-ffff-');
  });
});

describe('buildEnvelope', () => {
  it('fills c, id, ts and v in canonical order', () => {
    const env = buildEnvelope(
      'chat_message',
      { text: 'hi' },
      { now: Date.UTC(2024, 6, 1), cid: 'r1', pri: 8 },
    );
    expect(env).toMatchObject({
      c: 'U',
      t: 'chat_message',
      p: { text: 'hi' },
      ts: '2024-07-01T00:00:00.000Z',
      v: 1,
    });
    expect(Object.keys(env)).toEqual(['c', 't', 'p', 'id', 'ts', 'v', 'cid', 'pri']);
    expect(env.id!.startsWith('01906')).toBe(true);
  });

  it('writes the recovery stamp', () => {
    const env = buildEnvelope('tick', {}, { stamp: { topic: 'a', epoch: 'deadbeef', offset: 0 } });
    expect([env.tp, env.e, env.o]).toEqual(['a', 'deadbeef', 0]);
  });

  it('validates what it builds', () => {
    expect(code(() => buildEnvelope(''))).toBe('MISSING_TYPE');
    expect(code(() => buildEnvelope('x', {}, { pri: 11 }))).toBe('INVALID_FIELD');
    expect(code(() => buildEnvelope('x', {}, { stamp: { topic: 't', epoch: 'xyz', offset: 1 } }))).toBe(
      'INVALID_FIELD',
    );
  });
});

describe('parseEnvelope', () => {
  it('accepts type/payload aliases and drops unknown fields', () => {
    expect(parseEnvelope({ type: 'ping', payload: { a: 1 }, junk: true })).toEqual({
      c: 'WSE',
      t: 'ping',
      p: { a: 1 },
    });
  });

  it('keeps every valid field, in canonical key order, whatever the input order', () => {
    const env = parseEnvelope({
      sig: 'h:1:n:m',
      o: 0,
      e: '09af09af',
      tp: 'room',
      pri: 10,
      cid: 'r1',
      v: 1,
      seq: 0,
      ts: 'now',
      id: 'i',
      p: {},
      t: 'x',
      c: 'U',
    });
    expect(Object.keys(env)).toEqual([
      'c',
      't',
      'p',
      'id',
      'ts',
      'seq',
      'v',
      'cid',
      'pri',
      'tp',
      'e',
      'o',
      'sig',
    ]);
    expect(env).toMatchObject({
      seq: 0,
      v: 1,
      cid: 'r1',
      pri: 10,
      tp: 'room',
      e: '09af09af',
      o: 0,
      sig: 'h:1:n:m',
    });
  });

  it('defaults p to {} and keeps an explicit c', () => {
    expect(parseEnvelope({ t: 'x', c: 'S' })).toEqual({ c: 'S', t: 'x', p: {} });
  });

  it.each([
    [null, 'NOT_AN_OBJECT'],
    [[1], 'NOT_AN_OBJECT'],
    ['str', 'NOT_AN_OBJECT'],
    [{}, 'MISSING_TYPE'],
    [{ t: '' }, 'MISSING_TYPE'],
    [{ t: 1 }, 'INVALID_FIELD'],
    [{ t: 'x', p: [] }, 'INVALID_FIELD'],
    [{ t: 'x', c: 'X' }, 'INVALID_FIELD'],
    [{ t: 'x', id: 5 }, 'INVALID_FIELD'],
    [{ t: 'x', seq: -1 }, 'INVALID_FIELD'],
    [{ t: 'x', seq: 1.5 }, 'INVALID_FIELD'],
    [{ t: 'x', v: 0 }, 'INVALID_FIELD'],
    [{ t: 'x', pri: 0 }, 'INVALID_FIELD'],
    [{ t: 'x', tp: 'a' }, 'INVALID_FIELD'],
    [{ t: 'x', tp: 'a', e: 'abcdef0', o: 1 }, 'INVALID_FIELD'],
    [{ t: 'x', tp: 'a', e: 'abcdef01', o: 2 ** 53 }, 'INVALID_FIELD'],
    // Every field of the named-load readers (issue 16), so no check can silently drop out.
    [{ t: 'x', ts: 5 }, 'INVALID_FIELD'],
    [{ t: 'x', cid: 5 }, 'INVALID_FIELD'],
    [{ t: 'x', seq: '1' }, 'INVALID_FIELD'],
    [{ t: 'x', v: 1.5 }, 'INVALID_FIELD'],
    [{ t: 'x', pri: 11 }, 'INVALID_FIELD'],
    [{ t: 'x', pri: 2.5 }, 'INVALID_FIELD'],
    [{ t: 'x', e: 'abcdef01', o: 1 }, 'INVALID_FIELD'],
    [{ t: 'x', tp: '', e: 'abcdef01', o: 1 }, 'INVALID_FIELD'],
    [{ t: 'x', tp: 'a', e: 'ABCDEF01', o: 1 }, 'INVALID_FIELD'],
    [{ t: 'x', tp: 'a', e: 'abcdef0g', o: 1 }, 'INVALID_FIELD'],
    [{ t: 'x', tp: 'a', e: 'abcdef012', o: 1 }, 'INVALID_FIELD'],
    [{ t: 'x', tp: 'a', e: 'abcd/f01', o: 1 }, 'INVALID_FIELD'],
    [{ t: 'x', tp: 'a', e: 'abcd:f01', o: 1 }, 'INVALID_FIELD'],
    [{ t: 'x', tp: 'a', e: 'abcdef01' }, 'INVALID_FIELD'],
    [{ t: 'x', sig: 5 }, 'INVALID_FIELD'],
  ])('rejects %j with %s', (value, expected) => {
    expect(code(() => parseEnvelope(value))).toBe(expected);
  });
});
