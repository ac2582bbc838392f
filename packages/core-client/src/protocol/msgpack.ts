/**
 * MessagePack for `M:` frames, through msgpackr, behind a structural pre-scan.
 *
 * msgpackr decodes recursively, so a 10 000-deep value would overflow the stack inside it. The
 * pre-scan walks the bytes iteratively first and rejects, before msgpackr sees a byte:
 * nesting deeper than {@link MAX_DEPTH}, truncated values, trailing bytes, the never-used byte
 * 0xc1, `bin`/`ext` values (not JSON-representable: the server fans the same envelope out to JSON
 * clients) and non-string map keys. What passes the scan is a JSON-equivalent value.
 */
import { Packr, Unpackr } from 'msgpackr';
import { ProtocolError } from './errors';
import type { MsgpackCodec } from './frame-core';
import { MAX_DEPTH } from './limits';

// JSON frames share the bound (`limits.ts`); re-exported for the API.
export { MAX_DEPTH } from './limits';

// variableMapSize: fixmap for small objects (what other msgpack libraries emit, and smaller).
const packr = new Packr({ useRecords: false, variableMapSize: true, encodeUndefinedAsNil: true });
// int64AsType 'number': never hand BigInt to code that will JSON.stringify the envelope.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

// Value kinds the scan distinguishes (plain constants: const enums do not survive isolatedModules).
const Kind = { Scalar: 0, Str: 1, Array: 2, Map: 3 } as const;
type KindValue = (typeof Kind)[keyof typeof Kind];

/** Header of one msgpack value: its kind, header size, payload bytes (scalars/strings) or item count. */
interface Head {
  kind: KindValue;
  size: number;
  n: number;
}

function fail(code: 'MSGPACK_INVALID' | 'TRUNCATED_FRAME', message: string): never {
  throw new ProtocolError(code, message);
}

function readLen(b: Uint8Array, at: number, width: number): number {
  if (at + width > b.length) fail('TRUNCATED_FRAME', 'msgpack value cut short');
  let n = 0;
  for (let i = 0; i < width; i++) n = n * 256 + b[at + i]!;
  return n;
}

// Payload bytes of the fixed-size scalars: nil, false, true, float32/64, uint8..64, int8..64.
// biome-ignore format: a table
const FIXED_SIZE: Record<number, number> = {
  192: 0, 194: 0, 195: 0, 202: 4, 203: 8, 204: 1, 205: 2, 206: 4, 207: 8,
  208: 1, 209: 2, 210: 4, 211: 8,
};

// Decodes the header at `at`; string/scalar payload lengths are in `n` (bytes), containers' in items.
function head(b: Uint8Array, at: number): Head {
  const x = b[at]!;
  if (x <= 0x7f || x >= 0xe0) return { kind: Kind.Scalar, size: 1, n: 0 };
  if (x <= 0x8f) return { kind: Kind.Map, size: 1, n: x & 0x0f };
  if (x <= 0x9f) return { kind: Kind.Array, size: 1, n: x & 0x0f };
  if (x <= 0xbf) return { kind: Kind.Str, size: 1, n: x & 0x1f };
  const fixed = FIXED_SIZE[x];
  if (fixed !== undefined) return { kind: Kind.Scalar, size: 1, n: fixed };
  switch (x) {
    case 0xd9:
      return { kind: Kind.Str, size: 2, n: readLen(b, at + 1, 1) };
    case 0xda:
      return { kind: Kind.Str, size: 3, n: readLen(b, at + 1, 2) };
    case 0xdb:
      return { kind: Kind.Str, size: 5, n: readLen(b, at + 1, 4) };
    case 0xdc:
      return { kind: Kind.Array, size: 3, n: readLen(b, at + 1, 2) };
    case 0xdd:
      return { kind: Kind.Array, size: 5, n: readLen(b, at + 1, 4) };
    case 0xde:
      return { kind: Kind.Map, size: 3, n: readLen(b, at + 1, 2) };
    case 0xdf:
      return { kind: Kind.Map, size: 5, n: readLen(b, at + 1, 4) };
    default:
      // 0xc1 (never used), bin 0xc4-0xc6, ext 0xc7-0xc9, fixext 0xd4-0xd8.
      return fail('MSGPACK_INVALID', `msgpack type 0x${x.toString(16)} is not allowed in an envelope`);
  }
}

