import type { Envelope } from '@wse/core-client/protocol';
import type { VerifiedToken } from '../auth/token-verifier';
import { identityAllows, validateTopicName } from '../auth/topic-acl';
import type { SocketHandle } from '../transport/transport';
import { ALL_TOPIC, type Fanout, type Stamped } from './fanout';
import { QueueGroups } from './queue-groups';
import {
  checkSubscribe,
  checkUnsubscribe,
  type FailedTopic,
  type SubscriptionRequest,
} from './subscription-check';
import type { TopicRegistry } from './topic-registry';
import { type UwsVariant, uwsTopic } from './uws-topic';

/** What the topic layer needs to know about a connection. */
export interface Subscriber {
  readonly id: string;
  /** How it can ride uWS now (`Connection.uwsVariant`); the registry records what it is subscribed as. */
  readonly uwsVariant: UwsVariant;
  readonly closed: boolean;
  readonly handle: SocketHandle | null;
  readonly identity: { acl?: VerifiedToken['topics']; runtimeAcl?: VerifiedToken['topics'] };
}

export interface SubscriptionOutcome {
  action: 'subscribe' | 'unsubscribe';
  success: boolean;
  success_topics: string[];
  failed_topics: FailedTopic[];
  /** Echo of the request's queue group (docs-site/protocol §4). */
  queue_group?: string;
}

/**
 * Subscriptions and publications. JSON subscribers are also subscribed in uWS (so `app.publish`
 * reaches them) under the name of their {@link UwsVariant} (`compressed`: the topic's name; `plain`,
 * for `compression: false` clients: its second name, see {@link uwsTopic}); direct subscribers live
 * only in the registry (the fan-out sends them their own frames). `updatePath` moves a connection
 * between the three when what it needs changes.
 *
 * @example
 * topics.subscribe(conn, ['chat']);
 * topics.publish('chat', buildEnvelope('chat_message', { text: 'hi' }));
 */
export class TopicService {
  /**
   * Called after subscriptions went away: `topics` of a live connection (unsubscribe, revoked on
   * refresh), or every topic of a closed one (`closed: true`). Presence hangs its leaves here, so
   * every path produces them.
   */
  onLeft?: (connId: string, topics: readonly string[], closed: boolean) => void;
  /** A topic's last local subscriber left (recovery drops its never-written state here). */
  onTopicEmpty?: (topic: string) => void;

  /**
   * Local interest changed (the engine seam's `interest`): `true` on a topic's first local
   * subscriber, `false` when its last one is gone — once per transition, on every path (subscribe,
   * unsubscribe, close).
   */
  onInterest?: (topic: string, present: boolean) => void;

  constructor(
    private readonly registry: TopicRegistry,
    private readonly fanout: Fanout,
    private readonly limits: {
      maxSubscriptions: number;
      /** Topics with subscribers on this node, at most (client subscribes; the server API is exempt). */
      maxTopics?: number;
      authorize?: (sub: Subscriber, topic: string) => boolean | Promise<boolean>;
    },
    /** Queue-group memberships: the same instance the fan-out delivers from. */
    readonly groups: QueueGroups = new QueueGroups(),
  ) {}

  /** A new connection (msgpack from the query string, or not yet authenticated, is direct from the start). */
  attach(sub: Subscriber): void {
    if (sub.uwsVariant !== 'compressed') this.registry.setVariant(sub.id, sub.uwsVariant);
  }

  /**
   * What the connection needs changed (client_hello: msgpack, E2E, `compression: false`; the send
   * gate opened at authentication): moves the topics it already has to its new uWS name, or out of
   * uWS (direct), or back in. A no-op when nothing changed; publications still queued are sent at
   * the next flush along the new path.
   */
  updatePath(sub: Subscriber): void {
    const was = this.registry.variantOf(sub.id);
    const now = sub.uwsVariant;
    if (was === now) return;
    const handle = sub.handle;
    if (handle) {
      for (const topic of this.registry.topicsOf(sub.id)) {
        if (was !== 'none') handle.unsubscribe(uwsTopic(topic, was));
        if (now !== 'none') handle.subscribe(uwsTopic(topic, now));
      }
    }
    this.registry.setVariant(sub.id, now);
  }

