import { describe, expect, it } from 'vitest';
import { ClusterFrameError } from './cluster-frame';
import { declaredSize, loadZstd } from './zstd-codec';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof ClusterFrameError ? err.code : String(err);
  }
  return 'no error';
};

describe('zstd codec', () => {
  it('round-trips and reads the declared size', async () => {
    const z = await loadZstd();
    expect(z).not.toBeNull();
    const text = new TextEncoder().encode(JSON.stringify({ t: 'x', p: { s: 'abc'.repeat(300) } }));
    const c = z?.compress(text) as Uint8Array;
    expect(c.length).toBeLessThan(text.length);
    expect(declaredSize(c)).toBe(text.length);
    expect(z?.decompress(c, 1024 * 1024)).toEqual(text);
  });

  it('refuses a bomb before inflating it, and garbage', async () => {
    const z = await loadZstd();
    const bomb = z?.compress(new Uint8Array(8 * 1024 * 1024)) as Uint8Array;
    expect(bomb.length).toBeLessThan(2048);
    expect(code(() => z?.decompress(bomb, 1024 * 1024))).toBe('INFLATE_TOO_LARGE');
    expect(code(() => z?.decompress(new Uint8Array([1, 2, 3, 4, 5, 6, 7]), 1024))).toBe('INFLATE_FAILED');
    // A header that lies (declares 10 bytes, holds more) fails instead of growing.
    const small = z?.compress(new Uint8Array(100)) as Uint8Array;
    expect(code(() => z?.decompress(small, 50))).toMatch(/INFLATE_/);
  });
});
