/**
 * The socket abstraction the client drives. A transport carries whole frames (text or binary);
 * it knows nothing about envelopes, codecs or reconnecting.
 *
 * @module
 */

/**
 * One frame as it travels: a text frame is a `string`, a binary frame a `Uint8Array`.
 *
 * @example
 * ```ts
 * const frames: TransportFrame[] = ['{"t":"ping"}', new Uint8Array([0x4d, 0x3a])];
 * ```
 */
export type TransportFrame = string | Uint8Array;

/**
 * Callbacks a transport reports to. Each is called at most once per event; after `onClose` no
 * callback is called again.
 *
 * @example
 * ```ts
 * const handlers: TransportHandlers = {
 *   onOpen: () => console.log('open'),
 *   onMessage: (frame) => console.log(frame),
 *   onClose: (code, reason) => console.log('closed', code, reason),
 *   onError: (err) => console.error(err),
 * };
 * ```
 */
export interface TransportHandlers {
  onOpen(): void;
  onMessage(frame: TransportFrame): void;
  onClose(code: number, reason: string): void;
  onError(error: Error): void;
}

/**
 * An open (or opening) socket.
 *
 * @example
 * ```ts
 * function hello(t: Transport) {
 *   t.send('{"t":"client_hello","p":{}}');
 * }
 * ```
 */
export interface Transport {
  /** Sends one frame. Throws a `TransportError` when the socket is not open. */
  send(frame: TransportFrame): void;
  /** Starts closing; `onClose` follows (synchronously or later). Idempotent. */
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet sent (0 when unknown). */
  readonly bufferedAmount: number;
}

/**
 * What the client passes when it opens a transport.
 *
 * @example
 * ```ts
 * const req: TransportRequest = { url: 'wss://example.com/wse', headers: { Authorization: 'Bearer …' } };
 * ```
 */
export interface TransportRequest {
  readonly url: string;
  /** Upgrade request headers; only honoured where the platform allows (Node). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Opens a transport. The factory must not call handlers synchronously before it returns.
 *
 * @example
 * ```ts
 * const factory: TransportFactory = (req, handlers) => createWebSocketTransport(req, handlers);
 * ```
 */
export type TransportFactory = (request: TransportRequest, handlers: TransportHandlers) => Transport;
