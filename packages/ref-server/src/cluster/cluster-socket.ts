import net from 'node:net';
import tls from 'node:tls';

/**
 * The only file of the mesh that imports `node:net`/`node:tls` (as `uws-transport.ts` is for uWS):
 * the rest of `src/cluster/` talks to {@link LinkSocket}.
 *
 * Rules of the library written down here:
 * - `setNoDelay(true)`: frames are already coalesced per event-loop turn by the link; Nagle would
 *   only add latency to PING/PONG and small MSGs.
 * - a socket is closed with `end()` (the peer reads everything we wrote, then EOF), and destroyed
 *   if it has not closed one second later.
 * - with TLS, both sides require a certificate signed by the cluster CA (`requestCert`,
 *   `rejectUnauthorized`); the peer's name is not checked against the address (nodes are known by
 *   their CA-signed certificate, and addresses are often IPs).
 */
export interface LinkSocket {
  onOpen(fn: () => void): void;
  onData(fn: (chunk: Uint8Array) => void): void;
  /** Called exactly once, when the socket is gone. */
  onClose(fn: (reason: string) => void): void;
  write(bytes: Uint8Array): void;
  readonly writableLength: number;
  /** The peer's address is a loopback one (127.0.0.0/8, ::1): the peer runs on this host. */
  readonly loopback: boolean;
  close(reason: string): void;
}

/** PEM material of the cluster's mTLS: the CA that signs every node, this node's cert and key. */
export interface ClusterTlsMaterial {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

/**
 * Whether `address` (as `socket.remoteAddress` gives it) is a loopback address.
 *
 * @example
 * ```ts
 * isLoopback('::ffff:127.0.0.1'); // true
 * ```
 */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** Splits `host:port` / `[v6]:port`. */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  const port = Number(m?.[2]);
  if (!m || !(port > 0 && port < 65536))
    throw new RangeError(`cluster address must be host:port, got "${address}"`);
  return { host: m[1] as string, port };
}

function wrap(socket: net.Socket, openEvent: 'connect' | 'secureConnect' | null): LinkSocket {
  socket.setNoDelay(true);
  let closeReason = 'socket closed';
  let onClose: ((reason: string) => void) | undefined;
  let closed = false;
  socket.on('error', (err) => {
    closeReason = err.message;
  });
  socket.on('close', () => {
    closed = true;
    onClose?.(closeReason);
  });
  return {
    onOpen: (fn) => {
      if (openEvent) socket.once(openEvent, fn);
      else fn();
    },
    onData: (fn) => socket.on('data', fn),
    onClose: (fn) => {
      onClose = fn;
      if (closed) fn(closeReason);
    },
    write: (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    get writableLength() {
      return socket.writableLength;
    },
    get loopback() {
      return isLoopback(socket.remoteAddress);
    },
    close: (reason) => {
      closeReason = reason;
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  };
}

/**
 * Dials a peer.
 *
 * @example
 * ```ts
 * const s = dialSocket('10.0.0.2:7001');
 * ```
 */
export function dialSocket(address: string, material?: ClusterTlsMaterial): LinkSocket {
  const { host, port } = parseAddress(address);
  if (material) {
    const s = tls.connect({
      host,
      port,
      ...material,
      rejectUnauthorized: true,
      checkServerIdentity: () => undefined,
    });
    return wrap(s, 'secureConnect');
  }
  return wrap(net.connect({ host, port }), 'connect');
}

/**
 * The cluster port: accepts peers (TLS-authenticated when `material` is given).
 *
 * @example
 * ```ts
 * const l = new ClusterListener({ host: '0.0.0.0', port: 7001 }, (s) => node.accept(s));
 * await l.listen();
 * ```
 */
export class ClusterListener {
  private server: net.Server | tls.Server | null = null;

  constructor(
    private readonly o: {
      host: string;
      port: number;
      tls?: ClusterTlsMaterial;
      onError?: (err: Error) => void;
    },
    private readonly onSocket: (socket: LinkSocket) => void,
  ) {}

  /** Resolves with the bound port. */
  listen(): Promise<number> {
    const material = this.o.tls;
    const server = material
      ? tls.createServer({ ...material, requestCert: true, rejectUnauthorized: true }, (s) =>
          this.onSocket(wrap(s, null)),
        )
      : net.createServer((s) => this.onSocket(wrap(s, null)));
    // A refused TLS handshake (other CA, plaintext peer) never becomes a link: log it, go on.
    server.on('tlsClientError', (err: Error) => this.o.onError?.(err));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /** New certificate material for the next handshakes (live links are kept). */
  setTls(material: ClusterTlsMaterial): void {
    this.o.tls = material;
    (this.server as tls.Server | null)?.setSecureContext?.(material);
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = null;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
