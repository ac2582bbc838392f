import type { UwsVariant } from './uws-topic';

interface TopicEntry {
  all: Set<string>;
  /** Subscribers the fan-out sends to one by one (variant `none`). */
  direct: Set<string>;
  /** Subscribers on uWS under the topic's uncompressed name (variant `plain`). */
  plain: Set<string>;
}

/**
 * Who is subscribed to what, and how each connection rides uWS ({@link UwsVariant}). Pure
 * bookkeeping, no I/O.
 *
 * Invariant: a connection is "direct" (variant `none`) when it needs its own frame (E2E, msgpack,
 * or not admitted yet); the registry keeps those per topic in a separate set so a publish touches
 * only them in JS. Every other subscriber is reached by uWS's own `publish` in C++: `compressed`
 * ones under the topic's name, `plain` ones (no `C:`) under its second name. The variant recorded
 * here is the one the connection is subscribed in uWS with.
 *
 * @example
 * const reg = new TopicRegistry();
 * reg.add('c1', 'chat', 'compressed');
 * reg.subscriberCount('chat'); // 1
 */
export class TopicRegistry {
  /** A connection's topics: the topic itself while it has one (the common case), a Set from two on. */
  private readonly byConn = new Map<string, string | Set<string>>();
  private readonly byTopic = new Map<string, TopicEntry>();
  private readonly directConns = new Set<string>();
  private readonly plainConns = new Set<string>();

  /** Subscribes; returns false when the connection already had the topic. */
  add(connId: string, topic: string, variant: UwsVariant = 'compressed'): boolean {
    const topics = this.byConn.get(connId);
    if (topics === undefined) this.byConn.set(connId, topic);
    else if (typeof topics === 'string') {
      if (topics === topic) return false;
      this.byConn.set(connId, new Set([topics, topic]));
    } else {
      if (topics.has(topic)) return false;
      topics.add(topic);
    }
    let entry = this.byTopic.get(topic);
    if (!entry) {
      entry = { all: new Set(), direct: new Set(), plain: new Set() };
      this.byTopic.set(topic, entry);
    }
    entry.all.add(connId);
    this.record(connId, variant);
    if (variant === 'none') entry.direct.add(connId);
    else if (variant === 'plain') entry.plain.add(connId);
    return true;
  }

  /** Unsubscribes; returns false when the connection did not have the topic. */
  remove(connId: string, topic: string): boolean {
    const topics = this.byConn.get(connId);
    if (topics === undefined) return false;
    if (typeof topics === 'string') {
      if (topics !== topic) return false;
      this.byConn.delete(connId);
    } else {
      if (!topics.delete(topic)) return false;
      if (topics.size === 0) this.byConn.delete(connId);
    }
    const entry = this.byTopic.get(topic);
    if (entry) {
      entry.all.delete(connId);
      entry.direct.delete(connId);
      entry.plain.delete(connId);
      if (entry.all.size === 0) this.byTopic.delete(topic);
    }
    return true;
  }

  /** Drops every subscription of a connection (on close); returns the topics it had. */
  removeAll(connId: string): string[] {
    const topics = this.topicsOf(connId);
    for (const topic of topics) this.remove(connId, topic);
    this.directConns.delete(connId);
    this.plainConns.delete(connId);
    return topics;
  }

  /** Moves a connection's existing subscriptions to `variant` (the caller re-subscribes in uWS). */
  setVariant(connId: string, variant: UwsVariant): void {
    this.record(connId, variant);
    for (const topic of this.topicsOf(connId)) {
      const entry = this.byTopic.get(topic);
      if (!entry) continue;
      entry.direct.delete(connId);
      entry.plain.delete(connId);
      if (variant === 'none') entry.direct.add(connId);
      else if (variant === 'plain') entry.plain.add(connId);
    }
  }

  /** The variant the connection is recorded (and subscribed in uWS) with; `compressed` by default. */
  variantOf(connId: string): UwsVariant {
    if (this.directConns.has(connId)) return 'none';
    return this.plainConns.has(connId) ? 'plain' : 'compressed';
  }

  private record(connId: string, variant: UwsVariant): void {
    if (variant === 'none') this.directConns.add(connId);
    else this.directConns.delete(connId);
    if (variant === 'plain') this.plainConns.add(connId);
    else this.plainConns.delete(connId);
  }

  topicsOf(connId: string): string[] {
    const topics = this.byConn.get(connId);
    if (topics === undefined) return [];
    return typeof topics === 'string' ? [topics] : [...topics];
  }

  has(connId: string, topic: string): boolean {
    const topics = this.byConn.get(connId);
    return typeof topics === 'string' ? topics === topic : (topics?.has(topic) ?? false);
  }

  count(connId: string): number {
    const topics = this.byConn.get(connId);
    return typeof topics === 'string' ? 1 : (topics?.size ?? 0);
  }

  subscriberCount(topic: string): number {
    return this.byTopic.get(topic)?.all.size ?? 0;
  }

  /** Subscribers that need their own frame; undefined when there are none. */
  directSubscribers(topic: string): ReadonlySet<string> | undefined {
    const direct = this.byTopic.get(topic)?.direct;
    return direct && direct.size > 0 ? direct : undefined;
  }

  /** Subscribers on uWS under the topic's uncompressed name (`compression: false` clients). */
  plainSubscriberCount(topic: string): number {
    return this.byTopic.get(topic)?.plain.size ?? 0;
  }

  /** Every direct connection, subscribed or not. */
  allDirect(): ReadonlySet<string> {
    return this.directConns;
  }

  topicCount(): number {
    return this.byTopic.size;
  }

  topics(): string[] {
    return [...this.byTopic.keys()];
  }
}
