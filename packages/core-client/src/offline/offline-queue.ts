/**
 * The bounded outbound queue: messages sent while the client is not connected wait here, in
 * priority order, and persist through a {@link QueueStorage} until the runtime confirms they
 * went out. Pure apart from the storage calls: no timers (saves are batched on a microtask).
 *
 * Life of a message: `enqueue` → (waiting) → `drain` hands it to the runtime and marks it in
 * flight → `remove([id])` once the socket took it (it leaves storage only now), or
 * `release([id])` if sending failed so the next `drain` offers it again.
 *
 * @module
 */

import { type NowClock, systemClock } from '../env/clock';
import { uuidv7 } from '../protocol/envelope';
import { MemoryQueueStorage, type QueuedMessage, type QueueStorage } from './queue-storage';

/**
 * Why a message left the queue unsent.
 *
 * @example
 * ```ts
 * const reason: DropReason = 'overflow';
 * ```
 */
export type DropReason = 'overflow' | 'expired';

/**
 * Queue settings; every field has a default.
 *
 * @example
 * ```ts
 * const opts: OfflineQueueOptions = { maxSize: 500, maxAgeMs: 60_000, onDrop: (m, why) => console.warn(why, m.id) };
 * ```
 */
export interface OfflineQueueOptions {
  /** Most messages kept; default 1000. */
  maxSize?: number;
  /** Age after which a waiting message is dropped; default 24 h. */
  maxAgeMs?: number;
  /** Default: a new {@link MemoryQueueStorage}. */
  storage?: QueueStorage;
  /** Called for every message dropped unsent (overflow on enqueue or restore, expiry). */
  onDrop?: (message: QueuedMessage, reason: DropReason) => void;
  /** Called when a storage save or load fails (the in-memory queue stays correct). */
  onError?: (error: unknown) => void;
  /** Id for messages enqueued without one; default a UUID v7 (the id generator envelopes use). */
  createId?: () => string;
}

/**
 * What {@link OfflineQueue.enqueue} takes: `priority` defaults to 5, `id` is generated.
 *
 * @example
 * ```ts
 * const input: EnqueueInput = { type: 'chat_message', payload: { text: 'hi' }, priority: 8 };
 * ```
 */
export interface EnqueueInput {
  type: string;
  payload?: unknown;
  priority?: number;
  id?: string;
  cid?: string;
}

/**
 * The outcome of an enqueue. `dropped` is the message pushed out to make room — or the new
 * message itself (`accepted: false`) when it is the lowest-priority one; `expired` lists
 * messages found expired while making room.
 *
 * @example
 * ```ts
 * const r: EnqueueResult = queue.enqueue({ type: 'x' });
 * if (r.dropped) console.warn('queue full, dropped', r.dropped.id);
 * ```
 */
export interface EnqueueResult {
  accepted: boolean;
  message: QueuedMessage;
  dropped?: QueuedMessage;
  expired?: QueuedMessage[];
}

interface Slot {
  readonly message: QueuedMessage;
  readonly seq: number;
  inFlight: boolean;
}

/** Send order: higher priority first, then first in, first out. */
const bySendOrder = (a: Slot, b: Slot) => b.message.priority - a.message.priority || a.seq - b.seq;

/**
 * A bounded priority queue with persistence. When full, the oldest message of the lowest
 * priority is dropped (after expired ones) and reported. Expired messages (older than
 * `maxAgeMs`) are dropped on `drain`, on overflow and on `restore`. Messages in flight are
 * never dropped or expired.
 *
 * Persistence: call {@link OfflineQueue.restore} once at startup. Until it has completed the
 * queue does not write to storage, so a message enqueued early cannot overwrite what a
 * previous page left behind; afterwards every change is saved (coalesced per microtask, in
 * order). {@link OfflineQueue.flush} waits for the saves.
 *
 * @example
 * ```ts
 * const queue = new OfflineQueue({ maxSize: 1000, storage: new IndexedDBQueueStorage() }, clock);
 * await queue.restore();
 * queue.enqueue({ type: 'chat_message', payload: { text: 'hi' }, priority: 8 });
 * // … after server_hello:
 * for (const m of queue.drainAll().messages) {
 *   socket.send(encode(m));
 *   queue.remove([m.id]);
 * }
 * ```
 */
