import {
  buildEnvelope,
  decodeAnyFrame,
  decodeFrame,
  type Envelope,
  encodeFrame,
} from '@wse/core-client/protocol';
import { loadVectorSessionKey } from '@wse/core-client/testing';
import { describe, expect, it } from 'vitest';
import { ALL_TOPIC, type DirectTarget, Fanout, jsonFrame } from './fanout';
import { QueueGroups } from './queue-groups';
import { TopicRegistry } from './topic-registry';
import { uwsTopic } from './uws-topic';

function target(
  format: 'json' | 'msgpack',
  o: { key?: CryptoKey; buffered?: number; compress?: boolean } = {},
) {
  const frames: Array<string | Uint8Array> = [];
  const encrypted: Uint8Array[] = [];
  const t: DirectTarget = {
    format,
    encrypted: o.key !== undefined,
    compress: o.compress ?? true,
    closed: false,
    bufferedAmount: () => o.buffered ?? 0,
    sendFrame: (f) => frames.push(f),
    sendEncrypted: (inner) => encrypted.push(inner),
  };
  return { t, frames, encrypted };
}

function setup(targets: Record<string, DirectTarget>) {
  const registry = new TopicRegistry();
  const published: Array<[string, string | Uint8Array]> = [];
  const skipped: string[] = [];
  const delivered: Array<[number, number]> = [];
  let scheduled: (() => void) | undefined;
  const fanout = new Fanout({
    transport: {
      publish: (topic, data) => {
        published.push([topic, data]);
        return true;
      },
    },
    registry,
    target: (id) => targets[id],
    allConnections: () => Object.keys(targets),
    compressionThreshold: 1024,
    maxBackpressure: 100,
    onSkipped: (id) => skipped.push(id),
    onDelivered: (count, bytes) => delivered.push([count, bytes]),
    schedule: (fn) => {
      scheduled = fn;
    },
  });
  return { registry, fanout, published, skipped, delivered, run: () => scheduled?.() };
}

const env = (n: number) => buildEnvelope('tick', { n }) as Envelope;

