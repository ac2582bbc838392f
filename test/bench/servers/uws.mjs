// Raw uWebSockets.js: the ceiling for any uWS-based server. Subscribes every socket to the topic on
// open, echoes messages (request/reply scenario), and publishes either through a queue flushed in a
// setImmediate (mode 'queued', what TOOLCHAIN.md measured as the fast path) or directly ('direct').
import uWS from 'uWebSockets.js';
import { PAD, payloadString, TOPIC } from './payload.mjs';

export async function create(opts = {}) {
  const mode = opts.publishMode ?? 'queued';
  // frameBytes: pad the ~100-byte payload to this size (the size of our stamped frame), so raw uWS
  // does the same per-byte work as ours: the floor for our frame, not for a smaller one.
  const pad = opts.frameBytes ? 'x'.repeat(PAD.length + opts.frameBytes - 100) : PAD;
  const payload = (seq, ts) =>
    opts.frameBytes ? `{"bseq":${seq},"bts":${ts},"pad":"${pad}"}` : payloadString(seq, ts);
  let open = 0;
  const app = uWS.App();
  app.ws('/*', {
    compression: uWS.DISABLED,
    maxPayloadLength: 1 << 20,
    maxBackpressure: 256 * 1024 * 1024,
    idleTimeout: 0,
    sendPingsAutomatically: false,
    open: (ws) => {
      open++;
      ws.subscribe(TOPIC);
    },
    message: (ws, message, isBinary) => {
      ws.send(message, isBinary);
    },
    close: () => {
      open--;
    },
  });
  const port = await new Promise((resolve, reject) => {
    app.listen('127.0.0.1', 0, (token) => {
      if (!token) reject(new Error('uWS listen failed'));
      else resolve(uWS.us_socket_local_port(token));
    });
  });

  let queue = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const q = queue;
    queue = [];
    for (let i = 0; i < q.length; i++) app.publish(TOPIC, q[i], false);
  };

  return {
    port,
    info: { publishMode: mode, frameBytes: payload(1234567, 1764100000000000).length },
    count: () => app.numSubscribers(TOPIC),
    connections: () => open,
    publish(seq, ts) {
      const msg = payload(seq, ts);
      if (mode === 'direct') {
        app.publish(TOPIC, msg, false);
        return;
      }
      queue.push(msg);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  };
}
