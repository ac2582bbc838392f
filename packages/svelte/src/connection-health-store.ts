import { type ConnectionHealth, connectionHealthOf, type MessageMap, type WSEClient } from '@wse/core-client';
import { derived, type Readable } from 'svelte/store';
import { type StoreOptions, wseStore } from './wse-store';

/**
 * The connection's one-word health (`connectionHealthOf` of the snapshot) as a Svelte readable
 * store: `'healthy' | 'degraded' | 'connecting' | 'disconnected'`. Derived from {@link wseStore},
 * so it holds the connection the same way (first subscriber connects, the last one's leaving closes
 * after `lingerMs`) and only notifies when the health word changes.
 *
 * @example
 * ```svelte
 * <script lang="ts">
 *   import { connectionHealthStore, createClient } from '@wse/svelte';
 *   const health = connectionHealthStore(createClient({ endpoints: 'wss://example.com/wse' }));
 * </script>
 * <span class="badge {$health}">{$health}</span>
 * ```
 */
export function connectionHealthStore<M extends MessageMap>(
  client: WSEClient<M>,
  options: StoreOptions = {},
): Readable<ConnectionHealth> {
  return derived(wseStore(client, options), connectionHealthOf);
}
