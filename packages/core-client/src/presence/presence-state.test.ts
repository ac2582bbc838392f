import { describe, expect, it } from 'vitest';
import {
  applyPresenceEvent,
  applyPresenceState,
  createPresenceBuffer,
  diffPresence,
  MAX_PENDING_PRESENCE_EVENTS,
  type PresenceMembers,
  presenceEventFrom,
  presenceFromReply,
  pushPresenceEvent,
  unsyncPresence,
} from './presence-state';

const ada = { name: 'Ada' };
const bob = { name: 'Bob' };

describe('applyPresenceEvent', () => {
  it('join adds with one connection; update replaces data and keeps the count; leave removes', () => {
    const s0: PresenceMembers = { u2: { data: bob, connections: 3 } };
    const s1 = applyPresenceEvent(s0, { action: 'join', user_id: 'u1', data: ada });
    expect(s1).toEqual({ u1: { data: ada, connections: 1 }, u2: { data: bob, connections: 3 } });
    const s2 = applyPresenceEvent(s1, { action: 'update', user_id: 'u2', data: { name: 'Bobby' } });
    expect(s2.u2).toEqual({ data: { name: 'Bobby' }, connections: 3 });
    const s3 = applyPresenceEvent(s2, { action: 'leave', user_id: 'u2' });
    expect(s3).toEqual({ u1: { data: ada, connections: 1 } });
    // inputs untouched
    expect(s0).toEqual({ u2: { data: bob, connections: 3 } });
    expect(s1.u2).toEqual({ data: bob, connections: 3 });
  });

  it('join of a present user keeps the connection count; update of an unknown user adds it', () => {
    const s = applyPresenceEvent(
      { u1: { data: ada, connections: 2 } },
      { action: 'join', user_id: 'u1', data: bob },
    );
    expect(s.u1).toEqual({ data: bob, connections: 2 });
    expect(applyPresenceEvent({}, { action: 'update', user_id: 'u9', data: 1 })).toEqual({
      u9: { data: 1, connections: 1 },
    });
    expect(applyPresenceEvent({}, { action: 'join', user_id: 'u9' })).toEqual({
      u9: { data: null, connections: 1 },
    });
  });

  it('leave of an unknown user returns the same object', () => {
    const s: PresenceMembers = { u1: { data: ada, connections: 1 } };
    expect(applyPresenceEvent(s, { action: 'leave', user_id: 'nobody' })).toBe(s);
    expect(applyPresenceEvent(s, { action: 'leave', user_id: 'toString' })).toBe(s);
  });

  it('handles hostile user ids as plain keys', () => {
    const s = applyPresenceEvent({}, { action: 'join', user_id: '__proto__', data: ada });
    expect(Object.keys(s)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(s)).toBe(Object.prototype);
    expect(applyPresenceEvent(s, { action: 'leave', user_id: '__proto__' })).toEqual({});
  });
});

describe('presenceFromReply and presenceEventFrom', () => {
  it('normalizes reply members and skips junk', () => {
    expect(
      presenceFromReply({
        u1: { data: ada, connections: 2 },
        u2: { data: bob },
        u3: { connections: -1 },
        bad: 42,
        nul: null,
      }),
    ).toEqual({
      u1: { data: ada, connections: 2 },
      u2: { data: bob, connections: 1 },
      u3: { data: null, connections: 1 },
    });
    expect(presenceFromReply(null)).toEqual({});
    expect(presenceFromReply([1, 2])).toEqual({});
    const proto = presenceFromReply(JSON.parse('{"__proto__": {"data": 1, "connections": 1}}'));
    expect(Object.keys(proto)).toEqual(['__proto__']);
  });

  it('parses presence messages', () => {
    expect(presenceEventFrom('presence_join', { topic: 'room', user_id: 'u1', data: ada })).toEqual({
      action: 'join',
      topic: 'room',
      user_id: 'u1',
      data: ada,
    });
    expect(presenceEventFrom('presence_leave', { user_id: 'u1' })).toEqual({
      action: 'leave',
      user_id: 'u1',
      data: null,
    });
    expect(presenceEventFrom('presence_update', { user_id: 'u1', data: 2 })?.action).toBe('update');
    expect(presenceEventFrom('chat_message', { user_id: 'u1' })).toBeUndefined();
    expect(presenceEventFrom('presence_join', { user_id: 7 })).toBeUndefined();
    expect(presenceEventFrom('presence_join', null)).toBeUndefined();
  });
});

