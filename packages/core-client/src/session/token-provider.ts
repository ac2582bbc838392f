/**
 * Token access for the client: a fixed string or a (possibly async) function, called before every
 * connection and every refresh. Remembers the last token handed out, so the client can tell
 * whether the function produced a new one after a 4401.
 *
 * @module
 */

import { AuthError } from '../protocol/errors';

/**
 * Wraps a {@link TokenSource}.
 *
 * @example
 * ```ts
 * const tokens = new TokenProvider(() => getJwt());
 * const token = await tokens.fetch();
 * tokens.canRefresh; // true
 * ```
 */
export class TokenProvider {
  #lastToken: string | undefined;

  readonly #source: TokenSource | undefined;
  constructor(source: TokenSource | undefined) {
    this.#source = source;
  }

  /** `true` when the source is a function (it may return a new token). */
  get canRefresh(): boolean {
    return typeof this.#source === 'function';
  }

  /** The last token handed out. */
  get last(): string | undefined {
    return this.#lastToken;
  }

  /**
   * Gets the current token (calling the function). Rejects with `AuthError('AUTH_REQUIRED')` when
   * the function throws.
   */
  async fetch(): Promise<string | undefined> {
    const source = this.#source;
    if (source === undefined) return undefined;
    if (typeof source === 'string') {
      this.#lastToken = source;
      return source;
    }
    try {
      const token = (await source()) ?? undefined;
      this.#lastToken = token;
      return token;
    } catch (cause) {
      throw new AuthError('AUTH_REQUIRED', 'the token function failed', { cause });
    }
  }

  /** Fetches again and says whether the token differs from the one used before. */
  async isFresh(): Promise<boolean> {
    if (!this.canRefresh) return false;
    const before = this.#lastToken;
    try {
      const next = await this.fetch();
      return next !== undefined && next !== before;
    } catch {
      return false;
    }
  }
}

/**
 * When to refresh a token that expires in `expiresInSec`: `aheadMs` before expiry, but never
 * earlier than at 80 % of its lifetime (short-lived tokens) — and at least 1 s from now.
 *
 * @example
 * ```ts
 * refreshDelayMs(3600, 30_000); // 3_570_000
 * refreshDelayMs(10, 30_000);   // 8_000
 * ```
 */
export function refreshDelayMs(expiresInSec: number, aheadMs: number): number {
  const lifetime = expiresInSec * 1000;
  const ahead = Math.min(aheadMs, lifetime * 0.2);
  return Math.max(1000, lifetime - ahead);
}

/**
 * Where the token comes from: a fixed string, or a function called before every connection and
 * before every refresh (return the cached token while it is valid, a new one when asked again
 * after a rejection).
 *
 * @example
 * ```ts
 * const token: TokenSource = async () => (await fetch('/api/ws-token')).text();
 * ```
 */
export type TokenSource = string | (() => string | null | undefined | Promise<string | null | undefined>);
