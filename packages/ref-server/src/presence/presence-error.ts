import { type ErrorCode, ServerError } from '@wse/core-client/protocol';

/**
 * Wire error codes a presence operation can fail with (docs-site/protocol §5, §8).
 *
 * @example
 * ```ts
 * const code: PresenceErrorCode = 'PRESENCE_FULL';
 * ```
 */
export type PresenceErrorCode = typeof ErrorCode.PRESENCE_DATA_TOO_LARGE | typeof ErrorCode.PRESENCE_FULL;

/**
 * A presence limit was hit. A {@link ServerError} of the shared hierarchy: `code` is the wire error
 * code the runtime answers with in an `error` frame (`{code, message, ...details}`); `details`
 * carries the numbers (`size`/`limit` or `topic`/`members`/`limit`).
 *
 * @example
 * ```ts
 * try { store.join('room', 'u1', 'c1', hugeData); }
 * catch (err) { if (err instanceof PresenceError) sendError(conn, err.code, err.message, err.details); }
 * ```
 */
export class PresenceError extends ServerError {
  override name = 'PresenceError';
  declare readonly code: PresenceErrorCode;

  constructor(code: PresenceErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}
