/**
 * Heartbeat decisions, pure: when to ping, when a socket is dead, which server pings to answer,
 * and the RTT of a PONG. The session owns the one timer and asks {@link heartbeatTick} what to do.
 *
 * @module
 */

/**
 * Heartbeat settings for one connection.
 *
 * @example
 * ```ts
 * const hb: HeartbeatConfig = { pingIntervalMs: 25_000, deadAfterMs: 35_000, maxPongsPerSecond: 10 };
 * ```
 */
export interface HeartbeatConfig {
  /** How often the client sends its own `ping` (server's `ping_interval` by default). */
  readonly pingIntervalMs: number;
  /** Silence after which the socket counts as dead: `ping_interval + 10 s` (docs-site/protocol §3.6). */
  readonly deadAfterMs: number;
  /** Server pings answered per second at most; extra ones are ignored (ping-flood guard). */
  readonly maxPongsPerSecond: number;
}

/**
 * Heartbeat bookkeeping for one connection.
 *
 * @example
 * ```ts
 * let hb = initialHeartbeat(clock.now());
 * ```
 */
export interface HeartbeatState {
  /** When anything was last received. */
  readonly lastReceivedAt: number;
  /** When our last `ping` went out, or `null` before the first one. */
  readonly lastPingAt: number | null;
  /** `timestamp` of the ping still waiting for its PONG, or `null`. */
  readonly outstanding: number | null;
  /** Window start and count for the pong rate limit. */
  readonly pongWindowStart: number;
  readonly pongsInWindow: number;
}

/**
 * The state of a connection that has just opened.
 *
 * @example
 * ```ts
 * initialHeartbeat(1000).lastReceivedAt; // 1000
 * ```
 */
export function initialHeartbeat(now: number): HeartbeatState {
  return { lastReceivedAt: now, lastPingAt: null, outstanding: null, pongWindowStart: now, pongsInWindow: 0 };
}

/**
 * Records that a frame arrived (any frame proves the socket is alive).
 *
 * @example
 * ```ts
 * hb = heartbeatReceived(hb, clock.now());
 * ```
 */
export function heartbeatReceived(state: HeartbeatState, now: number): HeartbeatState {
  return { ...state, lastReceivedAt: now };
}

/**
 * What a tick asks the session to do.
 *
 * @example
 * ```ts
 * const d: HeartbeatDecision = { action: 'ping', lost: false, nextCheckInMs: 25_000 };
 * ```
 */
export interface HeartbeatDecision {
  /** `dead`: drop the socket and reconnect; `ping`: send a ping now; `none`: nothing. */
  readonly action: 'dead' | 'ping' | 'none';
  /** `true` when a ping is sent while the previous one never got its PONG (counts as loss). */
  readonly lost: boolean;
  /** When to tick next. */
  readonly nextCheckInMs: number;
}

/**
 * Decides, at `now`, whether the socket is dead or a ping is due. Call it on a timer; schedule the
 * next call after `nextCheckInMs`. When the action is `ping`, record it with {@link heartbeatPinged}.
 *
 * @example
 * ```ts
 * const d = heartbeatTick(hb, config, clock.now());
 * if (d.action === 'dead') reconnect();
 * if (d.action === 'ping') { hb = heartbeatPinged(hb, clock.now()); sendPing(); }
 * ```
 */
export function heartbeatTick(
  state: HeartbeatState,
  config: HeartbeatConfig,
  now: number,
): HeartbeatDecision {
  const deadAt = state.lastReceivedAt + config.deadAfterMs;
  if (now >= deadAt) return { action: 'dead', lost: state.outstanding !== null, nextCheckInMs: 0 };
  const pingAt = (state.lastPingAt ?? now - config.pingIntervalMs) + config.pingIntervalMs;
  if (now >= pingAt) {
    return {
      action: 'ping',
      lost: state.outstanding !== null,
      nextCheckInMs: Math.max(1, Math.min(config.pingIntervalMs, deadAt - now)),
    };
  }
  return { action: 'none', lost: false, nextCheckInMs: Math.max(1, Math.min(pingAt, deadAt) - now) };
}

/**
 * Records that a ping with `timestamp = now` went out.
 *
 * @example
 * ```ts
 * hb = heartbeatPinged(hb, 5000); // hb.outstanding === 5000
 * ```
 */
export function heartbeatPinged(state: HeartbeatState, now: number): HeartbeatState {
  return { ...state, lastPingAt: now, outstanding: now };
}

/**
 * Reads a PONG to our ping: returns the RTT in ms (or `null` when the PONG does not match a ping
 * we sent or is from the future) and the new state.
 *
 * @example
 * ```ts
 * const { rtt, state } = heartbeatPong(hb, { client_timestamp: 5000 }, 5042); // rtt 42
 * ```
 */
export function heartbeatPong(
  state: HeartbeatState,
  payload: Record<string, unknown>,
  now: number,
): { rtt: number | null; state: HeartbeatState } {
  const sent = payload.client_timestamp;
  if (typeof sent !== 'number' || !Number.isFinite(sent) || sent > now) return { rtt: null, state };
  if (state.lastPingAt !== null && sent < state.lastPingAt - 3_600_000) return { rtt: null, state };
  const next = state.outstanding === sent ? { ...state, outstanding: null } : state;
  return { rtt: now - sent, state: next };
}

/**
 * Whether to answer a server ping now (at most `maxPongsPerSecond`), and the new state.
 *
 * @example
 * ```ts
 * const { answer, state } = heartbeatServerPing(hb, config, clock.now());
 * if (answer) sendPong();
 * ```
 */
export function heartbeatServerPing(
  state: HeartbeatState,
  config: HeartbeatConfig,
  now: number,
): { answer: boolean; state: HeartbeatState } {
  const fresh = now - state.pongWindowStart >= 1000;
  const start = fresh ? now : state.pongWindowStart;
  const count = fresh ? 0 : state.pongsInWindow;
  if (count >= config.maxPongsPerSecond) return { answer: false, state };
  return { answer: true, state: { ...state, pongWindowStart: start, pongsInWindow: count + 1 } };
}
