import { type Envelope, encodeFrame, ProtocolError } from '@wse/core-client/protocol';
import { describe, expect, it } from 'vitest';
import { publicationCost, STREAM_OVERHEAD as S } from './memory-cost';
import { RecoveryStore } from './recovery-store';

/** What the budget is charged for one retained publication. */
const cost = (p: { bytes: number; json: string }) => publicationCost(p.bytes, p.json.length);

type Env = { t: number };

/** Store with an injected clock and a deterministic epoch sequence (00000001, 00000002, ...). */
function setup(options: ConstructorParameters<typeof RecoveryStore>[0] = {}) {
  const clock: Env = { t: 1_000_000 };
  let n = 0;
  const store = new RecoveryStore(options, {
    now: () => clock.t,
    randomEpoch: () => (++n).toString(16).padStart(8, '0'),
  });
  return { store, clock };
}

const msg = (i: number, extra = ''): Envelope => ({ c: 'U', t: 'msg', p: { i, extra } });

describe('RecoveryStore options', () => {
  it('fills defaults', () => {
    const { store } = setup();
    expect(store.options).toEqual({
      enabled: true,
      bufferSize: 128,
      ttlSec: 300,
      maxMessages: 500,
      memoryBudget: 256 * 1024 * 1024,
    });
  });

  it('rounds bufferSize up to a power of two', () => {
    expect(setup({ bufferSize: 16 }).store.options.bufferSize).toBe(16);
    expect(setup({ bufferSize: 17 }).store.options.bufferSize).toBe(32);
    expect(setup({ bufferSize: 100 }).store.options.bufferSize).toBe(128);
    expect(setup({ bufferSize: 1000 }).store.options.bufferSize).toBe(1024);
  });

  it('throws on invalid options with a message naming the option', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ bufferSize: 15 }, /recovery\.bufferSize/],
      [{ bufferSize: 0 }, /recovery\.bufferSize/],
      [{ bufferSize: 20.5 }, /recovery\.bufferSize/],
      [{ bufferSize: 2 ** 21 }, /recovery\.bufferSize/],
      [{ ttlSec: 0 }, /recovery\.ttlSec/],
      [{ ttlSec: Number.POSITIVE_INFINITY }, /recovery\.ttlSec/],
      [{ maxMessages: 0 }, /recovery\.maxMessages/],
      [{ maxMessages: 1.5 }, /recovery\.maxMessages/],
      [{ memoryBudget: -1 }, /recovery\.memoryBudget/],
      [{ memoryBudget: Number.NaN }, /recovery\.memoryBudget/],
      [{ enabled: 'yes' }, /recovery\.enabled/],
    ];
    for (const [options, message] of cases) {
      expect(() => new RecoveryStore(options as never)).toThrow(message);
    }
  });

  it('validates what randomEpoch returns', () => {
    const store = new RecoveryStore({}, { randomEpoch: () => 'NOTHEX!!' });
    expect(() => store.stamp('a', msg(0))).toThrow(/8 lower-case hex/);
  });

  it('draws epochs from crypto by default and from random() when injected', () => {
    expect(new RecoveryStore().stamp('a', msg(0)).epoch).toMatch(/^[0-9a-f]{8}$/);
    const fixed = new RecoveryStore({}, { random: () => 0.5 });
    expect(fixed.stamp('a', msg(0)).epoch).toBe('80000000');
  });
});