describe('diffPresence', () => {
  it('lists joins, leaves and data updates', () => {
    const prev: PresenceMembers = { a: { data: 1, connections: 1 }, b: { data: { x: 1 }, connections: 1 } };
    const next: PresenceMembers = {
      b: { data: { x: 2 }, connections: 1 },
      c: { data: 3, connections: 1 },
    };
    expect(diffPresence(prev, next)).toEqual({
      joins: { c: { data: 3, connections: 1 } },
      leaves: { a: { data: 1, connections: 1 } },
      updates: { b: { data: { x: 2 }, connections: 1 } },
    });
    expect(diffPresence(prev, { ...prev, a: { data: 1, connections: 5 } })).toEqual({
      joins: {},
      leaves: {},
      updates: {},
    });
  });
});

describe('PresenceBuffer', () => {
  it('buffers events before the first full state and replays them over it', () => {
    let room = createPresenceBuffer();
    room = pushPresenceEvent(room, { action: 'join', user_id: 'u3', data: 'c' });
    room = pushPresenceEvent(room, { action: 'leave', user_id: 'u1' });
    expect(room.synced).toBe(false);
    expect(room.pending).toHaveLength(2);
    expect(room.members).toEqual({ u3: { data: 'c', connections: 1 } }); // provisional
    // a full state older than the events: still has u1, lacks u3
    room = applyPresenceState(room, {
      u1: { data: 'a', connections: 1 },
      u2: { data: 'b', connections: 2 },
    });
    expect(room.synced).toBe(true);
    expect(room.pending).toEqual([]);
    expect(room.members).toEqual({ u2: { data: 'b', connections: 2 }, u3: { data: 'c', connections: 1 } });
  });

  it('replaying events already included in the state is idempotent for the data', () => {
    let room = createPresenceBuffer();
    room = pushPresenceEvent(room, { action: 'join', user_id: 'u1', data: 'v1' });
    room = pushPresenceEvent(room, { action: 'update', user_id: 'u1', data: 'v2' });
    room = applyPresenceState(room, { u1: { data: 'v2', connections: 2 } });
    expect(room.members).toEqual({ u1: { data: 'v2', connections: 2 } });
  });

  it('applies events directly once synced, returning the same buffer when nothing changes', () => {
    let room = applyPresenceState(createPresenceBuffer(), { u1: { data: 'a', connections: 1 } });
    const before = room;
    room = pushPresenceEvent(room, { action: 'leave', user_id: 'ghost' });
    expect(room).toBe(before);
    room = pushPresenceEvent(room, { action: 'join', user_id: 'u2', data: 'b' });
    expect(room.pending).toEqual([]);
    expect(Object.keys(room.members)).toEqual(['u1', 'u2']);
  });

  it('a later full state replaces the members', () => {
    let room = applyPresenceState(createPresenceBuffer(), { u1: { data: 'a', connections: 1 } });
    room = unsyncPresence(room);
    expect(room.synced).toBe(false);
    expect(room.members).toEqual({ u1: { data: 'a', connections: 1 } });
    room = pushPresenceEvent(room, { action: 'update', user_id: 'u2', data: 'b2' });
    room = applyPresenceState(room, { u2: { data: 'b', connections: 1 } });
    expect(room.members).toEqual({ u2: { data: 'b2', connections: 1 } });
    const same = createPresenceBuffer();
    expect(unsyncPresence(same)).toBe(same);
  });

  it('bounds the pending events, dropping the oldest', () => {
    let room = createPresenceBuffer();
    for (let i = 0; i <= MAX_PENDING_PRESENCE_EVENTS; i++) {
      room = pushPresenceEvent(room, { action: 'update', user_id: `u${i}`, data: i });
    }
    expect(room.pending).toHaveLength(MAX_PENDING_PRESENCE_EVENTS);
    expect(room.pending[0]?.user_id).toBe('u1');
  });
});
