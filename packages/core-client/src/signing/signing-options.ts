/**
 * The `signing` option of the client (message signing, docs-site/protocol §6).
 *
 * @module
 */

/**
 * The `signing` option: a shared `key` (string = its UTF-8 bytes, raw bytes, or an HMAC
 * CryptoKey) or your own `sign(input)` returning the hex HMAC-SHA256 of `input` (a key kept in a
 * worker or an HSM); `types` lists what to sign (`'all'`: every application message and `publish`).
 *
 * @example
 * ```ts
 * const signing: SigningOptions = { key: import.meta.env.VITE_SIGNING_KEY, types: ['order_placed'] };
 * ```
 */
export interface SigningOptions {
  key?: string | Uint8Array | CryptoKey;
  sign?: (input: string) => string | Promise<string>;
  types: readonly string[] | 'all';
}
