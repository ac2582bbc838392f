/**
 * `@wse/vue` — Vue 3 bindings for the WSE client: the `createWSE` plugin and the `useWSE`,
 * `useTopic`, `usePresence` composables. Re-exports `@wse/core-client`, so this is the one
 * package to install.
 *
 * @example
 * ```ts
 * import { createWSE } from '@wse/vue';
 * app.use(createWSE({ endpoints: 'wss://example.com/wse' }));
 * ```
 *
 * @module
 */

export * from '@wse/core-client';
export {
  type CreateWSEOptions,
  createWSE,
  useConnection,
  useWSEBinding,
  WSE_KEY,
  type WSEBinding,
  whileMounted,
} from './create-wse';
export { usePresence } from './use-presence';
export { type UseTopicOptions, useTopic } from './use-topic';
export { type UseWSEResult, useWSE } from './use-wse';
