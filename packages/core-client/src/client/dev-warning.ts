/**
 * Development-only console warnings. "Development" is what bundlers mean by it: they replace
 * `process.env.NODE_ENV` with a literal, so a production build drops the check's body; in Node it
 * is the environment variable (unset counts as development); in a browser without a bundler there
 * is no `process` and nothing is printed.
 *
 * @module
 */

/**
 * Whether this is a development build (see the module comment).
 *
 * @example
 * ```ts
 * if (isDevelopment()) console.warn('[wse] …');
 * ```
 */
export function isDevelopment(): boolean {
  try {
    return process.env.NODE_ENV !== 'production';
  } catch {
    return false;
  }
}
