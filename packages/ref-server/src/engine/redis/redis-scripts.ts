import { luaScript } from './redis-link';

/**
 * Redis layout of one topic (all keys share the hash tag `{topic}`, so they sit in one slot):
 *
 * - `<prefix>:t:{<topic>}:m` — hash `{e: epoch, n: next offset}`: the topic's ONE epoch, shared by
 *   every node. A new epoch is drawn only when Redis lost the topic (the hash is gone — restart
 *   without persistence, expiry after `ttlSec` idle, FLUSHALL — or it says offsets were written but
 *   the stream is gone).
 * - `<prefix>:t:{<topic>}:s` — the stream, capped with `XADD MAXLEN ~ bufferSize`. Entry ids are
 *   `0-(offset+1)`, so "everything after offset p" is `XRANGE s 0-(p+2) +` and a gap is visible as
 *   a missing id, with no id → offset table.
 * - `<prefix>:t:{<topic>}:c` — the pub/sub channel carrying each stamped envelope's JSON text.
 *
 * Both keys get `EXPIRE ttlSec` on every write, so an idle topic disappears whole.
 *
 * @example
 * const k = topicKeys('wse', 'chat'); // { meta: 'wse:t:{chat}:m', stream: 'wse:t:{chat}:s', channel: 'wse:t:{chat}:c' }
 */
export function topicKeys(prefix: string, topic: string): { meta: string; stream: string; channel: string } {
  const base = `${prefix}:t:{${topic}}`;
  return { meta: `${base}:m`, stream: `${base}:s`, channel: `${base}:c` };
}

/** Shared prologue: the topic's epoch and next offset, starting a new epoch when Redis lost it. */
const CURRENT = `
local meta, stream = KEYS[1], KEYS[2]
local e = redis.call('HGET', meta, 'e')
local n = tonumber(redis.call('HGET', meta, 'n') or '0')
local fresh = false
if (not e) or (n > 0 and redis.call('EXISTS', stream) == 0) then
  e = ARGV[4]
  n = 0
  fresh = true
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'e', e, 'n', 0)
end
`;

/**
 * Publish, atomically: take the next offset, append the stamped JSON to the capped stream, refresh
 * the TTL, PUBLISH it on the topic's channel. Because the script is atomic, channel order = offset
 * order = stream order on every node.
 *
 * KEYS: meta, stream. ARGV: 1 the canonical envelope's JSON without its closing brace and with
 * `,"tp":<topic>` appended; 2 bufferSize; 3 ttlSec; 4 a fresh epoch candidate; 5 the channel.
 * Returns `{epoch, offset}`. The JSON it builds is byte for byte `JSON.stringify(withStamp(...))`
 * (the stamp fields come last in canonical key order; epochs are hex, offsets integers).
 */
export const PUBLISH_SCRIPT = luaScript(`${CURRENT}
local json = ARGV[1] .. ',"e":"' .. e .. '","o":' .. string.format('%d', n) .. '}'
redis.call('XADD', stream, 'MAXLEN', '~', ARGV[2], '0-' .. string.format('%d', n + 1), 'd', json)
redis.call('HSET', meta, 'n', n + 1)
redis.call('EXPIRE', meta, ARGV[3])
redis.call('EXPIRE', stream, ARGV[3])
redis.call('PUBLISH', ARGV[5], json)
return {e, n}
`);

/**
 * Read a topic's position and, when asked, the publications after a client's position, atomically.
 *
 * KEYS: meta, stream. ARGV: 1 the client's epoch ('' for none); 2 its offset; 3 maxMessages;
 * 4 a fresh epoch candidate; 5 ttlSec (applied only when the topic is created here).
 * Returns `{epoch, lastOffset, entries}` where `entries` (XRANGE shape) is filled only when the
 * epoch matches and the range is within `maxMessages`; the caller checks it is complete.
 */
export const READ_SCRIPT = luaScript(`${CURRENT}
if fresh then
  redis.call('EXPIRE', meta, ARGV[5])
end
local last = n - 1
local entries = {}
local from = tonumber(ARGV[2])
if ARGV[1] == e and from and from >= -1 and from < last and last - from <= tonumber(ARGV[3]) then
  entries = redis.call('XRANGE', stream, '0-' .. string.format('%d', from + 2), '0-' .. string.format('%d', n))
end
return {e, last, entries}
`);
