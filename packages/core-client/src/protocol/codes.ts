/**
 * Close codes and wire error codes of WSE protocol v1 (docs-site/protocol §8).
 * Both maps are `as const` so the values are literal types; the `*_INFO` tables give the one-line
 * meaning every log line and docs page should use.
 */

/**
 * WebSocket close codes used by WSE.
 *
 * @example
 * if (event.code === CloseCode.TOKEN_EXPIRED) await refreshToken();
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** Never sent (RFC 6455): what a peer sees when the socket ended without a close frame. */
  ABNORMAL: 1006,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  SERVER_ERROR: 1011,
  /** Sent by the client when it drops a socket it considers dead or stuck. */
  CLIENT_ABORT: 4000,
  SLOW_CONSUMER: 4008,
  NODE_DRAINING: 4300,
  AUTH_FAILED: 4401,
  TOKEN_EXPIRED: 4403,
  RATE_LIMITED: 4429,
  SERVER_FULL: 4503,
} as const;

/** One of the numeric values of {@link CloseCode}. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * What a close code means and what the client does after it. `@wse/core-client`'s reducer
 * (`connection/machine.ts`) follows both columns; `machine.test.ts` checks it code by code.
 */
export interface CloseCodeInfo {
  name: keyof typeof CloseCode;
  meaning: string;
  /** The client reconnects after it (4401: only once the token function returns another token). */
  reconnect: boolean;
  /**
   * Only a token function helps: with a fixed token the client stops (`failed`); with a function it
   * retries once with the function's next token (4401: if it differs; 4403: after a refresh).
   */
  needsNewToken: boolean;
  /** Counts against the endpoint (its breaker and score) even after `server_hello`. */
  endpointFailure: boolean;
}

/**
 * Meaning and reconnect advice per close code.
 *
 * @example
 * const info = CLOSE_CODE_INFO[4008]; // { name: 'SLOW_CONSUMER', reconnect: true, ... }
 */
export const CLOSE_CODE_INFO: Record<CloseCodeValue, CloseCodeInfo> = {
  1000: {
    name: 'NORMAL',
    meaning: 'normal closure or idle timeout; a client that did not close reconnects',
    reconnect: true,
    endpointFailure: false,
    needsNewToken: false,
  },
  1001: {
    name: 'GOING_AWAY',
    meaning: 'server going away; reconnect',
    reconnect: true,
    endpointFailure: false,
    needsNewToken: false,
  },
  1006: {
    name: 'ABNORMAL',
    meaning: 'no close frame (network loss, socket failed); never sent; reconnect',
    reconnect: true,
    endpointFailure: false,
    needsNewToken: false,
  },
  1008: {
    name: 'POLICY_VIOLATION',
    meaning: 'E2E v2: an E: frame was replayed, reordered, reflected or forged; reconnect (new keys)',
    reconnect: true,
    endpointFailure: false,
    needsNewToken: false,
  },
  1009: {
    name: 'MESSAGE_TOO_BIG',
    meaning: 'a frame exceeded max_message_size',
    reconnect: true,
    endpointFailure: false,
    needsNewToken: false,
  },
  1011: {
    name: 'SERVER_ERROR',
    meaning: 'unexpected server error',
    reconnect: true,
    endpointFailure: true,
    needsNewToken: false,
  },
  4000: {
    name: 'CLIENT_ABORT',
    meaning: 'the client dropped a socket it considered dead or stuck; it reconnects',
    reconnect: true,
    endpointFailure: false,
    needsNewToken: false,
  },
  4008: {
    name: 'SLOW_CONSUMER',
    meaning: 'backpressure limit exceeded; reconnect and recover',
    reconnect: true,
    endpointFailure: false,
    needsNewToken: false,
  },
  4300: {
    name: 'NODE_DRAINING',
    meaning: 'node draining; reconnect, maybe elsewhere',
    reconnect: true,
    endpointFailure: true,
    needsNewToken: false,
  },
  4401: {
    name: 'AUTH_FAILED',
    meaning: 'authentication failed; do not retry with the same token',
    reconnect: false,
    endpointFailure: false,
    needsNewToken: true,
  },
  4403: {
    name: 'TOKEN_EXPIRED',
    meaning: 'token expired; a token function is called for a new one, then one retry (a fixed token: stop)',
    reconnect: true,
    endpointFailure: false,
    needsNewToken: true,
  },
  4429: {
    name: 'RATE_LIMITED',
    meaning: 'rate limited; reconnect after backoff',
    reconnect: true,
    endpointFailure: false,
    needsNewToken: false,
  },
  4503: {
    name: 'SERVER_FULL',
    meaning: 'server full; back off or try another endpoint',
    reconnect: true,
    endpointFailure: true,
    needsNewToken: false,
  },
};

