import type { ClientSnapshot, MessageMap, WSEClient } from '@wse/core-client';
import { type Readable, readable } from 'svelte/store';

/**
 * Options shared by every store.
 *
 * @example
 * ```ts
 * const options: StoreOptions = { autoConnect: true, lingerMs: 1000 };
 * ```
 */
export interface StoreOptions {
  /**
   * Connect on the first subscriber and close `lingerMs` after the last one leaves; default
   * `true`. Never on the server (no `window`): there the stores only read.
   */
  autoConnect?: boolean;
  /** Delay before closing / unsubscribing after the last subscriber; default 1000 ms. */
  lingerMs?: number;
}

/**
 * Holds the connection while a store has subscribers (when asked to, and only in a browser).
 *
 * @example
 * ```ts
 * const release = holdConnection(client, {});
 * ```
 */
export function holdConnection<M extends MessageMap>(
  client: WSEClient<M>,
  options: StoreOptions,
): () => void {
  if (options.autoConnect === false || typeof window === 'undefined') return () => {};
  return client.retain({ lingerMs: options.lingerMs });
}

/**
 * The client snapshot as a Svelte readable store (`$wse.state`, `$wse.topics`, …). The first
 * subscriber connects the client; it closes a moment after the last one leaves.
 *
 * @example
 * ```svelte
 * <script lang="ts">
 *   import { createClient, wseStore } from '@wse/svelte';
 *   const client = createClient({ endpoints: 'wss://example.com/wse' });
 *   const wse = wseStore(client);
 * </script>
 * <p>{$wse.state} · {$wse.topics.join(', ')}</p>
 * ```
 */
export function wseStore<M extends MessageMap>(
  client: WSEClient<M>,
  options: StoreOptions = {},
): Readable<ClientSnapshot> {
  return readable(client.getSnapshot(), (set) => {
    set(client.getSnapshot());
    const stop = client.subscribe(set);
    const release = holdConnection(client, options);
    return () => {
      stop();
      release();
    };
  });
}
