// Runtime topic ACLs and queue groups with the real client against the reference server.
import type { WSEServerOptions } from '@wse/ref-server';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer as startTestServer, type TestServer } from '../../../test/support/wse-server';
import { createClient, type WSEClient } from '../src/client/client';
import type { ClientMessage } from '../src/client/types';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

async function startServer(options: WSEServerOptions = {}): Promise<TestServer> {
  const started = await startTestServer(options);
  cleanup.push(() => started.server.stop());
  return started;
}

function client(url: string): WSEClient {
  const c = createClient({
    endpoints: url,
    reconnect: { baseMs: 50, maxMs: 200 },
    offline: { storage: 'memory' },
  });
  c.on('error', () => {});
  cleanup.push(() => c.close());
  return c;
}

async function waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('runtime topic ACL (server.setTopicAcl)', () => {
  it('a narrowed ACL unsubscribes the topics it no longer allows; the client drops them for good', async () => {
    const { server, url } = await startServer({ recovery: { enabled: true } });
    const c = client(url);
    await c.connect();
    await c.subscribe(['room:1', 'room:admin', 'news']);
    const received: string[] = [];
    c.on('*', (m: ClientMessage) => received.push(String(m.topic)));
    server.broadcast('room:admin', { n: 1 });
    await waitFor(() => received.length === 1);
    const connId = c.getSnapshot().connectionId as string;

    const revoked = server.setTopicAcl(connId, { allow: ['room:*'], deny: ['room:admin'] });
    expect(revoked?.sort()).toEqual(['news', 'room:admin']);
    await waitFor(() => c.getSnapshot().topics.length === 1);
    expect(c.getSnapshot().topics).toEqual(['room:1']);
    expect(server.connectionInfo(connId)?.topics).toEqual(['room:1']);

    // The server refuses them now, and nothing published there reaches the client.
    await expect(c.subscribe(['room:admin'])).rejects.toMatchObject({ code: 'FORBIDDEN' });
    server.broadcast('room:admin', { n: 2 });
    server.broadcast('room:1', { n: 3 });
    await waitFor(() => received.length === 2);
    expect(received).toEqual(['room:admin', 'room:1']);

    // Widening back is allowed up to the token (none here); null clears the runtime ACL.
    expect(server.setTopicAcl(connId, null)).toEqual([]);
    await c.subscribe(['news']);
    expect(server.connectionInfo(connId)?.topics.sort()).toEqual(['news', 'room:1']);

    // After a reconnect the client re-subscribes only what it still wants (the revoked topic is gone).
    server.setTopicAcl(connId, { deny: ['news'] });
    await waitFor(() => c.getSnapshot().topics.length === 1);
    server.disconnect(connId, 1001, 'bye');
    await waitFor(() => {
      const id = c.getSnapshot().connectionId;
      return id !== connId && id !== null && (server.connectionInfo(id)?.topics.length ?? 0) === 1;
    });
    const now = c.getSnapshot().connectionId as string;
    expect(server.connectionInfo(now)?.topics).toEqual(['room:1']);
  });

  it('returns undefined for an unknown connection and refuses malformed globs', async () => {
    const { server, url } = await startServer();
    const c = client(url);
    await c.connect();
    expect(server.setTopicAcl('nope', { allow: [] })).toBeUndefined();
    const id = c.getSnapshot().connectionId as string;
    expect(() => server.setTopicAcl(id, { allow: 'room:*' as unknown as string[] })).toThrow(TypeError);
  });
});

describe('queue groups from the client', () => {
  it('subscribe(topics, { queueGroup }): the members share the jobs, a plain subscriber gets all, no recovery churn', async () => {
    const { server, url } = await startServer({ recovery: { enabled: true } });
    const workers = [client(url), client(url)];
    const watcher = client(url);
    const got = new Map<WSEClient, number[]>();
    for (const c of [...workers, watcher]) {
      got.set(c, []);
      c.on('*', (m: ClientMessage) => got.get(c)?.push((m.payload as { data: number }).data));
      await c.connect();
    }
    for (const w of workers) {
      const r = await w.subscribe(['jobs'], { queueGroup: 'pool' });
      expect(r.topics).toEqual(['jobs']);
    }
    await watcher.subscribe(['jobs']);
    expect(server.queueGroupStats('jobs')).toEqual({ pool: 2 });
    const failures: unknown[] = [];
    for (const w of workers) w.on('recovery_failed', (e) => failures.push(e));
    for (let n = 0; n < 20; n++) server.broadcast('jobs', n);
    await waitFor(() => (got.get(watcher)?.length ?? 0) === 20);
    await waitFor(() => workers.reduce((s, w) => s + (got.get(w)?.length ?? 0), 0) === 20);
    const shares = workers.map((w) => got.get(w) ?? []);
    expect(shares.map((s) => s.length)).toEqual([10, 10]);
    expect(shares.flat().sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    // Each member sees offsets with gaps (the other member got those): it must not ask to recover.
    expect(failures).toEqual([]);

    // A reconnect re-joins the group (not a plain subscription).
    const id = workers[0]?.getSnapshot().connectionId as string;
    server.disconnect(id, 1001, 'bye');
    await waitFor(() => {
      const now = workers[0]?.getSnapshot().connectionId;
      return now !== id && server.queueGroupStats('jobs').pool === 2;
    });
  });
});
