import uWS from 'uWebSockets.js';
import { concatBytes } from '@wse/core-client/protocol';
import type {
  HttpRequestInfo,
  HttpResult,
  SendStatus,
  SocketHandle,
  Transport,
  TransportConfig,
  TransportHandlers,
  UpgradeInfo,
} from './transport';

type UwsSocket = uWS.WebSocket<SocketData<unknown>>;
interface SocketData<C> {
  context: C;
  handle?: UwsHandle;
}

const decoder = new TextDecoder();
/** `uWS.LIBUS_LISTEN_EXCLUSIVE_PORT` (1): the typings name it only in an enum the build does not export. */
const EXCLUSIVE_PORT =
  (uWS as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT?: number }).LIBUS_LISTEN_EXCLUSIVE_PORT ?? 1;

/** Wraps a uWS socket; after close every call is a no-op (uWS would throw on a closed socket). */
class UwsHandle implements SocketHandle {
  closed = false;
  constructor(private readonly ws: UwsSocket) {}

  send(data: string | Uint8Array, binary: boolean): SendStatus {
    if (this.closed) return 2;
    return this.ws.send(data, binary, false) as SendStatus;
  }

  cork(fn: () => void): void {
    if (this.closed) return;
    this.ws.cork(fn);
  }

  end(code: number, reason?: string): void {
    if (this.closed) return;
    this.ws.end(code, reason);
  }

  terminate(): void {
    if (this.closed) return;
    this.ws.close();
  }

  bufferedAmount(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }

  subscribe(topic: string): void {
    if (!this.closed) this.ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    if (!this.closed) this.ws.unsubscribe(topic);
  }
}

/**
 * The uWebSockets.js adapter: one WebSocket route on `config.path`, every other request to
 * `handlers.http`. The only module that imports uWebSockets.js.
 *
 * @example
 * const t = new UwsTransport(config, handlers);
 * const port = await t.listen();
 */
export class UwsTransport<C> implements Transport {
  readonly native = typeof (uWS as { getParts?: unknown }).getParts === 'function';
  private readonly app: uWS.TemplatedApp;
  private listenSocket: uWS.us_listen_socket | null = null;
  /** Requests whose body is being read (bounded by `maxConcurrentBodies`). */
  private bodiesInFlight = 0;

