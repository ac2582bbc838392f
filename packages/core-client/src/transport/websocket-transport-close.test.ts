import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { createWebSocketTransportFactory, type WebSocketConstructor } from './websocket-transport';

const WS = createRequire(import.meta.url)('ws') as WebSocketConstructor;

it('closing a socket still CONNECTING (close(), connect timeout) does not crash Node', async () => {
  // A peer that accepts TCP and never answers the upgrade: the socket stays CONNECTING.
  const sockets: Socket[] = [];
  const tcp = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const { port } = tcp.address() as { port: number };
  const escaped: unknown[] = [];
  const onEscape = (e: unknown) => escaped.push(e);
  process.on('uncaughtException', onEscape);
  try {
    const closes: number[] = [];
    const t = createWebSocketTransportFactory(WS)(
      { url: `ws://127.0.0.1:${port}/wse` },
      { onOpen: () => {}, onMessage: () => {}, onError: () => {}, onClose: (code) => closes.push(code) },
    );
    await new Promise((r) => setTimeout(r, 20));
    t.close(4000, 'connect timeout');
    await new Promise((r) => setTimeout(r, 50)); // `ws` emits its 'error' on a later tick
    expect(escaped).toEqual([]);
    expect(closes).toEqual([4000]);
  } finally {
    process.off('uncaughtException', onEscape);
    for (const s of sockets) s.destroy();
    await new Promise((r) => tcp.close(r));
  }
});
