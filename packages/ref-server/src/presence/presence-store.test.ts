import { ServerError, WSEError } from '@wse/core-client/protocol';
import { describe, expect, it } from 'vitest';
import { PresenceError, PresenceStore, type RemotePresenceChange } from './presence-store';

function setup(options: ConstructorParameters<typeof PresenceStore>[0] = {}, nodeId = 'node-a') {
  const clock = { t: 1_000 };
  const sent: RemotePresenceChange[] = [];
  const store = new PresenceStore(options, nodeId, {
    now: () => clock.t,
    onLocalChange: (c) => sent.push(c),
  });
  return { store, clock, sent };
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('PresenceStore options', () => {
  it('defaults to 4096 bytes and unlimited members', () => {
    expect(new PresenceStore().options).toEqual({ maxDataSize: 4096, maxMembers: 0 });
  });

  it('throws on invalid options, naming the option', () => {
    expect(() => new PresenceStore({ maxDataSize: 0 })).toThrow(/presence\.maxDataSize/);
    expect(() => new PresenceStore({ maxDataSize: 1.5 })).toThrow(/presence\.maxDataSize/);
    expect(() => new PresenceStore({ maxMembers: -1 })).toThrow(/presence\.maxMembers/);
    expect(() => new PresenceStore({}, '')).toThrow(/nodeId/);
  });
});

describe('PresenceStore local connections', () => {
  it('a user with two connections joins once and leaves once', () => {
    const { store } = setup();
    expect(store.join('room', 'ada', 'c1', { name: 'Ada' })).toEqual({
      action: 'join',
      topic: 'room',
      userId: 'ada',
      data: { name: 'Ada' },
    });
    expect(store.join('room', 'ada', 'c2', { name: 'Ada' })).toBeNull();
    expect(store.members('room')).toEqual({ ada: { data: { name: 'Ada' }, connections: 2 } });
    expect(store.stats('room')).toEqual({ num_users: 1, num_connections: 2 });
    expect(store.leave('room', 'ada', 'c1')).toBeNull();
    expect(store.stats('room')).toEqual({ num_users: 1, num_connections: 1 });
    expect(store.leave('room', 'ada', 'c2')).toEqual({
      action: 'leave',
      topic: 'room',
      userId: 'ada',
      data: { name: 'Ada' },
    });
    expect(store.members('room')).toEqual({});
    expect(store.stats('room')).toEqual({ num_users: 0, num_connections: 0 });
    expect(store.leave('room', 'ada', 'c2')).toBeNull(); // idempotent
  });

  it('a later connection with different data is an update; the same connection re-joining is idempotent', () => {
    const { store } = setup();
    store.join('room', 'ada', 'c1', { tab: 1 });
    expect(store.join('room', 'ada', 'c2', { tab: 2 })).toMatchObject({ action: 'update', data: { tab: 2 } });
    expect(store.join('room', 'ada', 'c2', { tab: 2 })).toBeNull();
    expect(store.stats('room').num_connections).toBe(2);
    expect(() => store.join('room', 'bob', 'c2', {})).toThrow(/already joined/);
  });

  it('update changes data, same data is null, a non-member connection joins', () => {
    const { store } = setup();
    expect(store.update('room', 'ada', 'c1', { s: 'idle' })).toMatchObject({ action: 'join' });
    expect(store.update('room', 'ada', 'c1', { s: 'typing' })).toEqual({
      action: 'update',
      topic: 'room',
      userId: 'ada',
      data: { s: 'typing' },
    });
    expect(store.update('room', 'ada', 'c1', { s: 'typing' })).toBeNull();
    expect(store.members('room').ada).toEqual({ data: { s: 'typing' }, connections: 1 });
  });

  it('undefined data is stored as null', () => {
    const { store } = setup();
    expect(store.join('room', 'ada', 'c1', undefined)).toMatchObject({ action: 'join', data: null });
  });

  it('leaveAll returns every resulting leave of a closing connection', () => {
    const { store } = setup();
    store.join('a', 'ada', 'c1', {});
    store.join('b', 'ada', 'c1', {});
    store.join('c', 'ada', 'c1', {});
    store.join('b', 'ada', 'c2', {}); // ada keeps b through c2
    store.join('a', 'bob', 'c3', {});
    const changes = store.leaveAll('c1');
    expect(changes.map((c) => `${c.action}:${c.topic}:${c.userId}`).sort()).toEqual([
      'leave:a:ada',
      'leave:c:ada',
    ]);
    expect(store.members('a')).toEqual({ bob: { data: {}, connections: 1 } });
    expect(store.members('b')).toEqual({ ada: { data: {}, connections: 1 } });
    expect(store.leaveAll('c1')).toEqual([]);
    expect(store.leaveAll('unknown')).toEqual([]);
    expect(store.leaveAll('c2')).toHaveLength(1);
  });

  it('user ids are plain keys, even __proto__', () => {
    const { store } = setup();
    store.join('room', '__proto__', 'c1', { x: 1 });
    const members = store.members('room');
    expect(Object.keys(members)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(members))).toEqual(
      JSON.parse('{"__proto__":{"data":{"x":1},"connections":1}}'),
    );
  });

  it('rejects empty ids', () => {
    const { store } = setup();
    expect(() => store.join('', 'u', 'c', {})).toThrow(/topic/);
    expect(() => store.join('t', '', 'c', {})).toThrow(/userId/);
  });
});

