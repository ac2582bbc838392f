import type { ClientMessage, MessageMap, WSEClient } from '@wse/core-client';
import { type Readable, readable } from 'svelte/store';
import { DEFAULT_LINGER_MS, onTopic, retainTopic } from './retain';
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
    const off = onTopic(client, topic, (m) => {
      messages = [...messages, m as ClientMessage<P>].slice(-limit);
      set(messages);
    });
    const release = holdConnection(client, options);
    const presence = options.presence ? { presence: options.presence } : {};
    const releaseTopic =
      typeof window === 'undefined'
        ? () => {}
        : retainTopic(client, topic, presence, options.lingerMs ?? DEFAULT_LINGER_MS);
    return () => {
      off();
      releaseTopic();
      release();
    };
  });
}
