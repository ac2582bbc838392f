/**
 * An in-memory transport pair for unit tests: the client side is a {@link TransportFactory}, the
 * server side a scriptable {@link MemoryServer}. Delivery is asynchronous (a microtask), like a
 * real socket, so no callback fires inside `send`.
 *
 * @module
 */

import { TransportError } from '../protocol/errors';
import type {
  Transport,
  TransportFactory,
  TransportFrame,
  TransportHandlers,
  TransportRequest,
} from './transport';

/**
 * The server end of one in-memory connection.
 *
 * @example
 * ```ts
 * server.onConnection = (sock) => {
 *   sock.onMessage = (frame) => sock.send(frame); // echo
 * };
 * ```
 */
export class MemoryServerSocket {
  /** Frames the client sent, in order. */
  readonly received: TransportFrame[] = [];
  /** Called for each frame the client sends. */
  onMessage: ((frame: TransportFrame) => void) | null = null;
  /** Called once when the client closes. */
  onClose: ((code: number, reason: string) => void) | null = null;
  private state: 'pending' | 'open' | 'closed' = 'pending';

  constructor(
    readonly request: TransportRequest,
    private readonly client: TransportHandlers,
  ) {}

  /** `true` until either side closed. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Completes the upgrade: the client sees `onOpen`. */
  accept(): void {
    if (this.state !== 'pending') return;
    this.state = 'open';
    queueMicrotask(() => {
      if (this.state === 'open') this.client.onOpen();
    });
  }

  /** Sends a frame to the client. Ignored once closed. */
  send(frame: TransportFrame): void {
    if (this.state !== 'open') return;
    queueMicrotask(() => {
      if (this.state === 'open') this.client.onMessage(frame);
    });
  }

  /** Closes from the server side: the client sees `onClose(code, reason)`. */
  close(code = 1000, reason = ''): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    queueMicrotask(() => this.client.onClose(code, reason));
  }

  /** @internal the client sent a frame. */
  deliver(frame: TransportFrame): void {
    this.received.push(frame);
    this.onMessage?.(frame);
  }

  /** @internal the client closed. */
  clientClosed(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.onClose?.(code, reason);
  }
}

class MemoryClientTransport implements Transport {
  private closed = false;
  bufferedAmount = 0;

  constructor(
    private readonly socket: MemoryServerSocket,
    private readonly handlers: TransportHandlers,
  ) {}

  send(frame: TransportFrame): void {
    if (this.closed || !this.socket.isOpen)
      throw new TransportError('TRANSPORT_CLOSED', 'socket is not open');
    const copy = typeof frame === 'string' ? frame : frame.slice();
    queueMicrotask(() => this.socket.deliver(copy));
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.clientClosed(code, reason);
    queueMicrotask(() => this.handlers.onClose(code, reason));
  }
}

/**
 * A scriptable in-memory server. By default every connection is accepted at once; set
 * `autoAccept = false` to accept by hand, or `refuse` to fail upgrades (the client sees close
 * code 1006 without ever opening).
 *
 * @example
 * ```ts
 * const server = new MemoryServer();
 * server.onConnection = (sock) => sock.send('{"t":"server_ready","p":{"details":{}}}');
 * const client = createClient({ endpoints: ['memory://a'], transport: server.factory });
 * ```
 */
export class MemoryServer {
  /** Every connection ever opened, in order. */
  readonly connections: MemoryServerSocket[] = [];
  /** Called for each new (accepted or pending) connection. */
  onConnection: ((socket: MemoryServerSocket) => void) | null = null;
  autoAccept = true;
  /** `true`, or a predicate on the request, to refuse upgrades. */
  refuse: boolean | ((request: TransportRequest) => boolean) = false;

  /** The client-side factory to inject into the client. */
  readonly factory: TransportFactory = (request, handlers) => {
    const socket = new MemoryServerSocket(request, handlers);
    const refused = typeof this.refuse === 'function' ? this.refuse(request) : this.refuse;
    if (refused) {
      socket.close(1006, 'refused');
    } else {
      this.connections.push(socket);
      if (this.autoAccept) socket.accept();
      this.onConnection?.(socket);
    }
    return new MemoryClientTransport(socket, handlers);
  };

  /** The most recent connection, if any. */
  get last(): MemoryServerSocket | undefined {
    return this.connections[this.connections.length - 1];
  }
}