describe('RecoveryStore.stamp', () => {
  it('stamps a copy with tp/e/o, offsets from 0, stored once with exact byte accounting', () => {
    const { store } = setup();
    const input: Envelope = { c: 'U', t: 'msg', p: { text: 'héllo ✓' } };
    const a = store.stamp('chat', input);
    const b = store.stamp('chat', input);
    expect(input).toEqual({ c: 'U', t: 'msg', p: { text: 'héllo ✓' } }); // not modified
    expect(a.envelope).toMatchObject({ t: 'msg', tp: 'chat', e: '00000001', o: 0 });
    expect([a.epoch, a.offset, b.offset]).toEqual(['00000001', 0, 1]);
    expect(a.json).toBe(JSON.stringify(a.envelope));
    expect(a.bytes).toBe(new TextEncoder().encode(a.json).length);
    expect(a.bytes).toBeGreaterThan(a.json.length); // multi-byte chars counted as UTF-8
    expect(Object.isFrozen(a) && Object.isFrozen(a.envelope)).toBe(true);
    expect(store.stats()).toMatchObject({ buffers: 1, messages: 2, bytes: S + cost(a) + cost(b) });
    expect(store.position('chat')).toEqual({ epoch: '00000001', offset: 1 });
  });

  it('stores the canonical envelope once: json is exactly what encodeFrame sends', () => {
    const { store } = setup();
    const input = { p: { x: 1 }, t: 'chat_message', id: 'abc', junk: true } as unknown as Envelope;
    const pub = store.stamp('a', input);
    expect(Object.keys(pub.envelope)).toEqual(['c', 't', 'p', 'id', 'tp', 'e', 'o']);
    expect(pub.envelope.c).toBe('U'); // filled by the category rule
    expect(encodeFrame(pub.envelope)).toBe(pub.json);
    expect(pub.envelope.p).toBe(input.p); // payload shared, not deep-copied
  });

  it('keeps one stream per topic', () => {
    const { store } = setup();
    store.stamp('a', msg(0));
    store.stamp('b', msg(0));
    expect(store.stamp('a', msg(1))).toMatchObject({ epoch: '00000001', offset: 1 });
    expect(store.position('b')).toEqual({ epoch: '00000002', offset: 0 });
  });

  it('stores nothing when the envelope cannot be serialized', () => {
    const { store } = setup();
    expect(() => store.stamp('a', { c: 'U', t: 'x', p: { n: 1n } })).toThrow(TypeError);
    expect(store.stats()).toMatchObject({ messages: 0, bytes: 0 });
    expect(() => store.stamp('', msg(0))).toThrow(/topic/);
  });

  it('accounting follows ring eviction', () => {
    const { store } = setup({ bufferSize: 16 });
    const pubs = Array.from({ length: 40 }, (_, i) => store.stamp('a', msg(i)));
    const retained = pubs.slice(-16).reduce((sum, p) => sum + cost(p), S);
    expect(store.stats()).toMatchObject({ messages: 16, bytes: retained });
  });
});

