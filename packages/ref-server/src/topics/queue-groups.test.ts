import { describe, expect, it } from 'vitest';
import { QueueGroups } from './queue-groups';

describe('QueueGroups', () => {
  it('picks members round-robin and keeps the others in turn when one leaves', () => {
    const g = new QueueGroups();
    for (const id of ['a', 'b', 'c']) g.join(id, 'jobs', 'w');
    const all = () => true;
    expect([1, 2, 3, 4].map(() => g.pick('jobs', 'w', all))).toEqual(['a', 'b', 'c', 'a']);
    g.leave('a', 'jobs'); // cursor was on b: b stays next
    expect([1, 2, 3].map(() => g.pick('jobs', 'w', all))).toEqual(['b', 'c', 'b']);
    g.leave('c', 'jobs'); // cursor was on c (removed, at the end): wraps to b
    expect(g.pick('jobs', 'w', all)).toBe('b');
  });

  it('skips ineligible members and returns undefined when none is eligible', () => {
    const g = new QueueGroups();
    for (const id of ['a', 'b', 'c']) g.join(id, 'jobs', 'w');
    expect(g.pick('jobs', 'w', (id) => id !== 'a')).toBe('b');
    expect(g.pick('jobs', 'w', (id) => id !== 'c')).toBe('a');
    expect(g.pick('jobs', 'w', () => false)).toBeUndefined();
    expect(g.pick('jobs', 'nope', () => true)).toBeUndefined();
  });

  it('keeps one group per (connection, topic): joining another group moves it', () => {
    const g = new QueueGroups();
    expect(g.join('a', 'jobs', 'w1')).toBe(true);
    expect(g.join('a', 'jobs', 'w1')).toBe(false);
    expect(g.join('a', 'jobs', 'w2')).toBe(true);
    expect(g.stats('jobs')).toEqual({ w2: 1 });
    expect(g.groupOf('a', 'jobs')).toBe('w2');
  });

  it('forgets empty groups and topics, reports interest changes, and leaveAll cleans a connection', () => {
    const g = new QueueGroups();
    const interest: string[] = [];
    g.onInterest = (topic, group, present) => interest.push(`${present ? '+' : '-'}${topic}/${group}`);
    g.join('a', 'jobs', 'w');
    g.join('b', 'jobs', 'w');
    g.join('a', 'mail', 'm');
    expect(g.count('a')).toBe(2);
    expect(g.leaveAll('a').sort()).toEqual(['jobs', 'mail']);
    expect(g.hasTopic('mail')).toBe(false);
    expect(g.stats('jobs')).toEqual({ w: 1 });
    g.leave('b', 'jobs');
    expect(g.hasTopic('jobs')).toBe(false);
    expect(g.topicsOf('a')).toEqual([]);
    expect(interest).toEqual(['+jobs/w', '+mail/m', '-mail/m', '-jobs/w']);
  });
});
