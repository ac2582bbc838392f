/**
 * Topic subscriptions across reconnects: the wanted set (with presence data), the pending
 * subscribe/unsubscribe calls, the recovery positions (dedup, gaps, re-subscribe with
 * `recover: true`) and the replies (docs-site/protocol §4).
 *
 * @module
 */

import { buildEnvelope, type Envelope } from '../protocol/envelope';
import { ServerError } from '../protocol/errors';
import type { RecoveryFailedEvent } from '../recovery/recovery-tracker';
import { RecoveryTracker } from '../recovery/recovery-tracker';
import type { SubscribeOptions, SubscriptionResult } from './types';

type Action = 'subscribe' | 'unsubscribe';

interface PendingOp {
  readonly action: Action;
  readonly topics: readonly string[];
  cid?: string;
  resolve(result: SubscriptionResult): void;
  reject(error: ServerError): void;
}

interface Wanted {
  presence?: Record<string, unknown>;
  /** Member of this queue group: deliveries are not a stream to track or recover (docs-site/protocol §4). */
  queueGroup?: string;
}

/**
 * What the topic manager reports.
 *
 * @example
 * ```ts
 * const hooks: TopicHooks = { send, newId, onTopics, onRecoveryFailed, onSubscribed };
 * ```
 */
export interface TopicHooks {
  /** Sends now when connected; returns `false` when not (the op waits for the re-subscribe). */
  send(env: Envelope): boolean;
  newId(): string;
  onTopics(topics: readonly string[]): void;
  onRecoveryFailed(event: RecoveryFailedEvent): void;
  /** Topics the server confirmed (presence queries follow). */
  onSubscribed(topics: readonly string[]): void;
  /** Runs `fn` after `ms` (the client's clock); returns the cancel function. */
  timer(fn: () => void, ms: number): () => void;
  /** How long a gap-recovery request may go unanswered before it is sent again. */
  recoveryTimeoutMs(): number;
  /** The server's `max_subscriptions` (topics per request are never more); `undefined` = no limit. */
  maxTopicsPerRequest(): number | undefined;
}

const strArray = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);

function readFailed(v: unknown): SubscriptionResult['failed'] {
  if (!Array.isArray(v)) return [];
  return v
    .filter(
      (f): f is Record<string, unknown> => typeof f === 'object' && f !== null && typeof f.topic === 'string',
    )
    .map((f) => ({
      topic: f.topic as string,
      code: typeof f.code === 'string' ? f.code : 'INVALID_SUBSCRIPTION',
      message: typeof f.message === 'string' ? f.message : '',
    }));
}

function readRecovery(v: unknown): SubscriptionResult['recovery'] {
  if (typeof v !== 'object' || v === null) return undefined;
  // Keyed by topic names: no prototype (a topic may be called `__proto__`).
  const out = Object.create(null) as Record<
    string,
    { epoch: string; offset: number; recovered: boolean; count: number }
  >;
  for (const [topic, r] of Object.entries(v as Record<string, unknown>)) {
    if (typeof r !== 'object' || r === null) continue;
    const x = r as Record<string, unknown>;
    // A position the tracker can hold, or nothing (a hostile reply must not throw in rebaseline).
    if (
      typeof x.epoch !== 'string' ||
      !x.epoch ||
      !(Number.isSafeInteger(x.offset) && (x.offset as number) >= -1)
    )
      continue;
    out[topic] = {
      epoch: x.epoch,
      offset: x.offset as number,
      recovered: x.recovered === true,
      count: Number(x.count) || 0,
    };
  }
  return out;
}

/**
 * Keeps subscriptions alive through reconnects and filters stamped publications.
 *
 * @example
 * ```ts
 * const topics = new TopicManager(hooks);
 * const { promise } = topics.subscribe(['room:1'], { presence: { name: 'Ada' } });
 * topics.handleReply(env);           // a subscription_update reply
 * topics.filter(env);                // 'deliver' | 'duplicate' | 'gap' for publications
 * topics.resubscribeAll();           // after every server_hello
 * ```
 */
