import type { ClientMessage, MessageMap, WSEClient } from '@wse/core-client';
import { type Readable, readable } from 'svelte/store';
import { holdConnection, type StoreOptions } from './wse-store';

/**
 * Options of {@link topicStore}.
 *
 * @example
 * ```ts
 * const options: TopicStoreOptions = { limit: 20, presence: { name: 'Ada' } };
 * ```
 */
export interface TopicStoreOptions extends StoreOptions {
  /** How many of the latest messages the store keeps; default 100. */
  limit?: number;
  /** Join the topic's presence with this data. */
  presence?: Record<string, unknown>;
  /** Join this queue group: each publication reaches one member of the group, not all (docs-site/protocol §4). */
  queueGroup?: string;
}

/**
 * The latest messages of `topic` (oldest first, at most `limit`) as a readable store. Subscribes
 * the topic on the first store subscriber — once per client, however many stores — and
 * unsubscribes a moment after the last one leaves. The list starts empty on each start.
 *
 * @example
 * ```svelte
 * <script lang="ts">
 *   import { topicStore } from '@wse/svelte';
 *   const messages = topicStore<{ text: string }>(client, 'room:1', { limit: 50 });
 * </script>
 * {#each $messages as m (m.id)}<p>{m.payload.text}</p>{/each}
 * ```
 */
export function topicStore<P = Record<string, unknown>, M extends MessageMap = MessageMap>(
  client: WSEClient<M>,
  topic: string,
  options: TopicStoreOptions = {},
): Readable<ReadonlyArray<ClientMessage<P>>> {
  const limit = options.limit ?? 100;
  return readable<ReadonlyArray<ClientMessage<P>>>([], (set) => {
    let messages: ReadonlyArray<ClientMessage<P>> = [];
    set(messages);
    const off = client.onTopic<P>(topic, (m) => {
      messages = [...messages, m].slice(-limit);
      set(messages);
    });
    const release = holdConnection(client, options);
    const { presence, lingerMs, queueGroup } = options;
    const releaseTopic =
      typeof window === 'undefined'
        ? () => {}
        : client.retainTopic(topic, { presence, lingerMs, queueGroup });
    return () => {
      off();
      releaseTopic();
      release();
    };
  });
}
