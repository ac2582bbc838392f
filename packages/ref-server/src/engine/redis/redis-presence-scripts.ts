import { luaScript } from './redis-link';

/**
 * Redis layout of a topic's presence (hash tag `{topic}`, beside the topic's stream keys):
 *
 * - `<prefix>:p:{<topic>}:e` — hash `<node>|<conn>` → user id: one entry per connection.
 * - `<prefix>:p:{<topic>}:z` — sorted set `<node>|<conn>` scored by the entry's expiry (ms). The
 *   owning node pushes it forward every `ttl/3`; an entry past it belongs to a dead node.
 * - `<prefix>:p:{<topic>}:u` — hash user → number of entries (connections, all nodes).
 * - `<prefix>:p:{<topic>}:d` — hash user → data (JSON text, the latest write wins).
 *
 * Join/leave/update go out on the topic's channel as `P{"a":action,"u":user,"d":data}` from inside
 * the script that caused them, so each happens exactly once whichever node (or sweep) caused it,
 * and every node holding the topic tells its own subscribers once.
 *
 * @example
 * presenceKeys('wse', 'room'); // ['wse:p:{room}:e', 'wse:p:{room}:z', 'wse:p:{room}:u', 'wse:p:{room}:d']
 */
export function presenceKeys(prefix: string, topic: string): string[] {
  const base = `${prefix}:p:{${topic}}`;
  return [`${base}:e`, `${base}:z`, `${base}:u`, `${base}:d`];
}

/** Removes one entry; the user's last one publishes `leave` with the last data. */
const DROP = `
local function drop(entry, chan)
  local user = redis.call('HGET', KEYS[1], entry)
  redis.call('ZREM', KEYS[2], entry)
  if not user then return 0 end
  redis.call('HDEL', KEYS[1], entry)
  local n = redis.call('HINCRBY', KEYS[3], user, -1)
  if n <= 0 then
    redis.call('HDEL', KEYS[3], user)
    local data = redis.call('HGET', KEYS[4], user) or 'null'
    redis.call('HDEL', KEYS[4], user)
    redis.call('PUBLISH', chan, 'P{"a":"leave","u":' .. cjson.encode(user) .. ',"d":' .. data .. '}')
  end
  return 1
end
local function sweep(now, chan)
  local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
  for _, entry in ipairs(dead) do drop(entry, chan) end
  return #dead
end
`;

/**
 * Adds or refreshes a connection's entry and sets its user's data. A new user on a full topic →
 * `'FULL'` (nothing written). Publishes `join` (first entry of the user) or `update` (data changed).
 *
 * KEYS: presenceKeys. ARGV: 1 entry, 2 user, 3 user as JSON, 4 data JSON, 5 expiry ms, 6 maxMembers
 * (0: none), 7 channel, 8 key TTL s, 9 now ms (expired entries are swept first).
 */
export const PRESENCE_SET = luaScript(`${DROP}
sweep(ARGV[9], ARGV[7])
local entry, user, data = ARGV[1], ARGV[2], ARGV[4]
local action = false
if not redis.call('HGET', KEYS[1], entry) then
  local n = tonumber(redis.call('HGET', KEYS[3], user) or '0')
  local max = tonumber(ARGV[6])
  if n == 0 and max > 0 and redis.call('HLEN', KEYS[3]) >= max then return 'FULL' end
  redis.call('HSET', KEYS[1], entry, user)
  redis.call('HINCRBY', KEYS[3], user, 1)
  if n == 0 then action = 'join' end
end
local old = redis.call('HGET', KEYS[4], user)
redis.call('HSET', KEYS[4], user, data)
if (not action) and old ~= data then action = 'update' end
redis.call('ZADD', KEYS[2], ARGV[5], entry)
for _, k in ipairs(KEYS) do redis.call('EXPIRE', k, ARGV[8]) end
if action then
  redis.call('PUBLISH', ARGV[7], 'P{"a":"' .. action .. '","u":' .. ARGV[3] .. ',"d":' .. data .. '}')
end
return action or 'same'
`);

/** Removes entries (ARGV: 1 channel, 2.. entries); publishes `leave` for users left without one. */
export const PRESENCE_DROP = luaScript(`${DROP}
local n = 0
for i = 2, #ARGV do n = n + drop(ARGV[i], ARGV[1]) end
return n
`);

/**
 * Sweeps expired entries (publishing their leaves), then answers `{users, counts, datas}`:
 * `[user1, count1, user2, count2, ...]` and `[user1, data1, ...]`. ARGV: 1 now ms, 2 channel.
 */
export const PRESENCE_READ = luaScript(`${DROP}
sweep(ARGV[1], ARGV[2])
return {redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4])}
`);
