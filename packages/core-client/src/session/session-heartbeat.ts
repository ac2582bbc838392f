/**
 * The heartbeat's one timer, driving the pure decisions of `session/heartbeat`.
 *
 * @module
 */

import type { Clock } from '../env/clock';
import {
  type HeartbeatConfig,
  type HeartbeatState,
  heartbeatPinged,
  heartbeatPong,
  heartbeatReceived,
  heartbeatServerPing,
  heartbeatTick,
  initialHeartbeat,
} from './heartbeat';

/**
 * What the heartbeat asks its owner to do.
 *
 * @example
 * ```ts
 * const actions: HeartbeatActions = { sendPing, sendPong, onDead, onRtt, onLoss };
 * ```
 */
export interface HeartbeatActions {
  sendPing(timestamp: number): void;
  sendPong(payload: { server_time: unknown; client_timestamp: number }): void;
  onDead(): void;
  onRtt(ms: number): void;
  onLoss(): void;
}

/**
 * Answers server pings (rate-limited), sends our own pings, measures RTT and declares the socket
 * dead after `deadAfterMs` of silence.
 *
 * @example
 * ```ts
 * const hb = new SessionHeartbeat(clock, actions);
 * hb.start({ pingIntervalMs: 25_000, deadAfterMs: 35_000, maxPongsPerSecond: 10 });
 * hb.received(); // on every inbound frame
 * hb.stop();
 * ```
 */
export class SessionHeartbeat {
  #state: HeartbeatState;
  #config: HeartbeatConfig | null = null;
  #timer: unknown = null;

  readonly #clock: Clock;
  readonly #actions: HeartbeatActions;
  constructor(clock: Clock, actions: HeartbeatActions) {
    this.#clock = clock;
    this.#actions = actions;
    this.#state = initialHeartbeat(clock.now());
  }

  /** Starts pinging and watching for silence. */
  start(config: HeartbeatConfig): void {
    this.#config = config;
    this.#state = heartbeatReceived(this.#state, this.#clock.now());
    this.#tick();
  }

  /** Stops the timer; idempotent. */
  stop(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#config = null;
  }

  /** Any frame arrived. */
  received(): void {
    this.#state = heartbeatReceived(this.#state, this.#clock.now());
  }

  /** A server `ping`: answer with PONG unless the flood guard says no. */
  serverPing(payload: Record<string, unknown>): void {
    const config = this.#config ?? { pingIntervalMs: 25_000, deadAfterMs: 35_000, maxPongsPerSecond: 10 };
    const now = this.#clock.now();
    const r = heartbeatServerPing(this.#state, config, now);
    this.#state = r.state;
    if (r.answer) this.#actions.sendPong({ server_time: payload.server_time, client_timestamp: now });
  }

  /** A `PONG` to our ping. */
  pong(payload: Record<string, unknown>): void {
    const r = heartbeatPong(this.#state, payload, this.#clock.now());
    this.#state = r.state;
    if (r.rtt !== null) this.#actions.onRtt(r.rtt);
  }

  #tick(): void {
    this.#timer = null;
    const config = this.#config;
    if (!config) return;
    const now = this.#clock.now();
    const d = heartbeatTick(this.#state, config, now);
    if (d.lost) this.#actions.onLoss();
    if (d.action === 'dead') {
      this.stop();
      this.#actions.onDead();
      return;
    }
    if (d.action === 'ping') {
      this.#state = heartbeatPinged(this.#state, now);
      this.#actions.sendPing(now);
    }
    if (this.#config) this.#timer = this.#clock.setTimeout(() => this.#tick(), d.nextCheckInMs);
  }
}