  /**
   * Takes the connection off uWS (every name it is subscribed under) without forgetting its
   * subscriptions: a slow consumer being closed gets nothing more, the registry cleans up at close.
   */
  leaveTransport(sub: Subscriber): void {
    const variant = this.registry.variantOf(sub.id);
    if (variant === 'none' || !sub.handle) return;
    for (const topic of this.registry.topicsOf(sub.id)) sub.handle.unsubscribe(uwsTopic(topic, variant));
  }

  /**
   * Subscribes without checks (server-side API); returns the topics that were new. With
   * `queueGroup` the connection joins that group on each topic instead (docs-site/protocol §4). Decided: a
   * connection holds a topic one way at a time — the last subscribe wins, so a plain subscriber
   * that subscribes with a group becomes a member (and the reverse), and a member moves between
   * groups; such a switch counts as new (no presence leave: the topic is still held).
   */
  subscribe(sub: Subscriber, topics: string[], queueGroup?: string): string[] {
    const added: string[] = [];
    this.updatePath(sub); // the topics it has and the one it adds ride the same path
    for (const topic of topics) {
      if (queueGroup !== undefined) {
        if (!this.groups.join(sub.id, topic, queueGroup)) continue;
        this.dropPlain(sub, topic);
      } else {
        const variant = sub.uwsVariant;
        if (!this.registry.add(sub.id, topic, variant)) continue;
        if (variant !== 'none') sub.handle?.subscribe(uwsTopic(topic, variant));
        this.groups.leave(sub.id, topic);
      }
      added.push(topic);
      this.gainedInterest(topic);
    }
    return added;
  }

  private dropPlain(sub: Subscriber, topic: string): boolean {
    const variant = this.registry.variantOf(sub.id); // what it IS subscribed in uWS as
    if (!this.registry.remove(sub.id, topic)) return false;
    if (variant !== 'none') sub.handle?.unsubscribe(uwsTopic(topic, variant));
    return true;
  }

  /** Unsubscribes from `topics` (all when omitted); returns the topics that were removed. */
  unsubscribe(sub: Subscriber, topics?: string[]): string[] {
    const list = topics ?? this.topicsOf(sub.id);
    const removed: string[] = [];
    for (const topic of list) {
      const plain = this.dropPlain(sub, topic);
      if (this.groups.leave(sub.id, topic) === undefined && !plain) continue;
      removed.push(topic);
      this.lostInterest(topic);
    }
    if (removed.length > 0) this.onLeft?.(sub.id, removed, false);
    this.emptied(removed);
    return removed;
  }

  /** Connection closed: uWS already forgot it, the registry and the groups must too. */
  detach(connId: string): string[] {
    const topics = this.registry.removeAll(connId);
    for (const topic of this.groups.leaveAll(connId)) topics.push(topic);
    for (const topic of topics) this.lostInterest(topic);
    this.onLeft?.(connId, topics, true);
    this.emptied(topics);
    return topics;
  }

  /** Topics announced to the engine as held here (only kept while an engine listens). */
  private readonly announced = new Set<string>();

  private gainedInterest(topic: string): void {
    if (!this.onInterest || this.announced.has(topic) || !this.held(topic)) return;
    this.announced.add(topic);
    this.onInterest(topic, true);
  }

  private lostInterest(topic: string): void {
    if (!this.onInterest || this.held(topic) || !this.announced.delete(topic)) return;
    this.onInterest(topic, false);
  }

  /** Every topic held on this node (a plain subscriber or a queue-group member). */
  topics(): string[] {
    return this.onInterest ? [...this.announced] : this.registry.topics();
  }

  /** What the engine announces in full (RESYNC): every held topic, and each group's key on it. */
  *interestKeys(groupKey: (topic: string, group: string) => string): Iterable<string> {
    for (const topic of this.topics()) {
      yield topic;
      if (this.groups.hasTopic(topic))
        for (const group of this.groups.groupsOn(topic)) yield groupKey(topic, group);
    }
  }

  subscriberCount(topic: string): number {
    return this.registry.subscriberCount(topic);
  }

  /** `{group name: members}` on `topic` (this node's members). */
  queueGroupStats(topic: string): Record<string, number> {
    return this.groups.stats(topic);
  }

  /** Topics nobody holds any more, plainly or in a queue group. */
  private emptied(topics: readonly string[]): void {
    if (!this.onTopicEmpty) return;
    for (const topic of topics) if (!this.held(topic)) this.onTopicEmpty(topic);
  }

  /** Someone on this node holds `topic` (a plain subscriber or a queue-group member). */
  private held(topic: string): boolean {
    return this.registry.subscriberCount(topic) > 0 || this.groups.hasTopic(topic);
  }

