/**
 * A scripted WSE server over the in-memory transport, for client unit tests. It speaks just
 * enough of the protocol: server_ready → client_hello → server_hello, subscription replies,
 * and records every decoded client envelope.
 */

import { buildEnvelope, decodeFrame, type Envelope, encodeFrame } from '../src/protocol';
import { MemoryServer, type MemoryServerSocket } from '../src/transport/memory-transport';

export interface FakeOptions {
  /** Send server_ready at all (default true). */
  ready?: boolean;
  /** Answer client_hello with server_hello (default true). */
  hello?: boolean;
  /** Answer client pings with PONG (default true). */
  pong?: boolean;
  /** Answer subscription_update (default true). */
  subscriptions?: boolean;
  pingInterval?: number;
  tokenExpiresIn?: number;
  /** `server_hello.limits.max_subscriptions` (absent by default). */
  maxSubscriptions?: number;
  /** Decide per subscribe; default: all succeed. */
  recovery?: (topic: string, p: Record<string, unknown>) => Record<string, unknown> | undefined;
}

export interface FakeConn {
  socket: MemoryServerSocket;
  envelopes: Envelope[];
  send(type: string, payload?: Record<string, unknown>, extra?: Partial<Envelope>): void;
  close(code?: number, reason?: string): void;
}

export class FakeWSEServer {
  readonly memory = new MemoryServer();
  readonly conns: FakeConn[] = [];
  private n = 0;

  constructor(public options: FakeOptions = {}) {
    this.memory.onConnection = (socket) => this.accept(socket);
  }

  get factory() {
    return this.memory.factory;
  }

  get last(): FakeConn {
    const c = this.conns[this.conns.length - 1];
    if (!c) throw new Error('no connection yet');
    return c;
  }

  /** All envelopes of a type the client sent on any connection. */
  sent(type: string): Envelope[] {
    return this.conns.flatMap((c) => c.envelopes.filter((e) => e.t === type));
  }

  private accept(socket: MemoryServerSocket): void {
    const id = `conn-${++this.n}`;
    const conn: FakeConn = {
      socket,
      envelopes: [],
      send: (type, payload = {}, extra = {}) =>
        socket.send(encodeFrame({ ...buildEnvelope(type, payload), ...extra })),
      close: (code = 1000, reason = '') => socket.close(code, reason),
    };
    this.conns.push(conn);
    socket.onMessage = (frame) => {
      const env = decodeFrame(frame);
      conn.envelopes.push(env);
      this.handle(conn, env, id);
    };
    if (this.options.ready !== false) {
      const details: Record<string, unknown> = {
        version: 1,
        connection_id: id,
        user_id: 'u1',
        server_time: 0,
      };
      if (this.options.tokenExpiresIn !== undefined) details.token_expires_in = this.options.tokenExpiresIn;
      conn.send('server_ready', { message: 'ready', details });
    }
  }

  private handle(conn: FakeConn, env: Envelope, id: string): void {
    if (env.t === 'ping' && this.options.pong !== false) {
      conn.send('PONG', { client_timestamp: env.p.timestamp, server_timestamp: 0, latency: 0 });
    }
    if (env.t === 'client_hello' && this.options.hello !== false) {
      conn.send('server_hello', {
        server_version: 'fake',
        protocol_version: 1,
        features: { compression: true, recovery: true, presence: true },
        limits: {
          max_message_size: 1 << 20,
          rate_limit_refill: 1000,
          ...(this.options.maxSubscriptions === undefined
            ? {}
            : { max_subscriptions: this.options.maxSubscriptions }),
        },
        ping_interval: this.options.pingInterval ?? 25_000,
        connection_id: id,
        server_time: 0,
      });
    }
    if (env.t === 'subscription_update' && this.options.subscriptions !== false) {
      const topics = (env.p.topics as string[]) ?? [];
      const recovery: Record<string, unknown> = {};
      for (const t of topics) {
        const r = this.options.recovery?.(t, env.p);
        if (r) recovery[t] = r;
      }
      conn.send(
        'subscription_update',
        { action: env.p.action, success: true, success_topics: topics, failed_topics: [], recovery },
        { cid: env.cid },
      );
    }
  }
}

/** Lets every pending microtask and I/O callback run. */
export function settle(rounds = 3): Promise<void> {
  let p = Promise.resolve();
  for (let i = 0; i < rounds; i++) p = p.then(() => new Promise<void>((r) => setImmediate(r)));
  return p;
}
