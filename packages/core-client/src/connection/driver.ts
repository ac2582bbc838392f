/**
 * The connection driver: runs the pure machine, executes its effects (sockets through sessions,
 * timers through the injected clock, endpoint choice through the pool), and turns session and
 * environment reports back into machine events.
 *
 * Re-entrancy: events raised while effects run are queued and processed after the current
 * transition, so the machine always sees one event at a time.
 *
 * @module
 */

import type { EndpointPool } from '../endpoints/endpoint-pool';
import type { Clock } from '../env/clock';
import type { EnvironmentSource } from '../env/environment';
import type { Random } from '../env/random';
import type { Envelope } from '../protocol/envelope';
import { TransportError, type WSEError } from '../protocol/errors';
import { loadE2E, type ServerHello, type ServerReady } from '../session/negotiation';
import { Session, type SessionConfig } from '../session/session';
import type { TokenProvider } from '../session/token-provider';
import { backoffDelay } from './backoff';
import {
  AUTH_FAILED_CLOSE,
  type ConnectionState,
  type Effect,
  initialContext,
  type MachineConfig,
  type MachineContext,
  type MachineEvent,
  transition,
} from './machine';

/**
 * Per-connection settings the driver passes to each session (the driver adds url, token, clock).
 *
 * @example
 * ```ts
 * const base: SessionBase = { transport, clientVersion: '0.1.0', msgpack: false, … };
 * ```
 */
export type SessionBase = Omit<
  SessionConfig,
  'url' | 'clock' | 'headers' | 'helloToken' | 'helloFirst' | 'refreshToken'
>;

/**
 * Driver settings.
 *
 * @example
 * ```ts
 * const config: DriverConfig = { clock, random, pool, tokens, environment, session, … };
 * ```
 */
export interface DriverConfig {
  readonly clock: Clock;
  readonly random: Random;
  readonly pool: EndpointPool;
  readonly tokens: TokenProvider;
  readonly environment: EnvironmentSource;
  /** Token in the `Authorization` header (`true`) or in `client_hello` (`false`). */
  readonly tokenInHeader: boolean;
  readonly connectTimeoutMs: number;
  readonly backoff: { baseMs: number; maxMs: number };
  /** `false` disables reconnecting: any loss goes to `failed`. */
  readonly reconnect: boolean;
  readonly maxAttempts?: number;
  /** A pinned server identity key for E2E (base64 raw P-256 point or a CryptoKey). */
  readonly identityKey?: string | CryptoKey;
  readonly session: SessionBase;
}

/**
 * What the driver reports to the client.
 *
 * @example
 * ```ts
 * const hooks: Partial<DriverHooks> = { onState: (s) => console.log(s) };
 * ```
 */
export interface DriverHooks {
  onState(state: ConnectionState, ctx: MachineContext): void;
  onUp(info: { endpoint: string; ready: ServerReady; hello: ServerHello; encrypted: boolean }): void;
  onDown(code: number, reason: string): void;
  onEnvelope(env: Envelope): void;
  onError(error: WSEError): void;
  onClose(code: number, reason: string): void;
  onEndpoint(endpoint: string | null): void;
  onRtt(ms: number): void;
  onLoss(): void;
  onTokenRefreshed(expiresInSec: number | null): void;
}

/**
 * Owns the socket (through a {@link Session}) and the connect/retry timers.
 *
 * @example
 * ```ts
 * const driver = new ConnectionDriver(config, hooks);
 * driver.dispatch({ type: 'CONNECT' });
 * driver.send(buildEnvelope('chat_message', { text: 'hi' }));
 * driver.dispatch({ type: 'CLOSE' });
 * ```
 */
export class ConnectionDriver {
  #ctx: MachineContext;
  readonly #machine: MachineConfig;
  readonly #queue: MachineEvent[] = [];
  #running = false;
  #session: Session | null = null;
  #endpoint: string | null = null;
  #connectTimer: unknown = null;
  #retryTimer: unknown = null;
  #pendingReady: Parameters<DriverHooks['onUp']>[0] | null = null;
  #stopEnvironment: (() => void) | null = null;
  /** Bumped whenever an attempt is abandoned, so late async results are ignored. */
  #generation = 0;
  #identity: Promise<CryptoKey | undefined> | null = null;

