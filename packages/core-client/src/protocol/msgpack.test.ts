import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors';
import { decodeMsgpack, encodeMsgpack, MAX_DEPTH, scanMsgpack } from './msgpack';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return 'ok';
}

// {a: {a: ... {a: null}}} with `depth` maps.
function nestedMaps(depth: number): Uint8Array {
  const out = new Uint8Array(depth * 3 + 1);
  for (let i = 0; i < depth; i++) out.set([0x81, 0xa1, 0x61], i * 3);
  out[depth * 3] = 0xc0;
  return out;
}

describe('scanMsgpack', () => {
  it('accepts depth 64 and rejects 65', () => {
    expect(codeOf(() => scanMsgpack(nestedMaps(MAX_DEPTH)))).toBe('ok');
    expect(codeOf(() => scanMsgpack(nestedMaps(MAX_DEPTH + 1)))).toBe('MSGPACK_TOO_DEEP');
  });

  it('rejects truncation, trailing bytes, lying lengths, bin/ext and non-string keys', () => {
    expect(codeOf(() => scanMsgpack(new Uint8Array([0x81, 0xa1])))).toBe('TRUNCATED_FRAME');
    expect(codeOf(() => scanMsgpack(new Uint8Array([0x80, 0x00])))).toBe('MSGPACK_INVALID');
    expect(codeOf(() => scanMsgpack(new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff])))).toBe('TRUNCATED_FRAME');
    expect(codeOf(() => scanMsgpack(new Uint8Array([0x81, 0xdb, 0xff, 0xff, 0xff, 0xff])))).toBe(
      'TRUNCATED_FRAME',
    );
    expect(codeOf(() => scanMsgpack(new Uint8Array([0x81, 0xa1, 0x61, 0xd4, 0x00, 0x00])))).toBe(
      'MSGPACK_INVALID',
    );
    expect(codeOf(() => scanMsgpack(new Uint8Array([0x81, 0x01, 0x02])))).toBe('MSGPACK_INVALID');
    expect(codeOf(() => scanMsgpack(new Uint8Array([0x81, 0xa1, 0x61, 0xc1])))).toBe('MSGPACK_INVALID');
    expect(codeOf(() => scanMsgpack(new Uint8Array([0x92, 0x01, 0x02])))).toBe('NOT_AN_OBJECT');
  });

  it('round-trips through msgpackr with small maps as fixmap', () => {
    const value = { t: 'x', p: { big: 2 ** 40, neg: -5, f: 1.5, s: 'ż', a: [null, true], u: undefined } };
    const bytes = encodeMsgpack(value);
    expect(bytes[0]).toBe(0x82);
    expect(decodeMsgpack(bytes)).toEqual({ ...value, p: { ...value.p, u: null } });
  });

  it('turns __proto__ keys into plain data, not a prototype', () => {
    const bytes = new Uint8Array([
      0x81,
      0xa9,
      ...new TextEncoder().encode('__proto__'),
      0x81,
      0xa1,
      0x78,
      0x01,
    ]);
    const out = decodeMsgpack(bytes) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { x?: number }).x).toBeUndefined();
  });
});
