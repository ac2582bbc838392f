import {
  buildEnvelope,
  type Envelope,
  type ErrorCodeValue,
  encodeFrame,
  encryptBytes,
  toBytes,
} from '@wse/core-client/protocol';
import type { VerifiedToken } from '../auth/token-verifier';
import { jsonFrame } from '../topics/fanout';
import { envelopeIds } from '../topics/publication';
import type { SocketHandle } from '../transport/transport';
import type { SerialInbox } from './serial-inbox';
import { TokenBucket } from './token-bucket';

/** Where a connection is in PROTOCOL §3. */
export type Phase = 'auth' | 'open' | 'ready' | 'closed';

/** What the connection needs from its server; ONE object shared by all connections (no per-connection closures). */
export interface ConnectionEnv {
  compressionThreshold: number;
  rateLimit: { capacity: number; refillPerSec: number };
  now(): number;
  onSent(bytes: number): void;
  onSendError(err: unknown, connId: string): void;
}

/** Identity settled at upgrade (or later, in-band). */
export interface Identity {
  userId: string;
  anonymous: boolean;
  claims: Record<string, unknown>;
  acl?: VerifiedToken['topics'];
  expiresAt?: number;
}

/**
 * One client connection: identity, negotiated format and key, limits, and the outbound path.
 *
 * Invariant: once `key` is set every outbound frame is `E:`, and encrypted frames leave through one
 * promise chain so they keep their order even though encryption is async.
 *
 * @example
 * conn.sendEvent('PONG', { latency: 3 }, { cid });
 */
export class Connection {
  handle: SocketHandle | null = null;
  phase: Phase;
  format: 'json' | 'msgpack';
  key?: CryptoKey;
  identity: Identity;
  readonly connectedAt: number;
  readonly bucket: TokenBucket;
  lastActivity: number;
  lastPingAt: number;
  lastWarningAt = Number.NEGATIVE_INFINITY;
  /** When the last RATE_LIMITED error went out, and frames dropped since (PROTOCOL §7, at most 1/s). */
  lastLimitedAt = Number.NEGATIVE_INFINITY;
  droppedFrames = 0;
  /** Since when unsent bytes are over `maxBackpressure`; undefined = not over. */
  overSince?: number;
  /**
   * A close decided while the socket's buffer is over the limit (slow consumer): nothing more is
   * sent, and the close frame goes out once the client has read enough for it to be queued.
   */
  closing?: { code: number; reason: string; since: number };
  /** Bytes waiting in the encryption chain (count as backpressure too). */
  pendingEncrypted = 0;
  /** Handles for timers owned by the session (in-band auth deadline). */
  authTimer?: ReturnType<typeof setTimeout>;
  /** Serialises inbound frames (set by the session manager). */
  inbox?: SerialInbox<ArrayBuffer | string, Connection>;
  private seq = 0;
  /** The encryption chain; created with the first encrypted frame (most connections never have one). */
  private chain?: Promise<void>;

  constructor(
    readonly id: string,
    identity: Identity | undefined,
    readonly remoteAddress: string,
    format: 'json' | 'msgpack',
    private readonly env: ConnectionEnv,
  ) {
    this.identity = identity ?? { userId: '', anonymous: false, claims: {} };
    this.phase = identity ? 'open' : 'auth';
    this.format = format;
    this.connectedAt = env.now();
    this.lastActivity = this.connectedAt;
    this.lastPingAt = this.connectedAt;
    this.bucket = new TokenBucket(env.rateLimit, env);
  }

  /** Needs its own frame for publications (cannot ride on uWS's shared frame). */
  get direct(): boolean {
    return this.format === 'msgpack' || this.key !== undefined;
  }

  get closed(): boolean {
    return this.phase === 'closed' || !this.handle || this.handle.closed || this.closing !== undefined;
  }

  /** Unsent bytes, including frames still being encrypted. */
  bufferedAmount(): number {
    return (this.handle?.bufferedAmount() ?? 0) + this.pendingEncrypted;
  }

  /** Builds an envelope (c, id, ts, v, seq filled) and sends it in this connection's format. */
  sendEvent(type: string, payload: object = {}, extra: { cid?: string; pri?: number } = {}): void {
    if (this.closed) return;
    const options = envelopeIds();
    options.seq = ++this.seq;
    if (extra.cid !== undefined) options.cid = extra.cid;
    if (extra.pri !== undefined) options.pri = extra.pri;
    const env = buildEnvelope(type, payload, options);
    this.sendEnvelope(env as Envelope);
  }

  sendError(code: ErrorCodeValue, message: string, extra: Record<string, unknown> = {}, cid?: string): void {
    this.sendEvent('error', { code, message, ...extra }, { cid });
  }

  /** Sends a complete envelope (the caller filled it) in this connection's format. */
  sendEnvelope(env: Envelope): void {
    if (this.closed) return;
    const frame = encodeFrame(env, {
      format: this.format,
      compressionThreshold: this.env.compressionThreshold,
    });
    this.sendFrame(frame);
  }

  /**
   * Sends a stamped publication (a recovery replay): the stored JSON text as is for JSON
   * connections (`C:` above the threshold), the envelope in `M:` for msgpack ones; encrypted when
   * E2E is on. Nothing is stringified again on the JSON path.
   */
  sendPublication(pub: {
    readonly envelope: Envelope;
    readonly json: string;
    readonly bytes?: number;
  }): void {
    if (this.closed) return;
    if (this.format === 'json') this.sendFrame(jsonFrame(pub.json, this.env.compressionThreshold, pub.bytes));
    else this.sendEnvelope(pub.envelope as Envelope);
  }

  /** Sends an already encoded frame; encrypts it first when E2E is on. */
  sendFrame(frame: string | Uint8Array): void {
    if (this.closed) return;
    if (this.key) {
      this.sendEncrypted(toBytes(frame));
      return;
    }
    this.handle?.send(frame, typeof frame !== 'string');
    this.env.onSent(frame.length);
  }

  /** Encrypts `inner` (a JSON/C:/M: frame) with the session key and sends it, in call order. */
  sendEncrypted(inner: Uint8Array): void {
    const key = this.key;
    if (!key || this.closed) return;
    this.pendingEncrypted += inner.byteLength;
    this.chain = (this.chain ?? Promise.resolve()).then(async () => {
      try {
        const bytes = await encryptBytes(key, inner);
        this.handle?.send(bytes, true);
        this.env.onSent(bytes.byteLength);
      } catch (err) {
        this.env.onSendError(err, this.id);
      } finally {
        this.pendingEncrypted -= inner.byteLength;
      }
    });
  }

  /** Resolves when every frame queued so far has been handed to the socket. */
  flushed(): Promise<void> {
    return this.chain ?? Promise.resolve();
  }

  /** Sends several frames in one syscall. */
  cork(fn: () => void): void {
    if (this.handle && !this.handle.closed) this.handle.cork(fn);
    else fn();
  }

  /**
   * Closes with a code. Encrypted frames still being encrypted go out first (so an `error` before a
   * close actually reaches the client).
   */
  close(code: number, reason = ''): void {
    if (this.phase === 'closed') return;
    const handle = this.handle;
    const end = () => handle?.end(code, reason.slice(0, 120));
    if (this.pendingEncrypted > 0 && this.chain) void this.chain.then(end);
    else end();
  }
}
