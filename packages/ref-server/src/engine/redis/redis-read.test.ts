import { describe, expect, it } from 'vitest';
import { reconnectDelay } from './redis-link';
import { decideRecovery, parseRead, stampedFromJson } from './redis-read';
import { topicKeys } from './redis-scripts';

const json = (o: number, e = 'aaaaaaaa', tp = 'chat') =>
  JSON.stringify({ c: 'U', t: 'm', p: { o }, tp, e, o });
const entry = (o: number, e?: string) => [`0-${o + 1}`, ['d', json(o, e)]];
const read = (last: number, offsets: number[], epoch = 'aaaaaaaa') =>
  parseRead([epoch, last, offsets.map((o) => entry(o, epoch))]);

describe('Redis stream reads (pure)', () => {
  it('parses stamped JSON and refuses what is not one', () => {
    expect(stampedFromJson(json(3))).toMatchObject({ topic: 'chat', epoch: 'aaaaaaaa', offset: 3 });
    expect(stampedFromJson(json(3))?.bytes).toBe(Buffer.byteLength(json(3)));
    for (const bad of ['{', 'null', '{"t":"m"}', '{"tp":"x","e":"a"}', '{"tp":1,"e":"a","o":1}'])
      expect(stampedFromJson(bad)).toBeUndefined();
    expect(() => parseRead(['a'])).toThrow(TypeError);
    expect(() => parseRead('OK')).toThrow(TypeError);
    expect(parseRead(['aaaaaaaa', 1, [['0-1', ['d', '{bad']], entry(1)]]).entries).toHaveLength(1);
  });

  it('recovers the whole range after the position, or nothing', () => {
    const ok = decideRecovery(read(5, [3, 4, 5]), [{ epoch: 'aaaaaaaa', offset: 2 }], 500);
    expect(ok).toMatchObject({ recovered: true, count: 3, positions: [{ epoch: 'aaaaaaaa', offset: 5 }] });
    expect(ok.publications.map((p) => p.offset)).toEqual([3, 4, 5]);
    expect(decideRecovery(read(5, []), [{ epoch: 'aaaaaaaa', offset: 5 }], 500)).toMatchObject({
      recovered: true,
      count: 0,
    });
    expect(decideRecovery(read(-1, []), [{ epoch: 'aaaaaaaa', offset: -1 }], 500).recovered).toBe(true);
  });

  it('answers recovered:false with the head for every impossible case', () => {
    const fail = { recovered: false, count: 0, publications: [] };
    const pos = (offset: number, epoch = 'aaaaaaaa') => [{ epoch, offset }];
    expect(decideRecovery(read(5, [4, 5]), pos(2), 500)).toMatchObject(fail); // 3 trimmed
    expect(decideRecovery(read(5, [3, 5]), pos(2), 500)).toMatchObject(fail); // hole
    expect(decideRecovery(read(5, [3, 4, 5]), pos(2), 2)).toMatchObject(fail); // over maxMessages
    expect(decideRecovery(read(5, []), pos(2, 'bbbbbbbb'), 500)).toMatchObject(fail); // other epoch
    expect(decideRecovery(read(5, []), pos(6), 500)).toMatchObject(fail); // ahead of the stream
    expect(decideRecovery(read(5, []), pos(-2), 500)).toMatchObject(fail);
    expect(decideRecovery(read(5, []), pos(1.5), 500)).toMatchObject(fail);
    expect(decideRecovery(read(5, []), [], 500)).toMatchObject(fail);
    const two = [
      { epoch: 'aaaaaaaa', offset: 5 },
      { epoch: 'bbbbbbbb', offset: 1 },
    ];
    expect(decideRecovery(read(5, []), two, 500)).toMatchObject(fail); // Redis has one epoch
    expect(decideRecovery(read(5, [3, 4, 5]), pos(2), 500)).toMatchObject({ recovered: true }); // control
  });

  it('keys share the topic hash tag; reconnect backoff is capped with jitter', () => {
    expect(topicKeys('wse', 'a:b')).toEqual({
      meta: 'wse:t:{a:b}:m',
      stream: 'wse:t:{a:b}:s',
      channel: 'wse:t:{a:b}:c',
    });
    expect(reconnectDelay(1, () => 0)).toBe(50);
    expect(reconnectDelay(1, () => 0.999)).toBe(100);
    expect(reconnectDelay(4, () => 0)).toBe(400);
    expect(reconnectDelay(50, () => 0.999)).toBeLessThanOrEqual(5000);
    expect(reconnectDelay(50, () => 0)).toBe(2500);
  });
});
