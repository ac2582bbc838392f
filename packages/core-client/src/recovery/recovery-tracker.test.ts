import { describe, expect, it } from 'vitest';
import { RecoveryTracker, recoveryFromJSON, recoveryToJSON } from './recovery-tracker';

const E1 = 'a1b2c3d4';
const E2 = 'deadbeef';

describe('RecoveryTracker.observe', () => {
  it('takes the first message of a stream as baseline, then delivers in order', () => {
    const t = new RecoveryTracker();
    expect(t.observe('news', E1, 5)).toBe('deliver');
    expect(t.position('news', E1)).toBe(5);
    expect(t.observe('news', E1, 6)).toBe('deliver');
    expect(t.position('news', E1)).toBe(6);
  });

  it('drops duplicates (o ≤ last) without moving', () => {
    const t = new RecoveryTracker();
    t.observe('news', E1, 0);
    t.observe('news', E1, 1);
    expect(t.observe('news', E1, 1)).toBe('duplicate');
    expect(t.observe('news', E1, 0)).toBe('duplicate');
    expect(t.position('news', E1)).toBe(1);
  });

  it('reports a gap without advancing, and delivers once the missing one arrives', () => {
    const t = new RecoveryTracker();
    t.observe('news', E1, 3);
    expect(t.observe('news', E1, 6)).toBe('gap');
    expect(t.position('news', E1)).toBe(3);
    expect(t.observe('news', E1, 6)).toBe('gap');
    // the replay arrives in offset order
    expect([4, 5, 6].map((o) => t.observe('news', E1, o))).toEqual(['deliver', 'deliver', 'deliver']);
    expect(t.observe('news', E1, 6)).toBe('duplicate'); // live copy overlapping the replay
  });

  it('keeps separate positions per epoch and per topic', () => {
    const t = new RecoveryTracker();
    t.observe('news', E1, 10);
    expect(t.observe('news', E2, 0)).toBe('deliver');
    expect(t.observe('news', E1, 11)).toBe('deliver');
    expect(t.observe('news', E2, 0)).toBe('duplicate');
    expect(t.observe('chat', E1, 11)).toBe('deliver');
    expect(t.observe('chat', E1, 13)).toBe('gap');
    expect(t.positions()).toEqual({
      news: [
        { epoch: E1, offset: 11 },
        { epoch: E2, offset: 0 },
      ],
      chat: [{ epoch: E1, offset: 11 }],
    });
  });

  it('does not track malformed stamps', () => {
    const t = new RecoveryTracker();
    expect(t.observe('news', '', 1)).toBe('deliver');
    expect(t.observe('news', E1, -1)).toBe('deliver');
    expect(t.observe('news', E1, 1.5)).toBe('deliver');
    expect(t.observe('news', E1, Number.NaN)).toBe('deliver');
    expect(t.topics()).toEqual([]);
  });

  it('forgets the least recently advanced epoch beyond maxEpochsPerTopic', () => {
    const t = new RecoveryTracker({ maxEpochsPerTopic: 2 });
    t.observe('news', 'e1', 0);
    t.observe('news', 'e2', 0);
    t.observe('news', 'e1', 1); // e1 now more recent than e2
    t.observe('news', 'e3', 0);
    expect(t.position('news', 'e2')).toBeUndefined();
    expect(t.position('news', 'e1')).toBe(1);
    expect(t.position('news', 'e3')).toBe(0);
  });
});

describe('RecoveryTracker wire field and rebaseline', () => {
  it('recoveryField: an object for one stream, an array for several, only known topics', () => {
    const t = new RecoveryTracker();
    t.observe('news', E1, 7);
    t.observe('chat', E1, 1);
    t.observe('chat', E2, 9);
    expect(t.recoveryField(['news', 'chat', 'empty'])).toEqual({
      news: { epoch: E1, offset: 7 },
      chat: [
        { epoch: E2, offset: 9 },
        { epoch: E1, offset: 1 },
      ],
    });
    expect(t.recoveryField(['news'])).toEqual({ news: { epoch: E1, offset: 7 } });
    expect(t.recoveryField([])).toEqual({});
  });

  it('returns fresh data that callers cannot use to mutate the tracker', () => {
    const t = new RecoveryTracker();
    t.observe('news', E1, 7);
    const p = t.positions();
    (p.news as { epoch: string; offset: number }[])[0]!.offset = 100;
    expect(t.position('news', E1)).toBe(7);
  });

  it('rebaseline replaces the topic streams (the next live message is not a gap)', () => {
    const t = new RecoveryTracker();
    t.observe('news', E1, 100);
    t.observe('news', 'old2', 3);
    t.rebaseline('news', E2, 41);
    expect(t.positions(['news'])).toEqual({ news: [{ epoch: E2, offset: 41 }] });
    expect(t.observe('news', E2, 42)).toBe('deliver');
    expect(t.observe('news', E2, 41)).toBe('duplicate');
  });

  it('rebaseline to -1 (empty stream) delivers offset 0 next', () => {
    const t = new RecoveryTracker();
    t.rebaseline('news', E2, -1);
    expect(t.observe('news', E2, 1)).toBe('gap');
    expect(t.observe('news', E2, 0)).toBe('deliver');
  });

  it('rebaseline can keep the other epochs and rejects bad input', () => {
    const t = new RecoveryTracker();
    t.observe('news', E1, 5);
    t.rebaseline('news', E2, 2, { keepOtherEpochs: true });
    expect(t.position('news', E1)).toBe(5);
    expect(t.position('news', E2)).toBe(2);
    expect(() => t.rebaseline('news', '', 1)).toThrow(RangeError);
    expect(() => t.rebaseline('news', E1, -2)).toThrow(RangeError);
  });
});

