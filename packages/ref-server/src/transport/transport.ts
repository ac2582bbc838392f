/**
 * The transport boundary: everything above it talks to these interfaces, only `uws-transport.ts`
 * talks to uWebSockets.js. Keeping the socket behind a handle also makes use-after-close a no-op
 * instead of uWS's "invalid access of closed WebSocket" crash.
 */

/** What the upgrade request carried; copied inside uWS's `upgrade` callback before any await. */
export interface UpgradeInfo {
  url: string;
  /** Raw query string without the leading `?`. */
  query: string;
  headers: { authorization: string; cookie: string; origin: string; userAgent: string };
  remoteAddress: string;
}

/** uWS send result: 1 sent, 0 sent but buffered (backpressure), 2 dropped (over maxBackpressure). */
export type SendStatus = 0 | 1 | 2;

/** One open WebSocket. Calls after close are ignored. */
export interface SocketHandle {
  readonly closed: boolean;
  send(data: string | Uint8Array, binary: boolean): SendStatus;
  /** Packs several sends into one syscall. */
  cork(fn: () => void): void;
  /** Close handshake with a code; the close handler runs at once. */
  end(code: number, reason?: string): void;
  /** Drops the TCP connection without a close frame (the peer sees 1006); for peers that never read. */
  terminate?(): void;
  bufferedAmount(): number;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
}

/** What is known of a plain HTTP request before its body is read. */
export interface HttpRequestHead {
  method: string;
  /** Path plus `?query` when there is one. */
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
}

/** A plain HTTP request (not an upgrade), with the body fully read. */
export interface HttpRequestInfo {
  method: string;
  /** Path plus `?query` when there is one. */
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/**
 * Callbacks the transport drives. `C` is whatever `upgrade` decides to attach to the socket (the
 * session context); `message` data is valid only during the call (uWS neuters it after).
 */
export interface TransportHandlers<C> {
  upgrade(info: UpgradeInfo): C | Promise<C>;
  /** The client went away while `upgrade` was still deciding. */
  upgradeAborted(context: C): void;
  open(socket: SocketHandle, context: C): void;
  message(context: C, data: ArrayBuffer, isBinary: boolean): void;
  drain(context: C): void;
  close(context: C, code: number, reason: string): void;
  http(request: HttpRequestInfo): Promise<HttpResult>;
  /** An answer from the head alone (wrong key, …): sent without reading the body; null = read on. */
  httpEarly?(head: HttpRequestHead): HttpResult | null;
}

export interface TransportConfig {
  host: string;
  port: number;
  path: string;
  maxPayloadLength: number;
  maxBackpressure: number;
  maxBodyBytes: number;
  /** Request bodies buffered at once; past it new requests with a body get 503 unread. */
  maxConcurrentBodies: number;
  /** Total header bytes of a request; past it 431 (uWS itself resets far bigger headers). */
  maxHeaderBytes: number;
  /**
   * Share the port with other processes (SO_REUSEPORT, `--workers`). False: bind exclusively, so a
   * second server on a used port fails to start instead of taking half the connections.
   */
  reusePort?: boolean;
}

/** The transport adapter the server drives. */
export interface Transport {
  listen(): Promise<number>;
  /** Stops accepting; open sockets stay until closed by the caller. */
  closeListener(): void;
  /** One frame to every socket subscribed to `topic`, built once (uWS fan-out). */
  publish(topic: string, data: string | Uint8Array, binary: boolean): boolean;
  subscriberCount(topic: string): number;
  /** True when the native build is in use (false = uWS's slow JS fallback). */
  readonly native: boolean;
}
