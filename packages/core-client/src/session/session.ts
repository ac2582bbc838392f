/**
 * One connection's life: the transport, the handshake, the frame codec (format, compression,
 * E2E key), the heartbeat and token refresh timers. A session never reconnects; it reports up and
 * the driver decides. After {@link Session.close} (or the socket closing) it reports nothing.
 *
 * Invariants: inbound frames are decoded and handled strictly in arrival order (one promise
 * chain, because decryption and loading a codec are async); outbound frames leave in `send` order
 * (encrypted frames, and frames waiting for a codec, go through a second chain; while that chain
 * holds anything, every later frame queues behind it).
 *
 * Codecs come from `lazyCodecs`: zlib is fetched for the first compressed frame either way,
 * msgpack when the session opens with `msgpack` on; the format switches to msgpack only once it
 * has loaded, so sending never waits for it.
 *
 * @module
 */

import type { Clock } from '../env/clock';
import type { E2EChannel } from '../protocol/e2e-channel';
import { buildEnvelope, type Envelope, parseEnvelope } from '../protocol/envelope';
import { ProtocolError, TransportError, type WSEError } from '../protocol/errors';
import {
  decodeAnyFrameWith,
  type EncodeOptions,
  encodeFrameWhenReady,
  toBytes,
} from '../protocol/frame-core';
import { lazyCodecs } from '../protocol/lazy-codecs';
import type { Transport, TransportFactory, TransportFrame } from '../transport/transport';
import type { E2EOffer, KeyRotation } from './e2e';
import {
  buildClientHello,
  loadE2E,
  readServerHello,
  readServerReady,
  type ServerHello,
  type ServerReady,
} from './negotiation';
import { SessionHeartbeat } from './session-heartbeat';
import { refreshDelayMs } from './token-provider';

/**
 * Settings of one session.
 *
 * @example
 * ```ts
 * const config: SessionConfig = { url, clock, transport, inBand: true, token, clientVersion: '0.1.0', … };
 * ```
 */
export interface SessionConfig {
  readonly url: string;
  readonly clock: Clock;
  readonly transport: TransportFactory;
  readonly headers?: Readonly<Record<string, string>>;
  /** Token to send in `client_hello` (in-band auth). */
  readonly helloToken?: string;
  /** Send `client_hello` on open instead of waiting for `server_ready` (in-band auth). */
  readonly helloFirst: boolean;
  readonly clientVersion: string;
  readonly msgpack: boolean;
  readonly compressionThreshold: number;
  readonly maxMessageSize: number;
  /** `null`: no E2E. Otherwise, the optional pinned identity key. */
  readonly encryption: { identityKey?: CryptoKey } | null;
  /** E2E key rotation interval; default 1 h (`DEFAULT_KEY_ROTATION_MS`), 0 = off. */
  readonly keyRotationIntervalMs?: number;
  readonly pingIntervalMs?: number;
  readonly deadGraceMs: number;
  readonly tokenRefreshAheadMs: number;
  /** Gets a fresh token for `auth_refresh`; `undefined` when refreshing is not possible. */
  readonly refreshToken?: () => Promise<string | undefined>;
  /** Message signing: a promise of the signed copy, or `undefined` when `env` needs no `sig`. */
  readonly sign?: (env: Envelope) => Promise<Envelope> | undefined;
}

/**
 * What a session reports.
 *
 * @example
 * ```ts
 * const events: Partial<SessionEvents> = { onReady: (r) => console.log(r.hello.limits) };
 * ```
 */
export interface SessionEvents {
  onOpen(): void;
  onReady(ready: { ready: ServerReady; hello: ServerHello; encrypted: boolean }): void;
  onEnvelope(env: Envelope): void;
  onClosed(code: number, reason: string): void;
  onDead(): void;
  onError(error: WSEError): void;
  /** The handshake cannot succeed (E2E refused): do not retry blindly. */
  onFatal(error: WSEError): void;
  onRtt(ms: number): void;
  onLoss(): void;
  onTokenRefreshed(expiresInSec: number | null): void;
}

