/**
 * Client-side recovery positions (docs-site/protocol §4): one position per (topic, epoch) stream, the
 * de-duplication and gap decisions for stamped publications, and the `recovery` field of
 * `subscription_update`. Pure: no I/O, no timers; the runtime sends the requests.
 *
 * @module
 */

/**
 * What to do with a stamped publication:
 * - `deliver`: new and in order (the position advanced);
 * - `duplicate`: already seen (`o ≤ last`), drop it;
 * - `gap`: `o > last + 1`, something was missed; the position did not move. Drop it and, unless
 *   {@link RecoveryTracker.recoveryInFlight} says one is already running, ask the server to
 *   recover the topic from the current positions (the replay will include this message).
 *
 * @example
 * ```ts
 * const d: RecoveryDecision = tracker.observe(env.tp, env.e, env.o);
 * ```
 */
export type RecoveryDecision = 'deliver' | 'duplicate' | 'gap';

/**
 * The last offset delivered from one stream (`-1`: nothing yet from an empty stream).
 *
 * @example
 * ```ts
 * const p: StreamPosition = { epoch: '9f3a01bc', offset: 41 };
 * ```
 */
export interface StreamPosition {
  epoch: string;
  offset: number;
}

/**
 * The wire shape of `subscription_update.p.recovery`: one position per topic, or an array when
 * the topic has several live epochs (a cluster).
 *
 * @example
 * ```ts
 * const field: RecoveryField = { news: { epoch: 'a1b2c3d4', offset: 7 }, chat: [{ epoch: 'a', offset: 1 }, { epoch: 'b', offset: 9 }] };
 * ```
 */
export type RecoveryField = Record<string, StreamPosition | StreamPosition[]>;

/**
 * The persisted form of a tracker (see {@link recoveryToJSON}).
 *
 * @example
 * ```ts
 * const saved: RecoveryTrackerJSON = { v: 1, topics: { news: [{ epoch: 'a1b2c3d4', offset: 7 }] } };
 * ```
 */
export interface RecoveryTrackerJSON {
  v: 1;
  topics: Record<string, StreamPosition[]>;
}

/**
 * Tracker settings.
 *
 * @example
 * ```ts
 * new RecoveryTracker({ maxEpochsPerTopic: 4 });
 * ```
 */
export interface RecoveryTrackerOptions {
  /**
   * Streams kept per topic; the least recently advanced one is forgotten beyond it (epochs of
   * restarted or departed nodes would otherwise pile up). Default 8.
   */
  maxEpochsPerTopic?: number;
}

interface Stream {
  offset: number;
  touched: number;
}

const isOffset = (o: unknown): o is number => typeof o === 'number' && Number.isSafeInteger(o) && o >= -1;
const isEpoch = (e: unknown): e is string => typeof e === 'string' && e.length > 0;

/**
 * Positions per (topic, epoch) with the decisions of docs-site/protocol §4.
 *
 * **First message of an unknown stream** (no position for that (topic, epoch)): accepted as the
 * baseline and delivered. A stream we hold no position for cannot be judged: it is a fresh
 * subscription ("from now"), another cluster node's stream we have not heard from yet, or the
 * new epoch of a restarted server — and an offset above 0 does not prove a loss (that node may
 * have published before we subscribed). Losses across a restart are caught where they can be:
 * by the recovery request on reconnect, whose `recovered: false` reply makes the runtime call
 * {@link RecoveryTracker.rebaseline} and emit `recovery_failed`.
 *
 * Malformed stamps (empty epoch, offset not a safe integer ≥ 0) are not tracked and are
 * answered `deliver`, like unstamped messages.
 *
 * @example
 * ```ts
 * const tracker = new RecoveryTracker();
 * tracker.observe('news', 'a1b2c3d4', 5); // 'deliver' (baseline)
 * tracker.observe('news', 'a1b2c3d4', 6); // 'deliver'
 * tracker.observe('news', 'a1b2c3d4', 6); // 'duplicate'
 * tracker.observe('news', 'a1b2c3d4', 9); // 'gap' → recover
 * if (!tracker.recoveryInFlight('news')) {
 *   tracker.markRecovering('news', true);
 *   send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['news'], recover: true,
 *     recovery: tracker.recoveryField(['news']) } });
 * }
 * ```
 */
export class RecoveryTracker {
  readonly #streams = new Map<string, Map<string, Stream>>();
  readonly #recovering = new Set<string>();
  readonly #maxEpochs: number;
  #tick = 0;

  constructor(options: RecoveryTrackerOptions = {}) {
    this.#maxEpochs = Math.max(1, options.maxEpochsPerTopic ?? 8);
  }

  /** Decides what to do with a publication stamped (`tp`, `e`, `o`) and advances on `deliver`. */
  observe(topic: string, epoch: string, offset: number): RecoveryDecision {
    if (!isEpoch(epoch) || !isOffset(offset) || offset < 0) return 'deliver';
    const stream = this.#streams.get(topic)?.get(epoch);
    if (!stream) {
      this.#set(topic, epoch, offset);
      return 'deliver';
    }
    if (offset <= stream.offset) return 'duplicate';
    if (offset > stream.offset + 1) return 'gap';
    stream.offset = offset;
    stream.touched = ++this.#tick;
    return 'deliver';
  }

  /** The last delivered offset of one stream, or `undefined` when unknown. */
  position(topic: string, epoch: string): number | undefined {
    return this.#streams.get(topic)?.get(epoch)?.offset;
  }

