/**
 * Which `AuthError` an auth close stands for, when the server sent no `error` frame before it.
 *
 * @module
 */

import { AUTH_FAILED_CLOSE, TOKEN_EXPIRED_CLOSE } from '../connection/machine';
import { AuthError, type AuthErrorCode } from '../protocol/errors';

/** Server error codes reported as an `AuthError` (in `error` frames and as close reasons). */
export const AUTH_CODES: ReadonlySet<string> = new Set(['AUTH_FAILED', 'AUTH_REQUIRED', 'AUTH_EXPIRED']);

/**
 * The error of an auth close (4401/4403), `null` for any other close. The close reason names the
 * code when it is one (our server sends `AUTH_REQUIRED` as the reason), else the close code
 * decides. The caller keeps an `error` frame that arrived just before the close instead: it says
 * more (code and message, e.g. `AUTH_REQUIRED` / `token is malformed`).
 *
 * @example
 * ```ts
 * authCloseError(4401, 'AUTH_REQUIRED')?.code; // 'AUTH_REQUIRED'
 * authCloseError(1006, '');                     // null
 * ```
 */
export function authCloseError(code: number, reason: string): AuthError | null {
  if (code !== AUTH_FAILED_CLOSE && code !== TOKEN_EXPIRED_CLOSE) return null;
  const named = AUTH_CODES.has(reason) ? (reason as AuthErrorCode) : undefined;
  const c = named ?? (code === AUTH_FAILED_CLOSE ? 'AUTH_FAILED' : 'AUTH_EXPIRED');
  return new AuthError(c, reason || `closed with ${code}`);
}
