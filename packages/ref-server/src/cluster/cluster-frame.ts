/**
 * The node ↔ node frame codec (docs-site/protocol §9). Pure: bytes in, frames out, no I/O.
 *
 * Layout: `type u8 | flags u8 | topic_len u16 LE | payload_len u32 LE | topic | payload | trailer?`.
 *
 * Decisions recorded here (README "Cluster", "Decided"):
 * - The 1 MiB limit ({@link MAX_FRAME_BYTES}) counts the WHOLE frame: header, topic, payload and
 *   trailer. A header announcing more is refused before a byte of the body is buffered.
 * - An unknown type, a reserved flag bit (2..7), a flag on a frame type that cannot carry it
 *   (zstd only on MSG, the trailer only on MSG), a topic that is not valid UTF-8, and a body that
 *   does not match its type (HELLO, PEER_LIST) are errors: the link that sent it is reset, and only
 *   that link. Every failure has a stable {@link ClusterFrameErrorCode}.
 * - Topics are UTF-8 (the topic field of PEER_ANNOUNCE carries an address); offsets are read as
 *   numbers and must be ≤ 2^53 − 1 (the offsets JSON envelopes carry).
 *
 * @module
 */

/** Frame types of §9. */
export const FrameType = {
  MSG: 0x01,
  PING: 0x02,
  PONG: 0x03,
  HELLO: 0x04,
  SHUTDOWN: 0x05,
  SUB: 0x06,
  UNSUB: 0x07,
  RESYNC: 0x08,
  PEER_ANNOUNCE: 0x09,
  PEER_LIST: 0x0a,
  PRESENCE_UPDATE: 0x0b,
  PRESENCE_FULL: 0x0c,
  DRAIN: 0x0d,
  RECOVER: 0x0e,
  RECOVER_REPLY: 0x0f,
} as const;

/** One of {@link FrameType}'s values. */
export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

/** Flag bit 0: the payload is zstd-compressed. */
export const FLAG_ZSTD = 0x01;
/** Flag bit 1: a 12-byte recovery trailer (epoch u32 LE, offset u64 LE) follows the payload. */
export const FLAG_TRAILER = 0x02;
/** Header bytes. */
export const HEADER_BYTES = 8;
/** Trailer bytes. */
export const TRAILER_BYTES = 12;
/** Largest frame (header + topic + payload + trailer), and largest inflated payload. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** HELLO magic `"WSE\0"`. */
export const HELLO_MAGIC = new Uint8Array([0x57, 0x53, 0x45, 0x00]);
/** The cluster protocol version this node speaks. */
export const CLUSTER_VERSION = 1;

/** Capability bits of HELLO; negotiated = AND of both sides. */
export const Capability = {
  INTEREST: 1 << 0,
  ZSTD: 1 << 1,
  PRESENCE: 1 << 2,
  RECOVERY: 1 << 3,
} as const;

/**
 * Stable codes of {@link ClusterFrameError}.
 *
 * @example
 * ```ts
 * const code: ClusterFrameErrorCode = 'FRAME_TOO_LARGE';
 * ```
 */
export type ClusterFrameErrorCode =
  | 'FRAME_TOO_LARGE'
  | 'UNKNOWN_TYPE'
  | 'BAD_FLAGS'
  | 'BAD_TOPIC'
  | 'BAD_BODY'
  | 'BAD_MAGIC'
  | 'BAD_VERSION'
  | 'INFLATE_TOO_LARGE'
  | 'INFLATE_FAILED';

/**
 * A peer sent bytes that break §9. The link that sent them is reset; nothing else is.
 *
 * @example
 * ```ts
 * try { decoder.push(chunk); } catch (err) { if (err instanceof ClusterFrameError) link.reset(err.code); }
 * ```
 */
