/**
 * The errors a blocking call throws. Each is a subclass of the matching class of the core's one
 * hierarchy (`@wse/core-client`), so `instanceof AuthError`/`TimeoutError`/`TransportError`/
 * `WSEError` keeps working, and each carries a stable `code`.
 *
 * Errors cross the thread boundary as {@link SerializedError} (plain data: structured clone would
 * drop the class and the `code`) and are rebuilt on the caller side by {@link reviveError}.
 *
 * @module
 */

import {
  AuthError,
  type AuthErrorCode,
  ServerError,
  TimeoutError,
  TransportError,
  type TransportErrorCode,
  WSEError,
} from '@wse/core-client';

/**
 * A blocking call ran out of time (code `TIMEOUT`).
 *
 * @example
 * ```ts
 * try { client.request('slow', {}, { timeoutMs: 500 }); }
 * catch (err) { if (err instanceof WSETimeoutError) console.log(err.code); } // 'TIMEOUT'
 * ```
 */
export class WSETimeoutError extends TimeoutError {
  override name = 'WSETimeoutError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('TIMEOUT', message, options);
  }
}

/**
 * Stable codes of {@link WSEConnectionError}. Transport codes of the core (`TRANSPORT_CLOSED`,
 * `NOT_CONNECTED`, …) pass through unchanged.
 *
 * @example
 * ```ts
 * if (err.code === ConnectionErrorCode.CONNECT_FAILED) retryLater();
 * ```
 */
export const ConnectionErrorCode = {
  /** `connectSync` gave up: no session within `timeoutMs` and the socket kept failing. */
  CONNECT_FAILED: 'CONNECT_FAILED',
  /** The client was closed (by `close()` or by the core). */
  CLIENT_CLOSED: 'CLIENT_CLOSED',
  /** The worker entry file does not exist (see the `workerPath` option). */
  WORKER_NOT_FOUND: 'WORKER_NOT_FOUND',
  /** The worker thread crashed or could not start. */
  WORKER_FAILED: 'WORKER_FAILED',
} as const;

/**
 * The connection (or the worker that owns it) failed, or the client is closed.
 *
 * @example
 * ```ts
 * try { connectSync('ws://127.0.0.1:1/wse', { timeoutMs: 1000 }); }
 * catch (err) { if (err instanceof WSEConnectionError) console.log(err.code); } // 'CONNECT_FAILED'
 * ```
 */
export class WSEConnectionError extends TransportError {
  override name = 'WSEConnectionError';
}

/**
 * The server rejected the token (`AUTH_FAILED`, `AUTH_REQUIRED`) or it expired (`AUTH_EXPIRED`).
 *
 * @example
 * ```ts
 * try { connectSync(url, { token: 'bad' }); }
 * catch (err) { if (err instanceof WSEAuthError) console.log(err.code); } // 'AUTH_FAILED'
 * ```
 */
export class WSEAuthError extends AuthError {
  override name = 'WSEAuthError';
}

/**
 * The server answered with an `error` frame (a failed request, every topic of a subscribe
 * refused). `code` is the wire code (`FORBIDDEN`, `HANDLER_ERROR`, …); `details` the rest.
 *
 * @example
 * ```ts
 * try { client.subscribe(['secret']); }
 * catch (err) { if (err instanceof WSEServerError) console.log(err.code, err.details); }
 * ```
 */
export class WSEServerError extends ServerError {
  override name = 'WSEServerError';
}

/**
 * An error as plain data, for `postMessage` between the worker and the caller.
 *
 * @example
 * ```ts
 * const data: SerializedError = { kind: 'timeout', code: 'TIMEOUT', message: 'too slow' };
 * ```
 */
export interface SerializedError {
  kind: 'timeout' | 'connection' | 'auth' | 'server' | 'wse';
  code: string;
  message: string;
  details?: Record<string, unknown>;
  cause?: SerializedError;
}

const AUTH_CODES = new Set(['AUTH_FAILED', 'AUTH_REQUIRED', 'AUTH_EXPIRED']);

function kindOf(err: unknown, code: string): SerializedError['kind'] {
  if (err instanceof AuthError || AUTH_CODES.has(code)) return 'auth';
  if (err instanceof TimeoutError) return 'timeout';
  if (err instanceof ServerError) return 'server';
  if (err instanceof TransportError) return 'connection';
  return 'wse';
}

/**
 * Turns any thrown value into {@link SerializedError} (depth-limited `cause` chain).
 *
 * @example
 * ```ts
 * port.postMessage({ error: serializeError(err) });
 * ```
 */
export function serializeError(err: unknown, depth = 0): SerializedError {
  const code = err instanceof WSEError ? err.code : 'INTERNAL_ERROR';
  const message = err instanceof Error ? err.message : String(err);
  const out: SerializedError = { kind: kindOf(err, code), code, message };
  if (err instanceof ServerError) out.details = toPlain(err.details);
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause !== undefined && depth < 3) out.cause = serializeError(cause, depth + 1);
  return out;
}

function toPlain(value: Record<string, unknown>): Record<string, unknown> {
  try {
    return structuredClone(value);
  } catch {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  }
}

/**
 * Rebuilds the typed error on the caller side.
 *
 * @example
 * ```ts
 * throw reviveError({ kind: 'auth', code: 'AUTH_FAILED', message: 'bad token' }); // WSEAuthError
 * ```
 */
export function reviveError(data: SerializedError): WSEError {
  const options = data.cause ? { cause: reviveError(data.cause) } : undefined;
  switch (data.kind) {
    case 'timeout':
      return new WSETimeoutError(data.message, options);
    case 'auth':
      return new WSEAuthError(data.code as AuthErrorCode, data.message, options);
    case 'server':
      return new WSEServerError(data.code, data.message, data.details ?? {}, options);
    case 'connection':
      return new WSEConnectionError(data.code as TransportErrorCode, data.message, options); // our own worker's codes
    default:
      return new WSEError(data.code, data.message, options);
  }
}
