import zlib from 'node:zlib';
import { ClusterFrameError } from './cluster-frame';

/**
 * zstd for MSG payloads (docs-site/protocol §9 flag bit 0). The only file that knows where zstd comes from:
 * `node:zlib` when the runtime has it (Node ≥ 22.15), else `@bokuweb/zstd-wasm` (no install script,
 * no native build; TOOLCHAIN.md: ~24 µs to compress and ~7 µs to decompress 1 KB).
 *
 * Bomb bound: a payload never inflates past `max` bytes. With node:zlib `maxOutputLength` enforces
 * it; with the wasm build the frame header's declared content size is read first (over `max` →
 * refused before any allocation), and the decoder is given exactly that capacity (or `max` when the
 * size is not declared), so a frame that lies about its size fails instead of growing.
 */
export interface ZstdCodec {
  readonly source: 'node:zlib' | 'zstd-wasm';
  compress(data: Uint8Array): Uint8Array;
  /** Throws ClusterFrameError INFLATE_TOO_LARGE / INFLATE_FAILED. */
  decompress(data: Uint8Array, max: number): Uint8Array;
}

type NodeZstd = {
  zstdCompressSync(b: Uint8Array): Buffer;
  zstdDecompressSync(b: Uint8Array, o: { maxOutputLength: number }): Buffer;
};

let loaded: Promise<ZstdCodec | null> | undefined;

/**
 * The codec, or null when neither source loads (then the node does not advertise zstd).
 *
 * @example
 * ```ts
 * const zstd = await loadZstd();
 * if (zstd) node.enableZstd(zstd);
 * ```
 */
export function loadZstd(): Promise<ZstdCodec | null> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<ZstdCodec | null> {
  const z = zlib as unknown as Partial<NodeZstd>;
  if (typeof z.zstdCompressSync === 'function' && typeof z.zstdDecompressSync === 'function') {
    const nz = z as NodeZstd;
    return {
      source: 'node:zlib',
      compress: (data) => nz.zstdCompressSync(data),
      decompress: (data, max) => {
        try {
          return nz.zstdDecompressSync(data, { maxOutputLength: max });
        } catch (err) {
          const tooBig = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
          throw new ClusterFrameError(
            tooBig ? 'INFLATE_TOO_LARGE' : 'INFLATE_FAILED',
            (err as Error).message,
          );
        }
      },
    };
  }
  try {
    const wasm = await import('@bokuweb/zstd-wasm');
    await wasm.init();
    return {
      source: 'zstd-wasm',
      compress: (data) => wasm.compress(data, 3),
      decompress: (data, max) => {
        const declared = declaredSize(data);
        if (declared !== undefined && declared > max) {
          throw new ClusterFrameError('INFLATE_TOO_LARGE', `declares ${declared} bytes`);
        }
        try {
          return wasm.decompress(data, { defaultHeapSize: max });
        } catch (err) {
          throw new ClusterFrameError('INFLATE_FAILED', (err as Error).message);
        }
      },
    };
  } catch {
    return null;
  }
}

/**
 * The Frame_Content_Size of a zstd frame header (RFC 8878 §3.1.1.1), undefined when absent.
 * Throws INFLATE_FAILED when the bytes are not a zstd frame.
 */
export function declaredSize(data: Uint8Array): number | undefined {
  if (data.length < 6 || data[0] !== 0x28 || data[1] !== 0xb5 || data[2] !== 0x2f || data[3] !== 0xfd) {
    throw new ClusterFrameError('INFLATE_FAILED', 'not a zstd frame');
  }
  const fhd = data[4] as number;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const didSize = [0, 1, 2, 4][fhd & 3] as number;
  const fcsSize = [single ? 1 : 0, 2, 4, 8][fcsFlag] as number;
  if (fcsSize === 0) return undefined;
  const at = 5 + (single ? 0 : 1) + didSize;
  if (data.length < at + fcsSize) throw new ClusterFrameError('INFLATE_FAILED', 'truncated zstd header');
  let value = 0;
  for (let i = fcsSize - 1; i >= 0; i--) value = value * 256 + (data[at + i] as number);
  return fcsSize === 2 ? value + 256 : value;
}