/**
 * Checks msgpack bytes without decoding them: one complete value, a map at the top, nesting at
 * most `maxDepth`, only JSON-equivalent types. Iterative; O(bytes) time, O(maxDepth) memory.
 * Throws `ProtocolError` MSGPACK_TOO_DEEP / MSGPACK_INVALID / TRUNCATED_FRAME / NOT_AN_OBJECT.
 *
 * @example
 * scanMsgpack(new Uint8Array([0x81, 0xa1, 0x74, 0xa1, 0x78])); // {t:'x'}: passes
 */
export function scanMsgpack(b: Uint8Array, maxDepth: number = MAX_DEPTH): void {
  if (b.length === 0) fail('TRUNCATED_FRAME', 'empty msgpack body');
  if (head(b, 0).kind !== Kind.Map)
    throw new ProtocolError('NOT_AN_OBJECT', 'msgpack envelope must be a map');
  // left[d]: items still expected in the container at depth d (maps count keys and values).
  const left = new Float64Array(maxDepth + 1);
  const isMap = new Uint8Array(maxDepth + 1);
  let depth = 0;
  let pos = 0;
  left[0] = 1; // the root "container" holds exactly one value
  while (depth >= 0) {
    if (left[depth] === 0) {
      depth--;
      continue;
    }
    if (pos >= b.length) fail('TRUNCATED_FRAME', 'msgpack value cut short');
    const h = head(b, pos);
    const isKey = isMap[depth] === 1 && left[depth]! % 2 === 0;
    if (isKey && h.kind !== Kind.Str) fail('MSGPACK_INVALID', 'msgpack map keys must be strings');
    left[depth]!--;
    pos += h.size;
    if (h.kind === Kind.Array || h.kind === Kind.Map) {
      if (depth + 1 > maxDepth)
        throw new ProtocolError('MSGPACK_TOO_DEEP', `msgpack nesting exceeds ${maxDepth}`);
      const items = h.kind === Kind.Map ? h.n * 2 : h.n;
      // Every item takes at least one byte: a count beyond the rest of the input is a lie.
      if (items > b.length - pos) fail('TRUNCATED_FRAME', 'msgpack container longer than its frame');
      depth++;
      left[depth] = items;
      isMap[depth] = h.kind === Kind.Map ? 1 : 0;
    } else {
      pos += h.n;
      if (pos > b.length) fail('TRUNCATED_FRAME', 'msgpack value cut short');
    }
  }
  if (pos !== b.length) fail('MSGPACK_INVALID', 'trailing bytes after the msgpack value');
}

/**
 * Scans, then decodes msgpack bytes to a plain value. Throws only `ProtocolError`.
 *
 * @example
 * decodeMsgpack(encodeMsgpack({ t: 'x' })); // { t: 'x' }
 */
export function decodeMsgpack(b: Uint8Array): unknown {
  scanMsgpack(b);
  try {
    return unpackr.unpack(b);
  } catch (cause) {
    throw new ProtocolError('MSGPACK_INVALID', 'msgpack decoding failed', { cause });
  }
}

/**
 * Encodes a value as msgpack (objects as maps in insertion order, floats as float64).
 * Returns a fresh Uint8Array (msgpackr returns views of a shared buffer).
 *
 * @example
 * encodeMsgpack({ t: 'x' }); // Uint8Array [0x81, 0xa1, 0x74, 0xa1, 0x78]
 */
export function encodeMsgpack(value: unknown): Uint8Array {
  return packWithPrefix(value, new Uint8Array(0));
}

/** `prefix ‖ msgpack(value)` in one fresh buffer (the frame encoder's single copy). */
export function packWithPrefix(value: unknown, prefix: Uint8Array): Uint8Array {
  let packed: Uint8Array;
  try {
    packed = packr.pack(value);
  } catch (cause) {
    throw new ProtocolError('INVALID_FIELD', 'value cannot be encoded as msgpack', { cause });
  }
  const out = new Uint8Array(prefix.length + packed.length);
  out.set(prefix);
  out.set(packed, prefix.length);
  return out;
}

/**
 * This module as the frame rules' msgpack provider (`frame-core.ts`).
 *
 * @example
 * decodeFrameWith({ msgpack: msgpackCodec }, frame);
 */
export const msgpackCodec: MsgpackCodec = Object.freeze({ decode: decodeMsgpack, packWithPrefix });