export class TopicManager {
  readonly tracker = new RecoveryTracker();
  readonly #wanted = new Map<string, Wanted>();
  #pending: PendingOp[] = [];
  /** `action:topic` → how the replies since the last re-subscribe answered it (`null` = ok). */
  readonly #answered = new Map<string, { topic: string; code: string; message: string } | null>();
  /** Gap-recovery requests in flight: topic → cancel of its reply timeout. */
  readonly #recoveryTimers = new Map<string, () => void>();

  readonly #hooks: TopicHooks;
  constructor(hooks: TopicHooks) {
    this.#hooks = hooks;
  }

  /** The wanted topics, in subscription order. */
  get topics(): string[] {
    return [...this.#wanted.keys()];
  }

  /** Adds topics and asks the server (now, or on the next connect). */
  subscribe(topics: readonly string[], options: SubscribeOptions = {}): Promise<SubscriptionResult> {
    const { presence, queueGroup } = options;
    for (const t of topics) {
      this.#wanted.set(t, { presence, queueGroup });
      if (queueGroup !== undefined) this.tracker.forget(t);
    }
    this.#hooks.onTopics(this.topics);
    const p: Record<string, unknown> = { action: 'subscribe', topics: [...topics] };
    if (presence !== undefined) p.presence = presence;
    if (queueGroup !== undefined) p.queue_group = queueGroup;
    const recovery = this.tracker.recoveryField(topics);
    if (Object.keys(recovery).length > 0) Object.assign(p, { recover: true, recovery });
    return this.#request('subscribe', topics, p);
  }

  /** New presence data for a wanted topic: what later re-subscribes join with. */
  setPresence(topic: string, presence: Record<string, unknown>): void {
    const w = this.#wanted.get(topic);
    if (w) w.presence = presence;
  }

  /** Removes topics (and their positions) and tells the server. */
  unsubscribe(topics: readonly string[]): Promise<SubscriptionResult> {
    for (const t of topics) {
      this.#wanted.delete(t);
      this.tracker.forget(t);
    }
    this.#hooks.onTopics(this.topics);
    // Unsent subscribes to nothing but these topics would wait forever for a reply: settle them.
    this.#settleMatching('subscribe', undefined, { success: true, topics: [], failed: [] });
    return this.#request('unsubscribe', topics, { action: 'unsubscribe', topics: [...topics] });
  }

  #request(
    action: Action,
    topics: readonly string[],
    p: Record<string, unknown>,
  ): Promise<SubscriptionResult> {
    return new Promise<SubscriptionResult>((resolve, reject) => {
      const op: PendingOp = { action, topics: [...topics], resolve, reject };
      this.#pending.push(op);
      const cid = this.#hooks.newId();
      if (this.#hooks.send(buildEnvelope('subscription_update', p, { cid }))) op.cid = cid;
      else if (action === 'unsubscribe') this.#settle(op, { success: true, topics, failed: [] });
    });
  }

  /** After `server_hello`: re-subscribe every wanted topic with `recover: true` and positions. */
  resubscribeAll(): void {
    this.#clearRecovering();
    // Calls from the previous session are answered by the bulk reply, matched by topic.
    for (const op of this.#pending) op.cid = undefined;
    this.#answered.clear();
    const groups = new Map<string, Wanted & { topics: string[] }>();
    for (const [topic, w] of this.#wanted) {
      const key = JSON.stringify([w.presence, w.queueGroup]);
      const g = groups.get(key) ?? { ...w, topics: [] };
      g.topics.push(topic);
      groups.set(key, g);
    }
    // A request with more topics than the server's `max_subscriptions` is refused whole: split.
    const max = this.#hooks.maxTopicsPerRequest();
    const size = max !== undefined && max > 0 ? max : Number.POSITIVE_INFINITY;
    for (const g of groups.values()) {
      for (let i = 0; i < g.topics.length; i += size) {
        const topics = g.topics.slice(i, i + size);
        const p: Record<string, unknown> = { action: 'subscribe', topics };
        // A queue group's deliveries are not replayed: its topics are subscribed from now.
        if (g.queueGroup === undefined)
          Object.assign(p, { recover: true, recovery: this.tracker.recoveryField(topics) });
        else p.queue_group = g.queueGroup;
        if (g.presence !== undefined) p.presence = g.presence;
        this.#hooks.send(buildEnvelope('subscription_update', p, { cid: this.#hooks.newId() }));
      }
    }
  }

  /** The session ended: in-flight recoveries will never be answered. */
  sessionDown(): void {
    this.#clearRecovering();
    // The server forgets a closed connection's subscriptions: pending unsubscribes are done.
    for (const op of this.#pending.filter((o) => o.action === 'unsubscribe')) {
      this.#settle(op, { success: true, topics: op.topics, failed: [] });
    }
  }

  /**
   * Dedup and gap detection for a stamped publication. On a gap, sends one recovery request per
   * topic (the replay will include this message, so it is dropped now).
   */
  filter(env: Envelope): 'deliver' | 'duplicate' | 'gap' {
    if (
      typeof env.tp !== 'string' ||
      typeof env.e !== 'string' ||
      typeof env.o !== 'number' ||
      this.#wanted.get(env.tp)?.queueGroup !== undefined
    )
      return 'deliver';
    const decision = this.tracker.observe(env.tp, env.e, env.o);
    if (decision === 'gap' && !this.tracker.recoveryInFlight(env.tp)) this.#recover(env.tp);
    return decision;
  }

  #recover(topic: string): void {
    const p = {
      action: 'subscribe',
      topics: [topic],
      recover: true,
      recovery: this.tracker.recoveryField([topic]),
    };
    if (!this.#hooks.send(buildEnvelope('subscription_update', p, { cid: this.#hooks.newId() }))) return;
    this.tracker.markRecovering(topic, true);
    // No reply at all (no subscription_update, no error) would leave the topic waiting for a
    // replay until the connection ends, dropping live messages as out of order: ask again.
    this.#recoveryTimers.get(topic)?.();
    this.#recoveryTimers.set(
      topic,
      this.#hooks.timer(() => {
        this.#recoveryTimers.delete(topic);
        if (!this.tracker.recoveryInFlight(topic) || !this.#wanted.has(topic)) return;
        this.tracker.markRecovering(topic, false);
        this.#recover(topic);
      }, this.#hooks.recoveryTimeoutMs()),
    );
  }

  /** No recovery is in flight any more (session change, or an error that may answer one). */
  #clearRecovering(): void {
    this.tracker.clearRecovering();
    for (const cancel of this.#recoveryTimers.values()) cancel();
    this.#recoveryTimers.clear();
  }

  /** Handles a `subscription_update` reply; returns the parsed result. */
  handleReply(env: Envelope): SubscriptionResult {
    const action: Action = env.p.action === 'unsubscribe' ? 'unsubscribe' : 'subscribe';
    const result: SubscriptionResult = {
      success: env.p.success !== false,
      topics: strArray(env.p.success_topics),
      failed: readFailed(env.p.failed_topics),
      recovery: readRecovery(env.p.recovery),
    };
    if (action === 'subscribe') this.#applySubscribed(result);
    else if (env.p.reason !== undefined && env.cid === undefined) {
      // The server dropped these topics on its own (`reason: 'acl'`: a narrowed runtime ACL):
      // they are no longer wanted, so no re-subscribe brings them back.
      for (const t of result.topics) {
        this.#wanted.delete(t);
        this.tracker.forget(t);
      }
      this.#hooks.onTopics(this.topics);
    }
    this.#settleMatching(action, env.cid, result);
    return result;
  }

  #applySubscribed(result: SubscriptionResult): void {
    for (const f of result.failed) this.#wanted.delete(f.topic);
    if (result.failed.length > 0) this.#hooks.onTopics(this.topics);
    for (const [topic, r] of Object.entries(result.recovery ?? {})) {
      this.tracker.markRecovering(topic, false);
      this.#recoveryTimers.get(topic)?.();
      this.#recoveryTimers.delete(topic);
      if (!this.#wanted.has(topic)) continue;
      if (r.recovered) {
        // A starting point for a topic we hold no position in yet (the server answers one for
        // every topic of a `recover: true` request): adopt it, so a drop before the first
        // message is still recoverable.
        const known = this.tracker.positions([topic])[topic] !== undefined;
        if (!known) this.tracker.rebaseline(topic, r.epoch, r.offset);
        continue;
      }
      // Never back in a stream we delivered from: that would deliver its offsets again.
      this.tracker.rebaseline(
        topic,
        r.epoch,
        Math.max(r.offset, this.tracker.position(topic, r.epoch) ?? -1),
      );
      this.#hooks.onRecoveryFailed({ topic, epoch: r.epoch, offset: r.offset });
    }
    const ok = result.topics.filter((t) => this.#wanted.has(t));
    if (ok.length > 0) this.#hooks.onSubscribed(ok);
  }

  #settleMatching(action: Action, cid: string | undefined, result: SubscriptionResult): void {
    // Calls from before a reconnect are answered by the re-subscribe replies, matched by topic —
    // possibly over several replies when the re-subscribe was split (see resubscribeAll).
    for (const t of result.topics) this.#answered.set(`${action}:${t}`, null);
    for (const f of result.failed) this.#answered.set(`${action}:${f.topic}`, f);
    for (const op of [...this.#pending]) {
      if (op.action !== action) continue;
      if (cid !== undefined && op.cid === cid) {
        this.#settle(op, result);
        continue;
      }
      if (op.cid !== undefined) continue;
      const answered = (t: string) => this.#answered.has(`${action}:${t}`) || !this.#wanted.has(t);
      if (op.topics.every(answered)) this.#settle(op, this.#answeredResult(op, action, result));
    }
  }

  /** What the replies since the last re-subscribe said about `op`'s topics. */
  #answeredResult(op: PendingOp, action: Action, last: SubscriptionResult): SubscriptionResult {
    const topics: string[] = [];
    const failed: Array<{ topic: string; code: string; message: string }> = [];
    for (const t of op.topics) {
      const a = this.#answered.get(`${action}:${t}`);
      if (a === null) topics.push(t);
      else if (a) failed.push(a);
    }
    return { success: failed.length === 0, topics, failed, recovery: last.recovery };
  }

  #settle(op: PendingOp, result: SubscriptionResult): void {
    this.#pending = this.#pending.filter((p) => p !== op);
    const mine = new Set(op.topics);
    const own: SubscriptionResult = {
      ...result,
      topics: result.topics.filter((t) => mine.has(t)),
      failed: result.failed.filter((f) => mine.has(f.topic)),
    };
    if (own.topics.length === 0 && own.failed.length > 0) {
      const first = own.failed[0]!;
      op.reject(
        new ServerError(first.code, first.message || `cannot ${op.action} ${first.topic}`, {
          failed: own.failed,
        }),
      );
      return;
    }
    op.resolve({ ...own, success: own.failed.length === 0 });
  }

  /**
   * An `error` frame carries `cid`: the call sent with it fails (a subscribe's topics are dropped,
   * like refused ones); recovery requests may be the ones refused, so none counts as in flight.
   */
  fail(cid: string, error: ServerError): void {
    this.#clearRecovering();
    for (const op of this.#pending) {
      if (op.cid !== cid) continue;
      if (op.action === 'subscribe') for (const t of op.topics) this.#wanted.delete(t);
      this.#hooks.onTopics(this.topics);
      this.#pending = this.#pending.filter((p) => p !== op);
      op.reject(error);
    }
  }

  /** Fails every pending call (on `close()`). */
  rejectAll(error: ServerError): void {
    for (const op of this.#pending) op.reject(error);
    this.#pending = [];
  }
}
