import { randomUUID } from 'node:crypto';
import { AuthError, CloseCode } from '@wse/core-client/protocol';
import { AuthRefusalLog } from '../auth/auth-refusal-log';
import { type ExtractedToken, extractToken } from '../auth/token-source';
import type { VerifiedToken } from '../auth/token-verifier';
import type { ConnectionInfo } from '../options';
import type {
  HttpRequestHead,
  HttpRequestInfo,
  HttpResult,
  SocketHandle,
  TransportHandlers,
  UpgradeInfo,
} from '../transport/transport';
import { Connection, type ConnectionEnv, type Identity } from './connection';
import { ConnectionSweep } from './connection-sweep';
import { frameCost, MAX_HELLO_BYTES, MessageRouter } from './message-router';
import { buildServerReady } from './negotiate';
import type { AuthCode, RouterCallbacks } from './router-callbacks';
import { type InboxHandler, loopTurn, SerialInbox, type TurnBudget } from './serial-inbox';
import type { SessionDeps } from './session-deps';

/** Decided at upgrade, attached to the socket, completed at open. */
export interface UpgradeContext {
  connId: string;
  format: 'json' | 'msgpack';
  remoteAddress: string;
  identity?: Identity;
  authError?: { code: AuthCode; message: string };
  /** Accept the socket only to close it with this code (docs-site/protocol §8: the client must see the code). */
  reject?: { code: number; reason: string };
  conn?: Connection;
}

const textDecoder = new TextDecoder();

function toIdentity(v: VerifiedToken): Identity {
  return { userId: v.userId, anonymous: false, claims: v.claims, acl: v.topics, expiresAt: v.expiresAt };
}
/** uWS neuters message buffers after the callback; strings are immutable. */
const copyFrame = (frame: ArrayBuffer | string) => (typeof frame === 'string' ? frame : frame.slice(0));

/** Frames a connection may queue while an async step runs; past it the client is flooding. */
const MAX_PENDING_FRAMES = 4096;
/**
 * Work one connection may do per event-loop turn, in frame-cost units (1 + KiB): uWS hands over up
 * to 512 KiB per socket per turn, and 100 sockets decoding all of it synchronously froze the
 * server for a minute. Past the budget frames wait for the next turn (other sockets, HTTP and
 * timers run in between); past `maxQueued` units (~8 MiB) waiting, the client is flooding: 4429.
 */
const TURN_BUDGET: TurnBudget = { perTurn: 64, maxQueued: 8192, turn: loopTurn, defer: setImmediate };
const frameBytes = (frame: ArrayBuffer | string) =>
  typeof frame === 'string' ? frame.length : frame.byteLength;

/**
 * Owns the connections: upgrade (token at the door), open, close, the heartbeat/idle/expiry/slow
 * consumer sweep, and the `RouterCallbacks` its message router calls back into.
 *
 * @example
 * const sessions = new SessionManager(deps);
 * const transport = new UwsTransport(config, sessions);
 */
export class SessionManager implements TransportHandlers<UpgradeContext>, RouterCallbacks {
  readonly connections = new Map<string, Connection>();
  /** Upgrades accepted but not yet closed or opened (they count against maxConnections). */
  private pending = 0;
  private closing: { code: number; reason: string } | null = null;
  private readonly router: MessageRouter;
  /** Shared by every connection: per-connection state stays plain fields, no closures. */
  private readonly connEnv: ConnectionEnv;
  private readonly inboxHandler: InboxHandler<Connection, ArrayBuffer | string>;
  /** Counters for the health snapshot (Prometheus has its own). */
  readonly stats = { rateLimited: 0, slowConsumers: 0, authFailures: 0 };
  /** Heartbeat, idle, expiry and slow consumers (`start()`/`stop()` follow the server's). */
  readonly sweep: ConnectionSweep;
  private readonly authRefusals: AuthRefusalLog;

  constructor(private readonly deps: SessionDeps) {
    this.authRefusals = new AuthRefusalLog(deps.logger);
    this.router = new MessageRouter(deps, this);
    this.sweep = new ConnectionSweep(deps, this.connections, this.stats);
    const { metrics, logger, options } = deps;
    this.connEnv = {
      compressionThreshold: options.compressionThreshold,
      requireEncryption: options.requireEncryption,
      rateLimit: options.rateLimit,
      now: () => options.clock.now(),
      onSent: (bytes) => metrics.messageOut(1, bytes),
      onSendError: (err, connId) => logger.warn({ err, connId }, 'send failed'),
    };
    const router = this.router;
    this.inboxHandler = {
      run: (conn, data) => router.handleFrame(conn, data),
      overflow: (conn) => conn.close(CloseCode.RATE_LIMITED, 'too many frames in flight'),
      cost: (frame) => frameCost(frameBytes(frame)),
    };
  }

  // ── transport callbacks ────────────────────────────────────────────────────────────────────

