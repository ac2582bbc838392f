import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from './frame';
import { utf8Length } from './frame-core';

const encoder = new TextEncoder();

describe('utf8Length', () => {
  it('equals TextEncoder byte length, lone surrogates included', () => {
    expect(utf8Length('')).toBe(0);
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
    for (const s of ['\ud800', '\udc00', '\ud800a', 'a\udfff', '\ud800\ud800\udc00', '\udc00\ud800'])
      expect(utf8Length(s)).toBe(encoder.encode(s).length);
    // Random UTF-16 units (seeded), biased to the ranges where the byte count changes: ASCII,
    // 2-byte, 3-byte, high and low surrogates.
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const ranges = [
      [0, 0x80],
      [0x80, 0x800],
      [0x800, 0xd800],
      [0xd800, 0xdc00],
      [0xdc00, 0xe000],
      [0xe000, 0x10000],
    ] as const;
    for (let k = 0; k < 2000; k++) {
      const units: number[] = [];
      for (let i = rnd(40); i > 0; i--) {
        const [lo, hi] = ranges[rnd(ranges.length)] as readonly [number, number];
        units.push(lo + rnd(hi - lo));
      }
      const s = String.fromCharCode(...units);
      expect(utf8Length(s)).toBe(encoder.encode(s).length);
    }
  });
});

describe('encodeFrame compression threshold (counted, not encoded)', () => {
  // 'é' is one UTF-16 unit and two UTF-8 bytes: the char count is below the threshold, the bytes
  // are not, so only an exact byte count gets this right.
  const env = (text: string) => ({ c: 'U' as const, t: 'm', p: { text } });
  const size = (text: string) => encoder.encode(JSON.stringify(env(text))).length;

  it('keeps a frame of exactly `threshold` bytes as text and compresses one byte more', () => {
    const text = 'é'.repeat(300);
    const threshold = size(text);
    expect(JSON.stringify(env(text)).length).toBeLessThan(threshold);
    expect(encodeFrame(env(text), { compressionThreshold: threshold })).toBe(JSON.stringify(env(text)));
    const over = encodeFrame(env(text), { compressionThreshold: threshold - 1 });
    expect(over).toBeInstanceOf(Uint8Array);
    expect(String.fromCharCode(...(over as Uint8Array).subarray(0, 2))).toBe('C:');
    expect(decodeFrame(over).p).toEqual({ text });
  });
});

describe('decodeFrame size bound on text frames (counted in UTF-8 bytes)', () => {
  it('accepts exactly maxMessageSize bytes and refuses one more, though the chars are fewer', () => {
    const text = JSON.stringify({ t: 'm', p: { s: 'é'.repeat(200) } });
    const bytes = encoder.encode(text).length;
    expect(text.length).toBeLessThan(bytes);
    expect(decodeFrame(text, { maxMessageSize: bytes }).p).toEqual({ s: 'é'.repeat(200) });
    expect(() => decodeFrame(text, { maxMessageSize: bytes - 1 })).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_LARGE' }),
    );
  });
});
