import { describe, expect, it } from 'vitest';
import {
  checkSubscribe,
  checkUnsubscribe,
  parseSubscriptionRequest,
  type TopicChecks,
} from './subscription-check';

const validateName = (t: unknown) =>
  typeof t === 'string' && t.length > 0 && !/[\n]/.test(t) ? null : 'bad topic';

function checks(extra: Partial<TopicChecks> = {}): TopicChecks {
  return {
    validateName,
    aclAllows: (t) => !t.startsWith('secret'),
    isSubscribed: () => false,
    currentCount: 0,
    maxSubscriptions: 3,
    ...extra,
  };
}

describe('parseSubscriptionRequest', () => {
  it('parses and defaults the action', () => {
    expect(parseSubscriptionRequest({ topics: ['a'] }, 10)).toEqual({
      ok: true,
      request: { action: 'subscribe', topics: ['a'], recover: false },
    });
    expect(parseSubscriptionRequest({ topic: 'a', action: 'unsubscribe' }, 10)).toMatchObject({
      ok: true,
      request: { action: 'unsubscribe', topics: ['a'] },
    });
  });

  it('refuses bad actions, missing topics and huge requests', () => {
    expect(parseSubscriptionRequest({ action: 'x', topics: [] }, 10)).toMatchObject({
      ok: false,
      code: 'INVALID_ACTION',
    });
    expect(parseSubscriptionRequest({ topics: 'a' }, 10)).toMatchObject({
      ok: false,
      code: 'INVALID_SUBSCRIPTION',
    });
    const many = Array.from({ length: 10_000 }, (_, i) => `t${i}`);
    expect(parseSubscriptionRequest({ topics: many }, 128)).toMatchObject({
      ok: false,
      code: 'TOO_MANY_SUBSCRIPTIONS',
    });
  });
});

describe('checkSubscribe', () => {
  it('applies name, ACL and limit checks in order', () => {
    const r = checkSubscribe(['a', 'a', 'bad\n', 'secret.x', 'b', 'c', 'd', 42], checks());
    expect(r).toEqual({
      accepted: ['a', 'b', 'c'],
      failed: [
        { topic: 'bad\n', code: 'INVALID_SUBSCRIPTION', message: 'bad topic' },
        { topic: 'secret.x', code: 'FORBIDDEN', message: expect.any(String) },
        { topic: 'd', code: 'TOO_MANY_SUBSCRIPTIONS', message: 'limit is 3' },
        { topic: '<number>', code: 'INVALID_SUBSCRIPTION', message: 'bad topic' },
      ],
    });
  });

  it('re-subscribing does not count against the limit', () => {
    const r = checkSubscribe(['a'], checks({ currentCount: 3, isSubscribed: (t) => t === 'a' }));
    expect(r).toEqual({ accepted: ['a'], failed: [] });
  });

  it('runs the async hook; throwing counts as refusal', async () => {
    const r = await checkSubscribe(
      ['ok', 'no', 'boom'],
      checks({
        authorize: async (t) => {
          if (t === 'boom') throw new Error('x');
          return t === 'ok';
        },
      }),
    );
    expect(r.accepted).toEqual(['ok']);
    expect(r.failed.map((f) => [f.topic, f.code])).toEqual([
      ['no', 'FORBIDDEN'],
      ['boom', 'FORBIDDEN'],
    ]);
  });
});

describe('checkUnsubscribe', () => {
  it('splits valid and invalid names', () => {
    expect(checkUnsubscribe(['a', 'a', null], validateName)).toEqual({
      accepted: ['a'],
      failed: [{ topic: '<null>', code: 'INVALID_SUBSCRIPTION', message: 'bad topic' }],
    });
  });
});
