import {
  Capability,
  CLUSTER_VERSION,
  type ClusterFrame,
  ClusterFrameError,
  decodeHello,
  encodeClusterFrame,
  encodeHello,
  FLAG_ZSTD,
  FrameType,
} from './cluster-frame';
import type { LinkSocket } from './cluster-socket';
import { FrameDecoder } from './frame-decoder';
import {
  initialLink,
  type LinkContext,
  type LinkEffect,
  type LinkEvent,
  type LinkTimings,
  linkReducer,
} from './link-machine';

/** Counters of one link (also summed per peer by the node). */
export interface LinkStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** MSG frames dropped because the outbound queue was full (never silent: counted here). */
  drops: number;
}

/** What a {@link PeerLink} needs from its node. */
export interface PeerLinkOptions {
  socket: LinkSocket;
  /** `out`: we dialled `address`; `in`: the peer dialled us. */
  direction: 'in' | 'out';
  address?: string;
  nodeId: string;
  capabilities: number;
  timings: LinkTimings;
  /** Bytes queued (ours + the socket's) past which MSG frames are dropped. */
  maxQueueBytes: number;
  /** How long the queue may stay over its bound before the link is reset (a peer that stops reading). */
  stallGraceMs: number;
  now(): number;
  /** Inflates a zstd payload, at most `max` bytes (throws ClusterFrameError INFLATE_*). */
  inflate?(payload: Uint8Array, max: number): Uint8Array;
  onUp(link: PeerLink): void;
  onDown(link: PeerLink, reason: string): void;
  /** The link reached `dead` (from any state: failed dial, HELLO timeout, reset, close). */
  onDead(link: PeerLink, reason: string): void;
  /** Every frame past HELLO except PING/PONG/DRAIN/SHUTDOWN, which the link handles itself. */
  onFrame(link: PeerLink, frame: ClusterFrame): void;
}

/**
 * The driver of one peer link: owns the socket, feeds the pure {@link linkReducer}, and runs its
 * effects. Writes are coalesced: frames queued in one event-loop turn go out in one `write`. The
 * queue is bounded: past `maxQueueBytes` a MSG is dropped and counted; control frames always go
 * (they are tiny and the link dies if they cannot), and a queue over its bound for `stallGraceMs`
 * resets the link.
 *
 * @example
 * ```ts
 * const link = new PeerLink({ socket, direction: 'in', ...opts });
 * link.send(FrameType.SUB, 'chat');
 * ```
 */
