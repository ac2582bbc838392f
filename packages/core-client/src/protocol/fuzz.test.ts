/**
 * Property tests: whatever bytes arrive, the decoder returns an envelope or throws ProtocolError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexToBytes } from './base64';
import { ProtocolError } from './errors';
import { decodeAnyFrame, decodeFrame, encodeFrame, type WireData } from './frame';
import { loadVectorSessionKey, loadVectors } from './vectors';

const prefixes = ['', '{', 'C:', 'M:', 'E:', 'C:x\u009c'].map((p) => new TextEncoder().encode(p));
const valid = loadVectors().frames.map((f) => hexToBytes(f.hex));

function decodesOrProtocolError(data: WireData): boolean {
  try {
    const env = decodeFrame(data, { maxMessageSize: 64 * 1024 });
    return typeof env.t === 'string' && typeof env.p === 'object';
  } catch (err) {
    return err instanceof ProtocolError;
  }
}

// A random edit of a valid frame: overwrite, truncate, insert or duplicate a slice.
const mutation = fc.tuple(
  fc.integer({ min: 0, max: valid.length - 1 }),
  fc.array(
    fc.tuple(fc.constantFrom('set', 'cut', 'insert', 'dup'), fc.nat(), fc.integer({ min: 0, max: 255 })),
    { minLength: 1, maxLength: 4 },
  ),
);

function mutate([index, edits]: [number, Array<[string, number, number]>]): Uint8Array {
  let b = valid[index]!.slice();
  for (const [op, at, byte] of edits) {
    const i = at % (b.length + 1);
    if (op === 'set' && b.length > 0) b[i % b.length] = byte;
    if (op === 'cut') b = b.slice(0, i);
    if (op === 'insert') b = Uint8Array.from([...b.subarray(0, i), byte, ...b.subarray(i)]);
    if (op === 'dup') b = Uint8Array.from([...b, ...b.subarray(i)]);
  }
  return b;
}

// Thousands of runs per property: generous timeout so a loaded CI box does not fail a correct codec.
describe('decoder properties', { timeout: 60_000 }, () => {
  it('random bytes behind every prefix', () => {
    const arb = fc.tuple(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 300 }));
    fc.assert(
      fc.property(arb, ([prefix, body]) => decodesOrProtocolError(Uint8Array.from([...prefix, ...body]))),
      { numRuns: 4000 },
    );
  });

  it('random strings as text frames', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), decodesOrProtocolError), {
      numRuns: 2000,
    });
    fc.assert(fc.property(fc.json({ maxDepth: 4 }), decodesOrProtocolError), { numRuns: 2000 });
  });

  it('mutated valid frames', () => {
    fc.assert(
      fc.property(mutation, (m) => decodesOrProtocolError(mutate(m))),
      { numRuns: 4000 },
    );
  });

  it('mutated valid frames through decryption', async () => {
    const key = await loadVectorSessionKey();
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        try {
          await decodeAnyFrame(mutate(m), { key });
          return true;
        } catch (err) {
          return err instanceof ProtocolError;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips JSON-compatible payloads in both formats', () => {
    const payload = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 });
    fc.assert(
      fc.property(payload, fc.constantFrom('json' as const, 'msgpack' as const), (p, format) => {
        const env = { c: 'U' as const, t: 'x', p };
        // msgpackr renames "__proto__" keys to "__proto_" (its prototype guard; see README).
        const text = JSON.stringify(p);
        const expected = {
          ...env,
          p: JSON.parse(format === 'json' ? text : text.replaceAll('"__proto__":', '"__proto_":')),
        };
        expect(decodeFrame(encodeFrame(env, { format, compressionThreshold: 256 }))).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });
});
