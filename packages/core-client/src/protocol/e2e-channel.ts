/**
 * The per-connection E2E state both sides share (docs-site/protocol §6): which version, the key of each
 * direction, the IVs, replay refusal and key rotation. The client session and the server
 * connection each hold one; neither re-implements a rule.
 *
 * Decisions:
 * - Version 2: IV = 4 zero bytes ‖ u64 BE counter, from 0 per direction and per key. A frame is
 *   accepted only with the next counter (checked before decrypting; the counter is consumed even
 *   when decryption then fails, because the connection is closed anyway).
 * - Version 1 keeps random IVs (other WSE clients), plus: a bounded FIFO cache of accepted IVs
 *   (default {@link DEFAULT_REPLAY_CACHE}) refuses a repeat; and every IV we send carries a mark
 *   (bytes 8–11 = bytes 0–3 XOR a random per-channel secret), so a frame of ours echoed back is
 *   refused as reflected. A peer's random IV hits the mark with probability 2⁻³², and the IV still
 *   has 64 random bits. Reordering of fresh v1 frames cannot be detected (no counter) — that is
 *   what version 2 is for.
 * - Rotation: `seal` picks key and IV synchronously at the call, so callers that queue sends in
 *   call order and call {@link E2EChannel.rotateSend} between two calls get an exact switch. The
 *   receive side switches either at once ({@link E2EChannel.rotateRecv}, when the peer said it
 *   switched: the client on `e2e_rekeyed`) or at the peer's first frame under the new key
 *   ({@link E2EChannel.expectRecv}: the server, which cannot know when the client switches). Then a
 *   v2 frame with counter 0 belongs to the new key (the old one is past 0: the `e2e_rekey` itself
 *   used it); a v1 frame that fails under the old key is tried under the new one once.
 *
 * @module
 */
import { decryptBytes, encryptBytes } from './crypto';
import { ProtocolError } from './errors';
import { IV_LENGTH, TAG_LENGTH } from './limits';
import { ReplayWindow } from './replay-window';

/** E2E scheme version: 1 = one key, random IVs; 2 = a key per direction, counter IVs. */
export type E2EVersion = 1 | 2;

/** IVs a version 1 receiver remembers (FIFO; a {@link ReplayWindow}, ≈ 18 KB when full). */
export const DEFAULT_REPLAY_CACHE = 1024;

/**
 * The keys of one direction pair, as the holder sees them.
 *
 * @example
 * const keys: E2EKeys = { send: dk.c2s, recv: dk.s2c }; // a client on v2
 */
export interface E2EKeys {
  readonly send: CryptoKey;
  readonly recv: CryptoKey;
}

/**
 * The 12-byte version 2 IV for `counter`: 4 zero bytes ‖ u64 big-endian.
 *
 * @example
 * counterIv(1); // 00000000 00000000 00000001
 */
export function counterIv(counter: number): Uint8Array {
  const iv = new Uint8Array(IV_LENGTH);
  const view = new DataView(iv.buffer);
  view.setUint32(4, Math.floor(counter / 0x1_0000_0000));
  view.setUint32(8, counter >>> 0);
  return iv;
}

// The counter of a version 2 IV, or -1 when the first 4 bytes are not zero.
function ivCounter(frame: Uint8Array): number {
  const view = new DataView(frame.buffer, frame.byteOffset + 2, IV_LENGTH);
  if (view.getUint32(0) !== 0) return -1;
  return view.getUint32(4) * 0x1_0000_0000 + view.getUint32(8);
}

function refused(message: string): ProtocolError {
  return new ProtocolError('REPLAYED_FRAME', message);
}

/**
 * One connection's E2E channel.
 *
 * @example
 * const ch = new E2EChannel(2, { send: keys.c2s, recv: keys.s2c });
 * socket.send(await ch.seal(toBytes(encodeFrame(env, { compressionThreshold: Infinity }))));
 * const inner = await ch.open(frameBytes); // throws ProtocolError REPLAYED_FRAME / DECRYPT_FAILED
 */
export class E2EChannel {
  #send: CryptoKey;
  #recv: CryptoKey;
  #next: CryptoKey | null = null;
  #sent = 0;
  #expected = 0;
  #seen: ReplayWindow | null = null; // allocated at the first v1 frame: v2 and idle channels pay nothing
  readonly #mark: Uint8Array;
  /** Receive-key switches so far (completed rotations). */
  rotations = 0;