describe('RecoveryStore.recover', () => {
  it('1000 publications, subscriber away for 500 of them: every offset once, in order', () => {
    const { store } = setup({ bufferSize: 512, maxMessages: 500 });
    const seen: number[] = [];
    let position = store.open('feed');
    for (let i = 0; i < 1000; i++) {
      const pub = store.stamp('feed', msg(i));
      if (i === 899) {
        // reconnect right after 899 was stamped (its live copy was lost too): 400..899 missed
        const r = store.recover('feed', position);
        expect(r).toMatchObject({ recovered: true, epoch: pub.epoch, offset: 899 });
        expect(r.publications).toHaveLength(500);
        seen.push(...r.publications.map((p) => p.offset));
        position = { epoch: r.epoch, offset: r.offset };
      } else if (i < 400 || i > 899) {
        seen.push(pub.offset); // live delivery
        position = { epoch: pub.epoch, offset: pub.offset };
      }
    }
    expect(seen).toEqual(range(0, 999));
  });

  it('1000 publications into a 256 buffer: only the retained tail is recoverable', () => {
    const { store } = setup({ bufferSize: 256 });
    for (let i = 0; i < 1000; i++) store.stamp('feed', msg(i));
    expect(store.stats().messages).toBe(256);
    expect(store.streams('feed')[0]).toMatchObject({ firstOffset: 744, offset: 999 });
    const ok = store.recover('feed', { epoch: '00000001', offset: 743 });
    expect(ok.publications.map((p) => p.offset)).toEqual(range(744, 999));
    expect(ok.publications.map((p) => (p.envelope.p as { i: number }).i)).toEqual(range(744, 999));
    expect(store.recover('feed', { epoch: '00000001', offset: 742 })).toMatchObject({
      recovered: false,
      publications: [],
    });
  });

  it('recovers nothing and reports success at the head of the stream', () => {
    const { store } = setup();
    const p = store.stamp('a', msg(0));
    expect(store.recover('a', { epoch: p.epoch, offset: 0 })).toEqual({
      recovered: true,
      epoch: p.epoch,
      offset: 0,
      publications: [],
    });
  });

  it('an empty stream opened before any publication recovers from offset -1', () => {
    const { store } = setup();
    const pos = store.open('quiet');
    expect(pos).toEqual({ epoch: '00000001', offset: -1 });
    const p = store.stamp('quiet', msg(0));
    expect(p.epoch).toBe(pos.epoch);
    const [replayed] = store.recover('quiet', pos).publications;
    expect([replayed?.offset, replayed?.json, replayed?.bytes]).toEqual([p.offset, p.json, p.bytes]);
    expect(replayed?.envelope).toEqual(p.envelope); // parsed back from the text (the ring keeps no object tree)
  });

  it('gap larger than maxMessages → recovered false, zero publications, current position', () => {
    const { store } = setup({ bufferSize: 1024, maxMessages: 500 });
    for (let i = 0; i < 600; i++) store.stamp('a', msg(i));
    const r = store.recover('a', { epoch: '00000001', offset: 98 }); // 501 missed
    expect(r).toEqual({ recovered: false, epoch: '00000001', offset: 599, publications: [] });
    const ok = store.recover('a', { epoch: '00000001', offset: 99 }); // exactly 500
    expect(ok.recovered).toBe(true);
    expect(ok.publications).toHaveLength(500);
  });

  it('evicted range → recovered false, never a partial replay', () => {
    const { store } = setup({ bufferSize: 16 });
    for (let i = 0; i < 40; i++) store.stamp('a', msg(i));
    // retained: 24..39; a client at 22 needs 23 (evicted)
    expect(store.recover('a', { epoch: '00000001', offset: 22 })).toEqual({
      recovered: false,
      epoch: '00000001',
      offset: 39,
      publications: [],
    });
    expect(store.recover('a', { epoch: '00000001', offset: 23 }).publications).toHaveLength(16);
  });

  it('unknown epoch (restart) → recovered false with the new epoch', () => {
    const { store } = setup();
    store.stamp('a', msg(0));
    const r = store.recover('a', { epoch: 'cafebabe', offset: 0 });
    expect(r).toEqual({ recovered: false, epoch: '00000001', offset: 0, publications: [] });
  });

  it('unknown topic → recovered false and a fresh empty stream to baseline on', () => {
    const { store } = setup();
    const r = store.recover('never', { epoch: 'cafebabe', offset: 5 });
    expect(r).toEqual({ recovered: false, epoch: '00000001', offset: -1, publications: [] });
    expect(store.stamp('never', msg(0)).epoch).toBe('00000001');
  });

  it('no position, invalid or ahead offsets → recovered false', () => {
    const { store } = setup();
    for (let i = 0; i < 5; i++) store.stamp('a', msg(i));
    for (const offset of [5, 100, -2, 1.5, Number.NaN]) {
      expect(store.recover('a', { epoch: '00000001', offset }).recovered).toBe(false);
    }
    expect(store.recover('a', undefined)).toMatchObject({ recovered: false, offset: 4, publications: [] });
  });
});

