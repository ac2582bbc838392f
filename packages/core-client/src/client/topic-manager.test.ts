import { describe, expect, it } from 'vitest';
import { buildEnvelope, type Envelope } from '../protocol/envelope';
import { TopicManager } from './topic-manager';

function manager() {
  const sent: Envelope[] = [];
  const topics: string[][] = [];
  let id = 0;
  const tm = new TopicManager({
    send: (env) => sent.push(env) > 0,
    newId: () => `id-${++id}`,
    onTopics: (t) => topics.push([...t]),
    onRecoveryFailed: () => {},
    onSubscribed: () => {},
    timer: () => () => {},
    recoveryTimeoutMs: () => 10_000,
    maxTopicsPerRequest: () => undefined,
  });
  return { tm, sent, topics };
}

const pub = (tp: string, o: number) => ({ ...buildEnvelope('tick', {}), tp, e: 'aaaaaaaa', o }) as Envelope;
const reply = (p: Record<string, unknown>, cid?: string) =>
  buildEnvelope('subscription_update', p, { cid }) as Envelope;

describe('TopicManager: server-initiated unsubscribe (runtime ACL)', () => {
  it("drops the topics named by a `reason: 'acl'` unsubscribe, positions included", () => {
    const { tm, sent, topics } = manager();
    void tm.subscribe(['a', 'b']);
    tm.handleReply(reply({ action: 'subscribe', success: true, success_topics: ['a', 'b'] }, sent[0]?.cid));
    expect(tm.filter(pub('b', 0))).toBe('deliver');
    expect(tm.tracker.positions(['b']).b).toBeDefined();
    tm.handleReply(reply({ action: 'unsubscribe', success: true, success_topics: ['b'], reason: 'acl' }));
    expect(tm.topics).toEqual(['a']);
    expect(topics.at(-1)).toEqual(['a']);
    expect(tm.tracker.positions(['b']).b).toBeUndefined();
    tm.resubscribeAll();
    expect(sent.at(-1)?.p.topics).toEqual(['a']);
  });

  it('a reply to our own unsubscribe (with cid, no reason) is not treated as a revocation', () => {
    const { tm, sent } = manager();
    void tm.subscribe(['a']);
    tm.handleReply(reply({ action: 'unsubscribe', success: true, success_topics: ['a'] }, 'other'));
    expect(tm.topics).toEqual(['a']);
    expect(sent).toHaveLength(1);
  });
});

describe('TopicManager: queue groups', () => {
  it('sends queue_group, never asks to recover a group topic, and re-joins the group after a reconnect', () => {
    const { tm, sent } = manager();
    void tm.subscribe(['jobs'], { queueGroup: 'pool' });
    expect(sent[0]?.p).toMatchObject({ topics: ['jobs'], queue_group: 'pool' });
    expect(sent[0]?.p.recover).toBeUndefined();
    // Offsets jump (the other members got the rest): delivered, no recovery request.
    expect(tm.filter(pub('jobs', 0))).toBe('deliver');
    expect(tm.filter(pub('jobs', 3))).toBe('deliver');
    expect(tm.filter(pub('jobs', 3))).toBe('deliver');
    expect(sent).toHaveLength(1);
    void tm.subscribe(['news']);
    tm.resubscribeAll();
    const again = sent.slice(-2).map((e) => e.p);
    expect(again).toContainEqual({ action: 'subscribe', topics: ['jobs'], queue_group: 'pool' });
    expect(again).toContainEqual(expect.objectContaining({ topics: ['news'], recover: true }));
  });
});