export class ClusterFrameError extends Error {
  override name = 'ClusterFrameError';
  constructor(
    readonly code: ClusterFrameErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/**
 * One decoded (or to-be-encoded) frame. `payload` is a view into the decoder's buffer: copy it to
 * keep it past the next `push`.
 *
 * @example
 * ```ts
 * const f: ClusterFrame = { type: FrameType.SUB, flags: 0, topic: 'chat', payload: new Uint8Array() };
 * ```
 */
export interface ClusterFrame {
  type: FrameTypeValue;
  flags: number;
  topic: string;
  payload: Uint8Array;
  trailer?: { epoch: number; offset: number };
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const KNOWN_TYPES = new Set<number>(Object.values(FrameType));

/**
 * Encodes one frame. Throws `FRAME_TOO_LARGE` for a frame over {@link MAX_FRAME_BYTES}, so a node
 * never sends what its peer must refuse.
 *
 * @example
 * ```ts
 * encodeClusterFrame({ type: FrameType.PING, flags: 0, topic: '', payload: new Uint8Array() });
 * // → 02 00 00 00 00 00 00 00
 * ```
 */
export function encodeClusterFrame(frame: Omit<ClusterFrame, 'flags'> & { flags?: number }): Uint8Array {
  const topic = frame.topic === '' ? EMPTY : utf8.encode(frame.topic);
  let flags = (frame.flags ?? 0) & ~FLAG_TRAILER;
  if (frame.trailer) flags |= FLAG_TRAILER;
  const total = HEADER_BYTES + topic.length + frame.payload.length + (frame.trailer ? TRAILER_BYTES : 0);
  if (total > MAX_FRAME_BYTES) throw new ClusterFrameError('FRAME_TOO_LARGE', `${total} bytes`);
  if (topic.length > 0xffff) throw new ClusterFrameError('BAD_TOPIC', 'topic over 65535 bytes');
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out[0] = frame.type;
  out[1] = flags;
  view.setUint16(2, topic.length, true);
  view.setUint32(4, frame.payload.length, true);
  out.set(topic, HEADER_BYTES);
  out.set(frame.payload, HEADER_BYTES + topic.length);
  if (frame.trailer) {
    const at = HEADER_BYTES + topic.length + frame.payload.length;
    view.setUint32(at, frame.trailer.epoch >>> 0, true);
    view.setBigUint64(at + 4, BigInt(frame.trailer.offset), true);
  }
  return out;
}

const EMPTY = new Uint8Array(0);

/**
 * Checks a complete frame's header fields and decodes its topic and trailer. `bytes` holds exactly
 * one frame.
 */
export function readFrame(bytes: Uint8Array): ClusterFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = bytes[0] as number;
  const flags = bytes[1] as number;
  const topicLen = view.getUint16(2, true);
  const payloadLen = view.getUint32(4, true);
  checkHeader(type, flags);
  let topic = '';
  if (topicLen > 0) {
    try {
      topic = strictUtf8.decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + topicLen));
    } catch {
      throw new ClusterFrameError('BAD_TOPIC', 'topic is not valid UTF-8');
    }
  }
  const start = HEADER_BYTES + topicLen;
  const frame: ClusterFrame = {
    type: type as FrameTypeValue,
    flags,
    topic,
    payload: bytes.subarray(start, start + payloadLen),
  };
  if (flags & FLAG_TRAILER) {
    const at = start + payloadLen;
    const offset = view.getBigUint64(at + 4, true);
    if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new ClusterFrameError('BAD_BODY', 'offset over 2^53');
    frame.trailer = { epoch: view.getUint32(at, true), offset: Number(offset) };
  }
  return frame;
}

/** Validates type and flags as soon as a header is complete (before buffering the body). */
export function checkHeader(type: number, flags: number): void {
  if (!KNOWN_TYPES.has(type)) throw new ClusterFrameError('UNKNOWN_TYPE', `type 0x${type.toString(16)}`);
  if (flags & ~(FLAG_ZSTD | FLAG_TRAILER))
    throw new ClusterFrameError('BAD_FLAGS', `reserved bits in 0x${flags.toString(16)}`);
  if (flags !== 0 && type !== FrameType.MSG) {
    throw new ClusterFrameError('BAD_FLAGS', `flags 0x${flags.toString(16)} on type 0x${type.toString(16)}`);
  }
}

