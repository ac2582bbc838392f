/**
 * The client's codec provider: the frame rules of `frame-core.ts` with zlib (fflate, ~10 KB
 * minified), msgpack (msgpackr, ~33 KB) and the E2E crypto helpers (~3 KB) fetched by dynamic
 * `import()` the first time they are needed. Bundlers put each in its own chunk, so the browser
 * entry carries none of them; a plain JSON client never downloads them.
 *
 * When a part loads: zlib for the first inbound `C:` frame or the first outbound frame above the
 * compression threshold; msgpack as soon as a session is opened with `format: 'msgpack'` (and,
 * failing that, for the first inbound `M:` frame); crypto when a session with `encryption` starts
 * its key agreement (`session/negotiation.ts`). The server never comes here: it uses the static
 * provider of `frame.ts`.
 *
 * @module
 */
import type { CodecPart, CryptoCodec, FrameCodecs, MsgpackCodec, ZlibCodec } from './frame-core';

/**
 * How each part is fetched (injectable for tests).
 *
 * @example
 * const importers: CodecImporters = { zlib: () => import('./zlib').then((m) => m.zlibCodec), msgpack };
 */
export interface CodecImporters {
  zlib(): Promise<ZlibCodec>;
  msgpack(): Promise<MsgpackCodec>;
  crypto(): Promise<CryptoCodec>;
}

const defaultImporters: CodecImporters = {
  zlib: () => import('./zlib').then((m) => m.zlibCodec),
  msgpack: () => import('./msgpack').then((m) => m.msgpackCodec),
  crypto: () =>
    import('./crypto').then((m) => ({ encryptBytes: m.encryptBytes, decryptBytes: m.decryptBytes })),
};

/**
 * A {@link FrameCodecs} whose parts appear once `load(part)` has resolved. Concurrent loads of a
 * part share one import; a failed load is forgotten, so the next frame that needs it tries again.
 *
 * @example
 * ```ts
 * const codecs = new LazyCodecs();
 * await codecs.load('zlib');
 * decodeFrameWith(codecs, compressedFrame); // now synchronous
 * ```
 */
export class LazyCodecs implements FrameCodecs {
  zlib?: ZlibCodec;
  msgpack?: MsgpackCodec;
  crypto?: CryptoCodec;
  readonly #pending: Partial<Record<CodecPart, Promise<void>>> = {};

  readonly #importers: CodecImporters;
  constructor(importers: CodecImporters = defaultImporters) {
    this.#importers = importers;
  }

  /** Makes `part` available; resolves at once when it already is. */
  load(part: CodecPart): Promise<void> {
    if (this[part]) return Promise.resolve();
    this.#pending[part] ??= this.#importers[part]()
      .then((codec: ZlibCodec | MsgpackCodec | CryptoCodec) => {
        Object.assign(this, { [part]: codec });
      })
      .finally(() => {
        this.#pending[part] = undefined;
      });
    return this.#pending[part];
  }
}

/**
 * The provider every client session shares (one download per page, whatever the number of
 * clients).
 *
 * @example
 * await decodeAnyFrameWith(lazyCodecs, frame, { maxMessageSize });
 */
export const lazyCodecs: LazyCodecs = new LazyCodecs();
