/**
 * One error hierarchy for codec, client and server. Every error has a stable `code` string:
 * match on `code`, never on `message` (messages may change wording).
 */

/**
 * Base class of every WSE error.
 *
 * @example
 * try { decodeFrame(data); } catch (err) { if (err instanceof WSEError) log(err.code); }
 */
export class WSEError extends Error {
  override name = 'WSEError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Stable codes of {@link ProtocolError} (decoder and encoder failures).
 *
 * @example
 * if (err.code === ProtocolErrorCode.FRAME_TOO_LARGE) socket.close(CloseCode.MESSAGE_TOO_BIG);
 */
export const ProtocolErrorCode = {
  EMPTY_FRAME: 'EMPTY_FRAME',
  TRUNCATED_FRAME: 'TRUNCATED_FRAME',
  INVALID_UTF8: 'INVALID_UTF8',
  INVALID_JSON: 'INVALID_JSON',
  JSON_TOO_DEEP: 'JSON_TOO_DEEP',
  NOT_AN_OBJECT: 'NOT_AN_OBJECT',
  MISSING_TYPE: 'MISSING_TYPE',
  INVALID_FIELD: 'INVALID_FIELD',
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  INFLATE_FAILED: 'INFLATE_FAILED',
  MSGPACK_INVALID: 'MSGPACK_INVALID',
  MSGPACK_TOO_DEEP: 'MSGPACK_TOO_DEEP',
  ENCRYPTED_TOO_SHORT: 'ENCRYPTED_TOO_SHORT',
  DECRYPT_FAILED: 'DECRYPT_FAILED',
  KEY_REQUIRED: 'KEY_REQUIRED',
  NOT_ENCRYPTED: 'NOT_ENCRYPTED',
  INVALID_KEY: 'INVALID_KEY',
  REPLAYED_FRAME: 'REPLAYED_FRAME',
  UNKNOWN_PREFIX: 'UNKNOWN_PREFIX',
} as const;

/** One of the values of {@link ProtocolErrorCode}. */
export type ProtocolErrorCodeValue = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/**
 * One-line meaning per protocol error code (used by the README and by log lines).
 *
 * @example
 * log(PROTOCOL_ERROR_CODE_INFO[err.code].meaning);
 */
export const PROTOCOL_ERROR_CODE_INFO: Record<ProtocolErrorCodeValue, { meaning: string }> = {
  EMPTY_FRAME: { meaning: 'the frame has no bytes' },
  TRUNCATED_FRAME: { meaning: 'a prefix (C, M, E) without its body, or a msgpack value cut short' },
  INVALID_UTF8: { meaning: 'JSON bytes are not valid UTF-8' },
  INVALID_JSON: { meaning: 'the text is not JSON' },
  JSON_TOO_DEEP: { meaning: 'JSON nesting deeper than 64' },
  NOT_AN_OBJECT: { meaning: 'the decoded value is not a plain object (array, null, string, ...)' },
  MISSING_TYPE: { meaning: 'the envelope has no t/type, or it is empty' },
  INVALID_FIELD: { meaning: 'an envelope field has the wrong type or range' },
  FRAME_TOO_LARGE: { meaning: 'the frame, or what it inflates to, exceeds maxMessageSize' },
  INFLATE_FAILED: { meaning: 'the C: body is not valid zlib' },
  MSGPACK_INVALID: { meaning: 'the M: body is not valid msgpack, or uses bin/ext/non-string keys' },
  MSGPACK_TOO_DEEP: { meaning: 'msgpack nesting deeper than 64 (checked before decoding)' },
  ENCRYPTED_TOO_SHORT: { meaning: 'the E: body is shorter than IV (12) + tag (16)' },
  DECRYPT_FAILED: { meaning: 'AES-GCM authentication failed (wrong key, tag or IV)' },
  KEY_REQUIRED: { meaning: 'an E: frame arrived but no session key is set' },
  NOT_ENCRYPTED: { meaning: 'a plaintext frame arrived where encryption is required' },
  INVALID_KEY: { meaning: 'a public key is malformed or not on the curve' },
  REPLAYED_FRAME: {
    meaning:
      'an E: frame was replayed, reordered or reflected (v2 counter not the next one, v1 IV seen before)',
  },
  UNKNOWN_PREFIX: { meaning: 'a binary frame starts with none of {, C:, M:, E:' },
};

/**
 * A frame or envelope could not be decoded or encoded. Thrown by every codec function; the
 * decoder throws nothing else.
 *
 * @example
 * throw new ProtocolError('MISSING_TYPE', 'envelope has no t');
 */
export class ProtocolError extends WSEError {
  override name = 'ProtocolError';
  declare readonly code: ProtocolErrorCodeValue;

  constructor(code: ProtocolErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * Socket-level failure on the client side (code e.g. `TRANSPORT_CLOSED`, `TRANSPORT_FAILED`).
 *
 * @example
 * throw new TransportError('TRANSPORT_CLOSED', 'socket closed before send');
 */
export class TransportError extends WSEError {
  override name = 'TransportError';
}

/** Codes an {@link AuthError} carries. */
export type AuthErrorCode = 'AUTH_FAILED' | 'AUTH_REQUIRED' | 'AUTH_EXPIRED';

/**
 * Authentication failed or the token expired.
 *
 * @example
 * throw new AuthError('AUTH_EXPIRED', 'token expired at 12:00');
 */
export class AuthError extends WSEError {
  override name = 'AuthError';
  declare readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * An operation did not complete in time (code `TIMEOUT`).
 *
 * @example
 * throw new TimeoutError('TIMEOUT', 'no server_hello within 5000 ms');
 */
export class TimeoutError extends WSEError {
  override name = 'TimeoutError';
}

/**
 * An `error` frame from the server. `code` is the wire code (see `ErrorCode`; unknown codes from
 * newer servers are passed through); `details` is the rest of the payload.
 *
 * @example
 * if (env.t === 'error') throw ServerError.fromPayload(env.p);
 */
export class ServerError extends WSEError {
  override name = 'ServerError';
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.details = details;
  }

  /** Builds a ServerError from an `error` frame payload `{ code, message, ... }`. */
  static fromPayload(payload: Record<string, unknown>): ServerError {
    const { code, message, ...details } = payload;
    return new ServerError(
      typeof code === 'string' ? code : 'SERVER_ERROR',
      typeof message === 'string' ? message : 'server error',
      details,
    );
  }
}

/** The wire `error` codes a protocol failure maps to. */
export type ProtocolWireCode =
  | 'MESSAGE_TOO_LARGE'
  | 'INVALID_MESSAGE'
  | 'KEY_EXCHANGE_FAILED'
  | 'DECRYPTION_FAILED'
  | 'ENCRYPTION_REQUIRED';

/**
 * Which wire error code to answer a decoder failure with.
 *
 * @example
 * catch (err) { if (err instanceof ProtocolError) sendError(wireCodeOf(err), err.message); }
 */
export function wireCodeOf(err: ProtocolError): ProtocolWireCode {
  switch (err.code) {
    case 'FRAME_TOO_LARGE':
      return 'MESSAGE_TOO_LARGE';
    case 'NOT_ENCRYPTED':
      return 'ENCRYPTION_REQUIRED';
    case 'DECRYPT_FAILED':
    case 'REPLAYED_FRAME':
      return 'DECRYPTION_FAILED';
    case 'KEY_REQUIRED':
    case 'INVALID_KEY':
      return 'KEY_EXCHANGE_FAILED';
    default:
      return 'INVALID_MESSAGE';
  }
}
