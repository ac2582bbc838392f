import type { Envelope } from '@wse/core-client/protocol';
import type { ConnectionInfo } from '../options';
import type { PresenceEvent } from '../presence/presence-service';
import { type Clock, serverClock } from '../server-clock';
import { InboundQueue } from './inbound-queue';

/** A client finished the handshake (authenticated, `server_ready` sent). */
export interface ConnectEvent {
  type: 'connect';
  connId: string;
  userId: string;
  info: ConnectionInfo;
}

/** An application message (any type the server does not handle itself). */
export interface MessageEvent {
  type: 'message';
  connId: string;
  userId: string;
  /** Message type (`t`). */
  t: string;
  /** Payload (`p`). */
  p: Record<string, unknown>;
  cid?: string;
  envelope: Envelope;
}

export interface DisconnectEvent {
  type: 'disconnect';
  connId: string;
  userId: string;
  code: number;
  reason: string;
}

/** A failure the server survived: a throwing handler, a send that failed, … */
export interface ErrorEvent {
  type: 'error';
  error: unknown;
  connId?: string;
}

export type { PresenceEvent };
export type ServerEvent = ConnectEvent | MessageEvent | DisconnectEvent | ErrorEvent | PresenceEvent;
export type ServerEventMap = {
  connect: ConnectEvent;
  message: MessageEvent;
  disconnect: DisconnectEvent;
  error: ErrorEvent;
  presence: PresenceEvent;
};
export type Listener<E> = (event: E) => unknown;

/**
 * Delivers server events three equivalent ways: listeners (`on`), an async iterator (`iterate`),
 * and batches (`drain`). The queue behind the last two starts recording on first use, so a server
 * that only uses listeners never buffers anything.
 *
 * @example
 * hub.on('message', (ev) => console.log(ev.t));
 * for await (const ev of hub.iterate()) handle(ev);
 */
export class EventHub {
  private readonly listeners: { [K in keyof ServerEventMap]: Set<Listener<ServerEventMap[K]>> } = {
    connect: new Set(),
    message: new Set(),
    disconnect: new Set(),
    error: new Set(),
    presence: new Set(),
  };
  private readonly queue: InboundQueue<ServerEvent>;
  private recording = false;

  constructor(
    capacity: number,
    private readonly onListenerError: (err: unknown, event: ServerEvent) => void,
    clock: Clock = serverClock,
  ) {
    this.queue = new InboundQueue(capacity, clock);
  }

  on<K extends keyof ServerEventMap>(name: K, listener: Listener<ServerEventMap[K]>): () => void {
    this.listeners[name].add(listener);
    return () => this.off(name, listener);
  }

  off<K extends keyof ServerEventMap>(name: K, listener: Listener<ServerEventMap[K]>): void {
    this.listeners[name].delete(listener);
  }

  /**
   * Calls every listener; a listener that throws or rejects is reported to `onListenerError`
   * (which answers HANDLER_ERROR for messages) and the others still run.
   */
  /** True when an `emit` of this kind reaches anyone (a listener, or `events()`/`drainInbound`). */
  wants(name: keyof ServerEventMap): boolean {
    return this.recording || this.listeners[name].size > 0;
  }

  emit(event: ServerEvent): void {
    if (this.recording) this.queue.push(event);
    const set = this.listeners[event.type] as Set<Listener<ServerEvent>>;
    for (const listener of set) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((err) => this.onListenerError(err, event));
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }

  /** Async iterator over every event from now on; ends when the server stops. */
  iterate(): AsyncGenerator<ServerEvent, void, undefined> {
    this.recording = true;
    return this.queue.iterate();
  }

  /** Up to `max` queued events, waiting at most `timeoutMs` for the first. */
  drain(max: number, timeoutMs: number): Promise<ServerEvent[]> {
    this.recording = true;
    return this.queue.take(max, timeoutMs);
  }

  get queued(): number {
    return this.queue.size;
  }

  get dropped(): number {
    return this.queue.dropped;
  }

  close(): void {
    this.queue.close();
  }

  reopen(): void {
    this.queue.reopen();
  }
}
