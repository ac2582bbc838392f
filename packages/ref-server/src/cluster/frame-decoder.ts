import {
  type ClusterFrame,
  ClusterFrameError,
  checkHeader,
  FLAG_TRAILER,
  HEADER_BYTES,
  MAX_FRAME_BYTES,
  readFrame,
  TRAILER_BYTES,
} from './cluster-frame';

/**
 * Streaming §9 decoder: feed it socket chunks as they come (a frame split over many chunks, many
 * frames in one chunk), get whole frames back in order. Pure (no I/O).
 *
 * Bound: at most one partial frame is held, and a header announcing more than
 * {@link MAX_FRAME_BYTES} throws `FRAME_TOO_LARGE` before any of its body is buffered, so a peer can
 * make this node hold at most 1 MiB + one chunk. After a throw the decoder is unusable: the caller
 * resets the link (its stream position is lost).
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder();
 * socket.on('data', (chunk) => { for (const f of decoder.push(chunk)) handle(f); });
 * ```
 */
export class FrameDecoder {
  private pending: Uint8Array = new Uint8Array(0);
  private failed = false;

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.pending.length;
  }

  /** The frames completed by `chunk`. Frames own their bytes (safe to keep). */
  push(chunk: Uint8Array): ClusterFrame[] {
    if (this.failed) throw new ClusterFrameError('BAD_BODY', 'decoder used after an error');
    let data = chunk;
    if (this.pending.length > 0) {
      data = new Uint8Array(this.pending.length + chunk.length);
      data.set(this.pending);
      data.set(chunk, this.pending.length);
    }
    const frames: ClusterFrame[] = [];
    let at = 0;
    try {
      while (data.length - at >= HEADER_BYTES) {
        const type = data[at] as number;
        const flags = data[at + 1] as number;
        checkHeader(type, flags);
        const topicLen = (data[at + 2] as number) | ((data[at + 3] as number) << 8);
        const payloadLen =
          ((data[at + 4] as number) |
            ((data[at + 5] as number) << 8) |
            ((data[at + 6] as number) << 16) |
            ((data[at + 7] as number) << 24)) >>>
          0;
        const total = HEADER_BYTES + topicLen + payloadLen + (flags & FLAG_TRAILER ? TRAILER_BYTES : 0);
        if (total > MAX_FRAME_BYTES)
          throw new ClusterFrameError('FRAME_TOO_LARGE', `${total} bytes announced`);
        if (data.length - at < total) break;
        // A copy when the bytes came from our own pending buffer is not needed either: `data` is
        // fresh per push, never reused, so views into it stay valid.
        frames.push(readFrame(data.subarray(at, at + total)));
        at += total;
      }
    } catch (err) {
      this.failed = true;
      this.pending = new Uint8Array(0);
      throw err;
    }
    this.pending = at === data.length ? new Uint8Array(0) : data.slice(at);
    return frames;
  }
}
