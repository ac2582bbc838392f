import { ServerError } from '@wse/core-client/protocol';

/**
 * The engine cannot do what was asked because its backing store (Redis) is unreachable: a publish
 * was NOT made (the caller hears it: `error` frame / HTTP 503 / a rejected `server.publish`), a
 * subscribe that needs the store was refused. Code `ENGINE_UNAVAILABLE` (core-client `ErrorCode`).
 *
 * @example
 * ```ts
 * try { await server.publish('chat', data); }
 * catch (err) { if (err instanceof EngineUnavailableError) retryLater(); }
 * ```
 */
export class EngineUnavailableError extends ServerError {
  override name = 'EngineUnavailableError';
  declare readonly code: 'ENGINE_UNAVAILABLE';

  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('ENGINE_UNAVAILABLE', message, details, options);
  }
}
