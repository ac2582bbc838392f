// Socket.IO 4.8 on uWebSockets.js — the strongest Socket.IO setup: `io.attachApp(app)` replaces
// engine.io's `ws` transport with uWS, and socket.io patches its in-memory adapter so a broadcast
// to a room with no exceptions becomes one `app.publish` (uWS fan-out in C++). Socket.IO does not
// import uWebSockets.js itself: it uses the `app` it is given, so this is the same native module
// (`uWebSockets.js` → @trufflesuite/uws-js-unofficial 20.30) as the raw uWS target.

import uWS from 'uWebSockets.js';
import { Server } from 'socket.io';
import { payloadObject, TOPIC } from './payload.mjs';

export async function create() {
  const app = uWS.App();
  const io = new Server({ transports: ['websocket'], serveClient: false, perMessageDeflate: false });
  io.attachApp(app);
  let open = 0;
  io.on('connection', (socket) => {
    open++;
    socket.join(TOPIC);
    socket.on('echo', (data, ack) => {
      if (typeof ack === 'function') ack(data);
    });
    socket.on('disconnect', () => {
      open--;
    });
  });
  const port = await new Promise((resolve, reject) => {
    app.listen('127.0.0.1', 0, (token) => {
      if (!token) reject(new Error('uWS listen failed'));
      else resolve(uWS.us_socket_local_port(token));
    });
  });
  return {
    port,
    info: { topic: TOPIC, transport: 'uWebSockets.js' },
    count: () => io.sockets.adapter.rooms.get(TOPIC)?.size ?? 0,
    connections: () => open,
    publish(seq, ts) {
      io.to(TOPIC).emit('m', payloadObject(seq, ts));
    },
  };
}
