/**
 * The outbound path: send now when connected, otherwise queue (offline queue) and flush in order
 * after the next `server_hello`; hold everything for `retry_after` on `RATE_LIMITED`; pace the
 * flush after a `rate_limit_warning`; batch small sends when the link is poor.
 *
 * Invariants: a message leaves the queue (and its storage) only after the session accepted it —
 * with batching on, only when its batch is handed to the session, not when it enters the batch
 * buffer (a page unload in between must not lose it);
 * one the session accepted but could not write (the socket died while it was being encrypted or
 * compressed) comes back to the queue and goes out after the next `server_hello`, once;
 * while anything waits in the queue, new sends queue behind it so the order holds.
 *
 * @module
 */

import type { Clock } from '../env/clock';
import { ProtocolError, TransportError, type WSEError } from '../errors';
import type { OfflineQueue } from '../offline/offline-queue';
import { buildEnvelope, type Envelope } from '../protocol/envelope';

/** Flush tick while paced. */
const PACE_TICK_MS = 100;

/**
 * What the outbound path needs.
 *
 * @example
 * ```ts
 * const hooks: OutboundHooks = { canSend: () => driver.canSend, transmit: (env) => driver.send(env), onQueued };
 * ```
 */
export interface OutboundHooks {
  canSend(): boolean;
  /**
   * Sends one envelope now; throws when the socket is gone. `onLost`: the session accepted it but
   * the socket went away before it was written (async encryption or codec load).
   */
  transmit(env: Envelope, onLost: () => void): void;
  onQueued(size: number): void;
  /** A queued message could not be encoded and was dropped. */
  onError(error: WSEError): void;
}

/**
 * One outbound message.
 *
 * @example
 * ```ts
 * const msg: OutboundMessage = { id: uuidv7(), type: 'chat_message', payload: { text: 'hi' }, priority: 5 };
 * ```
 */
export interface OutboundMessage {
  readonly id: string;
  readonly type: string;
  readonly payload: unknown;
  readonly priority: number;
  readonly cid?: string;
}

/**
 * Routes sends to the socket or the queue.
 *
 * @example
 * ```ts
 * const out = new Outbound(queue, clock, hooks);
 * out.send({ id, type: 'chat_message', payload: { text: 'hi' }, priority: 5 });
 * out.flush(); // after server_hello
 * ```
 */
export class Outbound {
  #heldUntil = 0;
  #pacedUntil = 0;
  #pacePerTick = Number.POSITIVE_INFINITY;
  #flushTimer: unknown = null;
  #batchIntervalMs = 0;
  #batchMax = 1;
  #batch: Envelope[] = [];
  /** Ids of the batched messages the queue still holds (in flight) until the batch is sent. */
  #batchQueued: string[] = [];
  #batchTimer: unknown = null;

  readonly #queue: OfflineQueue | null;
  readonly #clock: Clock;
  readonly #hooks: OutboundHooks;
  constructor(queue: OfflineQueue | null, clock: Clock, hooks: OutboundHooks) {
    this.#queue = queue;
    this.#clock = clock;
    this.#hooks = hooks;
  }

  /** Messages waiting in the queue. */
  get queued(): number {
    return this.#queue?.size ?? 0;
  }

