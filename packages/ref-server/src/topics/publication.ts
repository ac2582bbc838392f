import { randomFillSync } from 'node:crypto';
import {
  type BuildOptions,
  buildEnvelope,
  type Envelope,
  PROTOCOL_TYPES,
  uuidv7,
} from '@wse/core-client/protocol';

// Random bytes for ids come from a pooled buffer: one getRandomValues call per id costs ~4 µs, which
// is most of a publication's JS cost at 100 subscribers (measured; see README, "Fan-out").
const pool = new Uint8Array(4096);
let poolAt = pool.length;
function pooledRandom(bytes: Uint8Array): void {
  if (poolAt + bytes.length > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  // A plain copy: `set(pool.subarray(…))` allocated a view per id (profile of issue 16).
  for (let i = 0; i < bytes.length; i++) bytes[i] = pool[poolAt + i] as number;
  poolAt += bytes.length;
}

let isoMs = -1;
let isoText = '';

/**
 * `id` (UUID v7, the codec's generator) and `ts` (ISO-8601, cached per millisecond) for an
 * outbound envelope, cheaper than `buildEnvelope`'s defaults.
 *
 * @example
 * buildEnvelope('tick', payload, { ...envelopeIds(), seq: 1 });
 */
export function envelopeIds(now = Date.now()): BuildOptions {
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return { id: uuidv7(now, pooledRandom), ts: isoText, now };
}

/**
 * Turns what an app (or a client `publish`, or `POST /api/publish`) hands us into the envelope
 * subscribers receive (docs-site/protocol §4). Only an object with a type **and** a payload —
 * `{t | type, p | payload, pri?}` — is an event and keeps its type; anything else, including an
 * object with a type but no payload (`{t: 'tick', n: 1}`), is wrapped whole as
 * `{t: 'publication', p: {topic, data}}` (`{t: 'broadcast', p: {data}}` without a topic), so no
 * field is dropped. Throws `ProtocolError` for an event that is not a valid envelope.
 *
 * @example
 * toPublication('chat', { t: 'chat_message', p: { text: 'hi' } }); // t: 'chat_message'
 * toPublication('prices', 42);                                     // t: 'publication', p: { topic, data: 42 }
 * toPublication('clock', { t: 'tick', n: 1 });                     // t: 'publication', p: { topic, data: { t: 'tick', n: 1 } }
 */
export function toPublication(topic: string | undefined, data: unknown): Envelope {
  // Ids from the pooled random source and the per-millisecond ISO text (buildEnvelope's defaults
  // draw crypto randomness per id: most of a publication's JS cost at 100 subscribers).
  const ids = envelopeIds();
  if (isEvent(data)) {
    const type = (data.t ?? data.type) as string;
    const payload = data.p ?? data.payload ?? {};
    if (typeof data.pri === 'number') ids.pri = data.pri;
    return buildEnvelope(type, payload as Record<string, unknown>, ids) as Envelope;
  }
  if (topic === undefined) return buildEnvelope('broadcast', { data: data ?? null }, ids) as Envelope;
  return buildEnvelope('publication', { topic, data: data ?? null }, ids) as Envelope;
}

/** Types only the server sends besides the protocol's own (replies, wrappers, recovery events). */
const SERVER_TYPES = ['publication', 'broadcast', 'publish_ack', 'response', 'recovery_failed'];
const RESERVED_TYPES: ReadonlySet<string> = new Set(
  [...PROTOCOL_TYPES, ...SERVER_TYPES].map((t) => t.toLowerCase()),
);

/**
 * The type a client `publish` would put on the wire when it is a protocol or server type
 * (`presence_join`, `error`, `server_hello`, `publication`, …; compared case-insensitively), else
 * `undefined`. A client must not be able to make the server relay such frames to other users:
 * they would forge presence, errors, handshakes or another topic's publications.
 *
 * @example
 * reservedEventType({ t: 'presence_join', p: {} }); // 'presence_join'
 * reservedEventType({ t: 'chat_message', p: {} });  // undefined
 * reservedEventType('plain data');                  // undefined (wrapped as a publication)
 */
export function reservedEventType(data: unknown): string | undefined {
  if (!isEvent(data)) return undefined;
  // Same resolution as toPublication; `t` may be a non-string next to a string `type` (that one is
  // refused by the envelope check later).
  const type = data.t ?? data.type;
  return typeof type === 'string' && RESERVED_TYPES.has(type.toLowerCase()) ? type : undefined;
}

/** docs-site/protocol §4: an event needs a type and a payload; `{t}` alone would lose its other fields. */
function isEvent(data: unknown): data is Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  const typed = typeof d.t === 'string' || typeof d.type === 'string';
  return typed && (d.p !== undefined || d.payload !== undefined);
}
