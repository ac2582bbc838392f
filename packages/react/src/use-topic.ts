import type { ClientMessage } from '@wse/core-client';
import { useEffect } from 'react';
import { useLatest } from './use-wse-event';
import { useWSEContext } from './wse-provider';

/**
 * Options of {@link useTopic}.
 *
 * @example
 * ```tsx
 * const options: UseTopicOptions = { presence: { name: 'Ada' } };
 * ```
 */
export interface UseTopicOptions {
  /** Join the topic's presence with this data (compared by value, not identity). */
  presence?: Record<string, unknown>;
  /** Join this queue group: each publication reaches one member of the group, not all (docs-site/protocol §4). */
  queueGroup?: string;
}

/**
 * Subscribes to `topic` while the component is mounted and calls `handler` for each of its
 * messages. Subscriptions are ref-counted per client: many components on one topic send one
 * subscribe, and the unsubscribe goes out a moment after the last one unmounts. A new `handler`
 * identity never resubscribes.
 *
 * @example
 * ```tsx
 * function Chat() {
 *   const [lines, setLines] = useState<string[]>([]);
 *   useTopic<{ text: string }>('room:1', (m) => setLines((l) => [...l, m.payload.text]), { presence: { name: 'Ada' } });
 *   return <ul>{lines.map((l, i) => <li key={i}>{l}</li>)}</ul>;
 * }
 * ```
 */
export function useTopic<P = Record<string, unknown>>(
  topic: string,
  handler: (message: ClientMessage<P>) => void,
  options: UseTopicOptions = {},
): void {
  const { client, lingerMs } = useWSEContext('useTopic');
  const latest = useLatest(handler);
  const presenceKey = options.presence === undefined ? '' : JSON.stringify(options.presence);
  const { queueGroup } = options;
  useEffect(() => {
    const off = client.onTopic<P>(topic, (m) => latest.current(m));
    const presence = presenceKey === '' ? undefined : (JSON.parse(presenceKey) as Record<string, unknown>);
    const release = client.retainTopic(topic, { presence, lingerMs, queueGroup });
    return () => {
      off();
      release();
    };
  }, [client, topic, presenceKey, lingerMs, latest, queueGroup]);
}
