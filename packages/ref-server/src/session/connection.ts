import {
  buildEnvelope,
  type E2EChannel,
  type Envelope,
  type ErrorCodeValue,
  encodeFrame,
  toBytes,
} from '@wse/core-client/protocol';
import type { VerifiedToken } from '../auth/token-verifier';
import { jsonFrame } from '../topics/fanout';
import { envelopeIds } from '../topics/publication';
import type { UwsVariant } from '../topics/uws-topic';
import type { SocketHandle } from '../transport/transport';
import type { SerialInbox } from './serial-inbox';
import { TokenBucket } from './token-bucket';

/** Where a connection is in docs-site/protocol §3. */
export type Phase = 'auth' | 'open' | 'ready' | 'closed';

/**
 * What an outbound frame is, to the send gate ({@link Connection.admits}): an `error`, a protocol
 * `control` frame (handshake, heartbeat, refresh, rate-limit notice), or `data` — everything else:
 * publications, broadcasts, presence, replies, anything the application sends.
 */
export type SendKind = 'error' | 'control' | 'data';

/** Protocol frames that carry no application data (sent by the server itself). */
const CONTROL_TYPES: ReadonlySet<string> = new Set([
  'server_ready',
  'server_hello',
  'ping',
  'PONG',
  'auth_refreshed',
  'rate_limit_warning',
]);

/**
 * The gate's kind of a frame the SERVER builds, by type. The application's own sends are always
 * `data` (`WSEServer.sendEvent` passes it), whatever type they claim.
 *
 * @example
 * sendKindOf('server_hello'); // 'control'
 */
export function sendKindOf(type: string): SendKind {
  if (type === 'error') return 'error';
  return CONTROL_TYPES.has(type) ? 'control' : 'data';
}

/** What the connection needs from its server; ONE object shared by all connections (no per-connection closures). */
export interface ConnectionEnv {
  compressionThreshold: number;
  /** `requireEncryption`: no data in plaintext ({@link Connection.admits}). */
  requireEncryption?: boolean;
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
  /**
   * The app's runtime ACL (`server.setTopicAcl`): a topic must pass both this and `acl`. Survives
   * a token refresh (the token can only narrow further, never widen past it).
   */
  runtimeAcl?: VerifiedToken['topics'];
  expiresAt?: number;
}

/**
 * One client connection: identity, negotiated format and key, limits, and the outbound path.
 *
 * Invariants: once `e2e` is set every outbound frame is `E:` (JSON or `M:` inside, never `C:`), and
 * encrypted frames leave through one promise chain so they keep their order even though encryption
 * is async; key and IV are picked at the call (`E2EChannel.seal`), so a key rotation between two
 * sends switches exactly there. A connection that said `features.compression: false` never gets `C:`.
 *
 * @example
 * conn.sendEvent('PONG', { latency: 3 }, { cid });
 */
export class Connection {
  handle: SocketHandle | null = null;
  phase: Phase;
  format: 'json' | 'msgpack';
  /** E2E state (docs-site/protocol §6), set at `server_hello`. */
  e2e?: E2EChannel;
  /** The client's first `E:` frame arrived: plaintext application frames are refused from now on. */
  clientEncrypted = false;
  /** False when the client's hello said `features.compression: false`. */
  compress = true;
  /** When the last E2E rotation completed (or E2E started), for the server's rotation requests. */
  keysSince = 0;
  identity: Identity;
  readonly connectedAt: number;
  readonly bucket: TokenBucket;
  lastActivity: number;
  lastPingAt: number;
  lastWarningAt = Number.NEGATIVE_INFINITY;
  /** When the last RATE_LIMITED error went out, and frames dropped since (docs-site/protocol §7, at most 1/s). */
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
  /** The in-band auth deadline (a handle of the server's `Clock`). */
  authTimer?: unknown;
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

  /**
   * How publications reach it (the topic layer subscribes it in uWS accordingly):
   * - `none` (direct): it needs its own frame — msgpack, E2E — or the gate refuses it data: then it
   *   is never subscribed in uWS under any name, so `app.publish` cannot reach it, and the fan-out's
   *   per-connection path stops at {@link admits};
   * - `plain`: JSON, but the client said `features.compression: false` — uWS, under the topic's
   *   uncompressed name (never `C:`);
   * - `compressed`: JSON — uWS, the shared frame (`C:` above the threshold).
   */
  get uwsVariant(): UwsVariant {
    if (this.format === 'msgpack' || this.e2e !== undefined || !this.admits('data')) return 'none';
    return this.compress ? 'compressed' : 'plain';
  }

