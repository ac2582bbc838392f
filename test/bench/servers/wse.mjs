// Our server, WSEServer from packages/ref-server, loaded from its TypeScript source through an
// esbuild bundle (see ../lib/wse-build.mjs). JWT auth on (HS256 secret), recovery on or off, the
// client's subscription_update handled by the server itself, and an app handler that answers
// `bench_echo` requests with server.reply (request/reply scenario). Publications go through
// broadcastLocal as an event {t, p}, so subscribers receive {"c":"U","t":"bench_tick","p":{…},…}.
import { importWse } from '../lib/wse-build.mjs';
import { payloadObject, TOPIC } from './payload.mjs';

export async function create(opts = {}) {
  const { WSEServer } = await importWse('ref-server');
  const recovery = opts.recovery ? { enabled: true, ...(opts.recoveryOptions ?? {}) } : { enabled: false };
  const server = new WSEServer({
    host: '127.0.0.1',
    port: 0,
    auth: opts.secret ? { secret: opts.secret } : false,
    recovery,
    logLevel: 'silent',
    // The benchmark is allowed to be fast: no inbound rate limit in the way of request/reply.
    rateLimit: { capacity: 1_000_000, refillPerSec: 1_000_000 },
    maxConnections: 100_000,
    maxBackpressure: 64 * 1024 * 1024,
  });
  server.on('message', (ev) => {
    if (ev.t === 'bench_echo') server.reply(ev.connId, ev.cid, ev.p);
  });
  const started = await server.start();
  const port = typeof started === 'number' ? started : server.port;
  return {
    port,
    info: { recovery: recovery.enabled },
    count: () => {
      let n = 0;
      for (const c of server.connections()) if (c.topics.includes(TOPIC)) n++;
      return n;
    },
    connections: () => server.connectionCount(),
    publish(seq, ts) {
      server.broadcastLocal(TOPIC, { t: 'bench_tick', p: payloadObject(seq, ts) });
    },
  };
}
