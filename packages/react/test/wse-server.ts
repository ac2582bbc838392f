// Test helper: the real reference server on 127.0.0.1:0, tokens, and a Node WebSocket that counts
// what it opens and sends. (The same helper lives in each binding package's test folder.)
import { createRequire } from 'node:module';
import type { ClientOptions, WebSocketConstructor } from '@wse/core-client';
import { WSEServer } from '@wse/ref-server';
import { SignJWT } from 'jose';

// Under the dom project's `browser` condition `import 'ws'` resolves to a stub that throws;
// Node's require picks the real client.
const NodeWebSocket = createRequire(import.meta.url)('ws') as WebSocketConstructor;

const SECRET = 'bindings-test-secret-0123456789';

export interface TestServer {
  server: WSEServer;
  url: string;
}

/** Starts a server with auth and presence on, quiet logs. */
export async function startServer(): Promise<TestServer> {
  const server = new WSEServer({
    host: '127.0.0.1',
    port: 0,
    auth: { secret: SECRET },
    presence: { enabled: true },
    recovery: { enabled: true }, // publications carry their topic (`tp`)
    logLevel: 'silent',
  });
  const port = await server.start();
  return { server, url: `ws://127.0.0.1:${port}/wse` };
}

/** An HS256 token for `sub`. */
export function token(sub: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

/** What a {@link countingSocket} saw. */
export interface SocketLog {
  opened: number;
  /** Decoded JSON frames the client sent. */
  sent: Array<{ t: string; p: Record<string, unknown> }>;
}

/** A WebSocket constructor that records every socket opened and every text frame sent. */
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

/** `subscription_update` subscribe frames that named `topic`. */
export function subscribesTo(log: SocketLog, topic: string): number {
  return log.sent.filter(
    (f) =>
      f.t === 'subscription_update' && f.p.action === 'subscribe' && (f.p.topics as string[]).includes(topic),
  ).length;
}

/** Client options for user `sub` against `url` (no offline queue, no reconnect noise). */
export function clientOptions(
  url: string,
  sub: string,
  WebSocket: WebSocketConstructor = NodeWebSocket,
): ClientOptions {
  return { endpoints: url, token: () => token(sub), offline: false, reconnect: false, env: { WebSocket } };
}

/** The topics the server holds for `userId`'s connection (undefined: not connected). */
export function userTopics(server: WSEServer, userId: string): string[] | undefined {
  const conn = server.connections().find((c) => c.userId === userId);
  return conn ? server.connectionInfo(conn.id)?.topics : undefined;
}