  constructor(
    private readonly config: TransportConfig,
    private readonly handlers: TransportHandlers<C>,
  ) {
    this.app = uWS.App();
    this.app.ws<SocketData<C>>(config.path, this.behavior());
    this.app.any('/*', (res, req) => this.onHttp(res, req));
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      // uWS binds with SO_REUSEPORT by default: two servers on one port would both start and the
      // kernel would split the connections between them. Only --workers shares a port on purpose.
      const flags = this.config.reusePort ? 0 : EXCLUSIVE_PORT;
      const listen = this.app.listen as unknown as (
        host: string,
        port: number,
        options: number,
        cb: (socket: uWS.us_listen_socket | false) => void,
      ) => void;
      listen.call(this.app, this.config.host, this.config.port, flags, (socket) => {
        if (!socket) {
          // uWS v20.30 binds without SO_REUSEADDR: a port whose connections closed less than ~60 s
          // ago is still held in TIME_WAIT, which looks exactly like "in use". Say both.
          const where = `${this.config.host}:${this.config.port}`;
          reject(
            new Error(
              `cannot listen on ${where}: the port is in use, or held in TIME_WAIT for up to 60 s ` +
                'after a previous server on it closed live connections (uWebSockets.js does not set SO_REUSEADDR)',
            ),
          );
          return;
        }
        this.listenSocket = socket;
        resolve(uWS.us_socket_local_port(socket as unknown as uWS.us_socket));
      });
    });
  }

  closeListener(): void {
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
  }

  publish(topic: string, data: string | Uint8Array, binary: boolean): boolean {
    return this.app.publish(topic, data, binary, false);
  }

  subscriberCount(topic: string): number {
    return this.app.numSubscribers(topic);
  }

  private behavior(): uWS.WebSocketBehavior<SocketData<C>> {
    const h = this.handlers;
    return {
      maxPayloadLength: this.config.maxPayloadLength,
      maxBackpressure: this.config.maxBackpressure,
      // Heartbeat and idle close are the session's (protocol-level pings, close 1000).
      idleTimeout: 0,
      sendPingsAutomatically: false,
      compression: uWS.DISABLED,
      upgrade: (res, req, ctx) => this.onUpgrade(res, req, ctx),
      open: (ws) => {
        const data = ws.getUserData();
        data.handle = new UwsHandle(ws as UwsSocket);
        h.open(data.handle, data.context);
      },
      message: (ws, message, isBinary) => h.message(ws.getUserData().context, message, isBinary),
      drain: (ws) => h.drain(ws.getUserData().context),
      close: (ws, code, message) => {
        const data = ws.getUserData();
        if (data.handle) data.handle.closed = true;
        h.close(data.context, code, decoder.decode(message));
      },
    };
  }

  /** Copies what the session needs before the async decision: `req` dies when this returns. */
  private onUpgrade(res: uWS.HttpResponse, req: uWS.HttpRequest, ctx: uWS.us_socket_context_t): void {
    const info: UpgradeInfo = {
      url: req.getUrl(),
      query: req.getQuery() ?? '',
      headers: {
        authorization: req.getHeader('authorization'),
        cookie: req.getHeader('cookie'),
        origin: req.getHeader('origin'),
        userAgent: req.getHeader('user-agent'),
      },
      remoteAddress: decoder.decode(res.getRemoteAddressAsText()),
    };
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    let decided: C | Promise<C>;
    try {
      decided = this.handlers.upgrade(info);
    } catch {
      res.cork(() => res.writeStatus('500 Internal Server Error').end());
      return;
    }
    if (!(decided instanceof Promise)) {
      // Decided inside the callback (the common case): upgrade at once, no abort handler needed.
      res.cork(() =>
        res.upgrade<SocketData<C>>({ context: decided, handle: undefined }, key, protocol, extensions, ctx),
      );
      return;
    }
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    decided.then(
      (context) => {
        if (aborted) {
          this.handlers.upgradeAborted(context);
          return;
        }
        // `handle` declared up front so adding it at open keeps the user data's shape (no property store).
        res.cork(() =>
          res.upgrade<SocketData<C>>({ context, handle: undefined }, key, protocol, extensions, ctx),
        );
      },
      () => {
        if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end());
      },
    );
  }

  private onHttp(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const query = req.getQuery();
    const headers: Record<string, string> = {};
    let headerBytes = 0;
    req.forEach((k, v) => {
      headers[k] = v;
      headerBytes += k.length + v.length + 4;
    });
    const method = req.getMethod().toUpperCase();
    const url = query ? `${req.getUrl()}?${query}` : req.getUrl();
    const cfg = this.config;
    // Answers decided from the head are sent at once, without reading (buffering) any body byte;
    // uWS discards the body of an answered request.
    if (headerBytes > cfg.maxHeaderBytes) {
      this.reply(res, method, textResult(431, `request headers over ${cfg.maxHeaderBytes} bytes`));
      return;
    }
    const early = this.handlers.httpEarly?.({ method, url, headers });
    if (early) {
      this.reply(res, method, early);
      return;
    }
    const hasBody = method !== 'GET' && method !== 'HEAD';
    if (hasBody && Number(headers['content-length'] ?? 0) > cfg.maxBodyBytes) {
      this.reply(res, method, textResult(413, `body over ${cfg.maxBodyBytes} bytes`));
      return;
    }
    if (hasBody && this.bodiesInFlight >= cfg.maxConcurrentBodies) {
      const busy = textResult(503, 'too many request bodies in flight; retry');
      busy.headers['retry-after'] = '1';
      this.reply(res, method, busy);
      return;
    }
    let aborted = false;
    let counted = hasBody;
    if (counted) this.bodiesInFlight++;
    const release = () => {
      if (counted) this.bodiesInFlight--;
      counted = false;
    };
    res.onAborted(() => {
      aborted = true;
      release();
    });
    this.readBody(res, (body) => {
      release();
      if (body === null) {
        if (!aborted) res.cork(() => res.writeStatus('413 Payload Too Large').end('', true));
        return;
      }
      const request: HttpRequestInfo = { method, url, headers, body };
      this.handlers.http(request).then(
        (result) => {
          if (!aborted) this.reply(res, method, result);
        },
        () => {
          if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end());
        },
      );
    });
  }

  /**
   * Writes a result; a HEAD answer carries the headers and Content-Length of the body, not the body.
   * uWS 20.30: `endWithoutBody(length)` closes the keep-alive connection, and `endWithoutBody()`
   * does not count as an answer (hence the abort handler), so the length is a plain header.
   */
  private reply(res: uWS.HttpResponse, method: string, result: HttpResult): void {
    if (method === 'HEAD') res.onAborted(() => {});
    res.cork(() => {
      res.writeStatus(statusLine(result.status));
      for (const [k, v] of Object.entries(result.headers)) res.writeHeader(k, v);
      if (method === 'HEAD') {
        const body = result.body;
        res.writeHeader(
          'content-length',
          String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength),
        );
        res.endWithoutBody();
      } else res.end(result.body);
    });
  }

  /** Buffers the body up to `maxBodyBytes`; null = too large (reading stops there). */
  private readBody(res: uWS.HttpResponse, done: (body: Uint8Array | null) => void): void {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let over = false;
    res.onData((chunk, isLast) => {
      if (over) return;
      size += chunk.byteLength;
      if (size > this.config.maxBodyBytes) {
        over = true;
        done(null);
        return;
      }
      // uWS neuters the chunk after this callback: copy it.
      chunks.push(new Uint8Array(chunk.slice(0)));
      if (isLast) done(concatBytes(chunks, size));
    });
  }
}

function textResult(status: number, message: string): HttpResult {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: message };
}

const REASONS: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function statusLine(status: number): string {
  return `${status} ${REASONS[status] ?? 'Status'}`;
}
