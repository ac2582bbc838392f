/**
 * Child process of close-exit.int.test.ts: connects a real client to the URL in argv[2], does
 * what argv[3] says (`handshake`: close before server_hello; `request`: close with a request
 * pending, a subscription, queued sends and a token-refresh timer running), closes, prints
 * `closed`, and must then exit on its own — any timer or socket left behind keeps it alive.
 */
import { createClient } from '../src/client/client';

const [url = '', mode = 'request', token = ''] = process.argv.slice(2);
const client = createClient({
  endpoints: [url],
  token: () => token,
  heartbeat: { pingIntervalMs: 200, deadGraceMs: 10_000 },
});
client.on('error', () => {});

const connecting = client.connect().catch((e: { code?: string }) => `connect rejected: ${e.code}`);
if (mode === 'handshake') {
  await new Promise((r) => setTimeout(r, 5)); // socket opening, no server_hello yet
} else {
  await connecting;
  await client.subscribe(['news']);
  client.send('chat_message', { text: 'hi' });
}
const pending = client
  .request('never_answered', {}, { timeoutMs: 60_000 })
  .catch((e) => `${e.name}:${e.code}`);
await client.close();
process.stdout.write(
  `closed ${JSON.stringify({ request: await pending, connect: (await connecting) ?? 'ok' })}\n`,
);
