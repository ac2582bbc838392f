/**
 * `@wse/svelte` — the WSE client as Svelte stores: `wseStore` (the client snapshot),
 * `topicStore` (a topic's latest messages), `presenceStore` (a topic's members),
 * `connectionHealthStore` (the connection's one-word health). They follow the
 * store contract, so `$store` works in Svelte 4 and 5 (runes mode included). Re-exports
 * `@wse/core-client`, so this is the one package to install.
 *
 * @example
 * ```ts
 * import { createClient, wseStore } from '@wse/svelte';
 * const wse = wseStore(createClient({ endpoints: 'wss://example.com/wse' }));
 * ```
 *
 * @module
 */

export * from '@wse/core-client';
export { connectionHealthStore } from './connection-health-store';
export { presenceStore } from './presence-store';
export { type TopicStoreOptions, topicStore } from './topic-store';
export { holdConnection, type StoreOptions, wseStore } from './wse-store';
