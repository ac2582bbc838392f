/**
 * Who is subscribed to what. Pure bookkeeping, no I/O.
 *
 * Invariant: a connection is "direct" when it needs its own frame (E2E or msgpack); the registry keeps
 * those per topic in a separate set so a publish touches only them in JS, while uWS's own `publish`
 * reaches every plain-JSON subscriber in C++.
 *
 * @example
 * const reg = new TopicRegistry();
 * reg.add('c1', 'chat', false);
 * reg.subscriberCount('chat'); // 1
 */
export class TopicRegistry {
  /** A connection's topics: the topic itself while it has one (the common case), a Set from two on. */
  private readonly byConn = new Map<string, string | Set<string>>();
  private readonly byTopic = new Map<string, { all: Set<string>; direct: Set<string> }>();
  private readonly directConns = new Set<string>();

  /** Subscribes; returns false when the connection already had the topic. */
  add(connId: string, topic: string, direct: boolean): boolean {
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
      entry = { all: new Set(), direct: new Set() };
      this.byTopic.set(topic, entry);
    }
    entry.all.add(connId);
    if (direct) {
      entry.direct.add(connId);
      this.directConns.add(connId);
    }
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
      if (entry.all.size === 0) this.byTopic.delete(topic);
    }
    return true;
  }

  /** Drops every subscription of a connection (on close); returns the topics it had. */
  removeAll(connId: string): string[] {
    const topics = this.topicsOf(connId);
    for (const topic of topics) this.remove(connId, topic);
    this.directConns.delete(connId);
    return topics;
  }

  /** Moves a connection's existing subscriptions between the uWS path and the direct path. */
  setDirect(connId: string, direct: boolean): void {
    if (direct) this.directConns.add(connId);
    else this.directConns.delete(connId);
    for (const topic of this.topicsOf(connId)) {
      const entry = this.byTopic.get(topic);
      if (!entry) continue;
      if (direct) entry.direct.add(connId);
      else entry.direct.delete(connId);
    }
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

  /** Every direct connection, subscribed or not (broadcastAll reaches them one by one). */
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