describe('Fanout', () => {
  it('queues within a turn and publishes once per publication to uWS', () => {
    const { registry, fanout, published, run } = setup({});
    registry.add('a', 'news', 'compressed');
    fanout.enqueue('news', env(1));
    fanout.enqueue('news', env(2));
    fanout.enqueue('empty', env(3)); // nobody subscribed: dropped at once
    expect(published).toHaveLength(0);
    expect(fanout.queued).toBe(2);
    run();
    expect(published.map(([t, d]) => [t, decodeFrame(d).p.n])).toEqual([
      ['news', 1],
      ['news', 2],
    ]);
  });

  it('encodes once per format for direct targets, encrypts per connection, skips slow ones', async () => {
    const key = await loadVectorSessionKey();
    const mp1 = target('msgpack');
    const mp2 = target('msgpack');
    const enc = target('json', { key });
    const slow = target('json', { key, buffered: 1000 });
    const { registry, fanout, skipped, run } = setup({ mp1: mp1.t, mp2: mp2.t, enc: enc.t, slow: slow.t });
    for (const id of ['mp1', 'mp2', 'enc', 'slow']) registry.add(id, 'x', 'none');
    fanout.enqueue('x', env(7));
    run();
    expect(mp1.frames[0]).toBe(mp2.frames[0]); // the very same encoded bytes
    expect(decodeFrame(mp1.frames[0] as Uint8Array).p.n).toBe(7);
    expect(new TextDecoder().decode(enc.encrypted[0])).toContain('"n":7');
    expect(slow.encrypted).toHaveLength(0);
    expect(skipped).toEqual(['slow']);
    expect(await decodeAnyFrame(mp1.frames[0] as Uint8Array)).toMatchObject({ t: 'tick' });
  });

  it('a big publication: C: on the shared name, the JSON text on the uncompressed name and inside E:', () => {
    const enc = target('json', { key: {} as CryptoKey });
    const noZ = target('json', { compress: false });
    const { registry, fanout, published, delivered, run } = setup({ enc: enc.t, noZ: noZ.t });
    registry.add('shared', 'big', 'compressed');
    registry.add('enc', 'big', 'none');
    registry.add('noZ', 'big', 'plain');
    registry.add('noZ2', 'big', 'plain');
    fanout.enqueue('big', buildEnvelope('tick', { pad: 'x'.repeat(4096) }) as Envelope);
    run();
    expect(published.map(([t]) => t)).toEqual(['big', uwsTopic('big', 'plain')]);
    const [zipped, text] = [published[0]?.[1] as Uint8Array, published[1]?.[1]];
    expect(zipped[0]).toBe(0x43); // 'C:' for the compressed name
    expect(typeof text).toBe('string'); // one publish reaches every compression:false subscriber
    expect(decodeFrame(text as string).p.pad).toHaveLength(4096);
    expect(noZ.frames).toHaveLength(0); // not sent one by one any more
    expect(enc.encrypted[0]?.[0]).toBe(0x7b); // '{': JSON inside E:
    expect(new TextDecoder().decode(enc.encrypted[0])).toBe(text); // the same JSON text, made once
    // uWS deliveries: 1 compressed + 2 uncompressed (the E2E one is counted by its connection).
    expect(delivered).toEqual([[3, zipped.length + 2 * (text as string).length]]);
  });

  it('a small publication: the very same frame under both names (not encoded twice)', () => {
    const { registry, fanout, published, delivered, run } = setup({});
    registry.add('a', 'news', 'compressed');
    registry.add('b', 'news', 'plain');
    fanout.enqueue('news', env(1));
    run();
    expect(published.map(([t]) => t)).toEqual(['news', uwsTopic('news', 'plain')]);
    expect(typeof published[0]?.[1]).toBe('string');
    expect(published[1]?.[1]).toBe(published[0]?.[1]);
    expect(delivered[0]?.[0]).toBe(2);
  });

  it('only compression:false subscribers: one publish under the uncompressed name, none under the shared one', () => {
    const { registry, fanout, published, run } = setup({});
    registry.add('b', 'big', 'plain');
    fanout.enqueue('big', buildEnvelope('tick', { pad: 'y'.repeat(4096) }) as Envelope);
    fanout.enqueueUnstamped('big', buildEnvelope('presence_join', { topic: 'big' }) as Envelope);
    run();
    expect(published.map(([t, d]) => [t, typeof d])).toEqual([
      [uwsTopic('big', 'plain'), 'string'],
      [uwsTopic('big', 'plain'), 'string'],
    ]);
  });

  it('broadcastAll and queue-group members that said compression:false get the JSON text, never C:', () => {
    const noZ = target('json', { compress: false });
    const z = target('json');
    const groups = new QueueGroups();
    const { fanout, run } = setup({ noZ: noZ.t, z: z.t });
    (fanout as unknown as { deps: { groups: QueueGroups } }).deps.groups = groups;
    groups.join('noZ', 'jobs', 'w');
    const big = () => buildEnvelope('tick', { pad: 'q'.repeat(4096) }) as Envelope;
    fanout.enqueue(ALL_TOPIC, big());
    fanout.enqueue('jobs', big());
    run();
    expect(noZ.frames.map((f) => typeof f)).toEqual(['string', 'string']);
    expect((z.frames[0] as Uint8Array)[0]).toBe(0x43);
  });

  it('broadcastAll reaches every connection without a uWS topic', () => {
    const a = target('json');
    const b = target('msgpack');
    const { fanout, published, run } = setup({ a: a.t, b: b.t });
    fanout.enqueue(ALL_TOPIC, env(1));
    run();
    expect(published).toHaveLength(0);
    expect(a.frames).toHaveLength(1);
    expect(b.frames).toHaveLength(1);
  });

  it('stamps every topic publication at enqueue time, even without subscribers', () => {
    const { fanout } = setup({});
    const stamped: string[] = [];
    fanout.stamp = (topic, e) => {
      stamped.push(topic);
      return { envelope: e };
    };
    fanout.enqueue('nobody-here', env(1));
    fanout.enqueue(ALL_TOPIC, env(2));
    expect(stamped).toEqual(['nobody-here']);
  });

  it("sends the stamp's JSON text as is and keeps presence-style events unstamped", () => {
    const { registry, fanout, published, run } = setup({});
    registry.add('c1', 'news', 'compressed');
    let offset = 0;
    fanout.stamp = (topic, e) => {
      const envelope = { ...e, tp: topic, e: 'abcdef01', o: offset++ };
      return { envelope, json: `${JSON.stringify(envelope)} ` }; // marker: proves no re-encoding
    };
    fanout.enqueue('news', env(1));
    fanout.enqueueUnstamped(
      'news',
      buildEnvelope('presence_join', { topic: 'news', user_id: 'u' }) as Envelope,
    );
    run();
    expect(published).toHaveLength(2);
    expect(String(published[0]?.[1]).endsWith('} ')).toBe(true);
    const second = decodeFrame(published[1]?.[1] as string);
    expect(second.t).toBe('presence_join');
    expect(second.o).toBeUndefined();
    expect(offset).toBe(1);
  });
});

