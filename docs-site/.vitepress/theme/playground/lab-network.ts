/**
 * A scriptable network between the playground's client and the browser's real WebSocket: it can
 * kill the live socket ("drop connection"), refuse new sockets for a while (an outage), and report
 * the page as offline to the client (a "go offline" toggle). Everything goes through the client's
 * public injection points (`env.WebSocket`, `env.environment`), so the client under test is the
 * real one, unmodified.
 *
 * @module
 */

import type {
  EnvironmentEvent,
  EnvironmentSource,
  WebSocketConstructor,
  WebSocketLike,
} from '@wse/core-client';
import { createBrowserEnvironment } from '@wse/core-client';

type Handler<E> = ((ev: E) => void) | null;

/** The close code a dropped socket reports: 1006, "abnormal closure", like a cut cable. */
export const DROP_CLOSE_CODE = 1006;

/**
 * One socket as the client sees it. It forwards to a real `WebSocket` until {@link LabSocket.cut}
 * detaches it: from then on the real socket is closed quietly and the client hears a 1006 close.
 *
 * @example
 * ```ts
 * const s = new LabSocket('ws://127.0.0.1:5007/wse', true);
 * s.onclose = (ev) => console.log(ev.code); // 1006 after s.cut()
 * ```
 */
export class LabSocket implements WebSocketLike {
  onopen: Handler<unknown> = null;
  onmessage: Handler<{ data: unknown }> = null;
  onclose: Handler<{ code?: number; reason?: string }> = null;
  onerror: Handler<unknown> = null;
  private real: WebSocket | null = null;
  private state = 0;
  private binary = 'arraybuffer';

  /** `reachable: false` makes the socket fail as if the server could not be reached. */
  constructor(url: string, reachable: boolean) {
    if (!reachable) {
      setTimeout(() => this.cut('network unreachable (playground outage)'), 50);
      return;
    }
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.real = ws;
    ws.onopen = (ev) => {
      this.state = 1;
      this.onopen?.(ev);
    };
    ws.onmessage = (ev) => this.onmessage?.({ data: ev.data });
    ws.onerror = (ev) => this.onerror?.(ev);
    ws.onclose = (ev) => {
      this.state = 3;
      this.onclose?.({ code: ev.code, reason: ev.reason });
    };
  }

  get readyState(): number {
    return this.real && this.state !== 3 ? this.real.readyState : this.state;
  }

  get bufferedAmount(): number {
    return this.real?.bufferedAmount ?? 0;
  }

  get binaryType(): string {
    return this.binary;
  }

  set binaryType(value: string) {
    this.binary = value;
    if (this.real) this.real.binaryType = value as BinaryType;
  }

  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    if (!this.real || this.state !== 1) throw new Error('socket is not open');
    this.real.send(data as string | ArrayBuffer);
  }

  close(code?: number, reason?: string): void {
    if (this.state === 3) return;
    if (!this.real) {
      this.cut(reason ?? 'closed');
      return;
    }
    this.state = 2;
    this.real.close(code, reason);
  }

  /** Kills the socket: the client hears close 1006 at once; the server sees the socket go. */
  cut(reason = 'connection dropped by the playground'): void {
    if (this.state === 3) return;
    this.state = 3;
    const ws = this.real;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
      try {
        ws.close(4000, 'dropped');
      } catch {
        /* already closing */
      }
    }
    this.onclose?.({ code: DROP_CLOSE_CODE, reason });
  }
}

/**
 * The playground's network: hand {@link LabNetwork.WebSocket} and {@link LabNetwork.environment}
 * to `createClient({ env })`, then call {@link LabNetwork.drop} or {@link LabNetwork.setOffline}.
 *
 * @example
 * ```ts
 * const net = new LabNetwork();
 * const client = createClient({ endpoints, env: { WebSocket: net.WebSocket, environment: net.environment } });
 * net.drop(3000); // cut the socket, refuse reconnects for 3 s
 * ```
 */
export class LabNetwork {
  /** Pass as `env.WebSocket`. */
  readonly WebSocket: WebSocketConstructor;
  /** Pass as `env.environment`: the browser's online state, overridden by {@link LabNetwork.setOffline}. */
  readonly environment: EnvironmentSource;
  private readonly sockets = new Set<LabSocket>();
  private readonly listeners = new Set<(ev: EnvironmentEvent) => void>();
  private outageUntil = 0;
  private forcedOffline = false;

  constructor() {
    const net = this;
    this.WebSocket = class extends LabSocket {
      constructor(url: string) {
        super(url, net.reachable());
        net.track(this);
      }
    };
    const browser = createBrowserEnvironment();
    this.environment = {
      isOnline: () => !this.forcedOffline && browser.isOnline(),
      subscribe: (listener) => {
        this.listeners.add(listener);
        const stop = browser.subscribe((ev) => {
          if (!this.forcedOffline) listener(ev);
        });
        return () => {
          this.listeners.delete(listener);
          stop();
        };
      },
    };
  }

  /** `true` while {@link LabNetwork.setOffline} holds the page offline. */
  get offline(): boolean {
    return this.forcedOffline;
  }

  /** Milliseconds left of the current outage (0 when none). */
  outageLeft(now = Date.now()): number {
    return Math.max(0, this.outageUntil - now);
  }

  /** Cuts every live socket; new sockets fail for `outageMs` (0 = reconnect at once). */
  drop(outageMs = 0): void {
    this.outageUntil = Date.now() + outageMs;
    for (const s of [...this.sockets]) s.cut();
  }

  /** Tells the client the network is down (it closes its socket and queues sends) or back up. */
  setOffline(offline: boolean): void {
    if (offline === this.forcedOffline) return;
    this.forcedOffline = offline;
    const ev: EnvironmentEvent = offline ? 'offline' : 'online';
    for (const l of [...this.listeners]) l(ev);
  }

  private reachable(): boolean {
    return !this.forcedOffline && Date.now() >= this.outageUntil;
  }

  private track(socket: LabSocket): void {
    for (const s of this.sockets) if (s.readyState === 3) this.sockets.delete(s);
    this.sockets.add(socket);
  }
}
