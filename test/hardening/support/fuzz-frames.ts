/**
 * Frames for the wire fuzzer, from fast-check arbitraries sampled with a fixed seed (a failing run
 * is reproduced by its seed): random shapes of every client message type, in every encoding and
 * prefix (none, `C:`, `M:`, `E:`, `WSE{`), mutated and truncated bytes, deep nesting, zlib bombs
 * and oversize frames. {@link isInvalid} says which of them the server must answer with an error
 * (or a close code).
 *
 * @module
 */
import { deflateSync } from 'node:zlib';
import { decodeFrame, encodeMsgpack } from '@wse/core-client/protocol';
import fc from 'fast-check';

export type WireFrame = string | Uint8Array;

const topic = fc.oneof(
  fc.constantFrom(
    'news',
    'pub:a',
    'pub:b',
    'room',
    '__proto__',
    'constructor',
    '',
    'x'.repeat(300),
    'secret:1',
  ),
  fc.string({ maxLength: 12 }),
);
const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, -1, 1e308, '\u0000', '\ud800', [], {}),
);
const env = (t: string, p: fc.Arbitrary<unknown>, extra: Record<string, fc.Arbitrary<unknown>> = {}) =>
  fc.record(
    { t: fc.constant(t), p, cid: fc.string({ maxLength: 6 }), ...extra },
    { requiredKeys: ['t', 'p'] },
  );

/** Random shapes for every message type a client may send (and a few it may not). */
export const envelope: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  env(
    'client_hello',
    fc.record(
      {
        client_version: fc.string(),
        protocol_version: fc.oneof(fc.constant(1), fc.integer()),
        features: fc.dictionary(
          fc.constantFrom('compression', 'msgpack', 'encryption', 'batching', '__proto__'),
          nasty,
        ),
        token: fc.oneof(fc.string({ maxLength: 40 }), nasty),
      },
      { requiredKeys: [] },
    ),
  ),
  env(
    'subscription_update',
    fc.record(
      {
        action: fc.constantFrom('subscribe', 'unsubscribe', 'subscribe', 'x', ''),
        topics: fc.oneof(fc.array(topic, { maxLength: 24 }), nasty),
        presence: nasty,
        recover: fc.boolean(),
        recovery: fc.dictionary(
          topic,
          fc.record({ epoch: fc.string({ maxLength: 9 }), offset: fc.integer() }),
        ),
        queue_group: fc.string({ maxLength: 8 }),
      },
      { requiredKeys: ['action'] },
    ),
  ),
  env('subscribe', fc.record({ topics: fc.array(topic, { maxLength: 5 }) })),
  env('publish', fc.record({ topic, data: fc.oneof(nasty, fc.record({ t: fc.string(), p: nasty })) })),
  env('ping', fc.record({ timestamp: nasty }, { requiredKeys: [] })),
  env('PONG', fc.record({ server_time: nasty, client_timestamp: nasty }, { requiredKeys: [] })),
  env('presence', fc.record({ topic })),
  env('presence_stats', fc.record({ topic })),
  env('presence_update', fc.record({ topic, data: nasty })),
  env('auth_refresh', fc.record({ token: fc.string({ maxLength: 30 }) })),
  env(
    'batch',
    fc.record({
      messages: fc.array(fc.record({ t: fc.constantFrom('ping', 'chat', 'batch'), p: nasty }), {
        maxLength: 8,
      }),
      count: nasty,
    }),
  ),
  env('e2e_rekey', fc.record({ encryption_public_key: fc.string() })),
  fc.record({
    t: fc.constantFrom('chat', 'server_hello', 'error', 'presence_join'),
    p: nasty,
    cid: fc.string(),
  }),
  fc.record({ type: fc.constantFrom('chat', 'publish', 'ping'), payload: nasty }),
);

