/**
 * Client options → the connection driver's configuration (endpoint pool included), with the
 * documented defaults.
 *
 * @module
 */

import type { DriverConfig } from '../connection/driver';
import { EndpointPool } from '../endpoints/endpoint-pool';
import { TokenProvider } from '../session/token-provider';
import { CLIENT_DEFAULTS, type ResolvedOptions } from './options';
import { signingHook } from './signing-hook';
import type { ClientOptions } from './types';

/**
 * The driver configuration of a client; its endpoint pool starts loading at once (the first
 * attempt waits for it).
 *
 * @example
 * ```ts
 * const config = driverConfig(options, resolveOptions(options));
 * const driver = new ConnectionDriver(config, hooks);
 * ```
 */
export function driverConfig(o: ClientOptions, r: ResolvedOptions): DriverConfig {
  const D = CLIENT_DEFAULTS;
  const reconnect = o.reconnect === false ? undefined : o.reconnect;
  const encryption = o.encryption;
  const breaker = { ...o.circuitBreaker };
  // One endpoint: there is nowhere else to go, so an open breaker would only stall recovery.
  // Its wait never exceeds the backoff's max delay.
  if (new Set(r.endpoints).size === 1) {
    const { maxMs = D.backoffMaxMs } = o.reconnect || {};
    breaker.resetTimeoutMs = Math.min(breaker.resetTimeoutMs ?? D.breakerResetTimeoutMs, maxMs);
  }
  const pool = new EndpointPool(
    r.endpoints,
    { strategy: o.endpointStrategy ?? 'priority', breaker },
    r.clock,
    r.random,
  );
  if (!pool.ready) void pool.load(); // fetched early: the first attempt waits for it
  return {
    clock: r.clock,
    random: r.random,
    pool,
    tokens: new TokenProvider(o.token),
    environment: r.environment,
    tokenInHeader: r.tokenInHeader,
    connectTimeoutMs: o.connectTimeoutMs ?? D.connectTimeoutMs,
    backoff: { baseMs: reconnect?.baseMs ?? D.backoffBaseMs, maxMs: reconnect?.maxMs ?? D.backoffMaxMs },
    reconnect: o.reconnect !== false,
    maxAttempts: reconnect?.maxAttempts,
    identityKey: typeof encryption === 'object' ? encryption.serverIdentityKey : undefined,
    session: {
      transport: r.transport,
      clientVersion: o.clientVersion ?? D.clientVersion,
      msgpack: o.format === 'msgpack',
      compressionThreshold: o.compressionThreshold ?? D.compressionThreshold,
      maxMessageSize: o.maxMessageSize ?? D.maxMessageSize,
      encryption: encryption ? {} : null,
      keyRotationIntervalMs: o.keyRotationIntervalMs,
      pingIntervalMs: o.heartbeat?.pingIntervalMs,
      deadGraceMs: o.heartbeat?.deadGraceMs ?? D.deadGraceMs,
      tokenRefreshAheadMs: o.tokenRefreshAheadMs ?? D.tokenRefreshAheadMs,
      sign: o.signing && signingHook(o.signing, () => r.clock.now()),
    },
  };
}
