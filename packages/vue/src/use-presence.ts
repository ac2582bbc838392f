import type { ClientPresenceEvent, PresenceMembers } from '@wse/core-client';
import { type ComputedRef, computed, shallowRef } from 'vue';
import { useConnection, useWSEBinding, whileMounted } from './create-wse';

/**
 * The presence members of `topic` as a readonly (computed) ref (`{ [userId]: { data, connections } }`).
 * Keeps the topic subscribed (watching, not joining) while mounted; join with
 * `useTopic(topic, handler, { presence })`.
 *
 * @example
 * ```vue
 * <script setup lang="ts">
 * import { usePresence } from '@wse/vue';
 * const members = usePresence('room:1');
 * </script>
 * <template><li v-for="(m, id) in members" :key="id">{{ id }}</li></template>
 * ```
 */
export function usePresence(topic: string): ComputedRef<PresenceMembers> {
  const binding = useWSEBinding('usePresence');
  const { client } = binding;
  const members = shallowRef<PresenceMembers>({});
  useConnection(binding);
  whileMounted(() => {
    const listener = (ev: ClientPresenceEvent): void => {
      if (ev.topic === topic) members.value = client.presence(topic);
    };
    client.on('presence', listener);
    const release = client.retainTopic(topic, { trackPresence: true, lingerMs: binding.lingerMs });
    members.value = client.presence(topic);
    return () => {
      client.off('presence', listener);
      release();
    };
  });
  return computed(() => members.value);
}