/** HELLO's body. */
export interface Hello {
  version: number;
  instanceId: string;
  capabilities: number;
}

/**
 * HELLO payload: `"WSE\0" | version u16 LE | id_len u16 LE | instance id | capabilities u32 LE`.
 *
 * @example
 * ```ts
 * encodeHello({ version: 1, instanceId: 'a', capabilities: 0b1011 });
 * ```
 */
export function encodeHello(hello: Hello): Uint8Array {
  const id = utf8.encode(hello.instanceId);
  const out = new Uint8Array(4 + 2 + 2 + id.length + 4);
  const view = new DataView(out.buffer);
  out.set(HELLO_MAGIC);
  view.setUint16(4, hello.version, true);
  view.setUint16(6, id.length, true);
  out.set(id, 8);
  view.setUint32(8 + id.length, hello.capabilities >>> 0, true);
  return out;
}

/** Decodes a HELLO payload; `BAD_MAGIC`, `BAD_VERSION` or `BAD_BODY` when it is not one we speak. */
export function decodeHello(payload: Uint8Array): Hello {
  if (payload.length < 12) throw new ClusterFrameError('BAD_BODY', 'HELLO too short');
  for (let i = 0; i < 4; i++) {
    if (payload[i] !== HELLO_MAGIC[i])
      throw new ClusterFrameError('BAD_MAGIC', 'HELLO magic is not "WSE\\0"');
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const version = view.getUint16(4, true);
  if (version !== CLUSTER_VERSION) throw new ClusterFrameError('BAD_VERSION', `version ${version}`);
  const idLen = view.getUint16(6, true);
  if (idLen === 0 || payload.length !== 12 + idLen)
    throw new ClusterFrameError('BAD_BODY', 'HELLO id length');
  let instanceId: string;
  try {
    instanceId = strictUtf8.decode(payload.subarray(8, 8 + idLen));
  } catch {
    throw new ClusterFrameError('BAD_BODY', 'HELLO id is not UTF-8');
  }
  return { version, instanceId, capabilities: view.getUint32(8 + idLen, true) };
}

/**
 * PEER_LIST payload: `u16 count, then (u16 len, address)*`.
 *
 * @example
 * ```ts
 * decodePeerList(encodePeerList(['10.0.0.2:7001'])); // ['10.0.0.2:7001']
 * ```
 */
export function encodePeerList(addresses: readonly string[]): Uint8Array {
  const parts = addresses.slice(0, 0xffff).map((a) => utf8.encode(a));
  const out = new Uint8Array(2 + parts.reduce((n, p) => n + 2 + p.length, 0));
  const view = new DataView(out.buffer);
  view.setUint16(0, parts.length, true);
  let at = 2;
  for (const p of parts) {
    view.setUint16(at, p.length, true);
    out.set(p, at + 2);
    at += 2 + p.length;
  }
  return out;
}

/** Decodes a PEER_LIST payload; `BAD_BODY` when counts and lengths do not add up exactly. */
export function decodePeerList(payload: Uint8Array): string[] {
  if (payload.length < 2) throw new ClusterFrameError('BAD_BODY', 'PEER_LIST too short');
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = view.getUint16(0, true);
  const out: string[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (at + 2 > payload.length) throw new ClusterFrameError('BAD_BODY', 'PEER_LIST truncated');
    const len = view.getUint16(at, true);
    if (at + 2 + len > payload.length) throw new ClusterFrameError('BAD_BODY', 'PEER_LIST truncated');
    try {
      out.push(strictUtf8.decode(payload.subarray(at + 2, at + 2 + len)));
    } catch {
      throw new ClusterFrameError('BAD_BODY', 'PEER_LIST address is not UTF-8');
    }
    at += 2 + len;
  }
  if (at !== payload.length) throw new ClusterFrameError('BAD_BODY', 'PEER_LIST has trailing bytes');
  return out;
}