describe('RecoveryStore memory budget', () => {
  it('publishing 2x the budget across many topics keeps accounted bytes <= budget', () => {
    const budget = 64 * 1024;
    const { store } = setup({ memoryBudget: budget, bufferSize: 64 });
    let published = 0;
    let i = 0;
    while (published < 2 * budget) {
      const pub = store.stamp(`topic-${i % 37}`, msg(i, 'x'.repeat(i % 200)));
      published += pub.bytes;
      i++;
      expect(store.stats().bytes).toBeLessThanOrEqual(budget);
    }
    const stats = store.stats();
    expect(stats.evictedBuffers).toBeGreaterThan(0);
    expect(stats.bytes).toBeGreaterThan(budget / 2); // evicts whole buffers, not everything
    // the accounted total equals the sum over live streams
    let sum = 0;
    for (let t = 0; t < 37; t++) for (const s of store.streams(`topic-${t}`)) sum += s.bytes;
    expect(sum).toBe(stats.bytes);
  });

  it('evicts the least recently written buffer, not the one being written', () => {
    const { store } = setup({ bufferSize: 16 });
    const size = cost(store.stamp('prb', msg(0))); // same-length topics and i < 10: same size
    const { store: s } = setup({ bufferSize: 16, memoryBudget: 3 * S + size * 4 });
    s.stamp('old', msg(1)); // epoch 1
    s.stamp('mid', msg(2)); // epoch 2
    s.stamp('old', msg(3)); // old is now more recent than mid
    s.stamp('new', msg(4)); // 4 messages: at budget
    expect(s.stats().evictedBuffers).toBe(0);
    s.stamp('new', msg(5)); // over: evict 'mid' (least recently written)
    expect(s.position('mid')).toBeUndefined();
    expect(s.position('old')).toEqual({ epoch: '00000001', offset: 1 });
    expect(s.stats()).toMatchObject({ evictedBuffers: 1, messages: 4, bytes: 2 * S + size * 4 });
    // an evicted topic comes back with a NEW epoch and offsets from 0
    expect(s.stamp('mid', msg(6))).toMatchObject({ epoch: '00000004', offset: 0 });
    expect(s.recover('mid', { epoch: '00000002', offset: 0 }).recovered).toBe(false);
  });

  it('trims the buffer being written when it alone exceeds the budget', () => {
    const { store: probe } = setup();
    const size = cost(probe.stamp('solo', msg(0)));
    const { store } = setup({ bufferSize: 16, memoryBudget: S + size * 3 });
    for (let i = 0; i < 5; i++) store.stamp('solo', msg(i));
    expect(store.stats()).toMatchObject({ messages: 3, bytes: S + size * 3, trimmedMessages: 2 });
    expect(store.position('solo')).toEqual({ epoch: '00000001', offset: 4 }); // same epoch
    expect(store.recover('solo', { epoch: '00000001', offset: 1 }).recovered).toBe(true);
    expect(store.recover('solo', { epoch: '00000001', offset: 0 }).recovered).toBe(false);
  });

  it('a single publication larger than the budget is delivered but not retained', () => {
    const { store } = setup({ memoryBudget: S + 100 });
    const big = store.stamp('a', msg(0, 'y'.repeat(200)));
    expect(big.offset).toBe(0);
    expect(store.stats()).toMatchObject({ messages: 0, bytes: S });
    expect(store.recover('a', { epoch: big.epoch, offset: -1 }).recovered).toBe(false);
    expect(store.recover('a', { epoch: big.epoch, offset: 0 }).recovered).toBe(true);
  });
});

describe('RecoveryStore TTL', () => {
  it('sweep drops buffers idle past ttlSec (injected clock)', () => {
    const { store, clock } = setup({ ttlSec: 10 });
    store.stamp('idle', msg(0));
    store.open('opened-only');
    clock.t += 5_000;
    store.stamp('busy', msg(0));
    clock.t += 5_000; // idle: exactly 10 s → not past ttl yet
    expect(store.sweep()).toBe(0);
    clock.t += 1;
    expect(store.sweep()).toBe(2);
    expect(store.position('idle')).toBeUndefined();
    expect(store.position('busy')).toBeDefined();
    expect(store.stats()).toMatchObject({ buffers: 1, messages: 1, expiredBuffers: 2 });
    clock.t += 10_000;
    expect(store.sweep()).toBe(1);
    expect(store.stats()).toMatchObject({ buffers: 0, messages: 0, bytes: 0 });
  });

  it('an expired buffer is treated as gone even before sweep runs', () => {
    const { store, clock } = setup({ ttlSec: 1 });
    const p = store.stamp('a', msg(0));
    clock.t += 1_001;
    expect(store.recover('a', { epoch: p.epoch, offset: -1 })).toMatchObject({
      recovered: false,
      epoch: '00000002',
      offset: -1,
    });
    expect(store.stamp('a', msg(1))).toMatchObject({ epoch: '00000002', offset: 0 });
    expect(store.stats()).toMatchObject({ buffers: 1, messages: 1, expiredBuffers: 1 });
  });
});

