/**
 * The WSE envelope (docs-site/protocol §1): build, validate, categorise.
 *
 * Decisions:
 * - Unknown extra fields are DROPPED by `parseEnvelope`: the result has only the fields below, so
 *   whatever a peer adds never leaks into fan-out or breaks byte-exact re-encoding.
 * - Field order of every envelope this module returns (and so of every encoded frame) is fixed:
 *   c, t, p, id, ts, seq, v, cid, pri, tp, e, o. Absent fields are omitted, never `null`.
 * - The recovery stamp `tp`/`e`/`o` is all-or-nothing.
 */
import { ProtocolError } from './errors';

/** Category: protocol/system, snapshot, update. */
export type Category = 'WSE' | 'S' | 'U';
/** The named priorities: background, low, normal, high, critical (any integer 1..10 is accepted). */
export type Priority = 1 | 3 | 5 | 8 | 10;

/**
 * One WSE message.
 *
 * @example
 * const env: Envelope = { c: 'U', t: 'chat_message', p: { text: 'hi' } };
 */
export interface Envelope<P = Record<string, unknown>> {
  c: Category;
  t: string;
  p: P;
  id?: string;
  ts?: string;
  seq?: number;
  v?: number;
  cid?: string;
  pri?: number;
  tp?: string;
  e?: string;
  o?: number;
  /** Message signature `hash:signed_at:nonce:hmac` (docs-site/protocol §6; see `signature.ts`); written last. */
  sig?: string;
}

/** Protocol version spoken by this codec. */
export const PROTOCOL_VERSION = 1;

/**
 * Key order of encoded envelopes (documented so other implementations can match bytes).
 *
 * @example
 * ENVELOPE_KEY_ORDER.join(','); // 'c,t,p,id,ts,seq,v,cid,pri,tp,e,o'
 */
export const ENVELOPE_KEY_ORDER = [
  'c',
  't',
  'p',
  'id',
  'ts',
  'seq',
  'v',
  'cid',
  'pri',
  'tp',
  'e',
  'o',
] as const;

/**
 * Every message type named in docs-site/protocol (plus `config_update`); their category is `WSE`.
 *
 * @example
 * PROTOCOL_TYPES.has('server_ready'); // true
 */
export const PROTOCOL_TYPES: ReadonlySet<string> = new Set([
  'server_ready',
  'client_hello',
  'server_hello',
  'ping',
  'PONG',
  'error',
  'auth_refresh',
  'auth_refreshed',
  'subscription_update',
  'subscription',
  'subscribe',
  'publish',
  'presence',
  'presence_join',
  'presence_leave',
  'presence_update',
  'presence_stats',
  'rate_limit_warning',
  'batch',
  'config_update',
  'queue_group_stats',
]);

/**
 * Category of a message type: `S` for snapshots, `WSE` for protocol types, else `U`.
 *
 * @example
 * categoryOf('orders_snapshot'); // 'S'
 * categoryOf('ping'); // 'WSE'
 * categoryOf('chat_message'); // 'U'
 */
export function categoryOf(type: string): Category {
  if (type.endsWith('_snapshot') || type.startsWith('snapshot_')) return 'S';
  return PROTOCOL_TYPES.has(type) ? 'WSE' : 'U';
}

// Two hex digits per byte value, and one scratch buffer (filled and read synchronously, so it is
// never shared between calls): an id is built with 16 table lookups and no allocation but the
// string — once per publication on the server.
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const idBytes = new Uint8Array(16);

function defaultRandom(bytes: Uint8Array): void {
  globalThis.crypto.getRandomValues(bytes as Uint8Array<ArrayBuffer>);
}

/**
 * A UUID v7 (RFC 9562): 48-bit ms timestamp, then random bits; sorts by creation time.
 *
 * @example
 * uuidv7(); // '019a…-…-7…-…'
 * uuidv7(0, (b) => b.fill(0)); // '00000000-0000-7000-8000-000000000000'
 */
