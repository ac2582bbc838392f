import type { ClientPresenceEvent, PresenceMembers } from '@wse/core-client';
import { useCallback, useEffect, useSyncExternalStore } from 'react';
import { useWSEContext } from './wse-provider';

const NO_MEMBERS: PresenceMembers = Object.freeze({}) as PresenceMembers;
const getServerSnapshot = (): PresenceMembers => NO_MEMBERS;

/**
 * The current presence members of `topic` (`{ [userId]: { data, connections } }`). Keeps the
 * topic subscribed (watching, not joining) while mounted; join with `useTopic(topic, h, { presence })`.
 *
 * @example
 * ```tsx
 * function Who() {
 *   const members = usePresence('room:1');
 *   return <ul>{Object.keys(members).map((id) => <li key={id}>{id}</li>)}</ul>;
 * }
 * ```
 */
export function usePresence(topic: string): PresenceMembers {
  const { client, lingerMs } = useWSEContext('usePresence');
  useEffect(() => client.retainTopic(topic, { trackPresence: true, lingerMs }), [client, topic, lingerMs]);
  const subscribe = useCallback(
    (onChange: () => void) => {
      const listener = (ev: ClientPresenceEvent): void => {
        if (ev.topic === topic) onChange();
      };
      client.on('presence', listener);
      return () => void client.off('presence', listener);
    },
    [client, topic],
  );
  // `client.presence(topic)` only reads, and returns the same object until the members change.
  const getSnapshot = useCallback(() => client.presence(topic), [client, topic]);
  return useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);
}