  readonly #config: DriverConfig;
  readonly #hooks: DriverHooks;
  constructor(config: DriverConfig, hooks: DriverHooks) {
    this.#config = config;
    this.#hooks = hooks;
    this.#ctx = initialContext(config.environment.isOnline());
    this.#machine = {
      canRefreshToken: config.tokens.canRefresh,
      maxAttempts: config.reconnect ? config.maxAttempts : 0,
    };
  }

  /** The current machine state. */
  get state(): ConnectionState {
    return this.#ctx.state;
  }

  /** The current context (attempt count, online flag, fail reason). */
  get context(): MachineContext {
    return this.#ctx;
  }

  /** The endpoint of the current or last attempt. */
  get currentEndpoint(): string | null {
    return this.#endpoint;
  }

  /** `true` when a session is up and can take frames. */
  get canSend(): boolean {
    return this.#ctx.state === 'connected' && this.#session?.isReady === true;
  }

  /** Bytes buffered in the socket (0 when none). */
  get bufferedAmount(): number {
    return this.#session?.bufferedAmount ?? 0;
  }

  /** Sends over the live session; throws when there is none or encoding fails (see `Session.send`). */
  send(env: Envelope, onLost?: () => void): void {
    // canSend implies a live session.
    if (!this.canSend) throw new TransportError('NOT_CONNECTED', 'not connected');
    this.#session!.send(env, onLost);
  }

  /** Feeds one event to the machine (queued when called from inside an effect). */
  dispatch(event: MachineEvent): void {
    this.#queue.push(event);
    if (this.#running) return;
    this.#running = true;
    try {
      for (let ev = this.#queue.shift(); ev; ev = this.#queue.shift()) this.#step(ev);
    } finally {
      this.#running = false;
    }
  }

  #step(event: MachineEvent): void {
    if (event.type === 'CONNECT' || event.type === 'RECONNECT') this.#watchEnvironment();
    const before = this.#ctx.state;
    const { context, effects } = transition(this.#ctx, event, this.#machine);
    this.#ctx = context;
    for (const fx of effects) this.#run(fx);
    if (context.state === 'closed' || context.state === 'failed') this.#unwatchEnvironment();
    if (context.state !== before) this.#hooks.onState(context.state, context);
  }

  #run(fx: Effect): void {
    const { clock } = this.#config;
    switch (fx.type) {
      case 'open':
        this.#open();
        return;
      case 'close_socket':
        this.#generation += 1;
        this.#session?.close(fx.code, fx.reason);
        this.#session = null;
        return;
      case 'start_connect_timer':
        this.#clearConnectTimer();
        this.#connectTimer = clock.setTimeout(
          () => this.dispatch({ type: 'TIMEOUT' }),
          this.#config.connectTimeoutMs,
        );
        return;
      case 'clear_connect_timer':
        this.#clearConnectTimer();
        return;
      case 'schedule_retry':
        this.#scheduleRetry(fx.attempt);
        return;
      case 'cancel_retry':
        if (this.#retryTimer !== null) clock.clearTimeout(this.#retryTimer);
        this.#retryTimer = null;
        return;
      case 'session_up':
        if (this.#pendingReady) this.#hooks.onUp(this.#pendingReady);
        this.#pendingReady = null;
        return;
      case 'session_down':
        this.#hooks.onDown(fx.code, fx.reason);
        return;
      case 'report_failure':
        if (this.#endpoint) this.#config.pool.reportFailure(this.#endpoint);
        return;
      case 'report_success':
        if (this.#endpoint) this.#config.pool.reportSuccess(this.#endpoint);
        return;
      case 'check_token':
        this.#checkToken();
        return;
      case 'refresh_token':
        return; // the next attempt calls the token function again
    }
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer !== null) this.#config.clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
  }

  #scheduleRetry(attempt: number): void {
    const { clock, backoff, random, pool } = this.#config;
    if (this.#retryTimer !== null) clock.clearTimeout(this.#retryTimer);
    let delay = backoffDelay(attempt - 1, backoff, random);
    const availableAt = pool.nextAvailableAt();
    if (availableAt !== undefined) delay = Math.max(delay, availableAt - clock.now());
    this.#retryTimer = clock.setTimeout(() => {
      this.#retryTimer = null;
      this.dispatch({ type: 'RETRY' });
    }, delay);
  }

  #checkToken(): void {
    const gen = this.#generation;
    void this.#config.tokens.isFresh().then((fresh) => {
      if (gen === this.#generation) this.dispatch({ type: 'TOKEN_CHECKED', fresh });
    });
  }

  #open(): void {
    const { pool } = this.#config;
    if (!pool.ready) {
      // Several endpoints: the strategies are a lazy chunk (fetched at client creation); the
      // first attempt waits for them so it picks as configured. A stale wait is dropped.
      const gen = ++this.#generation;
      void pool
        .load()
        .then(() => gen === this.#generation && this.#ctx.state === 'connecting' && this.#open());
      return;
    }
    const url = pool.next();
    if (url === undefined) {
      this.dispatch({ type: 'NO_ENDPOINT' });
      return;
    }
    this.#endpoint = url;
    this.#hooks.onEndpoint(url);
    const gen = ++this.#generation;
    const pinned = this.#identityKey();
    this.#config.tokens.fetch().then(
      async (token) => {
        let identityKey: CryptoKey | undefined;
        try {
          identityKey = await pinned;
        } catch (err) {
          if (gen !== this.#generation) return;
          this.#hooks.onError(err as WSEError);
          this.dispatch({ type: 'FATAL' });
          return;
        }
        if (gen === this.#generation && this.#ctx.state === 'connecting')
          this.#startSession(url, token, gen, identityKey);
      },
      (err: unknown) => {
        if (gen !== this.#generation) return;
        this.#hooks.onError(err as WSEError);
        this.dispatch({ type: 'CLOSED', code: AUTH_FAILED_CLOSE, reason: 'token unavailable' });
      },
    );
  }

  #identityKey(): Promise<CryptoKey | undefined> {
    const key = this.#config.identityKey;
    if (key === undefined) return Promise.resolve(undefined);
    this.#identity ??= loadE2E().then((e2e) => e2e.resolveIdentityKey(key));
    return this.#identity;
  }

  #startSession(url: string, token: string | undefined, gen: number, identityKey?: CryptoKey): void {
    const inHeader = this.#config.tokenInHeader && token !== undefined;
    const config: SessionConfig = {
      ...this.#config.session,
      encryption: this.#config.session.encryption ? { identityKey } : null,
      url,
      clock: this.#config.clock,
      headers: inHeader ? { Authorization: `Bearer ${token}` } : undefined,
      helloToken: inHeader ? undefined : token,
      helloFirst: !inHeader && token !== undefined,
      refreshToken: this.#config.tokens.canRefresh ? () => this.#config.tokens.fetch() : undefined,
    };
    const live = () => gen === this.#generation;
    const session = new Session(config, {
      onOpen: () => live() && this.dispatch({ type: 'OPENED' }),
      onReady: (r) => {
        if (!live()) return;
        this.#pendingReady = { endpoint: url, ...r };
        this.dispatch({ type: 'READY' });
      },
      onEnvelope: (env) => live() && this.#hooks.onEnvelope(env),
      onClosed: (code, reason) => {
        if (!live()) return;
        this.#session = null;
        this.#hooks.onClose(code, reason);
        this.dispatch({ type: 'CLOSED', code, reason });
      },
      onDead: () => live() && this.dispatch({ type: 'DEAD' }),
      onError: (err) => live() && this.#hooks.onError(err),
      onFatal: (err) => {
        if (!live()) return;
        this.#hooks.onError(err);
        this.dispatch({ type: 'FATAL' });
      },
      onRtt: (ms) => {
        if (!live()) return;
        this.#config.pool.reportSuccess(url, ms);
        this.#hooks.onRtt(ms);
      },
      onLoss: () => live() && this.#hooks.onLoss(),
      onTokenRefreshed: (sec) => live() && this.#hooks.onTokenRefreshed(sec),
    });
    this.#session = session;
    session.open();
  }

  #watchEnvironment(): void {
    if (this.#stopEnvironment) return;
    // Not watched while closed/failed: the network may have changed since.
    this.#ctx = { ...this.#ctx, online: this.#config.environment.isOnline() };
    this.#stopEnvironment = this.#config.environment.subscribe((ev) => {
      if (ev === 'online') this.dispatch({ type: 'ONLINE' });
      else if (ev === 'offline') this.dispatch({ type: 'OFFLINE' });
      else this.dispatch({ type: 'WAKE' });
    });
  }

  #unwatchEnvironment(): void {
    this.#stopEnvironment?.();
    this.#stopEnvironment = null;
  }
}