export class PeerLink {
  readonly stats: LinkStats = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, drops: 0 };
  readonly direction: 'in' | 'out';
  address?: string;
  private ctx: LinkContext;
  private readonly decoder = new FrameDecoder();
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  private overSince?: number;
  private isLoopback?: boolean;

  constructor(private readonly o: PeerLinkOptions) {
    this.direction = o.direction;
    this.address = o.address;
    this.ctx = initialLink(o.now());
    const socket = o.socket;
    socket.onData((chunk) => this.onData(chunk));
    socket.onClose((reason) => this.dispatch({ type: 'CLOSED', now: o.now(), reason }));
    if (o.direction === 'in') this.dispatch({ type: 'OPENED', now: o.now() });
    else socket.onOpen(() => this.dispatch({ type: 'OPENED', now: o.now() }));
  }

  /**
   * The peer is on this host (its socket address is a loopback one): bytes on this link cost no
   * bandwidth, so compressing them is pure CPU. Read once the link is up (a dialled socket has no
   * peer address before it connects).
   */
  get loopback(): boolean {
    this.isLoopback ??= this.o.socket.loopback;
    return this.isLoopback;
  }

  get state(): LinkContext['state'] {
    return this.ctx.state;
  }

  get context(): LinkContext {
    return this.ctx;
  }

  /** The peer's instance id, once its HELLO arrived. */
  get peerId(): string | undefined {
    return this.ctx.peer?.instanceId;
  }

  /** Up or draining: frames may flow. */
  get alive(): boolean {
    return this.ctx.state === 'up' || this.ctx.state === 'draining';
  }

  private dead(): boolean {
    return this.ctx.state === 'dead';
  }

  has(capability: number): boolean {
    return (this.ctx.capabilities & capability) !== 0;
  }

  /** Liveness and stall checks; the node calls it about every second. */
  tick(): void {
    const now = this.o.now();
    const backlog = this.queuedBytes + this.o.socket.writableLength;
    if (backlog > this.o.maxQueueBytes) {
      this.overSince ??= now;
      if (now - this.overSince >= this.o.stallGraceMs) {
        this.dispatch({ type: 'FAIL', now, reason: 'peer is not reading (outbound queue full)' });
        return;
      }
    } else this.overSince = undefined;
    this.dispatch({ type: 'TICK', now });
  }

  /** Leaves: SHUTDOWN to the peer, then close. */
  leave(): void {
    this.dispatch({ type: 'LEAVE', now: this.o.now() });
  }

  /** Resets the link (protocol error, duplicate). */
  fail(reason: string): void {
    this.dispatch({ type: 'FAIL', now: this.o.now(), reason });
  }

  /**
   * Queues a frame. A MSG is dropped (false, counted) when the queue is over its bound or the link
   * is not alive; other frames are queued while the socket is open.
   */
  send(frame: Omit<ClusterFrame, 'flags'> & { flags?: number }): boolean {
    const isMsg = frame.type === FrameType.MSG;
    if (isMsg && (!this.alive || this.queuedBytes + this.o.socket.writableLength > this.o.maxQueueBytes)) {
      this.stats.drops += 1;
      return false;
    }
    if (this.ctx.state === 'dead' || this.ctx.state === 'connecting') return false;
    this.enqueue(encodeClusterFrame(frame));
    return true;
  }

  private enqueue(bytes: Uint8Array): void {
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    this.stats.framesOut += 1;
    this.stats.bytesOut += bytes.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const out = this.queue.length === 1 ? (this.queue[0] as Uint8Array) : Buffer.concat(this.queue);
    this.queue = [];
    this.queuedBytes = 0;
    this.o.socket.write(out);
  }

  private onData(chunk: Uint8Array): void {
    if (this.ctx.state === 'dead') return;
    this.stats.bytesIn += chunk.length;
    let frames: ClusterFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(reasonOf(err));
      return;
    }
    for (const frame of frames) {
      if (this.dead()) return;
      this.stats.framesIn += 1;
      try {
        this.onFrame(frame);
      } catch (err) {
        this.fail(reasonOf(err));
      }
    }
  }

  private onFrame(frame: ClusterFrame): void {
    const now = this.o.now();
    switch (frame.type) {
      case FrameType.HELLO:
        this.dispatch({
          type: 'HELLO',
          now,
          hello: decodeHello(frame.payload),
          ownCapabilities: this.o.capabilities,
        });
        return;
      case FrameType.PING:
      case FrameType.PONG:
        this.dispatch({ type: 'HEARD', now, ping: frame.type === FrameType.PING });
        return;
      case FrameType.DRAIN:
        this.dispatch({ type: 'DRAIN', now });
        return;
      case FrameType.SHUTDOWN:
        this.dispatch({ type: 'SHUTDOWN', now });
        return;
    }
    this.dispatch({ type: 'HEARD', now, ping: false });
    if (!this.alive) return;
    if (frame.flags & FLAG_ZSTD) {
      if (!this.o.inflate || !this.has(Capability.ZSTD))
        throw new ClusterFrameError('BAD_FLAGS', 'zstd payload without zstd agreed');
      frame.payload = this.o.inflate(frame.payload, 1024 * 1024);
      frame.flags &= ~FLAG_ZSTD;
    }
    this.o.onFrame(this, frame);
  }

  private dispatch(event: LinkEvent): void {
    const before = this.ctx.state;
    const { context, effects } = linkReducer(this.ctx, event, this.o.timings);
    this.ctx = context;
    for (const effect of effects) this.run(effect);
    if (before !== 'dead' && context.state === 'dead') this.o.onDead(this, context.reason ?? 'closed');
  }

  private run(effect: LinkEffect): void {
    switch (effect.type) {
      case 'sendHello':
        this.enqueue(
          encodeClusterFrame({
            type: FrameType.HELLO,
            topic: '',
            payload: encodeHello({
              version: CLUSTER_VERSION,
              instanceId: this.o.nodeId,
              capabilities: this.o.capabilities,
            }),
          }),
        );
        return;
      case 'send':
        this.enqueue(encodeClusterFrame({ type: FrameType[effect.frame], topic: '', payload: EMPTY }));
        if (effect.frame === 'SHUTDOWN') this.flush();
        return;
      case 'close':
        this.flush();
        this.o.socket.close(effect.reason);
        return;
      case 'up':
        this.o.onUp(this);
        return;
      case 'down':
        this.o.onDown(this, effect.reason);
        return;
    }
  }
}

const EMPTY = new Uint8Array(0);

function reasonOf(err: unknown): string {
  return err instanceof ClusterFrameError ? err.message : `internal: ${(err as Error).message}`;
}