/**
 * A single connection attempt and, if it succeeds, the live session over it.
 *
 * @example
 * ```ts
 * const session = new Session(config, events);
 * session.open();
 * session.send(buildEnvelope('chat_message', { text: 'hi' }));
 * session.close(1000, 'bye');
 * ```
 */
export class Session {
  #transport: Transport | null = null;
  #alive = true;
  #ready: ServerReady | null = null;
  #helloSent = false;
  #established = false;
  #offer: Promise<E2EOffer> | null = null;
  #e2e: E2EChannel | null = null;
  #rotation: KeyRotation | null = null;
  #format: 'json' | 'msgpack' = 'json';
  #inbound: Promise<void> = Promise.resolve();
  #outbound: Promise<void> = Promise.resolve();
  /** Frames on the `outbound` chain not yet handed to the transport. */
  #queued = 0;
  #refreshTimer: unknown = null;
  readonly #heartbeat: SessionHeartbeat;

  readonly #config: SessionConfig;
  readonly #events: SessionEvents;
  constructor(config: SessionConfig, events: SessionEvents) {
    this.#config = config;
    this.#events = events;
    this.#heartbeat = new SessionHeartbeat(config.clock, {
      sendPing: (ts) => this.#trySend(buildEnvelope('ping', { timestamp: ts })),
      sendPong: (p) => this.#trySend(buildEnvelope('PONG', p)),
      onDead: () => this.#alive && events.onDead(),
      onRtt: (ms) => events.onRtt(ms),
      onLoss: () => events.onLoss(),
    });
  }

  /** `true` once `server_hello` was handled. */
  get isReady(): boolean {
    return this.#established;
  }

  /** Bytes buffered in the socket. */
  get bufferedAmount(): number {
    return this.#transport?.bufferedAmount ?? 0;
  }

  /** Opens the transport. Errors while opening are reported as a close (1006). */
  open(): void {
    if (this.#config.encryption) this.#offer = loadE2E().then((e2e) => e2e.createE2EOffer());
    this.#offer?.catch(() => {}); // observed in sendHello
    if (this.#config.msgpack) lazyCodecs.load('msgpack').catch(() => {}); // retried in establish
    try {
      this.#transport = this.#config.transport(
        { url: this.#config.url, headers: this.#config.headers },
        {
          onOpen: () => this.#handleOpen(),
          onMessage: (frame) => this.#receive(frame),
          onClose: (code, reason) => this.#handleClose(code, reason),
          onError: (err) => this.#alive && this.#events.onError(err as WSEError),
        },
      );
    } catch (cause) {
      this.#events.onError(
        new TransportError('TRANSPORT_FAILED', `cannot open ${this.#config.url}`, { cause }),
      );
      queueMicrotask(() => this.#handleClose(1006, 'open failed'));
    }
  }

  /**
   * Sends an envelope. Throws synchronously when it cannot be encoded or the socket is gone, so
   * the caller can keep the message queued. A frame that waits (encryption, a codec loading) and
   * finds the session gone is not sent: `onLost` is called, so the caller can queue it again.
   */
  send(env: Envelope, onLost?: () => void): void {
    const transport = this.#transport;
    if (!this.#alive || !transport) throw new TransportError('TRANSPORT_CLOSED', 'session closed');
    const e2e = this.#e2e; // fixed at the call: frames sent before server_hello stay plaintext
    const encoded = this.#encode(env); // validates synchronously, signed or not
    const signed = this.#config.sign?.(env);
    if (signed && encoded instanceof Promise) encoded.catch(() => {});
    const frame = signed ? signed.then((e) => this.#encode(e)) : encoded;
    if (!e2e && this.#queued === 0 && !(frame instanceof Promise)) {
      transport.send(frame);
      return;
    }
    this.#queued++;
    // Sealed on this chain, in send order: key and counter follow the wire order (see KeyRotation in e2e.ts).
    this.#outbound = this.#outbound
      .then(() => frame)
      .then((plain) => (e2e ? e2e.seal(toBytes(plain)) : plain))
      .then((out) => {
        if (this.#alive) transport.send(out);
        else onLost?.();
      })
      .catch((err: unknown) => {
        if (this.#alive) this.#events.onError(err as WSEError);
      })
      .finally(() => {
        this.#queued--;
      });
  }

  // Validates synchronously (an invalid envelope throws here). A promise only while the zlib
  // codec loads; if it cannot be loaded, the frame goes out as plain JSON, which is always valid.
  // Never compressed inside E: (docs-site/protocol §2).
  #encode(env: Envelope): string | Uint8Array | Promise<string | Uint8Array> {
    const options: EncodeOptions = {
      format: this.#format,
      compressionThreshold: this.#e2e ? Number.POSITIVE_INFINITY : this.#config.compressionThreshold,
    };
    const frame = encodeFrameWhenReady(lazyCodecs, env, options);
    if (!(frame instanceof Promise)) return frame;
    return frame.catch(() =>
      encodeFrameWhenReady(lazyCodecs, env, { ...options, compressionThreshold: Number.POSITIVE_INFINITY }),
    );
  }

  /** Closes the socket; no event is reported afterwards. Idempotent. */
  close(code: number, reason: string): void {
    if (!this.#alive) return;
    this.#stop();
    this.#transport?.close(code, reason);
  }

  #stop(): void {
    this.#alive = false;
    this.#heartbeat.stop();
    this.#rotation?.close();
    if (this.#refreshTimer !== null) this.#config.clock.clearTimeout(this.#refreshTimer);
    this.#refreshTimer = null;
  }

  #trySend(env: Envelope): void {
    try {
      this.send(env);
    } catch (err) {
      this.#events.onError(err as WSEError);
    }
  }

  #handleOpen(): void {
    if (!this.#alive) return;
    this.#events.onOpen();
    if (this.#config.helloFirst) void this.#sendHello();
  }

  #handleClose(code: number, reason: string, drained = false): void {
    if (!this.#alive) return;
    // An auth close follows the server's `error` frame (its own code and message, e.g.
    // AUTH_REQUIRED / "token is malformed"); decoding is async, so let that frame through first.
    if (!drained && (code === 4401 || code === 4403)) {
      void this.#inbound.then(() => this.#handleClose(code, reason, true));
      return;
    }
    this.#stop();
    this.#events.onClosed(code, reason);
  }

  async #sendHello(): Promise<void> {
    if (this.#helloSent) return;
    this.#helloSent = true;
    let publicKey: string | undefined;
    try {
      publicKey = this.#offer ? (await this.#offer).publicKey : undefined;
    } catch (cause) {
      this.#fatal(new ProtocolError('INVALID_KEY', 'cannot create the E2E key pair', { cause }));
      return;
    }
    const hello = buildClientHello({
      clientVersion: this.#config.clientVersion,
      msgpack: this.#config.msgpack,
      compression: Number.isFinite(this.#config.compressionThreshold),
      encryptionPublicKey: publicKey,
      token: this.#config.helloToken,
    });
    if (this.#alive) this.#trySend(hello);
  }

  #fatal(error: WSEError): void {
    if (!this.#alive) return;
    this.close(1000, 'handshake failed');
    this.#events.onFatal(error);
  }

  #receive(frame: TransportFrame): void {
    if (!this.#alive) return;
    this.#heartbeat.received();
    // A throwing handler must not break the chain: every later frame would be ignored.
    this.#inbound = this.#inbound
      .then(() => this.#decode(frame))
      .catch((err: unknown) => {
        if (this.#alive) this.#events.onError(err as WSEError);
      });
  }

  async #decode(frame: TransportFrame): Promise<void> {
    if (!this.#alive) return;
    let env: Envelope;
    try {
      const e2e = this.#e2e;
      env = await decodeAnyFrameWith(lazyCodecs, frame, {
        open: e2e?.open.bind(e2e),
        requireEncryption: e2e !== null,
        maxMessageSize: this.#config.maxMessageSize,
      });
    } catch (err) {
      if (this.#alive) this.#events.onError(err as WSEError);
      return;
    }
    if (this.#alive) await this.#dispatch(env);
  }

  async #dispatch(env: Envelope): Promise<void> {
    switch (env.t) {
      case 'server_ready':
        this.#ready = readServerReady(env.p);
        if (!this.#helloSent) await this.#sendHello();
        return;
      case 'server_hello':
        if (!this.#established) await this.#establish(env);
        return;
      case 'ping':
        this.#heartbeat.serverPing(env.p);
        return;
      case 'PONG':
      case 'pong':
        this.#heartbeat.pong(env.p);
        return;
      case 'auth_refreshed': {
        const sec = env.p.token_expires_in;
        const expiresIn = typeof sec === 'number' ? sec : null;
        this.#scheduleRefresh(expiresIn);
        this.#events.onTokenRefreshed(expiresIn);
        return;
      }
      case 'batch':
        await this.#unbatch(env.p.messages);
        return;
      case 'e2e_rekeyed':
      case 'e2e_rekey_request':
        await this.#rotation?.handle(env);
        return;
      default:
        this.#events.onEnvelope(env);
    }
  }

  async #unbatch(messages: unknown): Promise<void> {
    if (!Array.isArray(messages)) return;
    for (const m of messages) {
      if (!this.#alive) return;
      let env: Envelope;
      try {
        env = parseEnvelope(m);
      } catch (err) {
        this.#events.onError(err as WSEError);
        continue;
      }
      await this.#dispatch(env);
    }
  }

  async #establish(env: Envelope): Promise<void> {
    const hello = readServerHello(env.p);
    const ready = this.#ready ?? readServerReady({ details: { connection_id: hello.connectionId } });
    if (this.#offer) {
      try {
        const e2e = await loadE2E();
        this.#rotation = await e2e.startE2E(
          await this.#offer,
          hello,
          hello.connectionId ?? ready.connectionId,
          this.#config,
          (p) => this.#trySend(buildEnvelope('e2e_rekey', p)),
          (error) => this.#fatal(error),
        );
        this.#e2e = this.#rotation.channel;
      } catch (err) {
        this.#fatal(err as WSEError);
        return;
      }
    }
    if (this.#config.msgpack && hello.features.msgpack === true) {
      if (lazyCodecs.msgpack || (await this.#loadMsgpack())) this.#format = 'msgpack';
    }
    if (!this.#alive) return;
    this.#established = true;
    this.#heartbeat.start({
      pingIntervalMs: this.#config.pingIntervalMs ?? hello.pingIntervalMs,
      deadAfterMs: hello.pingIntervalMs + this.#config.deadGraceMs,
      maxPongsPerSecond: 10,
    });
    this.#scheduleRefresh(ready.tokenExpiresIn);
    this.#rotation?.start();
    this.#events.onReady({ ready, hello, encrypted: this.#e2e !== null });
  }

  // `false` (and an error report) when the msgpack codec cannot be loaded: the session then keeps
  // sending JSON, which the server always accepts.
  async #loadMsgpack(): Promise<boolean> {
    try {
      await lazyCodecs.load('msgpack');
      return true;
    } catch (cause) {
      if (this.#alive)
        this.#events.onError(
          new ProtocolError('MSGPACK_INVALID', 'the msgpack codec could not be loaded', { cause }),
        );
      return false;
    }
  }

  #scheduleRefresh(expiresInSec: number | null): void {
    const refresh = this.#config.refreshToken;
    if (this.#refreshTimer !== null) this.#config.clock.clearTimeout(this.#refreshTimer);
    this.#refreshTimer = null;
    if (!refresh || expiresInSec === null || expiresInSec <= 0 || !this.#alive) return;
    const delay = refreshDelayMs(expiresInSec, this.#config.tokenRefreshAheadMs);
    this.#refreshTimer = this.#config.clock.setTimeout(() => {
      this.#refreshTimer = null;
      refresh().then(
        (token) => token && this.#alive && this.#trySend(buildEnvelope('auth_refresh', { token })),
        (err: unknown) => this.#alive && this.#events.onError(err as WSEError),
      );
    }, delay);
  }
}