describe('RecoveryStore streams from other nodes', () => {
  const remote = (o: number, e = '0badcafe'): Envelope => ({ c: 'U', t: 'msg', p: { o }, tp: 'chat', e, o });

  it('ingests a remote stream beside the local one and recovers it per epoch', () => {
    const { store } = setup();
    store.stamp('chat', msg(0));
    for (let o = 10; o < 15; o++) expect(store.ingest('node-b', remote(o))).not.toBeNull();
    expect(store.ingest('node-b', remote(12))).toBeNull(); // duplicate
    expect(store.streams('chat').map((s) => [s.epoch, s.origin, s.firstOffset, s.offset])).toEqual([
      ['00000001', null, 0, 0],
      ['0badcafe', 'node-b', 10, 14],
    ]);
    const r = store.recoverStream('chat', '0badcafe', 11);
    expect(r.recovered).toBe(true);
    expect(r.publications.map((p) => p.offset)).toEqual([12, 13, 14]);
    expect(store.recoverStream('chat', '0badcafe', 8).recovered).toBe(false); // before first seen
    expect(store.position('chat')).toEqual({ epoch: '00000001', offset: 0 }); // local untouched
  });

  it('a skip ahead restarts the remote stream; the skipped range is evicted', () => {
    const { store } = setup();
    store.ingest('node-b', remote(0));
    store.ingest('node-b', remote(1));
    store.ingest('node-b', remote(5));
    expect(store.stats().messages).toBe(1);
    expect(store.recoverStream('chat', '0badcafe', 1).recovered).toBe(false);
    expect(store.recoverStream('chat', '0badcafe', 4).publications.map((p) => p.offset)).toEqual([5]);
  });

  it('ignores an epoch owned by this node or by another origin; rejects unstamped input', () => {
    const { store } = setup();
    const local = store.stamp('chat', msg(0));
    expect(store.ingest('node-b', remote(1, local.epoch))).toBeNull();
    store.ingest('node-b', remote(0));
    expect(store.ingest('node-c', remote(1))).toBeNull();
    expect(() => store.ingest('node-b', msg(0))).toThrow(/stamped/);
    expect(() => store.ingest('node-b', { ...remote(0), o: -1 })).toThrow(ProtocolError);
    expect(() => store.ingest('node-b', { ...remote(0), e: 'XYZ' })).toThrow(ProtocolError);
    expect(() => store.ingest('', remote(0))).toThrow(/origin/);
  });

  it('recoverTopic: all positions or nothing, maxMessages over the total', () => {
    const { store } = setup({ maxMessages: 10 });
    for (let i = 0; i < 6; i++) store.stamp('chat', msg(i));
    for (let o = 0; o < 6; o++) store.ingest('node-b', remote(o));
    const ok = store.recoverTopic('chat', [
      { epoch: '00000001', offset: 2 },
      { epoch: '0badcafe', offset: 3 },
    ]);
    expect(ok.recovered).toBe(true);
    expect(ok.publications.map((p) => `${p.epoch}:${p.offset}`)).toEqual([
      '00000001:3',
      '00000001:4',
      '00000001:5',
      '0badcafe:4',
      '0badcafe:5',
    ]);
    expect(ok.count).toBe(5);
    expect(ok.positions).toEqual([
      { epoch: '00000001', offset: 5 },
      { epoch: '0badcafe', offset: 5 },
    ]);
    const oneUnknown = store.recoverTopic('chat', [
      { epoch: '00000001', offset: 2 },
      { epoch: 'ffffffff', offset: 0 },
    ]);
    expect(oneUnknown).toMatchObject({ recovered: false, count: 0, publications: [] });
    expect(oneUnknown.positions).toHaveLength(2);
    const tooMany = store.recoverTopic('chat', [
      { epoch: '00000001', offset: -1 },
      { epoch: '0badcafe', offset: -1 },
    ]); // 12 > 10
    expect(tooMany).toMatchObject({ recovered: false, count: 0, publications: [] });
    const duplicate = store.recoverTopic('chat', [
      { epoch: '00000001', offset: 4 },
      { epoch: '00000001', offset: 4 },
    ]);
    expect(duplicate.recovered).toBe(false);
    expect(store.recoverTopic('chat', []).recovered).toBe(false);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('RecoveryStore per-origin reads (cluster)', () => {
  const env = (e: string, o: number): Envelope => ({ c: 'U', t: 'm', p: { o }, tp: 'chat', e, o });

  it('read() serves own and ingested streams without creating one; originOf names the stamper', () => {
    const store = new RecoveryStore({}, { randomEpoch: () => 'aaaaaaaa' });
    store.stamp('chat', { c: 'U', t: 'm', p: {} });
    for (let o = 3; o < 6; o++) store.ingest('node-b', env('0badcafe', o));
    expect(store.read('chat', '0badcafe', 3)?.items.map((p) => p.offset)).toEqual([4, 5]);
    expect(store.read('chat', '0badcafe', 3)?.origin).toBe('node-b');
    expect(store.read('chat', '0badcafe', 1)).toBeUndefined(); // 2 and 3 were never held
    expect(store.read('chat', 'aaaaaaaa', -1)?.origin).toBeNull();
    expect(store.originOf('chat', '0badcafe')).toBe('node-b');
    expect(store.originOf('chat', 'aaaaaaaa')).toBeNull();
    expect(store.read('news', 'aaaaaaaa', -1)).toBeUndefined();
    expect(store.streams('news')).toEqual([]);
  });
});