  upgrade(info: UpgradeInfo): UpgradeContext | Promise<UpgradeContext> {
    const ctx: UpgradeContext = {
      connId: randomUUID(),
      format: /(?:^|&)format=msgpack(?:&|$)/.test(info.query) ? 'msgpack' : 'json',
      remoteAddress: info.remoteAddress,
      // Every field up front: one object shape, no out-of-object property store per connection.
      identity: undefined,
      authError: undefined,
      reject: undefined,
      conn: undefined,
    };
    this.pending++;
    if (this.closing) ctx.reject = this.closing;
    else if (this.connections.size + this.pending > this.deps.options.maxConnections) {
      ctx.reject = { code: CloseCode.SERVER_FULL, reason: 'server full' };
    }
    if (ctx.reject) return ctx;
    const auth = this.deps.options.auth;
    if (!auth || !this.deps.verify) {
      // Decided synchronously: uWS upgrades inside the callback, so a client that sends its first
      // frame right behind the request (no wait for 101) is still read as WebSocket data.
      ctx.identity = { userId: `anon-${ctx.connId.slice(0, 8)}`, anonymous: true, claims: {} };
      return ctx;
    }
    const found = extractToken(
      { authorization: info.headers.authorization, cookie: info.headers.cookie, query: info.query },
      auth,
    );
    if (found.token && !found.rejected) {
      // The common case (a valid HS256 token) is decided here, synchronously: no promise, no
      // abort handler, the upgrade completes inside uWS's callback. Anything else goes async.
      const v = this.deps.options.verifier?.verifyNow(found.token);
      if (v) {
        ctx.identity = toIdentity(v);
        return ctx;
      }
    }
    return this.authenticateUpgrade(ctx, found);
  }

  upgradeAborted(_ctx: UpgradeContext): void {
    this.pending--;
  }

  open(socket: SocketHandle, ctx: UpgradeContext): void {
    this.pending--;
    const reject = ctx.reject ?? this.closing;
    if (reject) {
      socket.end(reject.code, reject.reason);
      return;
    }
    const conn = this.createConnection(socket, ctx);
    ctx.conn = conn;
    this.connections.set(conn.id, conn);
    this.deps.metrics.connectionOpened();
    this.deps.topics.attach(conn);
    if (ctx.authError) this.rejectAuth(conn, ctx.authError.code, ctx.authError.message);
    else if (ctx.identity) this.ready(conn);
    else this.awaitInBand(conn);
  }

  message(ctx: UpgradeContext, data: ArrayBuffer, isBinary: boolean): void {
    const conn = ctx.conn;
    if (!conn) return;
    if (data.byteLength > this.deps.options.maxMessageSize) {
      // The whole frame was read (uWS's own limit, `frameCeiling`, is well above), so this close
      // frame arrives cleanly.
      conn.close(
        CloseCode.MESSAGE_TOO_BIG,
        `frame of ${data.byteLength} bytes exceeds maxMessageSize ${this.deps.options.maxMessageSize}`,
      );
      return;
    }
    if (conn.phase === 'auth' && conn.inbox?.idle && data.byteLength > MAX_HELLO_BYTES) {
      // The first frame before authentication must be a small client_hello: refused unread.
      this.rejectAuth(
        conn,
        'AUTH_REQUIRED',
        `the first frame must be a client_hello of at most ${MAX_HELLO_BYTES} bytes`,
      );
      return;
    }
    // Charged before it is queued or decoded: undecodable and compressed frames cost the same.
    if (!this.router.admitFrame(conn, data.byteLength)) return;
    // Text frames are decoded as text (uWS has validated their UTF-8): `[1]` is NOT_AN_OBJECT, not a prefix.
    conn.inbox?.push(isBinary ? data : textDecoder.decode(data), copyFrame);
  }

  drain(ctx: UpgradeContext): void {
    const conn = ctx.conn;
    if (!conn || conn.bufferedAmount() > this.deps.options.maxBackpressure) return;
    if (conn.closing) conn.close(conn.closing.code, conn.closing.reason);
    else conn.overSince = undefined;
  }

  close(ctx: UpgradeContext, code: number, reason: string): void {
    const conn = ctx.conn;
    if (!conn || conn.phase === 'closed') return;
    const wasConnected = conn.phase !== 'auth';
    // A slow consumer dropped after its close frame could not be queued is still a 4008 to the app.
    if (conn.closing && code === CloseCode.ABNORMAL) ({ code, reason } = conn.closing);
    conn.phase = 'closed';
    conn.inbox?.clear();
    if (conn.authTimer !== undefined) this.deps.options.clock.clearTimeout(conn.authTimer);
    this.deps.topics.detach(conn.id);
    this.connections.delete(conn.id);
    this.deps.metrics.connectionClosed();
    if (wasConnected) {
      this.deps.events.emit({
        type: 'disconnect',
        connId: conn.id,
        userId: conn.identity.userId,
        code,
        reason,
      });
    }
  }

