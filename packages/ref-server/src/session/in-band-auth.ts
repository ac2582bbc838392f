import { AuthError, type Envelope } from '@wse/core-client/protocol';
import { identityAllows } from '../auth/topic-acl';
import { completeHello } from './complete-hello';
import type { Connection } from './connection';
import { parseClientHello } from './negotiate';
import type { RouterCallbacks } from './router-callbacks';
import type { SessionDeps } from './session-deps';

/**
 * In-band auth (docs-site/protocol §3.1): the first frame must be a client_hello carrying the token.
 *
 * @example
 * if (conn.phase === 'auth') return inBandAuth(deps, callbacks, conn, env);
 */
export function inBandAuth(
  deps: SessionDeps,
  callbacks: RouterCallbacks,
  conn: Connection,
  env: Envelope,
): void | Promise<void> {
  const parsed = env.t === 'client_hello' ? parseClientHello(env.p) : undefined;
  const verify = deps.verify;
  if (!parsed?.ok || !parsed.hello.token || !verify) {
    callbacks.rejectAuth(
      conn,
      'AUTH_REQUIRED',
      'send a token (header, cookie, query or client_hello.p.token)',
    );
    return;
  }
  const hello = parsed.hello;
  // The token came in time: stop the deadline. The phase stays 'auth' until the token is verified
  // (frames behind this one wait in the inbox), so a failure is not a `disconnect` of a user the
  // app never saw `connect`.
  if (conn.authTimer !== undefined) deps.options.clock.clearTimeout(conn.authTimer);
  conn.authTimer = undefined;
  return verify(hello.token as string).then(
    (verified) => {
      if (conn.closed) return;
      callbacks.authenticate(conn, verified);
      callbacks.ready(conn);
      return completeHello(deps, conn, hello, env.cid);
    },
    (err) => authFailed(callbacks, conn, err),
  );
}

function authFailed(callbacks: RouterCallbacks, conn: Connection, err: unknown): void {
  const code = err instanceof AuthError ? (err.code as 'AUTH_FAILED' | 'AUTH_EXPIRED') : 'AUTH_FAILED';
  callbacks.rejectAuth(conn, code, err instanceof Error ? err.message : 'token rejected');
}

/**
 * Token refresh (docs-site/protocol §3.7): same user, new expiry and ACL; failure closes 4401/4403.
 *
 * @example
 * case 'auth_refresh': return refreshAuth(deps, callbacks, conn, env);
 */
export function refreshAuth(
  deps: SessionDeps,
  callbacks: RouterCallbacks,
  conn: Connection,
  env: Envelope,
): void | Promise<void> {
  const verify = deps.verify;
  if (!verify) {
    conn.sendEvent('auth_refreshed', {}, { cid: env.cid });
    return;
  }
  const token = env.p.token;
  if (typeof token !== 'string' || token === '') {
    callbacks.rejectAuth(conn, 'AUTH_FAILED', 'auth_refresh needs p.token');
    return;
  }
  return verify(token).then(
    (verified) => {
      if (conn.closed) return;
      if (verified.userId !== conn.identity.userId) {
        callbacks.rejectAuth(conn, 'AUTH_FAILED', 'refreshed token is for another user');
        return;
      }
      callbacks.authenticate(conn, verified);
      const revoked = deps.topics.topicsOf(conn.id).filter((t) => !identityAllows(conn.identity, t));
      deps.topics.unsubscribe(conn, revoked);
      const expiresIn =
        verified.expiresAt === undefined
          ? undefined
          : Math.floor((verified.expiresAt - deps.options.clock.now()) / 1000);
      conn.sendEvent(
        'auth_refreshed',
        { token_expires_in: expiresIn, revoked_topics: revoked },
        { cid: env.cid },
      );
    },
    (err) => authFailed(callbacks, conn, err),
  );
}
