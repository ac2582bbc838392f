import { buildEnvelope } from '@wse/core-client/protocol';
import { describe, expect, it } from 'vitest';
import { RecoveryStore } from '../recovery/recovery-store';
import { type ClusterFrame, FrameType } from './cluster-frame';
import { ClusterRecovery } from './cluster-recovery';

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** Two ClusterRecovery ends wired back to back; `tamper` may rewrite a reply on its way. */
function pair(
  opts: { peers?: string[]; tamper?: (body: Record<string, unknown>) => Record<string, unknown> } = {},
) {
  const origin = new RecoveryStore({ maxMessages: 5 }, { randomEpoch: () => '0badcafe' });
  const asker = new RecoveryStore({}, { randomEpoch: () => '11111111' });
  const sent: Array<{ to: string; frame: Omit<ClusterFrame, 'flags'> }> = [];
  let server: ClusterRecovery;
  const client = new ClusterRecovery({
    nodeId: 'b',
    store: asker,
    waitMs: 50,
    peers: () => opts.peers ?? ['a'],
    send: (to, frame) => {
      sent.push({ to, frame });
      if (to === 'a') queueMicrotask(() => server.onFrame('b', { ...frame, flags: 0 }));
      return true;
    },
  });
  server = new ClusterRecovery({
    nodeId: 'a',
    store: origin,
    waitMs: 50,
    peers: () => ['b'],
    send: (_to, frame) => {
      let payload = frame.payload;
      if (opts.tamper) payload = utf8.encode(JSON.stringify(opts.tamper(JSON.parse(utf8d.decode(payload)))));
      queueMicrotask(() => client.onFrame('a', { ...frame, payload, flags: 0 }));
      return true;
    },
  });
  for (let i = 0; i < 8; i++) origin.stamp('chat', buildEnvelope('num', { i }));
  return { client, server, sent };
}

describe('ClusterRecovery', () => {
  it('fetches exactly (from, last] from the origin, first and last included', async () => {
    const { client } = pair();
    const r = await client.ask('chat', '0badcafe', 3, 10);
    expect(r?.origin).toBe('a');
    expect(r?.publications.map((p) => p.offset)).toEqual([4, 5, 6, 7]);
  });

  it('answers null past the holder’s maxMessages, for an unknown epoch, and an offset ahead', async () => {
    const { client, server } = pair();
    expect(await client.ask('chat', '0badcafe', -1, 10)).toBeNull(); // 8 > maxMessages 5
    expect(await client.ask('chat', 'ffffffff', 3, 10)).toBeNull();
    expect(await client.ask('chat', '0badcafe', 9, 10)).toBeNull();
    expect(await client.ask('chat', '0badcafe', 3, 2)).toBeNull(); // asker's own cap
    expect(server.stats.refused).toBe(4);
  });

  it('treats a reply with a hole, a foreign stamp or the wrong epoch as ok:false', async () => {
    const hole = pair({ tamper: (b) => ({ ...b, pubs: (b.pubs as string[]).filter((_, i) => i !== 1) }) });
    expect(await hole.client.ask('chat', '0badcafe', 3, 10)).toBeNull();
    const foreign = pair({
      tamper: (b) => ({
        ...b,
        pubs: (b.pubs as string[]).map((j) => j.replace('"tp":"chat"', '"tp":"other"')),
      }),
    });
    expect(await foreign.client.ask('chat', '0badcafe', 3, 10)).toBeNull();
    const junk = pair({ tamper: (b) => ({ ...b, pubs: ['not json'] }) });
    expect(await junk.client.ask('chat', '0badcafe', 6, 10)).toBeNull();
  });

  it('gives up after the wait when a peer never answers, and at once when its link goes down', async () => {
    const { client } = pair({ peers: ['silent'] });
    const t0 = Date.now();
    expect(await client.ask('chat', '0badcafe', 3, 10)).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    const pending = client.ask('chat', '0badcafe', 3, 10);
    client.peerDown('silent');
    expect(await pending).toBeNull();
    expect(client.stats.failed).toBe(2);
  });

  it('ignores malformed RECOVER and unsolicited replies', () => {
    const { server, client, sent } = pair();
    server.onFrame('b', { type: FrameType.RECOVER, flags: 0, topic: 'chat', payload: utf8.encode('{') });
    client.onFrame('a', {
      type: FrameType.RECOVER_REPLY,
      flags: 0,
      topic: 'chat',
      payload: utf8.encode('{"req":99,"ok":true}'),
    });
    expect(sent).toEqual([]);
  });
});
