/**
 * The connection lifecycle as a pure reducer: `(context, event) → { context, effects }`.
 * No sockets, no timers, no clock: the driver executes the effects and feeds back events, so
 * every transition is testable by feeding events and reading states.
 *
 * Invariants:
 * - `closed` is reached only through a user `CLOSE`; `failed` only through a terminal cause
 *   (auth rejected with no new token, `maxAttempts` exhausted, a fatal negotiation error).
 * - every state that owns a socket (`connecting`, `negotiating`, `connected`) leaves it through an
 *   effect that closes the socket (or because the socket itself reported `CLOSED`).
 * - `attempt` counts consecutive failed attempts; it resets to 0 on `READY` (server_hello).
 *
 * @module
 */

/**
 * The connection states a client reports.
 *
 * @example
 * ```ts
 * const busy: ConnectionState[] = ['connecting', 'negotiating', 'reconnecting'];
 * ```
 */
export type ConnectionState =
  | 'idle'
  | 'connecting'
  | 'negotiating'
  | 'connected'
  | 'reconnecting'
  | 'offline'
  | 'closed'
  | 'failed';

/**
 * Why the machine went to `failed`.
 *
 * @example
 * ```ts
 * const reason: FailReason = 'auth';
 * ```
 */
export type FailReason = 'auth' | 'max_attempts' | 'fatal';

/**
 * The reducer's state.
 *
 * @example
 * ```ts
 * const ctx: MachineContext = initialContext();
 * ```
 */
export interface MachineContext {
  readonly state: ConnectionState;
  /** Consecutive failed attempts since the last successful `READY`. */
  readonly attempt: number;
  /** Whether the environment says the network is up. */
  readonly online: boolean;
  /** Set when the machine entered `failed`. */
  readonly failReason?: FailReason;
  /**
   * Set when the attempt under way follows an auth close (4401/4403) and a new token; cleared by
   * `READY`. A second auth close while it is set is terminal: the token function was asked once
   * more and its token failed too, so asking again would loop.
   */
  readonly authRetry?: boolean;
}

/**
 * Static settings the reducer needs.
 *
 * @example
 * ```ts
 * const config: MachineConfig = { maxAttempts: 10, canRefreshToken: true };
 * ```
 */
export interface MachineConfig {
  /** Failed attempts after which the machine gives up (`failed`); default unlimited. */
  readonly maxAttempts?: number;
  /** `true` when the token is a function that may return a new token. */
  readonly canRefreshToken: boolean;
}

/**
 * What happens to the connection: user intents, socket outcomes, timers, environment changes.
 *
 * @example
 * ```ts
 * const ev: MachineEvent = { type: 'CLOSED', code: 1006, reason: '' };
 * ```
 */
export type MachineEvent =
  | { type: 'CONNECT' }
  | { type: 'OPENED' }
  | { type: 'READY' }
  | { type: 'CLOSED'; code: number; reason: string }
  | { type: 'TIMEOUT' }
  | { type: 'DEAD' }
  | { type: 'NO_ENDPOINT' }
  | { type: 'RETRY' }
  | { type: 'OFFLINE' }
  | { type: 'ONLINE' }
  | { type: 'WAKE' }
  | { type: 'CLOSE' }
  | { type: 'RECONNECT' }
  | { type: 'TOKEN_CHECKED'; fresh: boolean }
  | { type: 'FATAL' };

/**
 * What the driver must do after a transition. The driver executes them in order.
 *
 * @example
 * ```ts
 * const fx: Effect = { type: 'schedule_retry', attempt: 2 };
 * ```
 */
export type Effect =
  | { type: 'open' }
  | { type: 'close_socket'; code: number; reason: string }
  | { type: 'start_connect_timer' }
  | { type: 'clear_connect_timer' }
  | { type: 'schedule_retry'; attempt: number }
  | { type: 'cancel_retry' }
  | { type: 'session_up' }
  | { type: 'session_down'; code: number; reason: string }
  | { type: 'report_failure' }
  | { type: 'report_success' }
  | { type: 'check_token' }
  | { type: 'refresh_token' };

/**
 * The reducer's output.
 *
 * @example
 * ```ts
 * const { context, effects }: Transition = transition(initialContext(), { type: 'CONNECT' }, config);
 * ```
 */
export interface Transition {
  readonly context: MachineContext;
  readonly effects: readonly Effect[];
}

