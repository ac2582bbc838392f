/**
 * A TCP proxy on 127.0.0.1 that misbehaves on purpose, between clients and the server:
 *
 * - **delay**: every chunk is held `delayMs` (± jitter) before it is forwarded, in order;
 * - **drop**: a connection goes silent both ways (a black hole: nothing forwarded, nothing closed —
 *   only the client's heartbeat can notice);
 * - **cut**: both sides destroyed at once (the client sees 1006);
 * - **half-open**: one direction stops (server → client), the other keeps flowing;
 * - **down/up**: refuse new connections for a while.
 *
 * The upstream side never sends the first FIN to the server: when the server goes away its FIN is
 * answered with a reset, so the server's port is not held in TIME_WAIT (uWebSockets.js binds without
 * SO_REUSEADDR) and a killed server can be restarted on the same port at once.
 *
 * @example
 * ```ts
 * const proxy = await ChaosProxy.start(srv.port);
 * proxy.delayMs = 30;
 * proxy.apply('cut', 0.3); // cut 30 % of the open connections
 * ```
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/** A fault applied to open connections. */
export type Fault = 'drop' | 'cut' | 'half-open';

interface Pair {
  down: Socket;
  up: Socket;
  /** Forwarding switches: a dropped pair forwards nothing, a half-open one nothing to the client. */
  toServer: boolean;
  toClient: boolean;
}

export class ChaosProxy {
  /** Added latency per chunk (ms); chunks stay in order. */
  delayMs = 0;
  jitterMs = 0;
  /** Counts of faults applied, for the results. */
  readonly applied = { drop: 0, cut: 0, 'half-open': 0, refused: 0 };
  private readonly pairs = new Set<Pair>();
  private accepting = true;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    /** Where new connections go. */
    readonly target: { port: number },
    private readonly random: () => number,
  ) {}

  static async start(targetPort: number, random: () => number = Math.random): Promise<ChaosProxy> {
    const target = { port: targetPort };
    let proxy: ChaosProxy | undefined;
    const server = createServer({ allowHalfOpen: true }, (down) => proxy?.accept(down));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new ChaosProxy(server, (server.address() as AddressInfo).port, target, random);
    return proxy;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/wse`;
  }

  /** Open connections right now. */
  get open(): number {
    return this.pairs.size;
  }

  private accept(down: Socket): void {
    if (!this.accepting) {
      this.applied.refused++;
      down.resetAndDestroy();
      return;
    }
    const up = connect({ port: this.target.port, host: '127.0.0.1', allowHalfOpen: true });
    const pair: Pair = { down, up, toServer: true, toClient: true };
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket, open: () => boolean) => {
      // One chain per direction keeps the order while every chunk waits.
      let tail = Promise.resolve();
      from.on('data', (chunk: Buffer) => {
        if (!open()) return;
        const wait = this.delayMs + this.jitterMs * this.random();
        if (wait <= 0) {
          to.write(chunk);
          return;
        }
        tail = tail.then(
          () =>
            new Promise<void>((r) =>
              setTimeout(() => {
                if (open() && !to.destroyed) to.write(chunk);
                r();
              }, wait),
            ),
        );
      });
    };
    forward(down, up, () => pair.toServer);
    forward(up, down, () => pair.toClient);
    const kill = () => this.kill(pair);
    // The server's FIN is answered with a reset (no TIME_WAIT on the server's port); a client's FIN
    // ends the pair the same way.
    up.on('end', kill);
    down.on('end', kill);
    for (const s of [down, up]) {
      s.on('error', kill);
      s.on('close', kill);
    }
  }

  private kill(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    if (!pair.up.destroyed) pair.up.resetAndDestroy();
    if (!pair.down.destroyed) pair.down.destroy();
  }

  /** Applies `fault` to each open (still healthy) connection with probability `share`; returns how many. */
  apply(fault: Fault, share = 1): number {
    let n = 0;
    for (const pair of [...this.pairs]) {
      if (!pair.toServer || !pair.toClient) continue; // already broken: its client is on it
      if (this.random() >= share) continue;
      n++;
      this.applied[fault]++;
      if (fault === 'cut') this.kill(pair);
      else if (fault === 'drop') {
        pair.toServer = false;
        pair.toClient = false;
      } else pair.toClient = false;
    }
    return n;
  }

  /** Resets every open connection and refuses new ones until {@link ChaosProxy.up}. */
  down(): void {
    this.accepting = false;
    for (const pair of [...this.pairs]) this.kill(pair);
  }

  up(): void {
    this.accepting = true;
  }

  async close(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
