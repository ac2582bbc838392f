import type { ClientPresenceEvent, MessageMap, PresenceMembers, WSEClient } from '@wse/core-client';
import { type Readable, readable } from 'svelte/store';
import { holdConnection, type StoreOptions } from './wse-store';

/**
 * The presence members of `topic` (`{ [userId]: { data, connections } }`) as a readable store.
 * Keeps the topic subscribed (watching, not joining) while it has subscribers; join with
 * `topicStore(client, topic, { presence })`.
 *
 * @example
 * ```svelte
 * <script lang="ts">
 *   import { presenceStore } from '@wse/svelte';
 *   const members = presenceStore(client, 'room:1');
 * </script>
 * {#each Object.keys($members) as id (id)}<li>{id}</li>{/each}
 * ```
 */
export function presenceStore<M extends MessageMap>(
  client: WSEClient<M>,
  topic: string,
  options: StoreOptions = {},
): Readable<PresenceMembers> {
  return readable<PresenceMembers>({}, (set) => {
    if (typeof window === 'undefined') return; // server rendering: nothing to watch
    const listener = (ev: ClientPresenceEvent): void => {
      if (ev.topic === topic) set(client.presence(topic));
    };
    client.on('presence', listener);
    const release = holdConnection(client, options);
    const releaseTopic = client.retainTopic(topic, { trackPresence: true, lingerMs: options.lingerMs });
    set(client.presence(topic));
    return () => {
      client.off('presence', listener);
      releaseTopic();
      release();
    };
  });
}