type Encoding = 'text' | 'binary' | 'zlib' | 'msgpack' | 'legacy';
function encode(value: unknown, encoding: Encoding): WireFrame {
  const json = JSON.stringify(value) ?? 'null';
  if (encoding === 'text') return json;
  if (encoding === 'legacy') return `WSE${json}`;
  if (encoding === 'binary') return new TextEncoder().encode(json);
  if (encoding === 'zlib') return new Uint8Array(Buffer.concat([Buffer.from('C:'), deflateSync(json)]));
  try {
    return new Uint8Array(Buffer.concat([Buffer.from('M:'), encodeMsgpack(JSON.parse(json))]));
  } catch {
    return json;
  }
}

function mangle(
  frame: WireFrame,
  ops: Array<{ at: number; kind: 'flip' | 'truncate'; byte: number }>,
): WireFrame {
  let b = Buffer.from(typeof frame === 'string' ? Buffer.from(frame) : frame);
  for (const o of ops) {
    const at = b.length === 0 ? 0 : o.at % b.length;
    if (o.kind === 'flip') b[at] = (b[at] ?? 0) ^ (o.byte || 1);
    else b = b.subarray(0, at);
  }
  return new Uint8Array(b);
}

/** A well-formed frame of a random type and shape, in a random encoding. */
const shaped = fc
  .tuple(envelope, fc.constantFrom<Encoding>('text', 'text', 'binary', 'zlib', 'msgpack', 'legacy'))
  .map(([e, enc]) => encode(e, enc));

const mutated = fc
  .tuple(
    shaped,
    fc.array(
      fc.record({
        at: fc.nat(),
        kind: fc.constantFrom<'flip' | 'truncate'>('flip', 'truncate'),
        byte: fc.nat(255),
      }),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
  )
  .map(([f, ops]) => mangle(f, ops));

const prefixed = fc
  .tuple(fc.constantFrom('C:', 'M:', 'E:', 'WSE{', '{', ''), fc.uint8Array({ maxLength: 160 }))
  .map(([p, b]) => new Uint8Array(Buffer.concat([Buffer.from(p), b])));

/** A JSON text nested `depth` arrays deep inside an app message. */
export const deepJson = (depth: number): string =>
  `{"t":"chat","p":{"d":${'['.repeat(depth)}1${']'.repeat(depth)}}}`;
/** An `M:` frame of `depth` nested one-element arrays (fixarray 0x91). */
export const deepMsgpack = (depth: number): Uint8Array =>
  new Uint8Array(Buffer.concat([Buffer.from('M:'), Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]));
/** A `C:` frame whose body inflates to `bytes` zeros (a zlib bomb: ~1000:1). */
export const zlibBomb = (bytes: number): Uint8Array =>
  new Uint8Array(Buffer.concat([Buffer.from('C:'), deflateSync(Buffer.alloc(bytes), { level: 9 })]));

/**
 * A deterministic pool of `n` hostile frames for a server whose `maxMessageSize` is `max`.
 *
 * @example
 * ```ts
 * const pool = framePool(2000, 64 * 1024, 18);
 * ```
 */
export function framePool(n: number, max: number, seed: number): WireFrame[] {
  const bomb = zlibBomb(32 * max);
  const special = fc.constantFrom<WireFrame>(
    deepJson(Math.floor(max / 2) - 32),
    deepJson(70),
    deepMsgpack(max - 8),
    deepMsgpack(70),
    bomb,
    'x'.repeat(max + 1),
    '',
    'null',
    '[]',
    '{}',
  );
  const any = fc.oneof(
    { arbitrary: shaped, weight: 6 },
    { arbitrary: mutated, weight: 4 },
    { arbitrary: prefixed, weight: 2 },
    { arbitrary: special, weight: 1 },
  );
  return fc.sample(any, { seed, numRuns: n });
}

/** True when the shared codec refuses `frame` (or it is over `max`): the server must answer it. */
export function isInvalid(frame: WireFrame, max: number): boolean {
  const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
  if (size > max) return true;
  try {
    decodeFrame(frame, { maxMessageSize: max });
    return false;
  } catch {
    return true;
  }
}