export function uuidv7(
  now: number = Date.now(),
  random: (bytes: Uint8Array) => void = defaultRandom,
): string {
  const b = idBytes;
  random(b);
  const ms = Math.max(0, Math.floor(now));
  if (ms !== prefixMs) {
    // The 48-bit timestamp part, written once per millisecond (a busy server makes many ids per ms).
    let t = ms;
    const ts = new Uint8Array(6);
    for (let i = 5; i >= 0; i--) {
      ts[i] = t % 256;
      t = Math.floor(t / 256);
    }
    const h = (i: number) => HEX2[ts[i]!]!;
    prefix = `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-`;
    prefixMs = ms;
  }
  const h = (i: number) => HEX2[b[i]!]!;
  return `${prefix}${HEX2[0x70 | (b[6]! & 0x0f)]}${h(7)}-${HEX2[0x80 | (b[8]! & 0x3f)]}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}
let prefixMs = -1;
let prefix = '';

/** Options of {@link buildEnvelope}; every field overrides the generated default. */
export interface BuildOptions {
  id?: string;
  ts?: string;
  seq?: number;
  cid?: string;
  pri?: number;
  c?: Category;
  stamp?: { topic: string; epoch: string; offset: number };
  /** Clock for `id` and `ts` (ms since epoch); default `Date.now()`. */
  now?: number;
}

/**
 * A complete outbound envelope: fills `c` (category rule), `id` (UUID v7), `ts` (ISO-8601 UTC ms)
 * and `v: 1`. Validates like {@link parseEnvelope}.
 *
 * @example
 * buildEnvelope('chat_message', { text: 'hi' }, { cid: 'req-1' });
 */
export function buildEnvelope<P = Record<string, unknown>>(
  type: string,
  payload?: P,
  options: BuildOptions = {},
): Envelope<P> {
  const now = options.now ?? Date.now();
  const env = parseEnvelope({
    c: options.c ?? (typeof type === 'string' ? categoryOf(type) : undefined),
    t: type,
    p: payload ?? {},
    id: options.id ?? uuidv7(now),
    ts: options.ts ?? new Date(now).toISOString(),
    seq: options.seq,
    v: PROTOCOL_VERSION,
    cid: options.cid,
    pri: options.pri,
    tp: options.stamp?.topic,
    e: options.stamp?.epoch,
    o: options.stamp?.offset,
  });
  return env as Envelope<P>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function invalid(field: string, expected: string): never {
  throw new ProtocolError('INVALID_FIELD', `envelope field "${field}" must be ${expected}`);
}

const isNonNegInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

// The readers below use named property loads (src.id, not src[key]): every decoded frame passes
// through here, and V8 keeps named loads on a JSON.parse'd object monomorphic and inline-cached,
// where keyed loads through a shared helper went megamorphic (profile of issue 16: ~25 % of a
// 256-byte frame's decode).

function readStrings(src: Record<string, unknown>, out: Record<string, unknown>): void {
  const { id, ts } = src;
  if (id !== undefined) {
    if (typeof id !== 'string') invalid('id', 'a string');
    out.id = id;
  }
  if (ts !== undefined) {
    if (typeof ts !== 'string') invalid('ts', 'a string');
    out.ts = ts;
  }
}

function readType(src: Record<string, unknown>): string {
  const t = src.t ?? src.type;
  if (t === undefined || t === null || t === '')
    throw new ProtocolError('MISSING_TYPE', 'envelope has no "t"');
  if (typeof t !== 'string') invalid('t', 'a string');
  return t;
}

function readPayload(src: Record<string, unknown>): Record<string, unknown> {
  const p = src.p ?? src.payload;
  if (p === undefined || p === null) return {};
  if (!isPlainObject(p)) invalid('p', 'an object');
  return p;
}

function readCategory(src: Record<string, unknown>, t: string): Category {
  const c = src.c;
  if (c === undefined) return categoryOf(t);
  if (c !== 'WSE' && c !== 'S' && c !== 'U') invalid('c', '"WSE", "S" or "U"');
  return c;
}

// seq, v: numbers in range, written in key order.
function readNumbers(src: Record<string, unknown>, out: Record<string, unknown>): void {
  const { seq, v } = src;
  if (seq !== undefined) {
    if (!isNonNegInt(seq)) invalid('seq', 'a non-negative integer');
    out.seq = seq;
  }
  if (v !== undefined) {
    if (!(isNonNegInt(v) && v >= 1)) invalid('v', 'a positive integer');
    out.v = v;
  }
}

// cid, then pri: after seq/v in key order.
function readRouting(src: Record<string, unknown>, out: Record<string, unknown>): void {
  const { cid, pri } = src;
  if (cid !== undefined) {
    if (typeof cid !== 'string') invalid('cid', 'a string');
    out.cid = cid;
  }
  if (pri !== undefined) {
    if (!Number.isInteger(pri) || (pri as number) < 1 || (pri as number) > 10)
      invalid('pri', 'an integer 1..10');
    out.pri = pri;
  }
}

// 8 lower-case hex chars, without a RegExp call per stamped frame.
function isEpoch(e: string): boolean {
  if (e.length !== 8) return false;
  for (let i = 0; i < 8; i++) {
    const ch = e.charCodeAt(i);
    if (!((ch >= 0x30 && ch <= 0x39) || (ch >= 0x61 && ch <= 0x66))) return false;
  }
  return true;
}

// sig: written last (key order), a string when present.
function readSignature(src: Record<string, unknown>, out: Record<string, unknown>): void {
  const sig = src.sig;
  if (sig === undefined) return;
  if (typeof sig !== 'string') invalid('sig', 'a string');
  out.sig = sig;
}

function readStamp(src: Record<string, unknown>, out: Record<string, unknown>): void {
  const { tp, e, o } = src;
  if (tp === undefined && e === undefined && o === undefined) return;
  if (typeof tp !== 'string' || tp === '') invalid('tp', 'a non-empty string (tp, e, o go together)');
  if (typeof e !== 'string' || !isEpoch(e)) invalid('e', '8 lower-case hex chars (tp, e, o go together)');
  if (!isNonNegInt(o)) invalid('o', 'a non-negative safe integer (tp, e, o go together)');
  out.tp = tp;
  out.e = e;
  out.o = o;
}

/**
 * Validates a decoded value as an envelope and returns a fresh one in canonical key order.
 * Accepts `type`/`payload` for `t`/`p`; fills a missing `c` by the category rule; drops unknown
 * fields. Throws `ProtocolError` (NOT_AN_OBJECT, MISSING_TYPE, INVALID_FIELD).
 *
 * @example
 * parseEnvelope({ type: 'chat_message', payload: { text: 'hi' } });
 * // { c: 'U', t: 'chat_message', p: { text: 'hi' } }
 */
export function parseEnvelope(value: unknown): Envelope {
  if (!isPlainObject(value)) throw new ProtocolError('NOT_AN_OBJECT', 'envelope must be a JSON object');
  const t = readType(value);
  const out: Record<string, unknown> = { c: readCategory(value, t), t, p: readPayload(value) };
  readStrings(value, out);
  readNumbers(value, out);
  readRouting(value, out);
  readStamp(value, out);
  readSignature(value, out);
  return out as unknown as Envelope;
}
