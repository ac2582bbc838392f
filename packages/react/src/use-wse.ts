import {
  type ClientOptions,
  type ClientSnapshot,
  type ConnectionHealth,
  connectionHealthOf,
  createClient,
  DEFAULT_LINGER_MS,
  IDLE_SNAPSHOT,
  type MessageMap,
  type WSEClient,
  type WSEError,
} from '@wse/core-client';
import { useContext, useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { WSEContext } from './wse-provider';

/**
 * Options of {@link useWSE}. With `endpoints` the hook owns a client of its own (no provider
 * needed, the WSE seed's shape); without, it uses the nearest `<WSEProvider>`.
 *
 * @example
 * ```tsx
 * const options: UseWSEOptions = { endpoints: ['wss://a.example.com/wse'], topics: ['news'] };
 * ```
 */
export interface UseWSEOptions extends Partial<ClientOptions> {
  /** Topics this component keeps subscribed while mounted (ref-counted across components). */
  topics?: readonly string[];
  /** Own client only: delay before closing after unmount; default 1000 ms. */
  lingerMs?: number;
}

/**
 * What {@link useWSE} returns: the snapshot fields plus stable, bound actions.
 *
 * @example
 * ```tsx
 * const { isConnected, send }: UseWSEResult = useWSE();
 * ```
 */
export interface UseWSEResult<M extends MessageMap = MessageMap> {
  readonly client: WSEClient<M>;
  readonly snapshot: ClientSnapshot;
  readonly state: ClientSnapshot['state'];
  readonly isConnected: boolean;
  readonly connectionHealth: ConnectionHealth;
  readonly quality: ClientSnapshot['quality'];
  readonly latency: ClientSnapshot['latency'];
  readonly topics: readonly string[];
  readonly queued: number;
  readonly lastError: WSEError | null;
  readonly send: WSEClient<M>['send'];
  readonly request: WSEClient<M>['request'];
  /** Topic subscription (`client.subscribeTopics`), not ref-counted: pair it with `unsubscribe`. */
  readonly subscribe: WSEClient<M>['subscribeTopics'];
  readonly unsubscribe: WSEClient<M>['unsubscribe'];
  /** `client.reconnect()`: drops the socket and connects again at once (nothing pending is rejected). */
  readonly reconnect: () => Promise<void>;
}

/** Rendered on the server and during hydration, so server HTML and the first client render agree. */
const getServerSnapshot = (): ClientSnapshot => IDLE_SNAPSHOT;

/**
 * The connection state and actions. Re-renders only when the client snapshot changes
 * (`useSyncExternalStore`).
 *
 * @example
 * ```tsx
 * // under <WSEProvider>
 * function Status() {
 *   const { state, connectionHealth, send } = useWSE({ topics: ['chat'] });
 *   return <button onClick={() => send('chat_message', { text: 'hi' })}>{state} · {connectionHealth}</button>;
 * }
 * // or standalone, the WSE seed's shape
 * const { isConnected, connectionHealth } = useWSE({ topics: ['updates'], endpoints: ['wss://example.com/wse'] });
 * ```
 */
export function useWSE<M extends MessageMap = MessageMap>(options?: UseWSEOptions): UseWSEResult<M> {
  const context = useContext(WSEContext);
  const own = useRef<WSEClient<MessageMap> | null>(null);
  if (options?.endpoints !== undefined && !own.current) {
    const { topics: _topics, lingerMs: _linger, ...clientOptions } = options;
    own.current = createClient({ ...clientOptions, endpoints: options.endpoints });
  }
  const client = own.current ?? context?.client;
  if (!client) throw new Error('useWSE: no <WSEProvider> above this component and no `endpoints` given.');
  const lingerMs = own.current
    ? (options?.lingerMs ?? DEFAULT_LINGER_MS)
    : (context?.lingerMs ?? DEFAULT_LINGER_MS);

  useEffect(() => (own.current === client ? client.retain({ lingerMs }) : undefined), [client, lingerMs]);
  const topicKey = JSON.stringify(options?.topics ?? []);
  useEffect(() => {
    const releases = (JSON.parse(topicKey) as string[]).map((t) => client.retainTopic(t, { lingerMs }));
    return () => {
      for (const release of releases) release();
    };
  }, [client, topicKey, lingerMs]);

  const snapshot = useSyncExternalStore(client.subscribe, client.getSnapshot, getServerSnapshot);
  const actions = useMemo(
    () => ({
      send: client.send.bind(client),
      request: client.request.bind(client),
      subscribe: client.subscribeTopics.bind(client),
      unsubscribe: client.unsubscribe.bind(client),
      reconnect: client.reconnect.bind(client),
    }),
    [client],
  );
  return useMemo(
    () => ({
      client: client as unknown as WSEClient<M>,
      snapshot,
      state: snapshot.state,
      isConnected: snapshot.state === 'connected',
      connectionHealth: connectionHealthOf(snapshot),
      quality: snapshot.quality,
      latency: snapshot.latency,
      topics: snapshot.topics,
      queued: snapshot.queued,
      lastError: snapshot.lastError,
      ...(actions as unknown as Pick<
        UseWSEResult<M>,
        'send' | 'request' | 'subscribe' | 'unsubscribe' | 'reconnect'
      >),
    }),
    [client, snapshot, actions],
  );
}
