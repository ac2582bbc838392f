/**
 * Queue groups (docs-site/protocol §4): per topic, named groups of connections; each publication to the topic
 * goes to exactly ONE member of each group, round-robin. Pure bookkeeping, no I/O.
 *
 * Invariants:
 * - a (connection, topic) pair is in at most one group, and group members are NOT in the
 *   {@link TopicRegistry} for that topic (so uWS's shared `publish` and the direct set never reach
 *   them): the fan-out sends each publication to the one member {@link QueueGroups.pick} chose;
 * - a group with no member does not exist (no empty maps are kept), so memory follows members;
 * - `pick` walks the members at most once from the cursor: O(members) worst case, O(1) usually.
 *
 * Cluster hook: {@link QueueGroups.onInterest} fires when a group appears on or disappears from a
 * topic on this node. The mesh (src/cluster/) announces that interest to its peers and installs
 * `Fanout.groupFilter` to decide, per publication, whether THIS node delivers to a group, so
 * exactly-one holds cluster-wide with the mesh (per node with Redis; README "Queue groups").
 *
 * @example
 * const groups = new QueueGroups();
 * groups.join('c1', 'jobs', 'workers');
 * groups.join('c2', 'jobs', 'workers');
 * groups.pick('jobs', 'workers', () => true); // 'c1', then 'c2', then 'c1' …
 */
export class QueueGroups {
  /** topic → group name → members in join order and the round-robin cursor. */
  private readonly byTopic = new Map<string, Map<string, { members: string[]; next: number }>>();
  /** connection → topic → group name. */
  private readonly byConn = new Map<string, Map<string, string>>();

  /**
   * A group appeared on a topic on this node (`present: true`, its first member joined) or is gone
   * (`false`, its last member left). The cluster mesh hangs its group-interest announcements here.
   */
  onInterest?: (topic: string, group: string, present: boolean) => void;

  /** Puts the connection in `group` on `topic`; false when it already was in that group. */
  join(connId: string, topic: string, group: string): boolean {
    const current = this.groupOf(connId, topic);
    if (current === group) return false;
    if (current !== undefined) this.leave(connId, topic);
    let groups = this.byTopic.get(topic);
    if (!groups) {
      groups = new Map();
      this.byTopic.set(topic, groups);
    }
    let entry = groups.get(group);
    if (!entry) {
      entry = { members: [], next: 0 };
      groups.set(group, entry);
      this.onInterest?.(topic, group, true);
    }
    entry.members.push(connId);
    let mine = this.byConn.get(connId);
    if (!mine) {
      mine = new Map();
      this.byConn.set(connId, mine);
    }
    mine.set(topic, group);
    return true;
  }

  /** Removes the connection's membership on `topic`; returns the group it left, if any. */
  leave(connId: string, topic: string): string | undefined {
    const mine = this.byConn.get(connId);
    const group = mine?.get(topic);
    if (!mine || group === undefined) return undefined;
    mine.delete(topic);
    if (mine.size === 0) this.byConn.delete(connId);
    const groups = this.byTopic.get(topic);
    const entry = groups?.get(group);
    if (!groups || !entry) return group;
    const at = entry.members.indexOf(connId);
    if (at !== -1) {
      entry.members.splice(at, 1);
      // Keep the cursor on the member that was next, so the others' turns do not shift.
      if (at < entry.next) entry.next--;
      if (entry.next >= entry.members.length) entry.next = 0;
    }
    if (entry.members.length === 0) {
      groups.delete(group);
      if (groups.size === 0) this.byTopic.delete(topic);
      this.onInterest?.(topic, group, false);
    }
    return group;
  }

  /** Drops every membership of a connection (on close); returns the topics it had. */
  leaveAll(connId: string): string[] {
    const topics = this.topicsOf(connId);
    for (const topic of topics) this.leave(connId, topic);
    return topics;
  }

  groupOf(connId: string, topic: string): string | undefined {
    return this.byConn.get(connId)?.get(topic);
  }

  topicsOf(connId: string): string[] {
    const mine = this.byConn.get(connId);
    return mine ? [...mine.keys()] : [];
  }

  count(connId: string): number {
    return this.byConn.get(connId)?.size ?? 0;
  }

  /** Topics with at least one group on this node. */
  topicCount(): number {
    return this.byTopic.size;
  }

  /** Whether any group exists on `topic` (the fan-out's "is anyone listening" check). */
  hasTopic(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  /** The group names on `topic` (live view; do not mutate while iterating). */
  groupsOn(topic: string): Iterable<string> {
    return this.byTopic.get(topic)?.keys() ?? [];
  }

  /** `{name: member count}` of `topic`, as `queue_group_stats` answers it. */
  stats(topic: string): Record<string, number> {
    const out = Object.create(null) as Record<string, number>;
    for (const [name, entry] of this.byTopic.get(topic) ?? []) out[name] = entry.members.length;
    return out;
  }

  /**
   * The next member of `group` on `topic` that `eligible` accepts (round-robin from the cursor),
   * advancing the cursor past it; undefined when no member is eligible (all over their
   * backpressure limit, say). A member refused this time simply loses this turn.
   */
  pick(topic: string, group: string, eligible: (connId: string) => boolean): string | undefined {
    const entry = this.byTopic.get(topic)?.get(group);
    if (!entry) return undefined;
    const n = entry.members.length;
    for (let i = 0; i < n; i++) {
      const at = (entry.next + i) % n;
      const id = entry.members[at] as string;
      if (!eligible(id)) continue;
      entry.next = (at + 1) % n;
      return id;
    }
    return undefined;
  }
}