  /** Topics with at least one position. */
  topics(): string[] {
    return [...this.#streams.keys()];
  }

  /**
   * Positions per topic, most recently advanced stream first; only topics that have positions
   * (restricted to `topics` when given). Fresh arrays.
   */
  positions(topics?: readonly string[]): Record<string, StreamPosition[]> {
    // Keyed by topic names: no prototype, so `__proto__` or `constructor` are entries like any other.
    const out = Object.create(null) as Record<string, StreamPosition[]>;
    for (const topic of topics ?? this.#streams.keys()) {
      const streams = this.#streams.get(topic);
      if (!streams || streams.size === 0) continue;
      out[topic] = [...streams.entries()]
        .sort((a, b) => b[1].touched - a[1].touched)
        .map(([epoch, s]) => ({ epoch, offset: s.offset }));
    }
    return out;
  }

  /**
   * The `recovery` field of `subscription_update` exactly as it goes on the wire: a single
   * `{epoch, offset}` for a topic with one stream, an array for several; topics without a
   * position are left out (the server then subscribes them from now).
   */
  recoveryField(topics?: readonly string[]): RecoveryField {
    const out = Object.create(null) as RecoveryField;
    for (const [topic, list] of Object.entries(this.positions(topics))) {
      out[topic] = list.length === 1 ? (list[0] as StreamPosition) : list;
    }
    return out;
  }

  /**
   * Sets a stream's position, e.g. from a `recovered: false` reply (`offset` -1 = empty
   * stream). By default the topic's other streams are dropped: after a failed recovery their
   * epochs are presumed dead, and sending them again would fail every later recovery too. Pass
   * `keepOtherEpochs: true` to only set this one (a cluster reply about one of several streams).
   * Does not touch the in-flight flag.
   */
  rebaseline(
    topic: string,
    epoch: string,
    offset: number,
    options: { keepOtherEpochs?: boolean } = {},
  ): void {
    if (!isEpoch(epoch) || !isOffset(offset)) {
      throw new RangeError(`rebaseline needs an epoch and an offset >= -1, got ${epoch}/${offset}`);
    }
    if (!options.keepOtherEpochs) this.#streams.delete(topic);
    this.#set(topic, epoch, offset);
  }

  /** Whether a recovery request for `topic` is awaiting its reply. */
  recoveryInFlight(topic: string): boolean {
    return this.#recovering.has(topic);
  }

  /** Marks a recovery request for `topic` as sent (`true`) or answered (`false`). */
  markRecovering(topic: string, on: boolean): void {
    if (on) this.#recovering.add(topic);
    else this.#recovering.delete(topic);
  }

  /** Clears every in-flight flag (the socket closed: those requests will never be answered). */
  clearRecovering(): void {
    this.#recovering.clear();
  }

  /** Drops a topic's positions and in-flight flag (after unsubscribing). */
  forget(topic: string): void {
    this.#streams.delete(topic);
    this.#recovering.delete(topic);
  }

  #set(topic: string, epoch: string, offset: number): void {
    let streams = this.#streams.get(topic);
    if (!streams) {
      streams = new Map();
      this.#streams.set(topic, streams);
    }
    streams.set(epoch, { offset, touched: ++this.#tick });
    if (streams.size > this.#maxEpochs) {
      let oldest: string | undefined;
      let oldestTick = Number.POSITIVE_INFINITY;
      for (const [e, s] of streams) {
        if (s.touched < oldestTick) {
          oldest = e;
          oldestTick = s.touched;
        }
      }
      if (oldest !== undefined) streams.delete(oldest);
    }
  }
}

// Persistence is not used by the client yet (positions survive reconnects, not page reloads):
// plain functions over the public API, so bundlers drop them from apps that do not call them.

/**
 * Plain data for persistence (`JSON.stringify` or structured clone); in-flight flags are not kept.
 *
 * @example
 * ```ts
 * await storage.set('recovery', recoveryToJSON(tracker));
 * ```
 */
export function recoveryToJSON(tracker: RecoveryTracker): RecoveryTrackerJSON {
  return { v: 1, topics: tracker.positions() };
}

/**
 * Rebuilds a tracker from {@link recoveryToJSON} output. Anything malformed (wrong version, bad
 * entries) is skipped, never thrown: stored data may be old or corrupted.
 *
 * @example
 * ```ts
 * const tracker = recoveryFromJSON(await storage.get('recovery'));
 * ```
 */
export function recoveryFromJSON(json: unknown, options: RecoveryTrackerOptions = {}): RecoveryTracker {
  const tracker = new RecoveryTracker(options);
  if (!json || typeof json !== 'object') return tracker;
  const { v, topics } = json as Partial<RecoveryTrackerJSON>;
  if (v !== 1 || !topics || typeof topics !== 'object') return tracker;
  for (const [topic, list] of Object.entries(topics)) {
    if (!Array.isArray(list)) continue;
    // Stored most recent first; insert oldest first so recency survives the round trip.
    for (const p of [...list].reverse()) {
      if (p && isEpoch(p.epoch) && isOffset(p.offset))
        tracker.rebaseline(topic, p.epoch, p.offset, { keepOtherEpochs: true });
    }
  }
  return tracker;
}

/**
 * The server could not replay what a topic missed; reload its state.
 *
 * @example
 * ```ts
 * client.on('recovery_failed', (ev: RecoveryFailedEvent) => reloadRoom(ev.topic));
 * ```
 */
export interface RecoveryFailedEvent {
  readonly topic: string;
  readonly epoch: string;
  readonly offset: number;
}
