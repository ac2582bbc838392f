import { deflateSync } from 'node:zlib';
import { deflateZlib, inflateBounded, ProtocolError } from '@wse/core-client/protocol';
import { describe, expect, it } from 'vitest';
import { inflateNode, serverCodecs } from './server-codecs';

const enc = (s: string) => new TextEncoder().encode(s);
function outcome(fn: () => Uint8Array): string {
  try {
    return `ok:${new TextDecoder().decode(fn())}`;
  } catch (err) {
    return err instanceof ProtocolError ? err.code : `other:${String(err)}`;
  }
}

describe('inflateNode (the server C: inflater)', () => {
  const text = JSON.stringify({ t: 'chat', p: { text: 'x'.repeat(2000) } });
  const z = deflateZlib(enc(text));

  it('fails like the codec inflater on every kind of body', () => {
    const bomb = new Uint8Array(deflateSync(new Uint8Array(8 * 1024 * 1024)));
    const cases: Array<[Uint8Array, number]> = [
      [z, 1 << 20],
      [z, text.length],
      [z, text.length - 1],
      [z.subarray(0, z.length - 5), 1 << 20],
      [z.subarray(0, 3), 1 << 20],
      [new Uint8Array(0), 1 << 20],
      [enc('not zlib at all'), 1 << 20],
      [bomb, 1 << 20],
      [new Uint8Array(deflateSync(enc('{"t":"a"}'))), 64],
    ];
    // A broken stream may be called cut short by one and invalid by the other; both refuse it.
    const family = (o: string) => (o === 'TRUNCATED_FRAME' ? 'INFLATE_FAILED' : o);
    for (const [body, max] of cases) {
      expect(family(outcome(() => inflateNode(body, max)))).toBe(
        family(outcome(() => inflateBounded(body, max))),
      );
    }
  });

  it('agrees on every cut and every corrupted trailer byte (fflate skips the Adler-32; we check it)', () => {
    const family = (o: string) => (o === 'TRUNCATED_FRAME' ? 'INFLATE_FAILED' : o);
    const bodies: Uint8Array[] = [];
    for (const src of [z, deflateZlib(enc('{"t":"a","p":{}}')), new Uint8Array(deflateSync(enc(text)))]) {
      for (let n = 0; n <= src.length; n++) bodies.push(src.subarray(0, n));
      for (let i = src.length - 4; i < src.length; i++) {
        const bad = src.slice();
        bad[i] = (bad[i] as number) ^ 0x01;
        bodies.push(bad);
      }
    }
    let refused = 0;
    for (const body of bodies) {
      const server = family(outcome(() => inflateNode(body, 1 << 20)));
      expect(family(outcome(() => inflateBounded(body, 1 << 20))), `${body.length} bytes`).toBe(server);
      if (!server.startsWith('ok:')) refused++;
    }
    expect(refused).toBe(bodies.length - 3); // only the three whole streams are accepted
  });

  it('stops a bomb at the bound', () => {
    const bomb = new Uint8Array(deflateSync(new Uint8Array(64 * 1024 * 1024)));
    expect(outcome(() => inflateNode(bomb, 1 << 20))).toBe('FRAME_TOO_LARGE');
  });

  it('is the zlib of the server provider', () => {
    expect(serverCodecs.zlib?.inflate).toBe(inflateNode);
    expect(serverCodecs.msgpack).toBeDefined();
    expect(serverCodecs.crypto).toBeDefined();
  });
});
