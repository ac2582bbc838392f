import { AuthError, ServerError, TimeoutError, TransportError, WSEError } from '@wse/core-client';
import { describe, expect, it } from 'vitest';
import {
  reviveError,
  serializeError,
  WSEAuthError,
  WSEConnectionError,
  WSEServerError,
  WSETimeoutError,
} from './errors';

/** What crosses the thread: structured clone of the serialized form. */
const roundTrip = (err: unknown) => reviveError(structuredClone(serializeError(err)));

describe('errors across the thread boundary', () => {
  it('keeps class, base class and code', () => {
    const auth = roundTrip(new AuthError('AUTH_EXPIRED', 'expired'));
    expect(auth).toBeInstanceOf(WSEAuthError);
    expect(auth).toBeInstanceOf(AuthError);
    expect(auth).toMatchObject({ code: 'AUTH_EXPIRED', message: 'expired', name: 'WSEAuthError' });

    const timeout = roundTrip(new TimeoutError('TIMEOUT', 'slow'));
    expect(timeout).toBeInstanceOf(WSETimeoutError);
    expect(timeout).toBeInstanceOf(TimeoutError);
    expect(timeout.code).toBe('TIMEOUT');

    const transport = roundTrip(new TransportError('NOT_CONNECTED', 'down'));
    expect(transport).toBeInstanceOf(WSEConnectionError);
    expect(transport).toBeInstanceOf(TransportError);
    expect(transport.code).toBe('NOT_CONNECTED');

    const server = roundTrip(new ServerError('FORBIDDEN', 'no', { topic: 'x' }));
    expect(server).toBeInstanceOf(WSEServerError);
    expect(server).toBeInstanceOf(ServerError);
    expect((server as WSEServerError).details).toEqual({ topic: 'x' });
  });

  it('maps a server error frame with an auth code to WSEAuthError', () => {
    expect(roundTrip(new ServerError('AUTH_FAILED', 'bad token'))).toBeInstanceOf(WSEAuthError);
  });

  it('wraps unknown throwables as WSEError INTERNAL_ERROR and keeps a cause chain', () => {
    const err = roundTrip(new WSEError('X', 'outer', { cause: new Error('inner') }));
    expect(err.code).toBe('X');
    expect(err.cause).toBeInstanceOf(WSEError);
    expect((err.cause as WSEError).code).toBe('INTERNAL_ERROR');
    expect(roundTrip('boom')).toMatchObject({ code: 'INTERNAL_ERROR', message: 'boom' });
  });
});
