import type { ClientEvents, ClientMessage } from '@wse/core-client';
import { type RefObject, useEffect, useInsertionEffect, useRef } from 'react';
import { useWSEContext } from './wse-provider';

/**
 * A ref that always holds the latest `value` (updated before any effect runs), so effects can
 * call the newest handler without listing it as a dependency.
 *
 * @example
 * ```tsx
 * const latest = useLatest(onMessage);
 * useEffect(() => client.on('*', (m) => latest.current(m)), [client, latest]);
 * ```
 */
export function useLatest<T>(value: T): RefObject<T> {
  const ref = useRef(value);
  // Insertion effects run before layout and passive effects and never on the server.
  useInsertionEffect(() => {
    ref.current = value;
  });
  return ref;
}

/**
 * Listens to a client event (`state`, `error`, `presence`, `connected`, …) or an application
 * message type while mounted. A new `handler` identity never re-registers the listener.
 *
 * @example
 * ```tsx
 * useWSEEvent('error', (err) => toast(err.message));
 * useWSEEvent<{ text: string }>('chat_message', (m) => append(m.payload.text));
 * ```
 */
export function useWSEEvent<K extends keyof ClientEvents>(type: K, handler: ClientEvents[K]): void;
export function useWSEEvent<P = Record<string, unknown>>(
  type: string,
  handler: (message: ClientMessage<P>) => void,
): void;
export function useWSEEvent(type: string, handler: (...args: never[]) => void): void {
  const { client } = useWSEContext('useWSEEvent');
  const latest = useLatest(handler);
  useEffect(() => {
    const listener = (...args: never[]): void => latest.current(...args);
    client.on(type as 'state', listener as ClientEvents['state']);
    return () => void client.off(type as 'state', listener as ClientEvents['state']);
  }, [client, type, latest]);
}
