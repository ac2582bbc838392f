import {
  type ClientOptions,
  createClient,
  DEFAULT_LINGER_MS,
  type MessageMap,
  type WSEClient,
} from '@wse/core-client';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef } from 'react';

/**
 * What {@link WSEProvider} puts in context.
 *
 * @example
 * ```tsx
 * const { client, lingerMs } = useContext(WSEContext)!;
 * ```
 */
export interface WSEContextValue {
  readonly client: WSEClient<MessageMap>;
  /** How long the connection and topic subscriptions outlive their last user (ms). */
  readonly lingerMs: number;
}

/**
 * The React context behind the hooks (exported for tests and advanced composition).
 *
 * @example
 * ```tsx
 * <WSEContext.Provider value={{ client, lingerMs: 1000 }}>{children}</WSEContext.Provider>
 * ```
 */
export const WSEContext = createContext<WSEContextValue | null>(null);

/**
 * Props of {@link WSEProvider}: a `client`, or `options` to create one (once per provider).
 *
 * @example
 * ```tsx
 * const props: WSEProviderProps = { options: { endpoints: 'wss://example.com/wse' }, lingerMs: 1000 };
 * ```
 */
export interface WSEProviderProps<M extends MessageMap = MessageMap> {
  /** A client you created; wins over `options`. */
  client?: WSEClient<M>;
  /** Options for the provider's own client, read on the first render only. */
  options?: ClientOptions;
  /**
   * Connect on mount and close `lingerMs` after unmount; default `true`. `false`: the provider
   * never connects or closes (the first `send`/`subscribe` still connects lazily).
   */
  autoConnect?: boolean;
  /** Delay before closing the socket / unsubscribing a topic after its last user; default 1000 ms. */
  lingerMs?: number;
  children?: ReactNode;
}

/**
 * Provides one WSE client to the hooks below it. Connects in an effect (so server rendering opens
 * nothing) and closes a moment after unmount, so StrictMode's mount → unmount → mount keeps the
 * one socket.
 *
 * @example
 * ```tsx
 * <WSEProvider options={{ endpoints: 'wss://example.com/wse', token: () => getJwt() }}>
 *   <App />
 * </WSEProvider>
 * ```
 */
export function WSEProvider<M extends MessageMap = MessageMap>(props: WSEProviderProps<M>): ReactNode {
  const { options, autoConnect = true, lingerMs = DEFAULT_LINGER_MS, children } = props;
  // Lazy, once per provider: creating a client opens nothing, so a discarded render costs nothing.
  const own = useRef<WSEClient<MessageMap> | null>(null);
  if (!props.client && !own.current) own.current = createClient(requireOptions(options));
  const client = (props.client ?? own.current) as WSEClient<MessageMap>;
  useEffect(() => (autoConnect ? client.retain({ lingerMs }) : undefined), [client, autoConnect, lingerMs]);
  const value = useMemo<WSEContextValue>(() => ({ client, lingerMs }), [client, lingerMs]);
  return <WSEContext.Provider value={value}>{children}</WSEContext.Provider>;
}

function requireOptions(options: ClientOptions | undefined): ClientOptions {
  if (!options)
    throw new Error(
      '<WSEProvider> needs a `client` or `options` prop: <WSEProvider options={{ endpoints }}>',
    );
  return options;
}

/**
 * The provider's context; throws an error that names the fix when there is none.
 *
 * @example
 * ```tsx
 * const { client } = useWSEContext('useTopic');
 * ```
 */
export function useWSEContext(hook: string): WSEContextValue {
  const value = useContext(WSEContext);
  if (!value) {
    throw new Error(
      `${hook}: no <WSEProvider> above this component. Wrap your app in <WSEProvider options={{ endpoints }}>.`,
    );
  }
  return value;
}
