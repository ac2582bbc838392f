/**
 * Ref-counted leases on a client: the connection and each topic subscription start with their
 * first user and stop `lingerMs` after the last one leaves (Nano Stores' unmount delay), so a
 * StrictMode mount → unmount → mount never drops the socket or sends a second subscribe.
 *
 * Stopgap: this file is identical in @wse/react, @wse/vue and @wse/svelte. It belongs in
 * `@wse/core-client` (e.g. `client.retain()` / `client.retainTopic()`); then it goes away here.
 *
 * @module
 */

import type { ClientMessage, MessageMap, SubscribeOptions, WSEClient } from '@wse/core-client';

/**
 * How long a connection or topic subscription outlives its last user, in ms.
 *
 * @example
 * ```ts
 * retainConnection(client, DEFAULT_LINGER_MS);
 * ```
 */
export const DEFAULT_LINGER_MS = 1000;

interface Lease {
  users: number;
  timer: ReturnType<typeof setTimeout> | null;
  stop: () => void;
  /** Presence data the topic was joined with, as JSON (`''` = not joined). */
  joined: string;
}

const leases = new WeakMap<object, Map<string, Lease>>();
const ignore = (): void => {};

function leaseFor(owner: object, key: string): { lease: Lease; byKey: Map<string, Lease> } {
  let byKey = leases.get(owner);
  if (!byKey) {
    byKey = new Map();
    leases.set(owner, byKey);
  }
  let lease = byKey.get(key);
  if (!lease) {
    lease = { users: 0, timer: null, stop: ignore, joined: '' };
    byKey.set(key, lease);
  }
  return { lease, byKey };
}

/** Takes a lease on (`owner`, `key`); `start` runs for the first user, its result after the last. */
function retain(owner: object, key: string, lingerMs: number, start: () => () => void): [Lease, () => void] {
  const { lease, byKey } = leaseFor(owner, key);
  if (lease.timer !== null) clearTimeout(lease.timer);
  lease.timer = null;
  // A lease whose last user left recently is still running: only the timer is cancelled.
  if (lease.users++ === 0 && lease.stop === ignore) lease.stop = start();
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    lease.users -= 1;
    if (lease.users > 0) return;
    lease.timer = setTimeout(() => {
      lease.timer = null;
      if (byKey.get(key) === lease) byKey.delete(key);
      lease.stop();
    }, lingerMs);
  };
  return [lease, release];
}

/**
 * Keeps `client` connected while at least one user holds a lease; closes it `lingerMs` after the
 * last release. Returns the release function (idempotent).
 *
 * @example
 * ```ts
 * const release = retainConnection(client, 1000);
 * // … later
 * release(); // closes a second later unless someone retains again
 * ```
 */
export function retainConnection<M extends MessageMap>(
  client: WSEClient<M>,
  lingerMs = DEFAULT_LINGER_MS,
): () => void {
  return retain(client, '\0connection', lingerMs, () => {
    client.connect().catch(ignore);
    return () => void client.close();
  })[1];
}

/**
 * Subscribes `topic` once for all its users; unsubscribes `lingerMs` after the last release. A
 * later user that brings presence data the subscription lacks re-subscribes with it (join).
 *
 * @example
 * ```ts
 * const release = retainTopic(client, 'room:1', { presence: { name: 'Ada' } }, 1000);
 * ```
 */
export function retainTopic<M extends MessageMap>(
  client: WSEClient<M>,
  topic: string,
  options: SubscribeOptions = {},
  lingerMs = DEFAULT_LINGER_MS,
): () => void {
  const wanted = options.presence === undefined ? '' : JSON.stringify(options.presence);
  let started = false;
  const [lease, release] = retain(client, `topic:${topic}`, lingerMs, () => {
    started = true;
    return () => void client.unsubscribe([topic]).catch(ignore);
  });
  if (started || (wanted !== '' && wanted !== lease.joined)) {
    if (wanted !== '') lease.joined = wanted;
    client.subscribeTopics([topic], options).catch(ignore);
  }
  return release;
}

/**
 * The topic a delivered message belongs to: its recovery stamp `tp`, or the `topic` of a
 * `publication` wrapper (servers without recovery do not stamp).
 *
 * @example
 * ```ts
 * messageTopic({ type: 'publication', payload: { topic: 'prices', data: 1 }, category: 'U' }); // 'prices'
 * ```
 */
export function messageTopic(message: ClientMessage): string | undefined {
  if (message.topic !== undefined) return message.topic;
  const t = message.payload.topic;
  return message.type === 'publication' && typeof t === 'string' ? t : undefined;
}

/**
 * Calls `handler` for every application message of `topic`; returns the function that stops it.
 *
 * @example
 * ```ts
 * const off = onTopic(client, 'room:1', (m) => console.log(m.type, m.payload));
 * ```
 */
export function onTopic<M extends MessageMap>(
  client: WSEClient<M>,
  topic: string,
  handler: (message: ClientMessage) => void,
): () => void {
  const listener = (message: ClientMessage): void => {
    if (messageTopic(message) === topic) handler(message);
  };
  client.on('*', listener);
  return () => void client.off('*', listener);
}