describe('PresenceStore limits', () => {
  it('data over maxDataSize (UTF-8 bytes of the JSON) → PRESENCE_DATA_TOO_LARGE, nothing stored', () => {
    const { store } = setup({ maxDataSize: 20 });
    // {"s":"ééééééé"} = 8 + 14 bytes = 22 bytes but only 15 UTF-16 units
    const err = catchError(() => store.join('room', 'ada', 'c1', { s: 'ééééééé' }));
    expect(err).toBeInstanceOf(PresenceError);
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toBeInstanceOf(WSEError);
    expect(err).toMatchObject({ code: 'PRESENCE_DATA_TOO_LARGE', details: { size: 22, limit: 20 } });
    expect(store.stats('room')).toEqual({ num_users: 0, num_connections: 0 });
    expect(store.join('room', 'ada', 'c1', { s: 'éééééé' })).not.toBeNull(); // 20 bytes: at the limit
    expect(() => store.update('room', 'ada', 'c1', { s: 'x'.repeat(20) })).toThrow(/bytes/);
    expect(store.members('room').ada?.data).toEqual({ s: 'éééééé' });
  });

  it('a NEW user on a full topic → PRESENCE_FULL; existing users may add connections', () => {
    const { store } = setup({ maxMembers: 2 });
    store.join('room', 'u1', 'c1', {});
    store.join('room', 'u2', 'c2', {});
    expect(catchError(() => store.join('room', 'u3', 'c3', {}))).toMatchObject({
      code: 'PRESENCE_FULL',
      details: { topic: 'room', members: 2, limit: 2 },
    });
    expect(() => store.update('room', 'u3', 'c3', {})).toThrow(PresenceError);
    expect(store.join('room', 'u1', 'c4', {})).toBeNull();
    expect(store.join('other', 'u3', 'c3', {})).not.toBeNull(); // per topic
    store.leave('room', 'u2', 'c2');
    expect(store.join('room', 'u3', 'c3', {})).toMatchObject({ action: 'join' });
  });

  it('maxMembers counts users known from other nodes', () => {
    const { store } = setup({ maxMembers: 1 });
    store.applyRemote('node-b', { action: 'join', topic: 'room', userId: 'remote', data: {}, updated_at: 1 });
    expect(() => store.join('room', 'local', 'c1', {})).toThrow(/max 1/);
    expect(store.join('room', 'remote', 'c1', {})).toBeNull(); // not new: the same user on this node
  });
});