  http(request: HttpRequestInfo): Promise<HttpResult> {
    return this.deps.http(request);
  }

  httpEarly(head: HttpRequestHead): HttpResult | null {
    return this.deps.httpEarly?.(head) ?? null;
  }

  // ── RouterCallbacks ────────────────────────────────────────────────────────────────────────

  authenticate(conn: Connection, v: VerifiedToken): void {
    const runtimeAcl = conn.identity.runtimeAcl;
    conn.identity = toIdentity(v);
    if (runtimeAcl) conn.identity.runtimeAcl = runtimeAcl; // the app's narrowing outlives a refresh
    if (conn.authTimer !== undefined) this.deps.options.clock.clearTimeout(conn.authTimer);
    conn.authTimer = undefined;
    if (conn.phase !== 'auth') return;
    // The send gate opens: topics the app subscribed it to before now move onto uWS's shared frames.
    conn.phase = 'open';
    this.deps.topics.updatePath(conn);
  }

  ready(conn: Connection): void {
    const now = this.deps.options.clock.now();
    conn.lastPingAt = now;
    conn.sendEvent(
      'server_ready',
      buildServerReady({
        connectionId: conn.id,
        userId: conn.identity.userId,
        now,
        tokenExpiresAt: conn.identity.expiresAt,
        features: this.deps.features,
      }),
    );
    // The event (and its info snapshot) is built only when someone listens.
    if (!this.deps.events.wants('connect')) return;
    this.deps.events.emit({
      type: 'connect',
      connId: conn.id,
      userId: conn.identity.userId,
      info: this.info(conn),
    });
  }

  rejectAuth(conn: Connection, code: AuthCode, message: string, extra?: Record<string, unknown>): void {
    this.deps.metrics.authFailure();
    this.stats.authFailures++;
    this.authRefusals.refused(code, message, conn.remoteAddress);
    conn.sendError(code, message, extra);
    conn.close(code === 'AUTH_EXPIRED' ? CloseCode.TOKEN_EXPIRED : CloseCode.AUTH_FAILED, code);
  }

  rateLimited(): void {
    this.deps.metrics.rateLimited();
    this.stats.rateLimited++;
  }

  // ── queries and lifecycle ──────────────────────────────────────────────────────────────────

  info(conn: Connection): ConnectionInfo {
    const info: ConnectionInfo = {
      id: conn.id,
      userId: conn.identity.userId,
      anonymous: conn.identity.anonymous,
      topics: this.deps.topics.topicsOf(conn.id),
      format: conn.format,
      encrypted: conn.encrypted,
      connectedAt: conn.connectedAt,
      claims: conn.identity.claims,
      remoteAddress: conn.remoteAddress,
    };
    if (conn.identity.expiresAt !== undefined) info.tokenExpiresAt = conn.identity.expiresAt;
    if (conn.e2e) info.e2e = { version: conn.e2e.version, rotations: conn.e2e.rotations };
    return info;
  }

  /** Refuses new upgrades with `code` and closes every open connection with it. */
  closeAll(code: number, reason: string): void {
    this.closing = { code, reason };
    for (const conn of [...this.connections.values()]) conn.close(code, reason);
  }

  /** Accept connections again (after stop → start). */
  reopen(): void {
    this.closing = null;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private async authenticateUpgrade(ctx: UpgradeContext, found: ExtractedToken): Promise<UpgradeContext> {
    const verify = this.deps.verify as (token: string) => Promise<VerifiedToken>;
    if (found.rejected) {
      ctx.authError = {
        code: 'AUTH_FAILED',
        message: `token from ${found.source} rejected: ${found.rejected}`,
      };
    } else if (found.token) {
      try {
        ctx.identity = toIdentity(await verify(found.token));
      } catch (err) {
        const code = err instanceof AuthError && err.code === 'AUTH_EXPIRED' ? 'AUTH_EXPIRED' : 'AUTH_FAILED';
        ctx.authError = { code, message: err instanceof Error ? err.message : 'token rejected' };
      }
    }
    return ctx;
  }

  private createConnection(socket: SocketHandle, ctx: UpgradeContext): Connection {
    const conn = new Connection(ctx.connId, ctx.identity, ctx.remoteAddress, ctx.format, this.connEnv);
    conn.handle = socket;
    conn.inbox = new SerialInbox(conn, this.inboxHandler, MAX_PENDING_FRAMES, TURN_BUDGET);
    return conn;
  }

  /** docs-site/protocol §3.1: no token at the door → wait for `client_hello.p.token`, else AUTH_REQUIRED. */
  private awaitInBand(conn: Connection): void {
    const timeout = (this.deps.options.auth || undefined)?.inBandTimeoutMs ?? 5000;
    conn.authTimer = this.deps.options.clock.setTimeout(() => {
      if (conn.phase === 'auth') this.rejectAuth(conn, 'AUTH_REQUIRED', 'no token received in time');
    }, timeout);
  }
}
