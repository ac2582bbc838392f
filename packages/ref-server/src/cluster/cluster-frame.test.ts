import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Capability,
  ClusterFrameError,
  decodeHello,
  decodePeerList,
  encodeClusterFrame,
  encodeHello,
  encodePeerList,
  FLAG_ZSTD,
  FrameType,
  MAX_FRAME_BYTES,
} from './cluster-frame';
import { FrameDecoder } from './frame-decoder';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof ClusterFrameError ? err.code : `other: ${String(err)}`;
  }
  return 'no error';
};

describe('cluster frame codec (exact bytes)', () => {
  it('PING is 8 header bytes', () => {
    expect(hex(encodeClusterFrame({ type: FrameType.PING, topic: '', payload: new Uint8Array() }))).toBe(
      '0200000000000000',
    );
  });

  it('MSG with topic, payload and trailer', () => {
    const f = encodeClusterFrame({
      type: FrameType.MSG,
      topic: 'ab',
      payload: bytes('7b7d'),
      trailer: { epoch: 0xdeadbeef, offset: 258 },
    });
    expect(hex(f)).toBe('0102' + '0200' + '02000000' + '6162' + '7b7d' + 'efbeadde' + '0201000000000000');
    const [d] = new FrameDecoder().push(f);
    expect(d).toMatchObject({ type: 1, flags: 2, topic: 'ab', trailer: { epoch: 0xdeadbeef, offset: 258 } });
    expect(hex(d?.payload ?? new Uint8Array())).toBe('7b7d');
  });

  it('HELLO body', () => {
    const body = encodeHello({
      version: 1,
      instanceId: 'n1',
      capabilities: Capability.INTEREST | Capability.ZSTD,
    });
    expect(hex(body)).toBe('57534500' + '0100' + '0200' + '6e31' + '03000000');
    expect(decodeHello(body)).toEqual({ version: 1, instanceId: 'n1', capabilities: 3 });
    expect(code(() => decodeHello(bytes('58534500 0100 0200 6e31 03000000')))).toBe('BAD_MAGIC');
    expect(code(() => decodeHello(bytes('57534500 0200 0200 6e31 03000000')))).toBe('BAD_VERSION');
    expect(code(() => decodeHello(bytes('57534500 0100 0900 6e31 03000000')))).toBe('BAD_BODY');
    expect(code(() => decodeHello(bytes('57534500 0100 0000 03000000')))).toBe('BAD_BODY');
  });

  it('PEER_LIST body', () => {
    const body = encodePeerList(['a:1', 'b']);
    expect(hex(body)).toBe('0200' + '0300' + '613a31' + '0100' + '62');
    expect(decodePeerList(body)).toEqual(['a:1', 'b']);
    expect(code(() => decodePeerList(bytes('0200 0300 613a31')))).toBe('BAD_BODY');
    expect(code(() => decodePeerList(bytes('0100 0100 62 ff')))).toBe('BAD_BODY');
    expect(code(() => decodePeerList(bytes('0100 0100 ff')))).toBe('BAD_BODY');
  });
});

describe('streaming decoder', () => {
  const frames = [
    encodeClusterFrame({ type: FrameType.SUB, topic: 'chat', payload: new Uint8Array() }),
    encodeClusterFrame({
      type: FrameType.MSG,
      topic: 'chat',
      payload: new Uint8Array(300).fill(7),
      trailer: { epoch: 1, offset: 2 },
    }),
    encodeClusterFrame({ type: FrameType.RESYNC, topic: '', payload: new TextEncoder().encode('a\nb') }),
  ];
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let offset = 0;
  for (const f of frames) {
    all.set(f, offset);
    offset += f.length;
  }

  it('reassembles any split of a byte stream, many frames per chunk', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: all.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const d = new FrameDecoder();
        const out = [];
        let prev = 0;
        for (const p of [...points, all.length]) {
          out.push(...d.push(all.slice(prev, p)));
          prev = p;
        }
        expect(out.map((f) => [f.type, f.topic, f.payload.length])).toEqual([
          [FrameType.SUB, 'chat', 0],
          [FrameType.MSG, 'chat', 300],
          [FrameType.RESYNC, '', 3],
        ]);
        expect(d.buffered).toBe(0);
      }),
    );
  });

  it('refuses a header announcing more than 1 MiB before buffering its body', () => {
    const d = new FrameDecoder();
    expect(code(() => d.push(bytes('0100 0000 f9ff0f00')))).toBe('FRAME_TOO_LARGE'); // 8 + 0xffff9 > 1 MiB
    expect(d.buffered).toBe(0);
    expect(code(() => d.push(new Uint8Array(1)))).toBe('BAD_BODY'); // unusable afterwards
    const ok = new FrameDecoder().push(
      encodeClusterFrame({ type: FrameType.MSG, topic: '', payload: new Uint8Array(MAX_FRAME_BYTES - 8) }),
    );
    expect(ok[0]?.payload.length).toBe(MAX_FRAME_BYTES - 8);
    expect(
      code(() =>
        encodeClusterFrame({ type: FrameType.MSG, topic: '', payload: new Uint8Array(MAX_FRAME_BYTES - 7) }),
      ),
    ).toBe('FRAME_TOO_LARGE');
  });

  it('refuses unknown types, reserved flags, flags off MSG, bad UTF-8 topics', () => {
    expect(code(() => new FrameDecoder().push(bytes('1000 0000 00000000')))).toBe('UNKNOWN_TYPE');
    expect(code(() => new FrameDecoder().push(bytes('0004 0000 00000000')))).toBe('UNKNOWN_TYPE');
    expect(code(() => new FrameDecoder().push(bytes('0104 0000 00000000')))).toBe('BAD_FLAGS');
    expect(
      code(() =>
        new FrameDecoder().push(bytes(`06${FLAG_ZSTD.toString(16).padStart(2, '0')} 0000 00000000`)),
      ),
    ).toBe('BAD_FLAGS');
    expect(code(() => new FrameDecoder().push(bytes('0600 0100 00000000 ff')))).toBe('BAD_TOPIC');
    expect(
      code(() => new FrameDecoder().push(bytes('0102 0000 00000000 000000000000ffffffffffffffff'))),
    ).toBe('BAD_BODY');
  });

  it('never throws anything but ClusterFrameError on random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const d = new FrameDecoder();
        try {
          for (const c of chunks) d.push(c);
        } catch (err) {
          expect(err).toBeInstanceOf(ClusterFrameError);
        }
      }),
    );
  });
});
