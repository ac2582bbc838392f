/**
 * What a client keeps of a session's handshake.
 *
 * @module
 */

import type { DriverHooks } from '../connection/driver';
import type { SessionInfo } from './types';

/**
 * The {@link SessionInfo} of a session that came up: `server_hello` wins over `server_ready`
 * where both say something (connection id, features).
 *
 * @example
 * ```ts
 * const hooks: Partial<DriverHooks> = { onUp: (info) => console.log(sessionInfo(info).limits) };
 * ```
 */
export function sessionInfo(info: Parameters<DriverHooks['onUp']>[0]): SessionInfo {
  const { ready, hello } = info;
  return {
    endpoint: info.endpoint,
    connectionId: hello.connectionId ?? ready.connectionId,
    userId: ready.userId,
    serverVersion: hello.serverVersion,
    protocolVersion: hello.protocolVersion,
    features: { ...ready.features, ...hello.features },
    limits: hello.limits,
    pingIntervalMs: hello.pingIntervalMs,
    tokenExpiresIn: ready.tokenExpiresIn,
    encrypted: info.encrypted,
  };
}
