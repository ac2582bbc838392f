/**
 * How a connection receives topic publications:
 * - `compressed`: subscribed in uWS under the topic's own name, gets the shared frame (`C:` above the
 *   compression threshold);
 * - `plain`: subscribed in uWS under the topic's second name ({@link uwsTopic} `'plain'`), gets the
 *   JSON text never compressed (the client said `features.compression: false`, docs-site/protocol §2);
 * - `none`: not in uWS at all, the fan-out sends it its own frames (msgpack, E2E, or a connection
 *   the send gate does not admit data to yet).
 */
export type UwsVariant = 'none' | 'compressed' | 'plain';

/** First character of every `plain` uWS name. */
export const PLAIN_PREFIX = '\u0001';
/** Escapes a `compressed` name that would start with a reserved character. */
const ESCAPE = '\u0002';

/**
 * The uWS topic name a subscriber of `variant` is subscribed under.
 *
 * Why no two names collide: `plain` names are `\u0001` + topic. Client topic names cannot start
 * with `\u0001` (`validateTopicName` rejects every control character, on every client path), so for
 * them the `compressed` name is the topic itself and never starts with `\u0001`. The server API
 * (`subscribeConnection`, `broadcast`) does not validate names, so a topic the APPLICATION chose
 * may start with a control character: those starting with `\u0001` or `\u0002` get `\u0002` in
 * front. The mapping is then injective and the two sets are disjoint whatever the name — compressed
 * names never start with `\u0001`, plain names always do. The check costs one `charCodeAt`.
 *
 * @example
 * uwsTopic('chat', 'compressed'); // 'chat'
 * uwsTopic('chat', 'plain');      // '\u0001chat'
 */
export function uwsTopic(topic: string, variant: 'compressed' | 'plain'): string {
  if (variant === 'plain') return PLAIN_PREFIX + topic;
  const c = topic.charCodeAt(0);
  return c === 1 || c === 2 ? ESCAPE + topic : topic;
}
