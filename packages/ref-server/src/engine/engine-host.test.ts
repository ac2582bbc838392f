import { buildEnvelope } from '@wse/core-client/protocol';
import { describe, expect, it } from 'vitest';
import { RecoveryStore } from '../recovery/recovery-store';
import { TopicSequencer } from '../recovery/topic-sequencer';
import { Fanout } from '../topics/fanout';
import { TopicRegistry } from '../topics/topic-registry';
import { type Subscriber, TopicService } from '../topics/topic-service';
import { MemoryEngine } from './engine';
import { createEngineHost } from './engine-host';

function setup(
  log = new RecoveryStore({}, { randomEpoch: () => 'aaaaaaaa' }) as RecoveryStore | TopicSequencer,
) {
  const registry = new TopicRegistry();
  const published: Array<[string, string | Uint8Array]> = [];
  let scheduled: (() => void) | undefined;
  const fanout = new Fanout({
    transport: { publish: (topic, data) => published.push([topic, data]) > 0 },
    registry,
    target: () => undefined,
    allConnections: () => [],
    compressionThreshold: 1024,
    maxBackpressure: 100,
    onSkipped: () => {},
    onDelivered: () => {},
    schedule: (fn) => {
      scheduled = fn;
    },
  });
  fanout.stamp = (topic, env) => log.stamp(topic, env);
  const topics = new TopicService(registry, fanout, { maxSubscriptions: 100 });
  const interest: Array<[string, boolean]> = [];
  topics.onInterest = (topic, present) => interest.push([topic, present]);
  const refused: string[] = [];
  const host = createEngineHost({ nodeId: 'me', log, topics, onRefused: (_o, _t, why) => refused.push(why) });
  const sub = (id: string): Subscriber => ({
    id,
    uwsVariant: 'compressed',
    closed: false,
    handle: null,
    identity: {},
  });
  return { topics, host, published, interest, refused, sub, flush: () => scheduled?.() };
}

const remote = (o: number, topic = 'chat', epoch = 'bbbbbbbb') =>
  JSON.stringify({ ...buildEnvelope('m', { n: o }), tp: topic, e: epoch, o });

describe('engine seam', () => {
  it('reports interest once per transition on every path', () => {
    const s = setup();
    s.topics.subscribe(s.sub('a'), ['chat', 'news']);
    s.topics.subscribe(s.sub('b'), ['chat']);
    s.topics.unsubscribe(s.sub('a'), ['chat']);
    s.topics.detach('b');
    s.topics.detach('a');
    expect(s.interest).toEqual([
      ['chat', true],
      ['news', true],
      ['chat', false],
      ['news', false],
    ]);
  });

  it('memory engine stamps locally and delivers in one uWS publish', () => {
    const s = setup();
    s.topics.subscribe(s.sub('a'), ['chat']);
    const engine = new MemoryEngine(s.host);
    expect(engine.publish('chat', buildEnvelope('m', { x: 1 }))).toBe(1);
    s.flush();
    expect(s.published).toHaveLength(1);
    expect(JSON.parse(s.published[0]?.[1] as string)).toMatchObject({ tp: 'chat', e: 'aaaaaaaa', o: 0 });
  });

  it('delivers a remote publication with the origin stamp, verbatim, once', () => {
    const s = setup();
    s.topics.subscribe(s.sub('a'), ['chat']);
    const json = remote(0);
    expect(s.host.deliverRemote('node-b', 'chat', json)).toBe(1);
    expect(s.host.deliverRemote('node-b', 'chat', json)).toBe(-1); // duplicate by another route
    s.flush();
    expect(s.published).toEqual([['chat', json]]);
    expect(s.refused).toEqual(['duplicate or foreign stream offset']);
  });

  it('refuses malformed or misrouted remote publications', () => {
    for (const log of [new RecoveryStore({}), new TopicSequencer({ ttlSec: 60 })]) {
      const s = setup(log);
      s.topics.subscribe(s.sub('a'), ['chat']);
      expect(s.host.deliverRemote('b', 'chat', '{nope')).toBe(-1);
      expect(s.host.deliverRemote('b', 'chat', remote(0, 'other'))).toBe(-1);
      expect(s.host.deliverRemote('b', 'chat', JSON.stringify({ t: 'm', p: {}, tp: 'chat' }))).toBe(-1);
      expect(s.host.deliverRemote('b', 'chat', remote(0, 'chat', 'XYZ'))).toBe(-1);
      s.flush();
      expect(s.published).toEqual([]);
      expect(s.host.deliverRemote('b', 'chat', remote(3))).toBe(1);
    }
  });
});
