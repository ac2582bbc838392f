/**
 * `@wse/react` — React bindings for the WSE client: `WSEProvider`, `useWSE`, `useTopic`,
 * `usePresence`, `useWSEEvent`. Re-exports `@wse/core-client`, so this is the one package to install.
 *
 * @example
 * ```tsx
 * import { WSEProvider, useWSE } from '@wse/react';
 * <WSEProvider options={{ endpoints: 'wss://example.com/wse' }}><Status /></WSEProvider>;
 * ```
 *
 * @module
 */

export * from '@wse/core-client';
export { usePresence } from './use-presence';
export { type UseTopicOptions, useTopic } from './use-topic';
export { type UseWSEOptions, type UseWSEResult, useWSE } from './use-wse';
export { useLatest, useWSEEvent } from './use-wse-event';
export {
  useWSEContext,
  WSEContext,
  type WSEContextValue,
  WSEProvider,
  type WSEProviderProps,
} from './wse-provider';