/** Close codes that end the session for good unless a new token can be obtained. */
const AUTH_FAILED = 4401;
const TOKEN_EXPIRED = 4403;
/** Close codes that say "this endpoint is unwell": the pool should look elsewhere. */
const ENDPOINT_FAILURE_CODES: ReadonlySet<number> = new Set([1011, 4300, 4503]);

/** The code the client uses for closes it initiates itself (normal closure). */
export const CLIENT_CLOSE_CODE = 1000;
/** The code used when the client drops a socket it considers dead or stuck. */
export const CLIENT_ABORT_CODE = 4000;

/**
 * The starting context: `idle`, no attempts yet.
 *
 * @example
 * ```ts
 * initialContext(false).state; // 'idle' (online: false)
 * ```
 */
export function initialContext(online = true): MachineContext {
  return { state: 'idle', attempt: 0, online };
}

const ACTIVE: ReadonlySet<ConnectionState> = new Set(['connecting', 'negotiating', 'connected']);

/**
 * Whether the state owns a live (or opening) socket.
 *
 * @example
 * ```ts
 * hasSocket('negotiating'); // true
 * ```
 */
export function hasSocket(state: ConnectionState): boolean {
  return ACTIVE.has(state);
}

function to(ctx: MachineContext, patch: Partial<MachineContext>, effects: Effect[] = []): Transition {
  return { context: { ...ctx, ...patch }, effects };
}

function same(ctx: MachineContext): Transition {
  return { context: ctx, effects: [] };
}

/** Enter `connecting` (or `offline` when the network is down). */
function startAttempt(ctx: MachineContext, extra: Effect[] = []): Transition {
  if (!ctx.online) return to(ctx, { state: 'offline', failReason: undefined }, extra);
  return to(ctx, { state: 'connecting', failReason: undefined }, [
    ...extra,
    { type: 'start_connect_timer' },
    { type: 'open' },
  ]);
}

/** One more failed attempt: back off, or give up when `maxAttempts` is spent. */
function retryLater(ctx: MachineContext, config: MachineConfig, effects: Effect[]): Transition {
  const attempt = ctx.attempt + 1;
  if (config.maxAttempts !== undefined && attempt >= config.maxAttempts) {
    return to(ctx, { state: 'failed', attempt, failReason: 'max_attempts' }, effects);
  }
  if (!ctx.online) return to(ctx, { state: 'offline', attempt }, effects);
  return to(ctx, { state: 'reconnecting', attempt }, [...effects, { type: 'schedule_retry', attempt }]);
}

/** The socket went away (or we gave up on it) while it was ours. */
function onLost(ctx: MachineContext, config: MachineConfig, code: number, reason: string): Transition {
  const wasUp = ctx.state === 'connected';
  const effects: Effect[] = [{ type: 'clear_connect_timer' }];
  if (wasUp) effects.push({ type: 'session_down', code, reason });
  if (!wasUp || ENDPOINT_FAILURE_CODES.has(code)) effects.push({ type: 'report_failure' });
  if (code === AUTH_FAILED || code === TOKEN_EXPIRED) {
    // A fixed token cannot change, and a function had its one more chance: retrying would only
    // repeat the refusal (an expired string token used to reconnect forever).
    if (!config.canRefreshToken || ctx.authRetry)
      return to(ctx, { state: 'failed', failReason: 'auth' }, effects);
    if (code === TOKEN_EXPIRED)
      return retryLater({ ...ctx, authRetry: true }, config, [...effects, { type: 'refresh_token' }]);
    // Stay in `reconnecting` without a timer until the token check answers.
    return to(ctx, { state: 'reconnecting', authRetry: true }, [...effects, { type: 'check_token' }]);
  }
  return retryLater(ctx, config, effects);
}

function abort(ctx: MachineContext, config: MachineConfig, reason: string): Transition {
  const t = onLost(ctx, config, 1006, reason);
  return {
    context: t.context,
    effects: [{ type: 'close_socket', code: CLIENT_ABORT_CODE, reason }, ...t.effects],
  };
}

/**
 * Effects of a stop the client decides (close, reconnect, fatal): timers off, the socket it
 * owns closed with 1000, the session ended (`downCode` reported).
 */
function drop(ctx: MachineContext, reason: string, downCode = CLIENT_CLOSE_CODE): Effect[] {
  const effects: Effect[] = [{ type: 'clear_connect_timer' }, { type: 'cancel_retry' }];
  if (hasSocket(ctx.state)) effects.push({ type: 'close_socket', code: CLIENT_CLOSE_CODE, reason });
  if (ctx.state === 'connected') effects.push({ type: 'session_down', code: downCode, reason });
  return effects;
}

