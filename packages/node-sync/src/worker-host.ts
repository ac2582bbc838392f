/**
 * The worker side: owns the real async client (`@wse/core-client`, with all its reconnect,
 * recovery and E2E behaviour), buffers events in a {@link BoundedBuffer} until the caller pulls
 * them, and answers the caller's operations. Every post to the caller is followed by a
 * {@link SyncSignal} notify.
 *
 * Invariant: at most one `pull` is parked; when it exists the buffer is empty, so the first
 * event that arrives answers it (the caller never waits while the worker holds events).
 *
 * @module
 */

import {
  type ClientMessage,
  createClient,
  TransportError,
  type WSEClient,
  type WSEError,
} from '@wse/core-client';
import { BoundedBuffer } from './bounded-buffer';
import { serializeError } from './errors';
import type { WorkerInit, WorkerReply, WorkerRequest, WorkerStats } from './messages';
import { SyncSignal } from './sync-signal';

/**
 * Runs one core client for one `SyncClient`.
 *
 * @example
 * ```ts
 * // src/worker.ts
 * new WorkerHost(workerData as WorkerInit).start();
 * ```
 */
export class WorkerHost {
  private readonly client: WSEClient;
  private readonly buffer: BoundedBuffer<ClientMessage>;
  private readonly signal: SyncSignal;
  private parked: number | null = null;
  private received = 0;
  private sent = 0;
  private sessions = 0;
  private recoveryFailed = 0;
  private errors = 0;
  private lastError: WorkerStats['lastError'] = null;
  private ready = false;
  private failed = false;

  constructor(private readonly init: WorkerInit) {
    this.signal = new SyncSignal(init.signal);
    this.buffer = new BoundedBuffer(init.bufferSize);
    this.client = createClient({
      ...init.client,
      endpoints: init.endpoints,
      token: init.token,
      lazyConnect: false,
    });
    this.client.on('*', (msg) => this.onEvent(msg));
    this.client.on('connected', () => {
      this.sessions += 1;
    });
    this.client.on('recovery_failed', () => {
      this.recoveryFailed += 1;
    });
    this.client.on('error', (err) => this.onError(err));
    this.client.on('state', (state) => {
      if (state === 'failed' && this.ready) this.onFailed();
    });
    init.port.on('message', (req: WorkerRequest) => this.handle(req));
  }

  /** Connects, subscribes the initial topics, then posts `ready` (or `connect-error`). */
  async start(): Promise<void> {
    try {
      await this.client.connect();
      if (this.init.topics.length > 0) await this.client.subscribe(this.init.topics);
      this.ready = true;
      this.post({ kind: 'ready' });
    } catch (err) {
      this.post({ kind: 'connect-error', error: serializeError(err), fatal: true });
    }
  }

  /** Reports a crash of the worker to the caller (which is probably blocked on it). */
  fatal(err: unknown): void {
    this.post({ kind: 'fatal', error: serializeError(err) });
  }

  private post(msg: WorkerReply): void {
    this.init.port.postMessage(msg);
    this.signal.notify();
  }

  private onEvent(msg: ClientMessage): void {
    this.received += 1;
    this.buffer.push(msg);
    if (this.parked !== null) this.flush(this.parked);
  }

  private onError(err: WSEError): void {
    this.errors += 1;
    this.lastError = { name: err.name, code: err.code, message: err.message };
    // While connecting, tell the caller why (it turns a connect timeout into a connection error).
    if (!this.ready) this.post({ kind: 'connect-error', error: serializeError(err), fatal: false });
  }

  /** Terminal: tell the caller, and answer a parked pull (no event will ever come to answer it). */
  private onFailed(): void {
    this.failed = true;
    const err =
      this.client.getSnapshot().lastError ??
      new TransportError('CONNECT_FAILED', 'the client gave up reconnecting');
    this.post({ kind: 'failed', error: serializeError(err) });
    if (this.parked !== null) this.flush(this.parked);
  }

  private flush(max: number): void {
    this.parked = null;
    this.post({ kind: 'events', events: this.buffer.drain(max) });
  }

  private handle(req: WorkerRequest): void {
    if (req.op === 'pull') {
      // Once failed, no event will come to answer a parked pull: answer at once (maybe empty).
      if (this.buffer.size > 0 || !req.wait || this.failed) this.flush(req.max);
      else this.parked = req.max;
      return;
    }
    this.run(req).then(
      (value) => this.post({ kind: 'reply', id: req.id, ok: true, value }),
      (err: unknown) => this.post({ kind: 'reply', id: req.id, ok: false, error: serializeError(err) }),
    );
  }

  private async run(req: Exclude<WorkerRequest, { op: 'pull' }>): Promise<unknown> {
    switch (req.op) {
      case 'subscribe':
        return this.client.subscribe(
          req.topics,
          req.queueGroup === undefined ? {} : { queueGroup: req.queueGroup },
        );
      case 'unsubscribe':
        return this.client.unsubscribe(req.topics);
      case 'send':
        this.sent += 1;
        return this.client.send(req.type, req.payload as Record<string, unknown>, { priority: req.priority });
      case 'request':
        this.sent += 1;
        return this.client.request(req.type, req.payload as Record<string, unknown>, {
          timeoutMs: req.timeoutMs,
          priority: req.priority,
        });
      case 'stats':
        return this.stats();
      case 'close':
        await this.client.close();
        setImmediate(() => this.init.port.close());
        return null;
    }
  }

  private stats(): WorkerStats {
    const snap = this.client.getSnapshot();
    return {
      state: snap.state,
      connectionId: snap.connectionId,
      endpoint: snap.endpoint,
      topics: [...snap.topics],
      received: this.received,
      buffered: this.buffer.size,
      bufferSize: this.buffer.capacity,
      dropped: this.buffer.dropped,
      sent: this.sent,
      reconnects: Math.max(0, this.sessions - 1),
      recoveryFailed: this.recoveryFailed,
      errors: this.errors,
      lastError: this.lastError,
    };
  }
}
