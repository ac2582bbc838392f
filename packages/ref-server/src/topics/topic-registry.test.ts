import { describe, expect, it } from 'vitest';
import { TopicRegistry } from './topic-registry';

describe('TopicRegistry', () => {
  it('adds, dedups and removes', () => {
    const reg = new TopicRegistry();
    expect(reg.add('a', 't1', false)).toBe(true);
    expect(reg.add('a', 't1', false)).toBe(false);
    reg.add('b', 't1', true);
    expect(reg.subscriberCount('t1')).toBe(2);
    expect([...(reg.directSubscribers('t1') ?? [])]).toEqual(['b']);
    expect(reg.remove('a', 't1')).toBe(true);
    expect(reg.remove('a', 't1')).toBe(false);
    expect(reg.count('a')).toBe(0);
    expect(reg.topicCount()).toBe(1);
  });

  it('removeAll clears topics and empty entries', () => {
    const reg = new TopicRegistry();
    reg.add('a', 'x', true);
    reg.add('a', 'y', false);
    expect(reg.removeAll('a').sort()).toEqual(['x', 'y']);
    expect(reg.topicCount()).toBe(0);
    expect(reg.directSubscribers('x')).toBeUndefined();
    expect(reg.allDirect().size).toBe(0);
  });

  it('setDirect moves existing subscriptions', () => {
    const reg = new TopicRegistry();
    reg.add('a', 'x', false);
    reg.setDirect('a', true);
    expect(reg.directSubscribers('x')?.has('a')).toBe(true);
    expect(reg.allDirect().has('a')).toBe(true);
    reg.setDirect('a', false);
    expect(reg.directSubscribers('x')).toBeUndefined();
  });
});
