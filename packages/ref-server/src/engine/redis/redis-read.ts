import type { Envelope } from '@wse/core-client/protocol';
import type { StreamPosition } from '../../recovery/recovery-types';
import type { SharedRecoveryResult } from '../../recovery/shared-log';
import type { StampedPublication } from '../../recovery/topic-sequencer';

/** What READ_SCRIPT answers: the topic's epoch, its last offset (-1: none) and XRANGE entries. */
export interface StreamRead {
  epoch: string;
  last: number;
  entries: StampedPublication[];
}

/**
 * Turns a stamped envelope's JSON text (a channel message or a stream entry) into a publication;
 * `undefined` when it is not one (wrong shape, missing stamp).
 *
 * @example
 * stampedFromJson('{"c":"U","t":"x","p":{},"tp":"chat","e":"0badcafe","o":3}')?.offset; // 3
 */
export function stampedFromJson(json: string): StampedPublication | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const envelope = parsed as Envelope;
  const { tp, e, o } = envelope;
  if (typeof tp !== 'string' || typeof e !== 'string' || typeof o !== 'number') return undefined;
  return { topic: tp, epoch: e, offset: o, envelope, json, bytes: Buffer.byteLength(json, 'utf8') };
}

/**
 * Parses READ_SCRIPT's reply `[epoch, last, [[id, [field, json, ...]], ...]]`.
 *
 * @throws TypeError when Redis answered something else (a wrong script, a foreign key)
 * @example
 * parseRead(['0badcafe', 2, [['0-3', ['d', json]]]]); // { epoch: '0badcafe', last: 2, entries: [...] }
 */
export function parseRead(reply: unknown): StreamRead {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string' || typeof reply[1] !== 'number') {
    throw new TypeError('unexpected READ reply from Redis');
  }
  const entries: StampedPublication[] = [];
  for (const entry of (reply[2] ?? []) as unknown[]) {
    const fields = Array.isArray(entry) ? (entry[1] as unknown[]) : undefined;
    const json = Array.isArray(fields) ? fields[1] : undefined;
    const pub = typeof json === 'string' ? stampedFromJson(json) : undefined;
    if (pub) entries.push(pub);
  }
  return { epoch: reply[0], last: reply[1], entries };
}

/**
 * The recovery rules of docs-site/protocol §4 over one Redis read: all of (position.offset, last] in offset
 * order, or nothing (`recovered: false` with the topic's position to re-baseline to). Redis keeps
 * ONE epoch per topic, so only a single position in that epoch can be recovered; several
 * positions (a client coming from a mesh) or another epoch (Redis lost the stream) answer false.
 * A range trimmed by `MAXLEN ~` or longer than `maxMessages` is false too.
 *
 * @example
 * decideRecovery({ epoch: 'aa', last: 5, entries }, [{ epoch: 'aa', offset: 3 }], 500); // recovered, count 2
 */
export function decideRecovery(
  read: StreamRead,
  positions: readonly StreamPosition[],
  maxMessages: number,
): SharedRecoveryResult {
  const head: StreamPosition = { epoch: read.epoch, offset: read.last };
  const fail: SharedRecoveryResult = { recovered: false, count: 0, positions: [head], publications: [] };
  const only = positions.length === 1 ? positions[0] : undefined;
  if (!only || only.epoch !== read.epoch) return fail;
  const from = only.offset;
  const want = read.last - from;
  if (!Number.isSafeInteger(from) || from < -1 || want < 0 || want > maxMessages) return fail;
  if (read.entries.length !== want) return fail;
  for (let i = 0; i < want; i++) {
    const pub = read.entries[i] as StampedPublication;
    if (pub.offset !== from + 1 + i || pub.epoch !== read.epoch) return fail;
  }
  return { recovered: true, count: want, positions: [head], publications: read.entries };
}
