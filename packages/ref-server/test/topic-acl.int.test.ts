// Runtime topic ACLs (server.setTopicAcl) on the real server with plain ws clients: the frame that
// tells the client, queue-group memberships, presence leaves, client publishes, and token refresh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WSEServer } from '../src/server';
import { SECRET, startServer, TestClient, token } from './helpers';

let server: WSEServer;
let url: string;
beforeAll(async () => {
  ({ server, url } = await startServer({ auth: { secret: SECRET }, presence: {}, publishPolicy: 'allow' }));
});
afterAll(() => server.stop());

async function ready(sub: string, claims?: Record<string, unknown>): Promise<TestClient> {
  const jwt = await token(sub, { claims });
  return TestClient.ready(url, {}, { authorization: `Bearer ${jwt}` });
}

describe('server.setTopicAcl', () => {
  it('unsubscribes plain and queue-group topics it no longer allows, with reason acl and presence leaves', async () => {
    const c = await ready('ada');
    const watcher = await ready('bob');
    c.send({
      t: 'subscription_update',
      p: { action: 'subscribe', topics: ['room:1', 'room:2'], presence: { n: 1 } },
    });
    await c.next('subscription_update');
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['jobs'], queue_group: 'w' } });
    await c.next('subscription_update');
    watcher.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['room:2'], presence: {} } });
    await watcher.next('subscription_update');

    expect(server.setTopicAcl(c.id, { allow: ['room:*'], deny: ['room:2'] })?.sort()).toEqual([
      'jobs',
      'room:2',
    ]);
    const note = await c.next((f) => f.t === 'subscription_update' && f.p.reason === 'acl');
    expect(note.cid).toBeUndefined();
    expect(note.p).toEqual({
      action: 'unsubscribe',
      success: true,
      success_topics: ['room:2', 'jobs'],
      failed_topics: [],
      reason: 'acl',
    });
    expect(server.connectionInfo(c.id)?.topics).toEqual(['room:1']);
    expect(server.queueGroupStats('jobs')).toEqual({});
    const leave = await watcher.next('presence_leave');
    expect(leave.p).toMatchObject({ topic: 'room:2', user_id: 'ada' });

    // Nothing else is unsubscribed or announced when the ACL still allows everything held.
    expect(server.setTopicAcl(c.id, { allow: ['room:1'] })).toEqual([]);
    expect(await c.quiet((f) => f.t === 'subscription_update', 100)).toBe(true);
    c.close();
    watcher.close();
  });

  it('applies to subscribes, client publishes and queue_group_stats; a token refresh keeps it', async () => {
    const c = await ready('eve', { wse_topics: { allow: ['room:*', 'news'], deny: [] } });
    server.setTopicAcl(c.id, { deny: ['room:9'] });
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['room:9', 'room:1'] }, cid: 's' });
    const r = await c.next((f) => f.cid === 's');
    expect(r.p.success_topics).toEqual(['room:1']);
    expect((r.p.failed_topics as Array<{ code: string }>)[0]?.code).toBe('FORBIDDEN');
    c.send({ t: 'publish', p: { topic: 'room:9', data: 1 }, cid: 'p' });
    expect((await c.next((f) => f.cid === 'p')).p.code).toBe('FORBIDDEN');
    c.send({ t: 'queue_group_stats', p: { topic: 'room:9' }, cid: 'q' });
    expect((await c.next((f) => f.cid === 'q')).p.code).toBe('FORBIDDEN');

    // The runtime ACL cannot widen the token: 'secret' is not in the token's allow list.
    server.setTopicAcl(c.id, { allow: ['*'], deny: ['room:9'] });
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['secret'] }, cid: 's2' });
    expect((await c.next((f) => f.cid === 's2')).p.success_topics).toEqual([]);

    // A refresh with a token that allows room:9 does not lift the runtime deny.
    const fresh = await token('eve', { claims: { wse_topics: { allow: ['*'], deny: [] } } });
    c.send({ t: 'auth_refresh', p: { token: fresh }, cid: 'r' });
    await c.next('auth_refreshed');
    c.send({ t: 'subscription_update', p: { action: 'subscribe', topics: ['room:9'] }, cid: 's3' });
    expect((await c.next((f) => f.cid === 's3')).p.success_topics).toEqual([]);
    c.close();
  });
});