  constructor(
    readonly version: E2EVersion,
    keys: E2EKeys,
    private readonly replayCache = DEFAULT_REPLAY_CACHE,
  ) {
    if (!Number.isInteger(replayCache))
      throw new RangeError(`replayCache must be an integer (≤ 0: no cache), got ${replayCache}`);
    this.#send = keys.send;
    this.#recv = keys.recv;
    this.#mark = version === 1 ? globalThis.crypto.getRandomValues(new Uint8Array(4)) : new Uint8Array(4);
  }

  /** True while a new receive key waits for the peer's first frame under it. */
  get rotating(): boolean {
    return this.#next !== null;
  }

  /** Encrypts `inner` (a JSON or `M:` frame) into an `E:` frame. Key and IV are fixed at the call. */
  seal(inner: Uint8Array): Promise<Uint8Array> {
    return encryptBytes(this.#send, inner, this.#nextIv());
  }

  /** Decrypts an `E:` frame; refuses replays, reorders and reflections (see the module notes). */
  async open(frame: Uint8Array): Promise<Uint8Array> {
    if (frame.length < 2 + IV_LENGTH + TAG_LENGTH)
      throw new ProtocolError('ENCRYPTED_TOO_SHORT', 'E: body shorter than IV (12) + tag (16)');
    return this.version === 2 ? this.#openCounter(frame) : this.#openRandom(frame);
  }

  /** From the next `seal` on, use `key` (v2: counter back to 0). */
  rotateSend(key: CryptoKey): void {
    this.#send = key;
    this.#sent = 0;
  }

  /** From the next `open` on, use `key` (v2: expect counter 0). */
  rotateRecv(key: CryptoKey): void {
    this.rotations++;
    this.#recv = key;
    this.#next = null;
    this.#expected = 0;
    this.#seen?.clear();
  }

  /** Accept `key` as soon as a frame under it arrives; until then the current key stays. */
  expectRecv(key: CryptoKey): void {
    this.#next = key;
  }

  #nextIv(): Uint8Array {
    if (this.version === 2) return counterIv(this.#sent++);
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_LENGTH));
    for (let i = 0; i < 4; i++) iv[8 + i] = (iv[i] as number) ^ (this.#mark[i] as number);
    return iv;
  }

  async #openCounter(frame: Uint8Array): Promise<Uint8Array> {
    const counter = ivCounter(frame);
    const next = this.#next;
    if (next && counter === 0) {
      const inner = await decryptBytes(next, frame);
      this.rotateRecv(next);
      this.#expected = 1;
      return inner;
    }
    if (counter !== this.#expected)
      throw refused(`E: counter ${counter} where ${this.#expected} was expected (replayed or reordered)`);
    this.#expected++;
    return decryptBytes(this.#recv, frame);
  }

  async #openRandom(input: Uint8Array): Promise<Uint8Array> {
    // A second try (under the pending key) runs after an await: by then the caller's buffer may be
    // gone (uWS reuses message buffers once its callback returns), so keep a copy while rotating.
    const frame = this.#next ? input.slice() : input;
    let marked = true;
    for (let i = 0; i < 4 && marked; i++)
      marked = ((frame[2 + i] as number) ^ (this.#mark[i] as number)) === frame[10 + i];
    if (marked) throw refused('E: frame carries our own IV mark (reflected)');
    const id = frame.slice(2, 2 + IV_LENGTH); // a copy: `frame` may be reused during the await
    if (this.#seen?.has(id)) throw refused('E: IV seen before (replayed)');
    this.#remember(id); // before the await: a concurrent copy of this frame is refused too
    try {
      return await decryptBytes(this.#recv, frame);
    } catch (err) {
      const next = this.#next;
      if (!next) {
        this.#seen?.delete(id); // not authentic: it proves nothing about the IV
        throw err;
      }
      let inner: Uint8Array;
      try {
        inner = await decryptBytes(next, frame);
      } catch (again) {
        this.#seen?.delete(id);
        throw again;
      }
      this.rotateRecv(next);
      this.#remember(id);
      return inner;
    }
  }

  #remember(iv: Uint8Array): void {
    if (this.replayCache <= 0) return;
    this.#seen ??= new ReplayWindow(this.replayCache);
    this.#seen.add(iv); // evicts the oldest past `replayCache`
  }
}
