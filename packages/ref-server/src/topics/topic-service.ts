import type { Envelope } from '@wse/core-client/protocol';
import type { VerifiedToken } from '../auth/token-verifier';
import { topicAllowed, validateTopicName } from '../auth/topic-acl';
import type { SocketHandle } from '../transport/transport';
import { ALL_TOPIC, type Fanout, type Stamped } from './fanout';
import {
  checkSubscribe,
  checkUnsubscribe,
  type FailedTopic,
  type SubscriptionRequest,
} from './subscription-check';
import type { TopicRegistry } from './topic-registry';

/** What the topic layer needs to know about a connection. */
export interface Subscriber {
  readonly id: string;
  readonly direct: boolean;
  readonly closed: boolean;
  readonly handle: SocketHandle | null;
  readonly identity: { acl?: VerifiedToken['topics'] };
}

export interface SubscriptionOutcome {
  action: 'subscribe' | 'unsubscribe';
  success: boolean;
  success_topics: string[];
  failed_topics: FailedTopic[];
}

/**
 * Subscriptions and publications. Plain-JSON subscribers are also subscribed in uWS (so
 * `app.publish` reaches them); direct subscribers live only in the registry (the fan-out sends them
 * their own frames). `makeDirect` moves a connection from the first kind to the second.
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
  ) {}

  /** A new connection (msgpack from the query string is direct from the start). */
  attach(sub: Subscriber): void {
    if (sub.direct) this.registry.setDirect(sub.id, true);
  }

  /** The connection now needs its own frames (E2E agreed or msgpack chosen in client_hello). */
  makeDirect(sub: Subscriber): void {
    for (const topic of this.registry.topicsOf(sub.id)) sub.handle?.unsubscribe(topic);
    this.registry.setDirect(sub.id, true);
  }

  /**
   * The connection can ride on uWS's shared frames again (the send gate opened at authentication):
   * subscribe it in uWS to the topics it already has.
   */
  makeShared(sub: Subscriber): void {
    if (sub.direct) return;
    for (const topic of this.registry.topicsOf(sub.id)) sub.handle?.subscribe(topic);
    this.registry.setDirect(sub.id, false);
  }

  /** Subscribes without checks (server-side API); returns the topics that were new. */
  subscribe(sub: Subscriber, topics: string[]): string[] {
    const added: string[] = [];
    for (const topic of topics) {
      if (!this.registry.add(sub.id, topic, sub.direct)) continue;
      if (!sub.direct) sub.handle?.subscribe(topic);
      added.push(topic);
      if (this.onInterest && this.registry.subscriberCount(topic) === 1) this.onInterest(topic, true);
    }
    return added;
  }

  /** Unsubscribes from `topics` (all when omitted); returns the topics that were removed. */
  unsubscribe(sub: Subscriber, topics?: string[]): string[] {
    const list = topics ?? this.registry.topicsOf(sub.id);
    const removed: string[] = [];
    for (const topic of list) {
      if (!this.registry.remove(sub.id, topic)) continue;
      if (!sub.direct) sub.handle?.unsubscribe(topic);
      removed.push(topic);
      this.lostInterest(topic);
    }
    if (removed.length > 0) this.onLeft?.(sub.id, removed, false);
    this.emptied(removed);
    return removed;
  }

  /** Connection closed: uWS already forgot it, the registry must too. */
  detach(connId: string): string[] {
    const topics = this.registry.removeAll(connId);
    for (const topic of topics) this.lostInterest(topic);
    this.onLeft?.(connId, topics, true);
    this.emptied(topics);
    return topics;
  }

  private lostInterest(topic: string): void {
    if (this.onInterest && this.registry.subscriberCount(topic) === 0) this.onInterest(topic, false);
  }

  /** Every topic with at least one local subscriber. */
  topics(): string[] {
    return this.registry.topics();
  }

  subscriberCount(topic: string): number {
    return this.registry.subscriberCount(topic);
  }

  private emptied(topics: readonly string[]): void {
    if (!this.onTopicEmpty) return;
    for (const topic of topics) if (this.registry.subscriberCount(topic) === 0) this.onTopicEmpty(topic);
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
      aclAllows: (topic) => topicAllowed(sub.identity.acl, topic),
      authorize: authorize ? (topic) => authorize(sub, topic) : undefined,
      isSubscribed: (topic) => this.registry.has(sub.id, topic),
      currentCount: this.registry.count(sub.id),
      maxSubscriptions: this.limits.maxSubscriptions,
      topics:
        this.limits.maxTopics === undefined
          ? undefined
          : {
              exists: (topic) => this.registry.subscriberCount(topic) > 0,
              count: this.registry.topicCount(),
              max: this.limits.maxTopics,
            },
    });
  }

  /** Sends every queued publication now (before a subscribe that replays: no duplicates). */
  flush(): void {
    this.fanout.flush();
  }

  isSubscribed(connId: string, topic: string): boolean {
    return this.registry.has(connId, topic);
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
      if (!sub.closed) this.subscribe(sub, r.accepted);
      return outcome('subscribe', r.accepted, r.failed);
    };
    return checked instanceof Promise ? checked.then(apply) : apply(checked);
  }

  /** Queues a publication; returns how many local subscribers it will reach. */
  publish(topic: string, envelope: Envelope): number {
    const count = this.registry.subscriberCount(topic);
    this.fanout.enqueue(topic, envelope);
    return count;
  }

  /** Queues a publication stamped already (the engine paths); returns the local subscriber count. */
  deliverStamped(topic: string, s: Stamped): number {
    const count = this.registry.subscriberCount(topic);
    this.fanout.enqueueStamped(topic, s);
    return count;
  }

  /** Queues a frame for every connection; returns how many it will reach. */
  publishAll(envelope: Envelope, connectionCount: number): number {
    if (connectionCount > 0) this.fanout.enqueue(ALL_TOPIC, envelope);
    return connectionCount;
  }

  topicsOf(connId: string): string[] {
    return this.registry.topicsOf(connId);
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