  /** Batching of sends (from the quality level): collect for `intervalMs`, at most `maxSize`; 0 = off. */
  setBatching(intervalMs: number, maxSize: number): void {
    this.#batchIntervalMs = maxSize > 1 ? Math.max(0, intervalMs) : 0;
    this.#batchMax = Math.max(1, maxSize);
    if (this.#batchIntervalMs === 0) this.#flushBatch();
  }

  /**
   * Sends now or queues. Throws `TransportError('NOT_CONNECTED')` when neither is possible, and
   * the codec's `ProtocolError` when the message cannot be encoded (never queued then).
   */
  send(msg: OutboundMessage): void {
    const env = toEnvelope(msg);
    // Batching with a queue: through the queue, so the message is stored until its batch goes out.
    const viaQueue = this.#queue !== null && this.#batchIntervalMs > 0;
    if (!viaQueue && this.#direct() && this.#trySend(env)) return;
    if (!this.#queue) throw new TransportError('NOT_CONNECTED', `cannot send ${msg.type}: not connected`);
    const direct = viaQueue && this.#direct();
    this.#queue.enqueue(msg);
    this.#changed();
    if (direct) this.flush();
    else this.#scheduleFlush(0);
  }

  /** `RATE_LIMITED`: hold every send for `ms`, keeping them queued. */
  hold(ms: number): void {
    this.#heldUntil = Math.max(this.#heldUntil, this.#clock.now() + ms);
    this.#scheduleFlush(ms);
  }

  /** `rate_limit_warning`: for `ms`, flush at most `perSecond` messages per second. */
  pace(ms: number, perSecond: number): void {
    this.#pacedUntil = Math.max(this.#pacedUntil, this.#clock.now() + ms);
    this.#pacePerTick = Math.max(1, Math.floor((perSecond * PACE_TICK_MS) / 1000));
  }

  /** A new session (after `server_hello`): the old one's rate-limit hold and pace end; flush. */
  resume(): void {
    this.#heldUntil = this.#pacedUntil = 0;
    this.flush();
  }

  /** Sends what waits, in order, as far as the pace allows. */
  flush(): void {
    if (!this.#queue || !this.#hooks.canSend()) return;
    const now = this.#clock.now();
    if (now < this.#heldUntil) {
      this.#scheduleFlush(this.#heldUntil - now);
      return;
    }
    const paced = now < this.#pacedUntil;
    const { messages } = this.#queue.drainAll(paced ? this.#pacePerTick : Number.POSITIVE_INFINITY);
    const sent: string[] = [];
    let stoppedAt = -1;
    for (const [i, m] of messages.entries()) {
      let r: SendResult;
      try {
        r = this.#trySend(toEnvelope(m), m.id);
      } catch (err) {
        this.#hooks.onError(err as WSEError); // unencodable: drop it, do not block the queue
        r = 'sent';
      }
      if (r === false) {
        stoppedAt = i;
        break;
      }
      if (r === 'sent') sent.push(m.id); // a batched one stays held (in flight) until its batch goes
    }
    this.#queue.remove(sent);
    if (stoppedAt >= 0) this.#queue.release(messages.slice(stoppedAt).map((m) => m.id));
    this.#changed();
    if (paced && this.#queue.size > 0 && stoppedAt < 0) this.#scheduleFlush(PACE_TICK_MS);
  }

  /** Drops queued messages with these `cid`s (requests `close()` rejected: nobody awaits them). */
  discardRequests(cids: ReadonlySet<string>): void {
    if (!this.#queue || cids.size === 0) return;
    const ids = this.#queue.peekAll().filter((m) => m.cid !== undefined && cids.has(m.cid));
    if (this.#queue.remove(ids.map((m) => m.id)) > 0) this.#changed();
  }

  /** Stops timers (on `close()`); queued messages stay queued. */
  stop(): void {
    if (this.#flushTimer !== null) this.#clock.clearTimeout(this.#flushTimer);
    if (this.#batchTimer !== null) this.#clock.clearTimeout(this.#batchTimer);
    this.#flushTimer = null;
    this.#batchTimer = null;
    const held = new Set(this.#batchQueued);
    this.#queue?.release(held); // still in the queue: back in line
    this.#requeue(this.#batch.filter((e) => e.id === undefined || !held.has(e.id)));
    this.#batch = [];
    this.#batchQueued = [];
  }

  #direct(): boolean {
    const now = this.#clock.now();
    const waiting = (this.#queue?.size ?? 0) > 0;
    return this.#hooks.canSend() && !waiting && now >= this.#heldUntil && now >= this.#pacedUntil;
  }

  /** `queuedId`: the message is held by the queue (it stays there while batched). */
  #trySend(env: Envelope, queuedId?: string): SendResult {
    if (this.#batchIntervalMs > 0 && env.t !== 'batch') {
      this.#batch.push(env);
      if (queuedId !== undefined) this.#batchQueued.push(queuedId);
      if (this.#batch.length >= this.#batchMax) this.#flushBatch();
      else if (this.#batchTimer === null) {
        this.#batchTimer = this.#clock.setTimeout(() => this.#flushBatch(), this.#batchIntervalMs);
      }
      // Already handed over when the batch filled up: the queue has forgotten it then.
      return queuedId !== undefined && this.#batchQueued.includes(queuedId) ? 'batched' : 'sent';
    }
    try {
      this.#hooks.transmit(env, () => this.#requeue([env]));
      return 'sent';
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      return false; // the socket went away: keep the message
    }
  }

  #flushBatch(): void {
    if (this.#batchTimer !== null) this.#clock.clearTimeout(this.#batchTimer);
    this.#batchTimer = null;
    const items = this.#batch;
    const held = this.#batchQueued;
    this.#batch = [];
    this.#batchQueued = [];
    if (items.length === 0) return;
    const env =
      items.length === 1 ? items[0]! : buildEnvelope('batch', { messages: items, count: items.length });
    try {
      this.#hooks.transmit(env, () => this.#requeue(items));
    } catch {
      // Not sent: the held ones go back in line, the others back into the queue.
      const inQueue = new Set(held);
      this.#queue?.release(inQueue);
      this.#requeue(items.filter((e) => e.id === undefined || !inQueue.has(e.id)));
      this.#scheduleFlush(0);
      return;
    }
    // Handed to the session: now they may leave the queue and its storage.
    if (held.length > 0 && this.#queue) {
      this.#queue.remove(held);
      this.#changed();
    }
  }

  #requeue(items: Envelope[]): void {
    if (!this.#queue) return;
    for (const e of items) {
      this.#queue.enqueue({ id: e.id, type: e.t, payload: e.p, priority: e.pri ?? 5, cid: e.cid });
    }
    if (items.length > 0) this.#changed();
  }

  #scheduleFlush(ms: number): void {
    if (this.#flushTimer !== null) return;
    this.#flushTimer = this.#clock.setTimeout(() => {
      this.#flushTimer = null;
      this.flush();
    }, ms);
  }

  #changed(): void {
    this.#hooks.onQueued(this.queued);
  }
}

/** `'sent'`: handed to the session; `'batched'`: waits in the batch buffer; `false`: socket gone. */
type SendResult = 'sent' | 'batched' | false;

/** A message to send (or one back from the queue: the same fields) as an envelope. */
function toEnvelope(msg: OutboundMessage): Envelope {
  return buildEnvelope(msg.type, msg.payload as Record<string, unknown>, {
    id: msg.id,
    cid: msg.cid,
    pri: msg.priority,
  });
}