describe('jsonFrame', () => {
  it('is byte for byte encodeFrame, below and above the compression threshold', () => {
    for (const size of [10, 500, 2000, 40_000]) {
      const e = { ...env(1), p: { text: 'é'.repeat(size) }, tp: 't', e: '0000abcd', o: 3 } as Envelope;
      const expected = encodeFrame(e, { compressionThreshold: 1024 });
      const json = JSON.stringify(e);
      expect(jsonFrame(json, 1024)).toEqual(expected);
      expect(jsonFrame(json, 1024, Buffer.byteLength(json))).toEqual(expected);
      expect(jsonFrame(json, Number.POSITIVE_INFINITY)).toBe(json);
    }
  });

  it('keeps exactly `threshold` UTF-8 bytes as text and compresses one more (chars < bytes)', () => {
    const json = JSON.stringify({ c: 'U', t: 'm', p: { text: 'é'.repeat(400) } });
    const size = Buffer.byteLength(json);
    expect(json.length).toBeLessThan(size);
    expect(jsonFrame(json, size)).toBe(json);
    const over = jsonFrame(json, size - 1);
    expect(over).toBeInstanceOf(Uint8Array);
    expect(Buffer.from((over as Uint8Array).subarray(0, 2)).toString()).toBe('C:');
  });
});

describe('Fanout with queue groups', () => {
  function groupSetup(targets: Record<string, DirectTarget>) {
    const groups = new QueueGroups();
    const registry = new TopicRegistry();
    const published: Array<string | Uint8Array> = [];
    const skipped: string[] = [];
    let scheduled: (() => void) | undefined;
    const fanout = new Fanout({
      transport: { publish: (_t, d) => published.push(d) > 0 },
      registry,
      groups,
      target: (id) => targets[id],
      allConnections: () => Object.keys(targets),
      compressionThreshold: 1024,
      maxBackpressure: 100,
      onSkipped: (id) => skipped.push(id),
      onDelivered: () => {},
      schedule: (fn) => {
        scheduled = fn;
      },
    });
    return { groups, registry, fanout, published, skipped, run: () => scheduled?.() };
  }

  it('sends each publication to one member per group, skipping members over backpressure', () => {
    const a = target('json');
    const b = target('msgpack');
    const slow = target('json', { buffered: 1000 });
    const other = target('json');
    const { groups, fanout, published, skipped, run } = groupSetup({
      a: a.t,
      b: b.t,
      slow: slow.t,
      other: other.t,
    });
    groups.join('a', 'jobs', 'w');
    groups.join('slow', 'jobs', 'w');
    groups.join('b', 'jobs', 'w');
    groups.join('other', 'jobs', 'audit');
    for (let n = 0; n < 4; n++) fanout.enqueue('jobs', env(n));
    run();
    expect(published).toHaveLength(0); // no plain subscriber: no uWS publish at all
    expect(a.frames.map((f) => decodeFrame(f).p.n)).toEqual([0, 2]);
    expect(b.frames.map((f) => decodeFrame(f).p.n)).toEqual([1, 3]);
    expect(slow.frames).toHaveLength(0);
    expect(skipped.filter((id) => id === 'slow').length).toBeGreaterThan(0);
    expect(other.frames.map((f) => decodeFrame(f).p.n)).toEqual([0, 1, 2, 3]);
  });

  it('presence events (unstamped) do not go to group members; groupFilter can veto a group', () => {
    const a = target('json');
    const { groups, fanout, run } = groupSetup({ a: a.t });
    groups.join('a', 'jobs', 'w');
    fanout.enqueueUnstamped('jobs', env(1));
    fanout.groupFilter = (_topic, _group, e) => e.p.n !== 2;
    fanout.enqueue('jobs', env(2));
    fanout.enqueue('jobs', env(3));
    run();
    expect(a.frames.map((f) => decodeFrame(f).p.n)).toEqual([3]);
  });
});