describe('PresenceStore cluster state', () => {
  it('reports local changes with updated_at for peers, even when the merged view does not change', () => {
    const { store, clock, sent } = setup();
    store.applyRemote('node-b', {
      action: 'join',
      topic: 'room',
      userId: 'ada',
      data: { n: 1 },
      updated_at: 5,
    });
    clock.t = 2_000;
    expect(store.join('room', 'ada', 'c1', { n: 1 })).toBeNull(); // already a member via node-b
    store.join('room', 'ada', 'c2', { n: 1 }); // second local connection: nothing for peers
    clock.t = 3_000;
    store.update('room', 'ada', 'c1', { n: 2 });
    store.leaveAll('c1');
    clock.t = 4_000;
    store.leaveAll('c2');
    expect(sent).toEqual([
      { action: 'join', topic: 'room', userId: 'ada', data: { n: 1 }, updated_at: 2_000, connections: 1 },
      { action: 'update', topic: 'room', userId: 'ada', data: { n: 2 }, updated_at: 3_000, connections: 2 },
      { action: 'leave', topic: 'room', userId: 'ada', data: { n: 2 }, updated_at: 4_000, connections: 0 },
    ]);
  });

  it('a user on two nodes is one member with summed connections', () => {
    const { store } = setup();
    store.join('room', 'ada', 'c1', { n: 1 });
    store.join('room', 'ada', 'c2', { n: 1 });
    expect(
      store.applyRemote('node-b', {
        action: 'join',
        topic: 'room',
        userId: 'ada',
        data: { n: 1 },
        updated_at: 1,
        connections: 3,
      }),
    ).toBeNull();
    expect(store.members('room')).toEqual({ ada: { data: { n: 1 }, connections: 5 } });
    expect(store.stats('room')).toEqual({ num_users: 1, num_connections: 5 });
    // the local leave does not remove a user still present on node-b
    expect(store.leaveAll('c1')).toEqual([]);
    expect(store.leaveAll('c2')).toEqual([]);
    expect(store.members('room')).toEqual({ ada: { data: { n: 1 }, connections: 3 } });
  });

  it('remote changes are last-write-wins per origin by updated_at', () => {
    const { store } = setup();
    const at = (action: RemotePresenceChange['action'], updated_at: number, data?: unknown) =>
      store.applyRemote('node-b', { action, topic: 'room', userId: 'bob', data, updated_at });
    expect(at('join', 100, { v: 1 })).toMatchObject({ action: 'join', data: { v: 1 } });
    expect(at('update', 90, { v: 0 })).toBeNull(); // older: ignored
    expect(at('update', 110, { v: 2 })).toMatchObject({ action: 'update', data: { v: 2 } });
    expect(at('leave', 120)).toMatchObject({ action: 'leave', data: { v: 2 } });
    expect(at('join', 115, { v: 3 })).toBeNull(); // older than the leave: no resurrection
    expect(store.members('room')).toEqual({});
    expect(at('join', 130, { v: 4 })).toMatchObject({ action: 'join', data: { v: 4 } });
    expect(
      store.applyRemote('node-a', { action: 'leave', topic: 'room', userId: 'x', updated_at: 1 }),
    ).toBeNull();
  });

  it('merged data is the newest across origins, deterministic on ties; local writes win over skewed peers', () => {
    const { store, clock } = setup();
    clock.t = 1_000;
    store.join('room', 'ada', 'c1', { from: 'a' });
    // a peer whose clock is ahead writes later data
    expect(
      store.applyRemote('node-b', {
        action: 'join',
        topic: 'room',
        userId: 'ada',
        data: { from: 'b' },
        updated_at: 50_000,
      }),
    ).toMatchObject({ action: 'update', data: { from: 'b' } });
    // a local update made now still wins: stamped newest-known + 1
    expect(store.update('room', 'ada', 'c1', { from: 'a2' })).toMatchObject({
      action: 'update',
      data: { from: 'a2' },
    });
    expect(store.exportLocal().room?.ada?.updated_at).toBe(50_001);
    // ties between two remotes: the greater origin id wins
    store.applyRemote('node-c', { action: 'join', topic: 't', userId: 'u', data: 'c', updated_at: 7 });
    store.applyRemote('node-d', { action: 'join', topic: 't', userId: 'u', data: 'd', updated_at: 7 });
    expect(store.members('t').u?.data).toBe('d');
  });

  it('remote leave of a user still present locally keeps the member, reverting to local data', () => {
    const { store } = setup();
    store.join('room', 'ada', 'c1', { where: 'a' });
    store.applyRemote('node-b', {
      action: 'join',
      topic: 'room',
      userId: 'ada',
      data: { where: 'b' },
      updated_at: 9e12,
    });
    expect(store.members('room').ada?.data).toEqual({ where: 'b' });
    expect(
      store.applyRemote('node-b', { action: 'leave', topic: 'room', userId: 'ada', updated_at: 9e12 + 1 }),
    ).toMatchObject({ action: 'update', data: { where: 'a' } });
    expect(store.members('room')).toEqual({ ada: { data: { where: 'a' }, connections: 1 } });
  });

  it('purgeOrigin removes a dead node without touching local members or other nodes', () => {
    const { store } = setup();
    store.join('room', 'local', 'c1', {});
    store.join('room', 'shared', 'c2', { v: 'a' });
    for (const userId of ['only-b', 'shared']) {
      store.applyRemote('node-b', { action: 'join', topic: 'room', userId, data: { v: 'b' }, updated_at: 1 });
    }
    store.applyRemote('node-c', { action: 'join', topic: 'room', userId: 'only-c', data: {}, updated_at: 1 });
    store.applyRemote('node-b', {
      action: 'join',
      topic: 'lobby',
      userId: 'only-b',
      data: {},
      updated_at: 1,
    });
    const changes = store.purgeOrigin('node-b');
    expect(changes.map((c) => `${c.action}:${c.topic}:${c.userId}`).sort()).toEqual([
      'leave:lobby:only-b',
      'leave:room:only-b',
    ]);
    expect(Object.keys(store.members('room')).sort()).toEqual(['local', 'only-c', 'shared']);
    expect(store.stats('room')).toEqual({ num_users: 3, num_connections: 3 });
    expect(store.stats('lobby')).toEqual({ num_users: 0, num_connections: 0 });
    expect(store.purgeOrigin('node-b')).toEqual([]);
  });

  it('exportLocal holds only local entries; a peer applying it sees the same members', () => {
    const a = setup({}, 'node-a');
    a.store.join('room', 'ada', 'c1', { n: 1 });
    a.store.join('room', 'ada', 'c2', { n: 1 });
    a.store.join('lobby', 'bob', 'c3', null);
    a.store.applyRemote('node-z', { action: 'join', topic: 'room', userId: 'zed', data: {}, updated_at: 1 });
    const snapshot = a.store.exportLocal();
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual({
      room: { ada: { data: { n: 1 }, updated_at: 1_000, connections: 2 } },
      lobby: { bob: { data: null, updated_at: 1_000, connections: 1 } },
    });
    const b = setup({}, 'node-b');
    const changes = b.store.applyRemoteSnapshot('node-a', snapshot);
    expect(changes.map((c) => `${c.action}:${c.topic}:${c.userId}`).sort()).toEqual([
      'join:lobby:bob',
      'join:room:ada',
    ]);
    expect(b.store.members('room')).toEqual({ ada: { data: { n: 1 }, connections: 2 } });
    expect(b.store.applyRemoteSnapshot('node-a', snapshot)).toEqual([]); // idempotent
  });

  it('pruneTombstones drops old remote leaves only', () => {
    const { store } = setup();
    store.applyRemote('node-b', { action: 'join', topic: 'room', userId: 'u1', data: {}, updated_at: 10 });
    store.applyRemote('node-b', { action: 'leave', topic: 'room', userId: 'u1', updated_at: 20 });
    store.applyRemote('node-b', { action: 'leave', topic: 'room', userId: 'u2', updated_at: 40 });
    store.applyRemote('node-b', { action: 'join', topic: 'room', userId: 'u3', data: {}, updated_at: 5 });
    expect(store.pruneTombstones(30)).toBe(1);
    expect(store.pruneTombstones(50)).toBe(1);
    expect(store.members('room')).toEqual({ u3: { data: {}, connections: 1 } });
  });
});
