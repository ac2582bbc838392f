import { describe, expect, it } from 'vitest';
import { TopicRegistry } from './topic-registry';

describe('TopicRegistry', () => {
  it('adds, dedups and removes', () => {
    const reg = new TopicRegistry();
    expect(reg.add('a', 't1', 'compressed')).toBe(true);
    expect(reg.add('a', 't1', 'compressed')).toBe(false);
    reg.add('b', 't1', 'none');
    expect(reg.subscriberCount('t1')).toBe(2);
    expect([...(reg.directSubscribers('t1') ?? [])]).toEqual(['b']);
    expect(reg.remove('a', 't1')).toBe(true);
    expect(reg.remove('a', 't1')).toBe(false);
    expect(reg.count('a')).toBe(0);
    expect(reg.topicCount()).toBe(1);
  });

  it('removeAll clears topics and empty entries', () => {
    const reg = new TopicRegistry();
    reg.add('a', 'x', 'none');
    reg.add('a', 'y', 'compressed');
    expect(reg.removeAll('a').sort()).toEqual(['x', 'y']);
    expect(reg.topicCount()).toBe(0);
    expect(reg.directSubscribers('x')).toBeUndefined();
    expect(reg.allDirect().size).toBe(0);
  });

  it('setVariant moves existing subscriptions between direct, plain and compressed', () => {
    const reg = new TopicRegistry();
    reg.add('a', 'x', 'compressed');
    reg.add('a', 'y', 'compressed');
    reg.add('b', 'x', 'plain');
    expect(reg.variantOf('a')).toBe('compressed');
    expect(reg.variantOf('b')).toBe('plain');
    expect(reg.plainSubscriberCount('x')).toBe(1);
    reg.setVariant('a', 'none');
    expect(reg.directSubscribers('x')?.has('a')).toBe(true);
    expect(reg.directSubscribers('y')?.has('a')).toBe(true);
    expect(reg.allDirect().has('a')).toBe(true);
    reg.setVariant('a', 'plain');
    expect(reg.directSubscribers('x')).toBeUndefined();
    expect(reg.allDirect().has('a')).toBe(false);
    expect(reg.plainSubscriberCount('x')).toBe(2);
    expect(reg.plainSubscriberCount('y')).toBe(1);
    reg.setVariant('a', 'compressed');
    expect(reg.plainSubscriberCount('x')).toBe(1);
    expect(reg.variantOf('a')).toBe('compressed');
    expect(reg.subscriberCount('x')).toBe(2);
  });

  it('remove and removeAll forget a plain subscriber', () => {
    const reg = new TopicRegistry();
    reg.add('b', 'x', 'plain');
    reg.add('b', 'z', 'plain');
    expect(reg.remove('b', 'x')).toBe(true);
    expect(reg.plainSubscriberCount('x')).toBe(0);
    expect(reg.removeAll('b')).toEqual(['z']);
    expect(reg.plainSubscriberCount('z')).toBe(0);
    expect(reg.variantOf('b')).toBe('compressed'); // a closed connection leaves nothing behind
  });
});
