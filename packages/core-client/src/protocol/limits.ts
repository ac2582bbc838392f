/**
 * Numeric limits of the frame rules that the lazily loaded codecs share with `frame-core.ts`. A
 * leaf module on purpose: `msgpack.ts` and `crypto.ts` import it without pulling the frame rules
 * (and the envelope validator) into a chunk shared with the browser entry.
 *
 * @module
 */

/**
 * Maximum container nesting accepted in `M:` (and JSON) frames; the top-level map is depth 1.
 *
 * @example
 * scanMsgpack(bytes, MAX_DEPTH);
 */
export const MAX_DEPTH = 64;

/**
 * AES-GCM IV bytes at the start of an `E:` body.
 *
 * @example
 * const iv = frame.subarray(2, 2 + IV_LENGTH);
 */
export const IV_LENGTH = 12;

/**
 * AES-GCM tag bytes at the end of an `E:` body.
 *
 * @example
 * const shortest = 2 + IV_LENGTH + TAG_LENGTH; // an E: frame with an empty plaintext
 */
export const TAG_LENGTH = 16;
