import type { ClientMessage } from '@wse/core-client';
import { type ComputedRef, computed, shallowRef } from 'vue';
import { useConnection, useWSEBinding, whileMounted } from './create-wse';

/**
 * Options of {@link useTopic}.
 *
 * @example
 * ```ts
 * const options: UseTopicOptions = { presence: { name: 'Ada' } };
 * ```
 */
export interface UseTopicOptions {
  /** Join the topic's presence with this data. */
  presence?: Record<string, unknown>;
  /** Join this queue group: each publication reaches one member of the group, not all (docs-site/protocol §4). */
  queueGroup?: string;
}

/**
 * Subscribes to `topic` while the component is mounted (ref-counted per client: one subscribe for
 * many components, one unsubscribe a moment after the last is disposed), calls `handler` for each
 * message and returns the latest one as a readonly (computed) ref.
 *
 * @example
 * ```vue
 * <script setup lang="ts">
 * import { ref } from 'vue';
 * import { useTopic } from '@wse/vue';
 * const lines = ref<string[]>([]);
 * const last = useTopic<{ text: string }>('room:1', (m) => lines.value.push(m.payload.text), { presence: { name: 'Ada' } });
 * </script>
 * ```
 */
export function useTopic<P = Record<string, unknown>>(
  topic: string,
  handler?: (message: ClientMessage<P>) => void,
  options: UseTopicOptions = {},
): ComputedRef<ClientMessage<P> | null> {
  const binding = useWSEBinding('useTopic');
  const last = shallowRef<ClientMessage<P> | null>(null);
  useConnection(binding);
  whileMounted(() => {
    const { client, lingerMs } = binding;
    const off = client.onTopic<P>(topic, (m) => {
      last.value = m;
      handler?.(m);
    });
    const release = client.retainTopic(topic, {
      presence: options.presence,
      queueGroup: options.queueGroup,
      lingerMs,
    });
    return () => {
      off();
      release();
    };
  });
  return computed(() => last.value);
}
