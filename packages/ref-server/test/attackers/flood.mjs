// Hostile load from a separate process (so the test's own event loop is not the one blocked):
// opens N raw sockets and sends COUNT copies of FRAME (base64) on each, then reports "sent" and
// stays connected until killed. argv: url, sockets, count, frame (base64, or `deep:N` for a text
// frame of N `[`), binary (1|0)
import WebSocket from 'ws';

const [url, n, count, spec, binary] = process.argv.slice(2);
const bytes = spec.startsWith('deep:')
  ? Buffer.from('['.repeat(Number(spec.slice(5))))
  : Buffer.from(spec, 'base64');
const frame = binary === '1' ? bytes : bytes.toString('utf8');
const sockets = await Promise.all(
  Array.from({ length: Number(n) }, async () => {
    const ws = new WebSocket(url);
    ws.on('error', () => {});
    await new Promise((r) => ws.once('open', r));
    return ws;
  }),
);
process.send?.('open');
for (const ws of sockets) for (let i = 0; i < Number(count); i++) ws.send(frame);
process.send?.('sent');
