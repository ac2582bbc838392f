import type { Connection } from './connection';
import { startE2E } from './e2e-session';
import { type AgreedKey, agreeKey } from './handshake';
import { buildServerHello, type ClientHello, negotiateFeatures } from './negotiate';
import type { SessionDeps } from './session-deps';

/**
 * Key agreement (if asked), then `server_hello` (docs-site/protocol §3); E2E and msgpack take effect
 * right after it. Returns a promise only while the key agreement runs.
 *
 * @example
 * return completeHello(deps, conn, parsed.hello, env.cid);
 */
export function completeHello(
  deps: SessionDeps,
  conn: Connection,
  hello: ClientHello,
  cid?: string,
): void | Promise<void> {
  conn.phase = 'ready';
  if (!hello.encryptionPublicKey) {
    sendServerHello(deps, conn, hello, cid);
    return;
  }
  const identity = deps.options.identityKey;
  return agreeKey(hello.encryptionPublicKey, conn.id, identity, hello.encryptionVersion).then(
    (agreed) => {
      if (conn.closed) return;
      sendServerHello(deps, conn, hello, cid, agreed);
    },
    (err) => {
      conn.sendError(
        'KEY_EXCHANGE_FAILED',
        err instanceof Error ? err.message : 'key agreement failed',
        {},
        cid,
      );
      sendServerHello(deps, conn, hello, cid);
    },
  );
}

function sendServerHello(
  deps: SessionDeps,
  conn: Connection,
  hello: ClientHello,
  cid: string | undefined,
  agreed?: AgreedKey,
): void {
  const o = deps.options;
  const msgpack = conn.format === 'msgpack' || hello.features.msgpack;
  const features = negotiateFeatures(deps.features, hello, { encrypted: !!agreed, msgpack });
  const payload = buildServerHello({
    serverVersion: deps.serverVersion,
    hello,
    features,
    limits: {
      maxMessageSize: o.maxMessageSize,
      rateLimit: o.rateLimit,
      maxSubscriptions: o.maxSubscriptionsPerConnection,
    },
    pingInterval: o.pingInterval,
    connectionId: conn.id,
    now: o.clock.now(),
    publicKey: agreed?.publicKey,
    signature: agreed?.signature,
  });
  conn.compress = hello.features.compression; // docs-site/protocol §2: `false` → never C: to this client
  conn.sendEvent('server_hello', payload, { cid });
  if (agreed) startE2E(conn, hello.encryptionVersion, agreed, o.clock.now());
  if (msgpack) conn.format = 'msgpack';
  // Its topics move to the path it needs now: direct (E2E, msgpack) or uWS's uncompressed name.
  deps.topics.updatePath(conn);
}