  /**
   * The checks of a subscribe request (name, ACL, limit, hook) without subscribing: the caller
   * subscribes the accepted topics itself, in the same turn as it reads the recovery buffers.
   * Sync unless the hook is async.
   */
  checkSubscribe(
    sub: Subscriber,
    topics: unknown[],
  ): { accepted: string[]; failed: FailedTopic[] } | Promise<{ accepted: string[]; failed: FailedTopic[] }> {
    const authorize = this.limits.authorize;
    return checkSubscribe(topics, {
      validateName: validateTopicName,
      aclAllows: (topic) => identityAllows(sub.identity, topic),
      authorize: authorize ? (topic) => authorize(sub, topic) : undefined,
      isSubscribed: (topic) => this.isSubscribed(sub.id, topic),
      currentCount: this.registry.count(sub.id) + this.groups.count(sub.id),
      maxSubscriptions: this.limits.maxSubscriptions,
      topics:
        this.limits.maxTopics === undefined
          ? undefined
          : {
              exists: (topic) => this.held(topic),
              // Topics held both ways are counted twice: an over-count keeps the bound safe.
              count: this.registry.topicCount() + this.groups.topicCount(),
              max: this.limits.maxTopics,
            },
    });
  }

  /** Sends every queued publication now (before a subscribe that replays: no duplicates). */
  flush(): void {
    this.fanout.flush();
  }

  /** Subscribed plainly or as a queue-group member. */
  isSubscribed(connId: string, topic: string): boolean {
    return this.registry.has(connId, topic) || this.groups.groupOf(connId, topic) !== undefined;
  }

  /**
   * Handles a client's request (validation, ACL, hook, limit). Sync unless the hook is async.
   * The caller checks `sub.closed` is still false after an await before trusting the outcome.
   */
  handleRequest(
    sub: Subscriber,
    req: SubscriptionRequest,
  ): SubscriptionOutcome | Promise<SubscriptionOutcome> {
    if (req.action === 'unsubscribe') {
      const { accepted, failed } = checkUnsubscribe(req.topics, validateTopicName);
      this.unsubscribe(sub, accepted);
      return outcome('unsubscribe', accepted, failed);
    }
    const checked = this.checkSubscribe(sub, req.topics);
    const apply = (r: { accepted: string[]; failed: FailedTopic[] }) => {
      if (!sub.closed) this.subscribe(sub, r.accepted, req.queueGroup);
      const out = outcome('subscribe', r.accepted, r.failed);
      if (req.queueGroup !== undefined) out.queue_group = req.queueGroup;
      return out;
    };
    return checked instanceof Promise ? checked.then(apply) : apply(checked);
  }

  /**
   * Queues a publication; returns how many local subscribers it will reach (plain subscribers
   * plus one per queue group).
   */
  publish(topic: string, envelope: Envelope): number {
    const count = this.deliveries(topic);
    this.fanout.enqueue(topic, envelope);
    return count;
  }

  /** Queues a publication stamped already (the engine paths); returns the local delivery count. */
  deliverStamped(topic: string, s: Stamped): number {
    const count = this.deliveries(topic);
    this.fanout.enqueueStamped(topic, s);
    return count;
  }

  /** Plain subscribers plus one delivery per queue group on `topic`. */
  private deliveries(topic: string): number {
    let count = this.registry.subscriberCount(topic);
    if (this.groups.hasTopic(topic)) for (const _ of this.groups.groupsOn(topic)) count++;
    return count;
  }

  /** Queues a frame for every connection; returns how many it will reach. */
  publishAll(envelope: Envelope, connectionCount: number): number {
    if (connectionCount > 0) this.fanout.enqueue(ALL_TOPIC, envelope);
    return connectionCount;
  }

  /** Every topic the connection holds, plain or in a queue group. */
  topicsOf(connId: string): string[] {
    const plain = this.registry.topicsOf(connId);
    const grouped = this.groups.topicsOf(connId);
    return grouped.length === 0 ? plain : [...plain, ...grouped];
  }

  topicCount(): number {
    return this.registry.topicCount();
  }
}

function outcome(
  action: 'subscribe' | 'unsubscribe',
  accepted: string[],
  failed: FailedTopic[],
): SubscriptionOutcome {
  return { action, success: failed.length === 0, success_topics: accepted, failed_topics: failed };
}
