import { describe, expect, expectTypeOf, it } from 'vitest';
import { createClient, type PublishData } from './client';

// Issue 15.11: `client.publish(topic, data)` is typed from the message map like `send`. The checks
// are the `@ts-expect-error` lines: `npm run typecheck` fails if one of them stops being an error.
type Chat = {
  chat: { text: string };
};

describe('client.publish types', () => {
  it('accepts events of the map and plain data; refuses a wrong payload', () => {
    const client = createClient<Chat>({
      endpoints: 'memory://x',
      lazyConnect: false,
      offline: { storage: 'memory' },
    });
    const sent = [
      client.publish('room:1', { t: 'chat', p: { text: 'hi' } }),
      client.publish('room:1', { type: 'chat', payload: { text: 'hi' }, pri: 8 }),
      client.publish('room:1', { text: 'plain data' }),
      client.publish('room:1', { t: 'tick', n: 1 }), // no payload: plain data, wrapped whole
      client.publish('room:1', 42),
      client.publish('room:1', ['a', 'b']),
      // @ts-expect-error a payload of the wrong shape for a type of the map
      client.publish('room:1', { t: 'chat', p: { txt: 'typo' } }),
      // @ts-expect-error an event type the map does not have
      client.publish('room:1', { t: 'chatt', p: { text: 'hi' } }),
    ];
    expect(sent.every((id) => typeof id === 'string')).toBe(true);
    expectTypeOf<{ t: 'chat'; p: { text: string } }>().toExtend<PublishData<Chat>>();
    void client.close();
  });
});
