/**
 * The default transport: a WebSocket from `isomorphic-ws` (`ws` in Node, the global `WebSocket`
 * in browsers), or any constructor you inject (mock-socket in tests, a polyfill elsewhere).
 *
 * @module
 */

import DefaultWebSocket from 'isomorphic-ws';
import { TransportError } from '../protocol/errors';
import type {
  Transport,
  TransportFactory,
  TransportFrame,
  TransportHandlers,
  TransportRequest,
} from './transport';

/**
 * The parts of a WebSocket instance the transport uses (the browser and `ws` shapes both fit).
 *
 * @example
 * ```ts
 * const ws: WebSocketLike = new WebSocket('wss://example.com/wse');
 * ```
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount?: number;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/**
 * A WebSocket constructor. The second argument is the `ws` options object (with `headers`) in
 * Node; browsers' constructors are only ever called with the URL.
 *
 * @example
 * ```ts
 * import { WebSocket as MockWebSocket } from 'mock-socket';
 * const ctor = MockWebSocket as unknown as WebSocketConstructor;
 * ```
 */
export type WebSocketConstructor = new (
  url: string,
  options?: { headers?: Record<string, string> },
) => WebSocketLike;

const OPEN = 1;

/**
 * Turns whatever a socket delivered into a {@link TransportFrame}, or `null` for shapes we do not
 * accept (e.g. a `Blob`, which we never ask for).
 *
 * @example
 * ```ts
 * toFrame(new ArrayBuffer(2)); // Uint8Array(2)
 * ```
 */
export function toFrame(data: unknown): TransportFrame | null {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((d) => ArrayBuffer.isView(d)))
    return concat(data as ArrayBufferView[]);
  return null;
}

function concat(parts: ArrayBufferView[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return out;
}

class WebSocketTransport implements Transport {
  #closed = false;

  readonly #ws: WebSocketLike;
  readonly #handlers: TransportHandlers;
  constructor(ws: WebSocketLike, handlers: TransportHandlers) {
    this.#ws = ws;
    this.#handlers = handlers;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      if (!this.#closed) handlers.onOpen();
    };
    ws.onmessage = (ev) => this.#receive(ev.data);
    ws.onerror = (ev) => {
      if (this.#closed) return;
      const cause = (ev as { error?: unknown })?.error ?? ev;
      handlers.onError(new TransportError('TRANSPORT_FAILED', 'websocket error', { cause }));
    };
    ws.onclose = (ev) => this.#finish(ev?.code ?? 1006, ev?.reason ?? '');
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount ?? 0;
  }

  send(frame: TransportFrame): void {
    if (this.#closed || this.#ws.readyState !== OPEN) {
      throw new TransportError('TRANSPORT_CLOSED', 'socket is not open');
    }
    this.#ws.send(frame);
  }

  close(code = 1000, reason = ''): void {
    if (this.#closed) return;
    try {
      this.#ws.close(code, reason);
    } catch {
      // A socket still CONNECTING may refuse custom codes on some platforms; it is going away anyway.
      try {
        this.#ws.close();
      } catch {
        /* nothing more to do */
      }
    }
    this.#finish(code, reason);
  }

  #receive(data: unknown): void {
    if (this.#closed) return; // frames after close are ignored
    const frame = toFrame(data);
    if (frame === null) {
      this.#handlers.onError(new TransportError('TRANSPORT_FRAME', 'unsupported frame data type'));
      return;
    }
    this.#handlers.onMessage(frame);
  }

  #finish(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ws.onopen = null;
    this.#ws.onmessage = null;
    // onerror stays (it ignores everything once closed): `ws` emits 'error' when a CONNECTING
    // socket is closed, and an 'error' without a listener crashes the Node process.
    this.#handlers.onClose(code, reason);
  }
}

/**
 * Builds a {@link TransportFactory} over a WebSocket constructor (default `isomorphic-ws`).
 * `binaryType` is always `arraybuffer`. Headers are passed only when the request carries them —
 * the client adds them only in Node, where `ws` accepts them.
 *
 * A socket that closes is reported once through `onClose`; frames that arrive after `close()`
 * are dropped.
 *
 * @example
 * ```ts
 * const factory = createWebSocketTransportFactory();
 * const transport = factory({ url: 'ws://127.0.0.1:5007/wse' }, handlers);
 * ```
 */
export function createWebSocketTransportFactory(
  WebSocketImpl: WebSocketConstructor = DefaultWebSocket as unknown as WebSocketConstructor,
): TransportFactory {
  return (request: TransportRequest, handlers: TransportHandlers) => {
    const headers =
      request.headers && Object.keys(request.headers).length > 0 ? { ...request.headers } : undefined;
    const ws = headers ? new WebSocketImpl(request.url, { headers }) : new WebSocketImpl(request.url);
    return new WebSocketTransport(ws, handlers);
  };
}
