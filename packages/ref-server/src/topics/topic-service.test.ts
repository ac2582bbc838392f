import { describe, expect, it } from 'vitest';
import type { SocketHandle } from '../transport/transport';
import { Fanout } from './fanout';
import { TopicRegistry } from './topic-registry';
import { type Subscriber, TopicService } from './topic-service';
import { type UwsVariant, uwsTopic } from './uws-topic';

/** A socket that records its uWS subscriptions (what `app.publish` would reach). */
function socket() {
  const subscribed = new Set<string>();
  const handle: SocketHandle = {
    closed: false,
    send: () => 1,
    cork: (fn) => fn(),
    end: () => {},
    bufferedAmount: () => 0,
    subscribe: (t) => subscribed.add(t),
    unsubscribe: (t) => subscribed.delete(t),
  };
  return { handle, subscribed };
}

function setup() {
  const registry = new TopicRegistry();
  const fanout = new Fanout({
    transport: { publish: () => true },
    registry,
    target: () => undefined,
    allConnections: () => [],
    compressionThreshold: 1024,
    maxBackpressure: 100,
    onSkipped: () => {},
    onDelivered: () => {},
    schedule: () => {},
  });
  const topics = new TopicService(registry, fanout, { maxSubscriptions: 100 });
  const { handle, subscribed } = socket();
  const sub: Subscriber & { uwsVariant: UwsVariant } = {
    id: 'c1',
    uwsVariant: 'compressed',
    closed: false,
    handle,
    identity: {},
  };
  return { registry, topics, sub, subscribed };
}

describe('TopicService uWS paths', () => {
  it('subscribes in uWS under the name of the variant, and moves every topic when it changes', () => {
    const { registry, topics, sub, subscribed } = setup();
    topics.subscribe(sub, ['a', 'b']);
    expect([...subscribed].sort()).toEqual(['a', 'b']);
    sub.uwsVariant = 'plain'; // client_hello said compression: false
    topics.updatePath(sub);
    expect([...subscribed].sort()).toEqual([uwsTopic('a', 'plain'), uwsTopic('b', 'plain')]);
    expect(registry.plainSubscriberCount('a')).toBe(1);
    sub.uwsVariant = 'none'; // E2E agreed: out of uWS entirely
    topics.updatePath(sub);
    expect(subscribed.size).toBe(0);
    expect(registry.directSubscribers('a')?.has('c1')).toBe(true);
    sub.uwsVariant = 'plain';
    topics.updatePath(sub);
    topics.unsubscribe(sub, ['a']);
    expect([...subscribed]).toEqual([uwsTopic('b', 'plain')]);
  });

  it('a variant change noticed at the next subscribe moves the old topics too (one name per topic)', () => {
    const { topics, sub, subscribed } = setup();
    topics.subscribe(sub, ['a']);
    sub.uwsVariant = 'plain';
    topics.subscribe(sub, ['b']);
    expect([...subscribed].sort()).toEqual([uwsTopic('a', 'plain'), uwsTopic('b', 'plain')]);
  });

  it('leaveTransport (slow consumer) drops every uWS name the connection has', () => {
    const { topics, sub, subscribed } = setup();
    sub.uwsVariant = 'plain';
    topics.attach(sub);
    topics.subscribe(sub, ['a', 'b']);
    expect(subscribed.size).toBe(2);
    topics.leaveTransport(sub);
    expect(subscribed.size).toBe(0);
  });
});