  /** Needs its own frame for publications (cannot ride on uWS at all, see {@link uwsVariant}). */
  get direct(): boolean {
    return this.uwsVariant === 'none';
  }

  /** E2E is on (every frame to this connection is `E:`). */
  get encrypted(): boolean {
    return this.e2e !== undefined;
  }

  /** The compression threshold for this connection: none inside `E:` or when the client said no. */
  private get threshold(): number {
    return this.e2e || !this.compress ? Number.POSITIVE_INFINITY : this.env.compressionThreshold;
  }

  /**
   * THE send gate (DESIGN: nothing reaches a socket before it is authenticated, except the auth
   * exchange). Every outbound method of this class asks it, so every send path — broadcasts, topic
   * fan-out, presence, replays, replies, the application's own sends — is checked here:
   * - before authentication (`phase: 'auth'`, waiting for the in-band token): errors only;
   * - with `requireEncryption` and no session key: errors and protocol control frames only
   *   (docs-site/protocol §6: no data in plaintext);
   * - otherwise everything.
   */
  admits(kind: SendKind): boolean {
    if (kind === 'error') return true;
    if (this.phase === 'auth') return false;
    if (kind === 'control') return true;
    return this.e2e !== undefined || this.env.requireEncryption !== true;
  }

  get closed(): boolean {
    return this.phase === 'closed' || !this.handle || this.handle.closed || this.closing !== undefined;
  }

  /** Unsent bytes, including frames still being encrypted. */
  bufferedAmount(): number {
    return (this.handle?.bufferedAmount() ?? 0) + this.pendingEncrypted;
  }

  /**
   * Builds an envelope (c, id, ts, v, seq filled) and sends it in this connection's format, if the
   * gate admits it (`kind`: by type for the server's own frames; the application's are `data`).
   */
  sendEvent(
    type: string,
    payload: object = {},
    extra: { cid?: string; pri?: number } = {},
    kind: SendKind = sendKindOf(type),
  ): void {
    if (this.closed || !this.admits(kind)) return;
    const options = envelopeIds();
    options.seq = ++this.seq;
    if (extra.cid !== undefined) options.cid = extra.cid;
    if (extra.pri !== undefined) options.pri = extra.pri;
    const env = buildEnvelope(type, payload, options);
    this.sendEnvelope(env as Envelope, kind);
  }

  sendError(code: ErrorCodeValue, message: string, extra: Record<string, unknown> = {}, cid?: string): void {
    this.sendEvent('error', { code, message, ...extra }, { cid });
  }

  /** Sends a complete envelope (the caller filled it) in this connection's format, if the gate admits it. */
  sendEnvelope(env: Envelope, kind: SendKind = sendKindOf(env.t)): void {
    if (this.closed || !this.admits(kind)) return;
    const frame = encodeFrame(env, { format: this.format, compressionThreshold: this.threshold });
    this.write(frame);
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
    if (this.closed || !this.admits('data')) return;
    if (this.format === 'json') this.write(jsonFrame(pub.json, this.threshold, pub.bytes));
    else this.sendEnvelope(pub.envelope as Envelope, 'data');
  }

  /** Sends an already encoded data frame (the gate decides); encrypts it first when E2E is on. */
  sendFrame(frame: string | Uint8Array): void {
    if (this.closed || !this.admits('data')) return;
    this.write(frame);
  }

  /** Below the gate: every caller has asked {@link admits}. */
  private write(frame: string | Uint8Array): void {
    if (this.e2e) {
      this.encrypt(toBytes(frame));
      return;
    }
    this.handle?.send(frame, typeof frame !== 'string');
    this.env.onSent(frame.length);
  }

  /** Encrypts `inner` (a JSON or `M:` data frame) and sends it, in call order. */
  sendEncrypted(inner: Uint8Array): void {
    if (this.closed || !this.admits('data')) return;
    this.encrypt(inner);
  }

  /**
   * Sealing starts now (key and IV fixed at the call, several frames encrypt in parallel); the
   * chain only orders the sends.
   */
  private encrypt(inner: Uint8Array): void {
    const e2e = this.e2e;
    if (!e2e || this.closed) return;
    this.pendingEncrypted += inner.byteLength;
    const sealing = e2e.seal(inner);
    sealing.catch(() => {}); // observed in the chain below
    this.chain = (this.chain ?? Promise.resolve()).then(async () => {
      try {
        const bytes = await sealing;
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
