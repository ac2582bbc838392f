import type { VerifiedToken } from '../auth/token-verifier';
import type { Connection } from './connection';

/** The auth refusals a connection can get (4401; 4403 for AUTH_EXPIRED). */
export type AuthCode = 'AUTH_FAILED' | 'AUTH_REQUIRED' | 'AUTH_EXPIRED';

/**
 * What the message router calls back into its session manager for: the connection's auth outcomes
 * (which the manager owns because the upgrade and the in-band deadline decide them too) and the
 * rate-limit counter of the health snapshot. Everything else the router reads from `SessionDeps`.
 *
 * @example
 * const router = new MessageRouter(deps, { authenticate, ready, rejectAuth, rateLimited });
 */
export interface RouterCallbacks {
  /** Adopts a verified identity (in-band auth or refresh). */
  authenticate(conn: Connection, verified: VerifiedToken): void;
  /** Sends `server_ready` and emits `connect`. */
  ready(conn: Connection): void;
  /** Sends the auth error (with `extra` fields) and closes 4401 (4403 for AUTH_EXPIRED). */
  rejectAuth(conn: Connection, code: AuthCode, message: string, extra?: Record<string, unknown>): void;
  /** A frame was dropped by the rate limit (counted in metrics and the health snapshot). */
  rateLimited(): void;
}
