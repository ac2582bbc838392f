/**
 * The caller side: a blocking facade over the worker. Each call posts an operation on the
 * MessageChannel, then sleeps on the {@link SyncSignal} until the worker's reply is in the port
 * (`receiveMessageOnPort`) or the deadline passes.
 *
 * Invariants: replies are matched by id (a reply for a call that already timed out is dropped);
 * `events` messages are never dropped, whenever they arrive; at most one waiting `pull` is
 * outstanding.
 *
 * @module
 */

import { type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import type { SubscriptionResult } from '@wse/core-client';
import { reviveError, type SerializedError, WSEConnectionError, WSETimeoutError } from './errors';
import type { WorkerReply, WorkerRequest, WorkerStats } from './messages';
import type { SyncSignal } from './sync-signal';
import type {
  CallOptions,
  IterOptions,
  SyncEvent,
  SyncRequestOptions,
  SyncSendOptions,
  SyncStats,
} from './types';

type Op = WorkerRequest extends infer R ? (R extends { id: number } ? R : never) : never;
type OpInput = Op extends infer R ? (R extends Op ? Omit<R, 'id'> : never) : never;

/**
 * Internal wiring handed over by `connectSync`.
 *
 * @example
 * ```ts
 * new SyncClient({ worker, port, signal, timeoutMs: 10_000, batchSize: 512, closeTimeoutMs: 2000 });
 * ```
 */
export interface SyncClientParts {
  worker: Worker;
  port: MessagePort;
  signal: SyncSignal;
  timeoutMs: number;
  batchSize: number;
  closeTimeoutMs: number;
}

/**
 * A blocking WSE client. Create it with {@link connectSync}; every method blocks the calling
 * thread (never longer than its timeout) while the async client works in a worker thread.
 *
 * @example
 * ```ts
 * const client = connectSync('ws://127.0.0.1:5007/wse', { token, topics: ['updates'] });
 * client.subscribe(['room:1']);
 * const ev = client.recv(1000);
 * const profile = client.request('get_profile', { id: 7 });
 * client.close();
 * ```
 */
export class SyncClient {
  private nextId = 1;
  private readonly queue: SyncEvent[] = [];
  private head = 0;
  private pulling = false;
  private delivered = 0;
  private isClosed = false;
  private readonly replies = new Map<number, Extract<WorkerReply, { kind: 'reply' }>>();
  private fatal: SerializedError | null = null;
  private failed: SerializedError | null = null;

  /** @internal Use {@link connectSync}. */
  constructor(private readonly parts: SyncClientParts) {}

  /** `true` after `close()` (or once the worker died). */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Subscribes and blocks until the server confirms. Throws `WSEServerError` when every topic
   * was refused; a partial refusal is in the result's `failed`. With `queueGroup` this client
   * joins that group: each publication goes to one member of the group (a pool of workers).
   *
   * @example
   * client.subscribe(['jobs'], { queueGroup: 'workers' });
   */
  subscribe(
    topics: readonly string[],
    options: CallOptions & { queueGroup?: string } = {},
  ): SubscriptionResult {
    const req = { op: 'subscribe' as const, topics: [...topics], queueGroup: options.queueGroup };
    return this.call(req, options.timeoutMs) as SubscriptionResult;
  }

  /** Unsubscribes and blocks until the server confirms. */
  unsubscribe(topics: readonly string[], options: CallOptions = {}): SubscriptionResult {
    return this.call({ op: 'unsubscribe', topics: [...topics] }, options.timeoutMs) as SubscriptionResult;
  }

  /**
   * Hands a message to the core client and returns its id once the worker accepted it (sent,
   * or queued while reconnecting). Does not wait for the server.
   */
  send(type: string, payload: object = {}, options: SyncSendOptions = {}): string {
    return this.call({ op: 'send', type, payload, priority: options.priority }, options.timeoutMs) as string;
  }

  /** Publishes to a topic (`publish {topic, data}`); the server's publish policy decides. */
  publish(topic: string, data: unknown, options: SyncSendOptions = {}): string {
    return this.send('publish', { topic, data }, options);
  }

  /** Sends a request and blocks for the reply's payload; `WSETimeoutError` / `WSEServerError`. */
  request<R = Record<string, unknown>>(
    type: string,
    payload: object = {},
    options: SyncRequestOptions = {},
  ): R {
    const timeoutMs = options.timeoutMs ?? this.parts.timeoutMs;
    return this.call({ op: 'request', type, payload, priority: options.priority, timeoutMs }, timeoutMs) as R;
  }

  /**
   * The next event, oldest first; `null` when none arrives within `timeoutMs` (default the
   * client's `timeoutMs`; `0` = only what is already buffered; `Infinity` = no limit).
   */
  recv<P = Record<string, unknown>>(timeoutMs: number = this.parts.timeoutMs): SyncEvent<P> | null {
    this.assertOpen();
    const local = this.takeLocal();
    if (local) return local as SyncEvent<P>;
    if (this.failed) return this.recvAfterFailure() as SyncEvent<P>;
    if (timeoutMs <= 0) return this.poll() as SyncEvent<P> | null;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (!this.pulling) {
        this.post({ op: 'pull', max: this.parts.batchSize, wait: true });
        this.pulling = true;
      }
      const seen = this.parts.signal.snapshot();
      this.drain();
      const ev = this.takeLocal();
      if (ev) return ev as SyncEvent<P>;
      this.throwIfDead();
      if (this.failed) return this.recvAfterFailure() as SyncEvent<P>;
      const left = deadline - performance.now();
      if (left <= 0) return null;
      this.parts.signal.wait(seen, left);
    }
  }

  /** After the core gave up: hand out what is still buffered, then throw the failure. */
  private recvAfterFailure(): SyncEvent {
    const ev = this.takeLocal() ?? this.poll();
    if (ev) return ev;
    throw reviveError(this.failed as SerializedError);
  }

  /** `recv(0)`: what the worker already holds, without waiting for new events. */
  private poll(): SyncEvent | null {
    if (this.pulling && !this.failed) {
      // A waiting pull is parked in the worker, so its buffer is empty: only the port can hold events.
      this.drain();
      return this.takeLocal() ?? null;
    }
    if (!this.pulling) {
      this.post({ op: 'pull', max: this.parts.batchSize, wait: false });
      this.pulling = true;
    }
    const deadline = performance.now() + this.parts.timeoutMs;
    while (this.pulling) {
      const seen = this.parts.signal.snapshot();
      this.drain();
      if (!this.pulling) break;
      this.throwIfDead();
      const left = deadline - performance.now();
      if (left <= 0)
        throw new WSETimeoutError(`recv(0) got no answer from the worker within ${this.parts.timeoutMs} ms`);
      this.parts.signal.wait(seen, left);
    }
    return this.takeLocal() ?? null;
  }

  /**
   * A blocking iterator: yields events until `idleMs` passes without one (default the client's
   * `timeoutMs`; `Infinity` = until `close()`), `max` events were yielded, or the client closes.
   */
  *iter<P = Record<string, unknown>>(options: IterOptions = {}): Generator<SyncEvent<P>, void, undefined> {
    const idleMs = options.idleMs ?? this.parts.timeoutMs;
    const max = options.max ?? Number.POSITIVE_INFINITY;
    for (let n = 0; n < max && !this.isClosed; n++) {
      const ev = this.recv<P>(idleMs);
      if (ev === null) return;
      yield ev;
    }
  }

  /** Counters and state; see {@link SyncStats}. Blocks for one round trip to the worker. */
  stats(options: CallOptions = {}): SyncStats {
    const w = this.call({ op: 'stats' }, options.timeoutMs) as WorkerStats;
    return { ...w, buffered: w.buffered + (this.queue.length - this.head), delivered: this.delivered };
  }

  /**
   * Closes the connection (code 1000) and stops the worker. Waits at most `closeTimeoutMs` for the
   * graceful close, then terminates the worker anyway. Idempotent; never throws.
   */
  close(): void {
    if (this.isClosed) return;
    try {
      if (!this.fatal) this.call({ op: 'close' }, this.parts.closeTimeoutMs);
    } catch {
      // Terminated below either way.
    }
    this.isClosed = true;
    this.shutdown();
  }

  /** @internal Stops the thread without a graceful close (connect failures, process exit). */
  shutdown(): void {
    this.isClosed = true;
    this.parts.port.close();
    void this.parts.worker.terminate().catch(() => {});
  }

  /** @internal Blocks until `ready`; throws the typed connect error. */
  waitReady(timeoutMs: number, url: string): void {
    const deadline = performance.now() + timeoutMs;
    let lastError: SerializedError | null = null;
    for (;;) {
      const seen = this.parts.signal.snapshot();
      for (let m = this.receive(); m; m = this.receive()) {
        if (m.kind === 'ready') return;
        if (m.kind === 'fatal') throw reviveError(m.error);
        if (m.kind === 'connect-error') {
          if (m.fatal) throw reviveError(m.error);
          lastError = m.error;
        }
      }
      const left = deadline - performance.now();
      if (left <= 0) break;
      this.parts.signal.wait(seen, left);
    }
    if (lastError === null || lastError.kind === 'timeout') {
      throw new WSETimeoutError(`no session with ${url} within ${timeoutMs} ms`);
    }
    if (lastError.kind === 'auth') throw reviveError(lastError);
    throw new WSEConnectionError(
      'CONNECT_FAILED',
      `could not connect to ${url} within ${timeoutMs} ms: ${lastError.message}`,
      {
        cause: reviveError(lastError),
      },
    );
  }

  private call(input: OpInput, timeoutMs: number = this.parts.timeoutMs): unknown {
    this.assertOpen();
    this.drain();
    // After the core gave up, only stats/close still make sense.
    if (this.failed && input.op !== 'stats' && input.op !== 'close') throw reviveError(this.failed);
    const id = this.nextId++;
    this.post({ ...input, id } as WorkerRequest);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = this.parts.signal.snapshot();
      this.drain();
      const reply = this.replies.get(id);
      if (reply) {
        this.replies.delete(id);
        if (reply.ok) return reply.value;
        throw reviveError(reply.error);
      }
      this.throwIfDead();
      const left = deadline - performance.now();
      if (left <= 0) throw new WSETimeoutError(`${describe(input)} timed out after ${timeoutMs} ms`);
      this.parts.signal.wait(seen, left);
    }
  }

  private post(req: WorkerRequest): void {
    this.parts.port.postMessage(req);
  }

  private receive(): WorkerReply | undefined {
    return (receiveMessageOnPort(this.parts.port) as { message: WorkerReply } | undefined)?.message;
  }

  /** Moves everything the worker posted into the local queue / reply map. */
  private drain(): void {
    for (let m = this.receive(); m; m = this.receive()) {
      if (m.kind === 'events') {
        this.pulling = false;
        for (const ev of m.events) this.queue.push(ev);
      } else if (m.kind === 'reply') {
        this.replies.set(m.id, m);
      } else if (m.kind === 'fatal') {
        this.fatal = m.error;
      } else if (m.kind === 'failed') {
        this.failed = m.error;
      }
    }
    // Replies to calls that timed out are never collected; keep the map from growing.
    if (this.replies.size > 64)
      for (const id of this.replies.keys()) if (id < this.nextId - 64) this.replies.delete(id);
  }

  private takeLocal(): SyncEvent | undefined {
    if (this.head >= this.queue.length) return undefined;
    const ev = this.queue[this.head++] as SyncEvent;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    this.delivered += 1;
    return ev;
  }

  private assertOpen(): void {
    if (this.isClosed) throw new WSEConnectionError('CLIENT_CLOSED', 'the client is closed');
  }

  private throwIfDead(): void {
    if (!this.fatal) return;
    const err = reviveError(this.fatal);
    this.shutdown();
    throw new WSEConnectionError('WORKER_FAILED', `the worker thread failed: ${err.message}`, { cause: err });
  }
}

function describe(input: OpInput): string {
  return 'type' in input ? `${input.op} ${input.type}` : input.op;
}
