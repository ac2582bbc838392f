import { describe, expect, it } from 'vitest';
import { PresenceService } from '../presence/presence-service';
import { PresenceStore } from '../presence/presence-store';
import type { RemotePresenceChange } from '../presence/presence-types';
import { FrameType } from './cluster-frame';
import {
  ClusterPresence,
  chunkSnapshot,
  decodePresenceUpdate,
  encodePresenceUpdate,
} from './cluster-presence';

describe('PRESENCE_UPDATE codec', () => {
  it('round-trips join/update/leave with a multi-byte user id', () => {
    for (const action of ['join', 'update', 'leave'] as const) {
      const c = { action, topic: 'room', userId: 'zoë', data: { n: 1 }, updated_at: 1_700_000_000_123 };
      const back = decodePresenceUpdate('room', encodePresenceUpdate(c));
      expect(back).toEqual({ ...c, data: action === 'leave' ? null : { n: 1 } });
    }
  });

  it('refuses short, unknown-action, bad-length and bad-JSON payloads', () => {
    const ok = encodePresenceUpdate({ action: 'join', topic: 't', userId: 'u', data: 1, updated_at: 5 });
    expect(() => decodePresenceUpdate('t', ok.subarray(0, 10))).toThrow();
    const bad = ok.slice();
    bad[0] = 9;
    expect(() => decodePresenceUpdate('t', bad)).toThrow(/action/);
    const len = ok.slice();
    len[9] = 200;
    expect(() => decodePresenceUpdate('t', len)).toThrow(/uid/);
    const json = new Uint8Array([...ok.subarray(0, 12), 0x7b]);
    expect(() => decodePresenceUpdate('t', json)).toThrow();
  });
});

describe('chunkSnapshot', () => {
  it('splits under the limit and loses no entry', () => {
    const snap: Record<
      string,
      Record<string, { data: unknown; updated_at: number; connections: number }>
    > = {};
    for (let t = 0; t < 5; t++) {
      const users: (typeof snap)[string] = {};
      for (let u = 0; u < 20; u++)
        users[`u${u}`] = { data: { pad: 'x'.repeat(50) }, updated_at: u, connections: 1 };
      snap[`t${t}`] = users;
    }
    const chunks = chunkSnapshot(snap, 1000);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(Buffer.byteLength(c)).toBeLessThanOrEqual(1000);
    const merged: Record<string, Record<string, unknown>> = {};
    for (const c of chunks)
      for (const [t, us] of Object.entries(JSON.parse(c))) merged[t] = { ...merged[t], ...(us as object) };
    expect(merged).toEqual(snap);
  });
});

describe('ClusterPresence', () => {
  function setup() {
    const sent: Array<{ peer: string; type: number }> = [];
    const out: string[] = [];
    const sink = (c: RemotePresenceChange) => service.localSink?.(c);
    const service: PresenceService = new PresenceService(
      new PresenceStore({}, 'me', { onLocalChange: sink }),
      {
        toSubscribers: (_t, env) => out.push(`${env.t}:${String((env.p as { user_id: string }).user_id)}`),
        emit: () => {},
        ids: () => ({}),
      },
    );
    const cp = new ClusterPresence({
      presence: service,
      send: (peer, f) => {
        sent.push({ peer, type: f.type });
        return true;
      },
      peers: () => ['p1', 'p2'],
    });
    return { sent, out, service, cp };
  }

  it('sends local changes to every peer and a peer going down makes its users leave once', () => {
    const { sent, out, service, cp } = setup();
    service.join('c1', 'ada', 'room', {});
    expect(sent.filter((s) => s.type === FrameType.PRESENCE_UPDATE).map((s) => s.peer)).toEqual(['p1', 'p2']);
    const payload = encodePresenceUpdate({
      action: 'join',
      topic: 'room',
      userId: 'bob',
      data: {},
      updated_at: 1,
    });
    cp.onFrame('p1', { type: FrameType.PRESENCE_UPDATE, flags: 0, topic: 'room', payload });
    cp.onFrame('p2', { type: FrameType.PRESENCE_UPDATE, flags: 0, topic: 'room', payload });
    expect(out).toEqual(['presence_join:ada', 'presence_join:bob']);
    cp.peerDown('p1');
    expect(out).toEqual(['presence_join:ada', 'presence_join:bob']); // still on p2
    cp.peerDown('p2');
    expect(out.at(-1)).toBe('presence_leave:bob');
    expect(out.filter((x) => x === 'presence_leave:bob')).toHaveLength(1);
  });

  it('counts a malformed frame and keeps going', () => {
    const { cp } = setup();
    const bad = new TextEncoder().encode('{"room": 5}');
    expect(cp.onFrame('p1', { type: FrameType.PRESENCE_FULL, flags: 0, topic: '', payload: bad })).toBe(true);
    expect(cp.refused).toBe(1);
  });
});
