/**
 * Test helper shared by every package's tests (bindings, core client, node-sync, cross-package
 * e2e): the real reference server on 127.0.0.1:0, HS256 tokens, a Node WebSocket that counts what
 * it opens and sends, and a TCP proxy that can cut, refuse and re-target connections.
 *
 * It lives outside every package, so no package ships it in its dist. It runs under the `unit`,
 * `dom` (happy-dom: the real `ws` client is loaded through Node's `require`) and `e2e` projects.
 *
 * @module
 */

import { createRequire } from 'node:module';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import type { ClientOptions, WebSocketConstructor } from '@wse/core-client';
import { WSEServer, type WSEServerOptions } from '@wse/ref-server';
import { SignJWT } from 'jose';

// Under the dom project's `browser` condition `import 'ws'` resolves to a stub that throws;
// Node's require picks the real client.
const NodeWebSocket = createRequire(import.meta.url)('ws') as WebSocketConstructor;

/** The secret {@link token} signs with by default (pass it as `auth: { secret: SECRET }`). */
export const SECRET = 'wse-test-secret-0123456789abcdef';

/**
 * A running test server.
 *
 * @example
 * ```ts
 * const { server, url, port }: TestServer = await startServer();
 * ```
 */
export interface TestServer {
  server: WSEServer;
  url: string;
  port: number;
}

/**
 * Starts a server on 127.0.0.1 (port 0 unless given) with quiet logs and no auth unless given;
 * `options` override everything. Stop it with `server.stop()`.
 *
 * @example
 * ```ts
 * const { server, url } = await startServer({ auth: { secret: SECRET }, presence: {} });
 * ```
 */
export async function startServer(options: WSEServerOptions = {}): Promise<TestServer> {
  const server = new WSEServer({ host: '127.0.0.1', port: 0, logLevel: 'silent', auth: false, ...options });
  const port = await server.start();
  return { server, port, url: `ws://127.0.0.1:${port}/wse` };
}

/**
 * An HS256 token for `sub` (1 h, signed with {@link SECRET} unless told otherwise).
 *
 * @example
 * ```ts
 * const jwt = await token('ada', { expSec: 60 });
 * ```
 */
export function token(sub: string, o: { expSec?: number; secret?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expSec ?? 3600))
    .sign(new TextEncoder().encode(o.secret ?? SECRET));
}

/**
 * What a {@link countingSocket} saw.
 *
 * @example
 * ```ts
 * const { log } = countingSocket();
 * log.opened; // sockets constructed so far
 * ```
 */
export interface SocketLog {
  opened: number;
  /** Decoded JSON frames the client sent. */
  sent: Array<{ t: string; p: Record<string, unknown> }>;
}

/**
 * A WebSocket constructor that records every socket opened and every text frame sent.
 *
 * @example
 * ```ts
 * const { WebSocket, log } = countingSocket();
 * createClient({ endpoints: url, env: { WebSocket } });
 * ```
 */
export function countingSocket(): { WebSocket: WebSocketConstructor; log: SocketLog } {
  const log: SocketLog = { opened: 0, sent: [] };
  class Counting extends NodeWebSocket {
    constructor(url: string, options?: { headers?: Record<string, string> }) {
      super(url, options);
      log.opened++;
    }
    override send(data: string | ArrayBufferLike | ArrayBufferView): void {
      if (typeof data === 'string') log.sent.push(JSON.parse(data));
      super.send(data);
    }
  }
  return { WebSocket: Counting, log };
}

/**
 * `subscription_update` subscribe frames that named `topic`.
 *
 * @example
 * ```ts
 * expect(subscribesTo(log, 'room')).toBe(1);
 * ```
 */
export function subscribesTo(log: SocketLog, topic: string): number {
  return log.sent.filter(
    (f) =>
      f.t === 'subscription_update' && f.p.action === 'subscribe' && (f.p.topics as string[]).includes(topic),
  ).length;
}

/**
 * Client options for user `sub` against `url` (a server with `auth: { secret: SECRET }`): no
 * offline queue, no reconnect noise.
 *
 * @example
 * ```ts
 * const client = createClient(clientOptions(url, 'ada'));
 * ```
 */
export function clientOptions(
  url: string,
  sub: string,
  WebSocket: WebSocketConstructor = NodeWebSocket,
): ClientOptions {
  return { endpoints: url, token: () => token(sub), offline: false, reconnect: false, env: { WebSocket } };
}

/**
 * The topics the server holds for `userId`'s connection (undefined: not connected).
 *
 * @example
 * ```ts
 * expect(userTopics(server, 'ada')).toEqual(['room']);
 * ```
 */
export function userTopics(server: WSEServer, userId: string): string[] | undefined {
  const conn = server.connections().find((c) => c.userId === userId);
  return conn ? server.connectionInfo(conn.id)?.topics : undefined;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a server, see {@link startProxy}.
 *
 * @example
 * ```ts
 * const proxy: TestProxy = await startProxy(port);
 * ```
 */
export interface TestProxy {
  /** `ws://127.0.0.1:<proxy port>/wse` */
  url: string;
  port: number;
  /** Where new connections go; change `target.port` to swap the server behind the address. */
  target: { port: number };
  /** Destroys every open connection (the client sees 1006); keeps accepting. */
  cut(): void;
  /** Destroys every open connection and refuses new ones until {@link TestProxy.up}. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

/**
 * A fixed address in front of a server that can be replaced: uWebSockets.js cannot listen again
 * on a port whose earlier connections sit in TIME_WAIT (no SO_REUSEADDR), so a "restart" keeps
 * the proxy's port and swaps the server behind it. Closes pass through both ways.
 *
 * @example
 * ```ts
 * const proxy = await startProxy(first.port);
 * proxy.down();                       // outage: open sockets die, new ones are refused
 * proxy.target.port = second.port;    // a restarted server behind the same address
 * proxy.up();
 * ```
 */
export async function startProxy(targetPort = 0): Promise<TestProxy> {
  const target = { port: targetPort };
  const open = new Set<Socket>();
  let accepting = true;
  const proxy = createNetServer((down) => {
    if (!accepting) {
      down.destroy();
      return;
    }
    const up = connect(target.port, '127.0.0.1');
    open.add(down).add(up);
    down.pipe(up).pipe(down);
    const kill = () => {
      for (const s of [down, up]) {
        s.destroy();
        open.delete(s);
      }
    };
    for (const s of [down, up]) {
      s.on('error', kill);
      s.on('close', kill);
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;
  const cut = () => {
    for (const s of [...open]) s.destroy();
  };
  return {
    url: `ws://127.0.0.1:${port}/wse`,
    port,
    target,
    cut,
    down: () => {
      accepting = false;
      cut();
    },
    up: () => {
      accepting = true;
    },
    close: () => {
      cut();
      return new Promise((resolve) => proxy.close(() => resolve()));
    },
  };
}
