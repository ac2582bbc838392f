// The `ws` package: the idiomatic broadcast loop (README "broadcast to all clients"), with the
// message encoded to a Buffer once per publish, and an echo handler for request/reply.
import { WebSocketServer } from 'ws';
import { payloadString, TOPIC } from './payload.mjs';

export async function create() {
  const subs = new Set();
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    clientTracking: false,
  });
  wss.on('connection', (ws) => {
    subs.add(ws);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('close', () => subs.delete(ws));
    ws.on('error', () => {});
  });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const opts = { binary: false };
  return {
    port: wss.address().port,
    info: { topic: TOPIC },
    count: () => subs.size,
    connections: () => subs.size,
    publish(seq, ts) {
      const buf = Buffer.from(payloadString(seq, ts));
      for (const ws of subs) ws.send(buf, opts);
    },
  };
}