export class OfflineQueue {
  #slots: Slot[] = [];
  #seq = 0;
  readonly #maxSize: number;
  readonly #maxAgeMs: number;
  readonly #storage: QueueStorage;
  #restored = false;
  #saveScheduled = false;
  #saving: Promise<void> = Promise.resolve();
  #saveError: unknown;

  readonly #options: OfflineQueueOptions;
  readonly #clock: NowClock;
  constructor(options: OfflineQueueOptions = {}, clock: NowClock = systemClock) {
    this.#options = options;
    this.#clock = clock;
    this.#maxSize = Math.max(1, options.maxSize ?? 1_000);
    this.#maxAgeMs = options.maxAgeMs ?? 24 * 60 * 60 * 1_000;
    this.#storage = options.storage ?? new MemoryQueueStorage();
  }

  /** Messages held (waiting and in flight). */
  get size(): number {
    return this.#slots.length;
  }

  /** Messages handed out by `drain` and not yet removed or released. */
  get inFlight(): number {
    return this.#slots.filter((s) => s.inFlight).length;
  }

  /** Adds a message, making room if full (see {@link EnqueueResult}). */
  enqueue(input: EnqueueInput): EnqueueResult {
    const message = this.#toMessage(input);
    const slot: Slot = { message, seq: this.#seq++, inFlight: false };
    const result: EnqueueResult = { accepted: true, message };
    if (this.#slots.length >= this.#maxSize) {
      const expired = this.#dropExpired();
      if (expired.length > 0) result.expired = expired;
    }
    if (this.#slots.length >= this.#maxSize) {
      const victim = this.#victim(slot);
      result.dropped = victim.message;
      this.#report(victim.message, 'overflow');
      if (victim === slot) return { ...result, accepted: false };
      this.#slots = this.#slots.filter((s) => s !== victim);
    }
    this.#insert(slot);
    this.#changed();
    return result;
  }

  /**
   * Hands out waiting messages in send order (priority desc, then FIFO), at most `max`, and
   * marks them in flight; also returns the waiting messages it dropped as expired (reported
   * through `onDrop` too).
   */
  drainAll(max = Number.POSITIVE_INFINITY): { messages: QueuedMessage[]; expired: QueuedMessage[] } {
    const expired = this.#dropExpired();
    const messages: QueuedMessage[] = [];
    for (const s of this.#slots) {
      if (messages.length >= max) break;
      if (s.inFlight) continue;
      s.inFlight = true;
      messages.push(s.message);
    }
    return { messages, expired };
  }

  /** Every held message in send order, without changing anything. */
  peekAll(): QueuedMessage[] {
    return this.#slots.map((s) => s.message);
  }

  /** The runtime sent these: forget them (also in storage). Returns how many were held. */
  remove(ids: Iterable<string>): number {
    const gone = new Set(ids);
    const before = this.#slots.length;
    this.#slots = this.#slots.filter((s) => !gone.has(s.message.id));
    const removed = before - this.#slots.length;
    if (removed > 0) this.#changed();
    return removed;
  }

  /** Sending failed: put these in-flight messages (default: all) back in line for `drain`. */
  release(ids?: Iterable<string>): void {
    const only = ids ? new Set(ids) : undefined;
    for (const s of this.#slots) if (!only || only.has(s.message.id)) s.inFlight = false;
  }

  /** Drops everything, reporting nothing, and saves the empty queue. */
  clear(): void {
    this.#slots = [];
    this.#changed();
  }

  /**
   * Loads what storage holds and merges it before the messages enqueued since startup (stored
   * ones are older). Duplicates by id are kept once; expired and overflowing messages are
   * dropped and reported. Enables saving. A failed load is reported through `onError` and
   * rethrown; saving is enabled anyway so the session's own messages persist.
   */
  async restore(): Promise<void> {
    let loaded: QueuedMessage[] = [];
    try {
      loaded = await this.#storage.load();
    } catch (error) {
      this.#restored = true;
      this.#options.onError?.(error);
      this.#changed();
      throw error;
    }
    const held = new Set(this.#slots.map((s) => s.message.id));
    const older = loaded.filter((m) => !held.has(m.id)).map((m) => ({ ...m }));
    // Re-sequence: stored messages first (in their saved order), then this session's.
    const current = [...this.#slots].sort((a, b) => a.seq - b.seq);
    this.#seq = 0;
    this.#slots = [
      ...older.map((message) => ({ message, seq: this.#seq++, inFlight: false })),
      ...current.map((s) => ({ ...s, seq: this.#seq++ })),
    ].sort(bySendOrder);
    this.#dropExpired();
    while (this.#slots.length > this.#maxSize) {
      const victim = this.#victim();
      this.#slots = this.#slots.filter((s) => s !== victim);
      this.#report(victim.message, 'overflow');
    }
    this.#restored = true;
    this.#changed();
  }

  /** Resolves once every change so far is saved; rejects if the latest save failed. */
  async flush(): Promise<void> {
    await this.#saving;
    if (this.#saveError !== undefined) throw this.#saveError;
  }

  #toMessage(input: EnqueueInput): QueuedMessage {
    const priority = Number.isFinite(input.priority) ? (input.priority as number) : 5;
    const message: QueuedMessage = {
      id: input.id ?? this.#options.createId?.() ?? uuidv7(this.#clock.now()),
      type: input.type,
      payload: input.payload ?? null,
      priority,
      enqueuedAt: this.#clock.now(),
    };
    if (input.cid !== undefined) message.cid = input.cid;
    return message;
  }

  #insert(slot: Slot): void {
    // Slots are kept sorted; insert after the last slot that sends before this one.
    let i = this.#slots.length;
    while (i > 0 && bySendOrder(this.#slots[i - 1] as Slot, slot) > 0) i -= 1;
    this.#slots.splice(i, 0, slot);
  }

  /** The oldest waiting slot of the lowest priority, `incoming` included as the newest. */
  #victim(incoming?: Slot): Slot {
    let victim = incoming;
    for (const s of this.#slots) {
      if (s.inFlight) continue;
      if (!victim || s.message.priority < victim.message.priority) victim = s;
      else if (s.message.priority === victim.message.priority && s.seq < victim.seq) victim = s;
    }
    // Everything in flight and nothing incoming (restore over capacity): drop the last in line.
    return victim ?? (this.#slots[this.#slots.length - 1] as Slot);
  }

  #dropExpired(): QueuedMessage[] {
    const now = this.#clock.now();
    const expired: QueuedMessage[] = [];
    this.#slots = this.#slots.filter((s) => {
      if (s.inFlight || now - s.message.enqueuedAt <= this.#maxAgeMs) return true;
      expired.push(s.message);
      return false;
    });
    for (const m of expired) this.#report(m, 'expired');
    if (expired.length > 0) this.#changed();
    return expired;
  }

  #report(message: QueuedMessage, reason: DropReason): void {
    try {
      this.#options.onDrop?.(message, reason);
    } catch (error) {
      // A throwing user callback must not leave the queue half-updated.
      this.#options.onError?.(error);
    }
  }

  /** Schedules one save of the whole queue after the current synchronous work. */
  #changed(): void {
    if (!this.#restored || this.#saveScheduled) return;
    this.#saveScheduled = true;
    this.#saving = this.#saving.then(async () => {
      this.#saveScheduled = false;
      try {
        await this.#storage.save(this.#slots.map((s) => s.message));
        this.#saveError = undefined;
      } catch (error) {
        this.#saveError = error;
        this.#options.onError?.(error);
      }
    });
  }
}

/**
 * A queued outbound message was dropped (queue full, or too old).
 *
 * @example
 * ```ts
 * client.on('queue_drop', (ev: QueueDropEvent) => console.warn('dropped', ev.message.type, ev.reason));
 * ```
 */
export interface QueueDropEvent {
  readonly message: QueuedMessage;
  /** `overflow`: the queue was full; `expired`: older than `maxAgeMs`. */
  readonly reason: DropReason;
}
