import {
  type ClientSnapshot,
  type ConnectionHealth,
  connectionHealthOf,
  type MessageMap,
  type WSEClient,
} from '@wse/core-client';
import { type ComputedRef, computed, onScopeDispose, shallowRef } from 'vue';
import { useConnection, useWSEBinding } from './create-wse';

/**
 * What {@link useWSE} returns: readonly refs of the snapshot and bound actions.
 *
 * @example
 * ```ts
 * const { state, isConnected }: UseWSEResult = useWSE();
 * ```
 */
export interface UseWSEResult<M extends MessageMap = MessageMap> {
  readonly client: WSEClient<M>;
  /** The whole immutable snapshot. */
  readonly snapshot: ComputedRef<ClientSnapshot>;
  readonly state: ComputedRef<ClientSnapshot['state']>;
  readonly isConnected: ComputedRef<boolean>;
  /** `connectionHealthOf(snapshot)`: `'healthy' | 'degraded' | 'connecting' | 'disconnected'`. */
  readonly connectionHealth: ComputedRef<ConnectionHealth>;
  readonly quality: ComputedRef<ClientSnapshot['quality']>;
  readonly latency: ComputedRef<ClientSnapshot['latency']>;
  readonly topics: ComputedRef<readonly string[]>;
  readonly queued: ComputedRef<number>;
  readonly lastError: ComputedRef<ClientSnapshot['lastError']>;
  readonly send: WSEClient<M>['send'];
  readonly request: WSEClient<M>['request'];
  /** Topic subscription (`client.subscribeTopics`), not ref-counted: pair it with `unsubscribe`. */
  readonly subscribe: WSEClient<M>['subscribeTopics'];
  readonly unsubscribe: WSEClient<M>['unsubscribe'];
  /** `client.reconnect()`: drops the socket and connects again at once (nothing pending is rejected). */
  readonly reconnect: () => Promise<void>;
}

/**
 * The client's state as readonly refs (one `shallowRef` fed by `client.subscribe`, released with
 * the scope) and its actions. Keeps the connection open while the component is mounted.
 *
 * @example
 * ```vue
 * <script setup lang="ts">
 * import { useWSE } from '@wse/vue';
 * const { state, isConnected, connectionHealth, send } = useWSE();
 * </script>
 * <template><button :disabled="!isConnected" @click="send('ping_me', {})">{{ state }} · {{ connectionHealth }}</button></template>
 * ```
 */
export function useWSE<M extends MessageMap = MessageMap>(): UseWSEResult<M> {
  const binding = useWSEBinding('useWSE');
  const client = binding.client as unknown as WSEClient<M>;
  const snapshot = shallowRef(client.getSnapshot());
  // Subscribed at once (no I/O): the ref is current from the first render.
  const stop = client.subscribe((s) => {
    snapshot.value = s;
  });
  useConnection(binding);
  onScopeDispose(stop);
  const pick = <K extends keyof ClientSnapshot>(key: K) => computed(() => snapshot.value[key]);
  return {
    client,
    snapshot: computed(() => snapshot.value),
    state: pick('state'),
    isConnected: computed(() => snapshot.value.state === 'connected'),
    connectionHealth: computed(() => connectionHealthOf(snapshot.value)),
    quality: pick('quality'),
    latency: pick('latency'),
    topics: pick('topics'),
    queued: pick('queued'),
    lastError: pick('lastError'),
    send: client.send.bind(client),
    request: client.request.bind(client),
    subscribe: client.subscribeTopics.bind(client),
    unsubscribe: client.unsubscribe.bind(client),
    reconnect: client.reconnect.bind(client),
  };
}