function onOffline(ctx: MachineContext): Transition {
  const offline = { ...ctx, online: false };
  if (ctx.state === 'reconnecting') return to(offline, { state: 'offline' }, [{ type: 'cancel_retry' }]);
  if (!hasSocket(ctx.state)) return same(offline);
  const effects: Effect[] = [
    { type: 'clear_connect_timer' },
    { type: 'close_socket', code: CLIENT_CLOSE_CODE, reason: 'offline' },
  ];
  if (ctx.state === 'connected') effects.push({ type: 'session_down', code: 1006, reason: 'offline' });
  return to(offline, { state: 'offline' }, effects);
}

function onWake(ctx: MachineContext, online: boolean): Transition {
  const next = { ...ctx, online };
  if (next.state === 'offline' && online) return startAttempt(next);
  if (next.state === 'reconnecting' && online) return startAttempt(next, [{ type: 'cancel_retry' }]);
  return same(next);
}

/**
 * The reducer. Unknown or out-of-place events leave the context unchanged with no effects
 * (e.g. a late `TIMEOUT` after `READY`, a `RETRY` after `CLOSE`).
 *
 * @example
 * ```ts
 * const config = { canRefreshToken: false };
 * let t = transition(initialContext(), { type: 'CONNECT' }, config); // connecting, [start_connect_timer, open]
 * t = transition(t.context, { type: 'OPENED' }, config);              // negotiating
 * t = transition(t.context, { type: 'READY' }, config);               // connected, [clear_connect_timer, report_success, session_up]
 * t = transition(t.context, { type: 'CLOSED', code: 1006, reason: '' }, config); // reconnecting, schedule_retry
 * ```
 */
export function transition(ctx: MachineContext, event: MachineEvent, config: MachineConfig): Transition {
  switch (event.type) {
    case 'CONNECT':
      if (hasSocket(ctx.state) || ctx.state === 'reconnecting' || ctx.state === 'offline') return same(ctx);
      return startAttempt({ ...ctx, attempt: 0, authRetry: false });
    case 'OPENED':
      return ctx.state === 'connecting' ? to(ctx, { state: 'negotiating' }) : same(ctx);
    case 'READY':
      if (ctx.state !== 'negotiating' && ctx.state !== 'connecting') return same(ctx);
      return to(ctx, { state: 'connected', attempt: 0, authRetry: false }, [
        { type: 'clear_connect_timer' },
        { type: 'report_success' },
        { type: 'session_up' },
      ]);
    case 'CLOSED':
      return hasSocket(ctx.state) ? onLost(ctx, config, event.code, event.reason) : same(ctx);
    case 'TIMEOUT':
      return ctx.state === 'connecting' || ctx.state === 'negotiating'
        ? abort(ctx, config, 'connect timeout')
        : same(ctx);
    case 'DEAD':
      return ctx.state === 'connected' ? abort(ctx, config, 'heartbeat timeout') : same(ctx);
    case 'NO_ENDPOINT':
      return ctx.state === 'connecting'
        ? retryLater(ctx, config, [{ type: 'clear_connect_timer' }])
        : same(ctx);
    case 'RETRY':
      return ctx.state === 'reconnecting' ? startAttempt(ctx) : same(ctx);
    case 'TOKEN_CHECKED':
      if (ctx.state !== 'reconnecting') return same(ctx);
      return event.fresh ? retryLater(ctx, config, []) : to(ctx, { state: 'failed', failReason: 'auth' });
    case 'FATAL':
      if (ctx.state === 'closed') return same(ctx);
      return to(ctx, { state: 'failed', failReason: 'fatal' }, drop(ctx, 'fatal', 1006));
    case 'OFFLINE':
      return onOffline(ctx);
    case 'ONLINE':
      return onWake(ctx, true);
    case 'WAKE':
      return onWake(ctx, ctx.online);
    case 'CLOSE':
      return ctx.state === 'closed'
        ? same(ctx)
        : to(ctx, { state: 'closed', attempt: 0 }, drop(ctx, 'client close'));
    case 'RECONNECT':
      // A user `reconnect()`: drop the socket (if any) and start a fresh attempt now, no backoff.
      return startAttempt({ ...ctx, attempt: 0, authRetry: false }, drop(ctx, 'reconnect'));
    default:
      return same(ctx);
  }
}
