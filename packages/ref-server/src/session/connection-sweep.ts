import { CloseCode } from '@wse/core-client/protocol';
import { every } from '../server-clock';
import type { Connection } from './connection';
import { requestRekey } from './e2e-session';
import type { SessionDeps } from './session-deps';

/**
 * The periodic pass over every open connection: heartbeat pings, idle close, token expiry, E2E key
 * rotation requests and slow consumers (4008). Owned by `SessionManager`; the fan-out calls
 * `checkBackpressure` on a connection it had to skip.
 *
 * @example
 * const sweep = new ConnectionSweep(deps, connections, stats);
 * sweep.start(); // … sweep.stop() at server stop
 */
export class ConnectionSweep {
  private stopTimer?: () => void;

  constructor(
    private readonly deps: SessionDeps,
    private readonly connections: ReadonlyMap<string, Connection>,
    /** The session manager's health-snapshot counters. */
    private readonly stats: { slowConsumers: number },
  ) {}

  /** Starts the sweep; its period follows the shortest configured interval so tests stay fast. */
  start(): void {
    const o = this.deps.options;
    const rotation = o.keyRotationIntervalMs > 0 ? o.keyRotationIntervalMs : Number.POSITIVE_INFINITY;
    const shortest = Math.min(o.pingInterval, o.idleTimeout, o.slowConsumerGraceMs || 1000, rotation);
    const period = Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
    this.stop();
    this.stopTimer = every(o.clock, period, () => this.run());
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  /** One pass: heartbeat, idle close, token expiry and slow consumers, for every connection. */
  run(): void {
    const now = this.deps.options.clock.now();
    const o = this.deps.options;
    const leewayMs = (o.auth ? (o.auth.leewaySec ?? 30) : 0) * 1000;
    for (const conn of this.connections.values()) {
      if (conn.phase === 'auth') continue;
      if (conn.closing) {
        this.closeSlowConsumer(conn, now);
        continue;
      }
      if (now - conn.lastActivity >= o.idleTimeout) {
        conn.close(CloseCode.NORMAL, 'idle timeout');
      } else if (conn.identity.expiresAt !== undefined && now >= conn.identity.expiresAt + leewayMs) {
        conn.sendError('AUTH_EXPIRED', 'token expired: refresh it and reconnect');
        conn.close(CloseCode.TOKEN_EXPIRED, 'token expired');
      } else {
        if (now - conn.lastPingAt >= o.pingInterval) {
          conn.lastPingAt = now;
          conn.sendEvent('ping', { server_time: now });
        }
        const rotateEvery = o.keyRotationIntervalMs;
        if (rotateEvery > 0 && conn.e2e && now - conn.keysSince >= rotateEvery) requestRekey(conn, now);
        this.checkBackpressure(conn, now);
      }
    }
  }

  /** Marks a connection over `maxBackpressure`; past the grace period it is closed with 4008. */
  checkBackpressure(conn: Connection, now = this.deps.options.clock.now()): void {
    if (conn.bufferedAmount() <= this.deps.options.maxBackpressure) {
      conn.overSince = undefined;
      return;
    }
    if (conn.overSince === undefined) {
      conn.overSince = now;
      this.stats.slowConsumers++;
      this.deps.metrics.slowConsumer();
      return;
    }
    if (now - conn.overSince >= this.deps.options.slowConsumerGraceMs) this.closeSlowConsumer(conn, now);
  }

  /**
   * 4008 the client can see: uWS drops any frame (the close frame too) while the buffer is over
   * `maxBackpressure`, so the connection stops receiving (topics unsubscribed at uWS, sends
   * suppressed) and the close frame is queued as soon as a drain brings the buffer under the
   * limit. A peer that reads nothing for two more grace periods (at least 2 s) is dropped (it sees
   * 1006; the `disconnect` event still says 4008).
   */
  private closeSlowConsumer(conn: Connection, now: number): void {
    if (conn.closing) {
      if (now - conn.closing.since >= Math.max(2000, 2 * this.deps.options.slowConsumerGraceMs)) {
        if (conn.handle?.terminate) conn.handle.terminate();
        else conn.close(conn.closing.code, conn.closing.reason);
      }
      return;
    }
    if (conn.bufferedAmount() <= this.deps.options.maxBackpressure) {
      conn.close(CloseCode.SLOW_CONSUMER, 'slow consumer');
      return;
    }
    conn.closing = { code: CloseCode.SLOW_CONSUMER, reason: 'slow consumer', since: now };
    this.deps.topics.leaveTransport(conn);
  }
}