describe('RecoveryTracker in-flight, forget and persistence', () => {
  it('tracks one recovery in flight per topic', () => {
    const t = new RecoveryTracker();
    expect(t.recoveryInFlight('news')).toBe(false);
    t.markRecovering('news', true);
    t.markRecovering('chat', true);
    expect(t.recoveryInFlight('news')).toBe(true);
    t.markRecovering('news', false);
    expect(t.recoveryInFlight('news')).toBe(false);
    expect(t.recoveryInFlight('chat')).toBe(true);
    t.clearRecovering();
    expect(t.recoveryInFlight('chat')).toBe(false);
  });

  it('forget drops positions and the in-flight flag', () => {
    const t = new RecoveryTracker();
    t.observe('news', E1, 1);
    t.markRecovering('news', true);
    t.forget('news');
    expect(t.positions()).toEqual({});
    expect(t.recoveryInFlight('news')).toBe(false);
    expect(t.observe('news', E1, 9)).toBe('deliver'); // new baseline
  });

  it('round-trips through JSON, keeping recency order and dropping in-flight flags', () => {
    const t = new RecoveryTracker();
    t.observe('news', E1, 1);
    t.observe('news', E2, 4);
    t.observe('chat', E1, 0);
    t.markRecovering('news', true);
    const json = JSON.parse(JSON.stringify(recoveryToJSON(t)));
    expect(json).toEqual({
      v: 1,
      topics: {
        news: [
          { epoch: E2, offset: 4 },
          { epoch: E1, offset: 1 },
        ],
        chat: [{ epoch: E1, offset: 0 }],
      },
    });
    const back = recoveryFromJSON(json);
    expect(back.positions()).toEqual(t.positions());
    expect(back.recoveryInFlight('news')).toBe(false);
    expect(back.observe('news', E2, 4)).toBe('duplicate');
    expect(back.observe('news', E2, 5)).toBe('deliver');
  });

  it('fromJSON skips garbage instead of throwing', () => {
    expect(recoveryFromJSON(null).topics()).toEqual([]);
    expect(recoveryFromJSON('x').topics()).toEqual([]);
    expect(recoveryFromJSON({ v: 2, topics: { a: [{ epoch: 'e', offset: 1 }] } }).topics()).toEqual([]);
    const t = recoveryFromJSON({
      v: 1,
      topics: { a: 'nope', b: [null, { epoch: 'e', offset: 'x' }, { epoch: 'e', offset: 3 }] },
    });
    expect(t.positions()).toEqual({ b: [{ epoch: 'e', offset: 3 }] });
  });
});

describe('RecoveryTracker with Object.prototype names as topics (issue 18)', () => {
  it('positions and the recovery field hold `__proto__`, `constructor`, `toString` as plain entries', () => {
    const tracker = new RecoveryTracker();
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    for (const [i, t] of names.entries()) tracker.observe(t, 'a1b2c3d4', i);
    const positions = tracker.positions();
    const field = tracker.recoveryField(names);
    for (const [i, t] of names.entries()) {
      expect(Object.hasOwn(positions, t)).toBe(true);
      expect(positions[t]).toEqual([{ epoch: 'a1b2c3d4', offset: i }]);
      expect(field[t]).toEqual({ epoch: 'a1b2c3d4', offset: i });
    }
    // what goes on the wire names every topic
    expect(Object.keys(JSON.parse(JSON.stringify(field))).sort()).toEqual([...names].sort());
    // an unknown topic is not "known" through the prototype
    expect(tracker.positions(['valueOf']).valueOf).toBeUndefined();
  });
});