/**
 * Codes carried in `error` frames: `{ t: 'error', p: { code, message, ... } }`.
 *
 * @example
 * if (err.code === ErrorCode.RATE_LIMITED) wait(err.details.retry_after);
 */
export const ErrorCode = {
  AUTH_FAILED: 'AUTH_FAILED',
  AUTH_REQUIRED: 'AUTH_REQUIRED',
  AUTH_EXPIRED: 'AUTH_EXPIRED',
  RATE_LIMITED: 'RATE_LIMITED',
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  INVALID_SUBSCRIPTION: 'INVALID_SUBSCRIPTION',
  INVALID_ACTION: 'INVALID_ACTION',
  FORBIDDEN: 'FORBIDDEN',
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  PRESENCE_DATA_TOO_LARGE: 'PRESENCE_DATA_TOO_LARGE',
  PRESENCE_FULL: 'PRESENCE_FULL',
  ENCRYPTION_REQUIRED: 'ENCRYPTION_REQUIRED',
  KEY_EXCHANGE_FAILED: 'KEY_EXCHANGE_FAILED',
  DECRYPTION_FAILED: 'DECRYPTION_FAILED',
  INVALID_SIGNATURE: 'INVALID_SIGNATURE',
  HANDLER_ERROR: 'HANDLER_ERROR',
  SERVER_ERROR: 'SERVER_ERROR',
  ENGINE_UNAVAILABLE: 'ENGINE_UNAVAILABLE',
} as const;

/** One of the string values of {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * One-line meaning per wire error code.
 *
 * @example
 * console.warn(ERROR_CODE_INFO[payload.code as ErrorCodeValue]?.meaning);
 */
export const ERROR_CODE_INFO: Record<ErrorCodeValue, { meaning: string }> = {
  AUTH_FAILED: { meaning: 'the token is invalid or was rejected' },
  AUTH_REQUIRED: { meaning: 'no token was presented and the server requires one' },
  AUTH_EXPIRED: { meaning: 'the token is past exp (plus leeway)' },
  RATE_LIMITED: { meaning: 'the inbound token bucket is empty; the message was dropped' },
  MESSAGE_TOO_LARGE: { meaning: 'a frame or its inflated body exceeds max_message_size' },
  INVALID_MESSAGE: { meaning: 'the frame or envelope could not be decoded or validated' },
  INVALID_SUBSCRIPTION: { meaning: 'a subscription request is malformed or names a bad topic' },
  INVALID_ACTION: { meaning: 'the action is unknown or not allowed in this state' },
  FORBIDDEN: { meaning: 'the user may not do this on this topic' },
  TOO_MANY_SUBSCRIPTIONS: { meaning: 'the connection is at max_subscriptions' },
  PRESENCE_DATA_TOO_LARGE: { meaning: 'presence data exceeds presence_max_data_size' },
  PRESENCE_FULL: { meaning: 'the topic has presence_max_members members' },
  ENCRYPTION_REQUIRED: { meaning: 'encryption is on and a plaintext frame arrived; it was dropped' },
  KEY_EXCHANGE_FAILED: { meaning: 'the public key or signature failed, or an E: frame came before a key' },
  DECRYPTION_FAILED: {
    meaning:
      'an E: frame failed authentication, or was replayed, reordered or reflected (E2E v2: close 1008)',
  },
  INVALID_SIGNATURE: {
    meaning: 'the message type requires a valid sig (protocol §6): missing, tampered, too old or replayed',
  },
  HANDLER_ERROR: { meaning: 'the application handler threw' },
  SERVER_ERROR: { meaning: 'unexpected server failure' },
  ENGINE_UNAVAILABLE: {
    meaning: 'the cluster engine (Redis) is unreachable: the publish or subscribe was not done; retry later',
  },
};
