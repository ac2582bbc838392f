// Starts one server under test, connects the load generator, runs a body, and always cleans up.

import { makeTokens, waitFor } from '../lib/common.mjs';
import { ServerProc } from '../lib/server-proc.mjs';
import { TARGETS } from '../lib/targets.mjs';

const tokenCache = new Map();

/** One token per connection, signed once per process and reused across scenarios. */
export async function tokensFor(n) {
  let t = tokenCache.get('all') ?? [];
  if (t.length < n) {
    t = t.concat(await makeTokens(n - t.length, undefined, t.length));
    tokenCache.set('all', t);
  }
  return t.slice(0, n);
}

export async function startServer(targetName, extra = {}) {
  const target = TARGETS[targetName];
  if (!target) throw new Error(`unknown target ${targetName}`);
  const srv = new ServerProc(target.kind, { server: { ...target.server, ...extra } });
  await srv.start();
  return { srv, target };
}

export function connectOpts(target, srv, opts) {
  return {
    proto: target.proto,
    port: srv.port,
    path: target.path,
    concurrency: 64,
    timeoutMs: 60_000,
    ...opts,
  };
}

/**
 * Runs `body({srv, target, conn})` with `opts.count` connections open (opts.count may be 0), then
 * closes the connections and kills the server even when the body throws.
 */
export async function withServer(gen, targetName, opts, body, serverExtra) {
  const { srv, target } = await startServer(targetName, serverExtra);
  try {
    let conn = { ready: 0, failed: 0 };
    if (opts.count > 0) {
      const tokens = target.jwt ? await tokensFor(opts.count) : undefined;
      conn = await gen.connect(connectOpts(target, srv, { ...opts, tokens }));
      if (conn.ready === 0)
        throw new Error(`${targetName}: no connection succeeded: ${JSON.stringify(conn.errors)}`);
      if (opts.subscribe !== false) {
        // The server's own count, where it has one, so publishing starts after every subscribe.
        await waitFor(async () => (await srv.call('count')).subscribers >= conn.ready, 5000);
      }
    }
    return await body({ srv, target, conn });
  } finally {
    await gen.closeAll().catch(() => {});
    await srv.stop();
  }
}
