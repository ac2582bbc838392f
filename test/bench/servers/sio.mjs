// Socket.IO 4 with the websocket transport only: every socket joins the room, broadcasts are
// io.to(room).emit, and request/reply is an acknowledgement.
import http from 'node:http';
import { Server } from 'socket.io';
import { payloadObject, TOPIC } from './payload.mjs';

export async function create() {
  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
  });
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
  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: httpServer.address().port,
    info: { topic: TOPIC },
    count: () => io.sockets.adapter.rooms.get(TOPIC)?.size ?? 0,
    connections: () => open,
    publish(seq, ts) {
      io.to(TOPIC).emit('m', payloadObject(seq, ts));
    },
  };
}
