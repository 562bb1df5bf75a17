/**
 * The Lua scripts of the durable outbox. Each runs atomically in Redis; all keys of one call share
 * the prefix's hash tag, so they work on Redis Cluster too.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** Lua: `lastDelivered(stream, group)`, the group's last-delivered id, or nil when there is no such group. */
const LAST_DELIVERED = `local function lastDelivered(stream, group)
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local name, id = nil, nil
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] end
      if g[i] == 'last-delivered-id' then id = g[i + 1] end
    end
    if name == group then return id end
  end
  return nil
end`;

/**
 * Append a batch of deliveries (ARGV[4..]: one JSON record each) and, when ARGV[3] > 0, take up to that many entries into this consumer's pending
 * list in the same step. When nothing unread precedes the batch, its own first entries are claimed
 * directly (XCLAIM FORCE JUSTID, then the group's last-delivered id moves past them), which costs
 * Redis far less than reading them back; otherwise XREADGROUP takes the oldest unread entries.
 * Returns joined strings `{added ids, claimed ids that were just added (the caller has them), other
 * claimed ids, their records ("\n")}`.
 */
export const ADD_AND_CLAIM = `${LAST_DELIVERED}
local function after(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am > bm or (am == bm and as > bs)
end
-- The group is created here too, so a deleted stream or group heals itself (BUSYGROUP otherwise).
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
local n = tonumber(ARGV[3])
local backlog = true
if n > 0 then
  local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
  local delivered = lastDelivered(KEYS[1], ARGV[1])
  backlog = delivered == nil or (last ~= nil and after(last[1], delivered))
end
local ids = {}
for i = 4, #ARGV do
  ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'd', ARGV[i])
end
local mine, others, data = {}, {}, {}
if n > 0 and not backlog then
  local k = math.min(n, #ids)
  local args = {KEYS[1], ARGV[1], ARGV[2], 0}
  for i = 1, k do
    mine[i] = ids[i]
    args[#args + 1] = ids[i]
  end
  args[#args + 1] = 'FORCE'
  args[#args + 1] = 'JUSTID'
  redis.call('XCLAIM', unpack(args))
  redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], ids[k])
elseif n > 0 then
  local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', n, 'STREAMS', KEYS[1], '>')
  if r then
    local own = {}
    for _, id in ipairs(ids) do own[id] = true end
    for _, e in ipairs(r[1][2]) do
      if own[e[1]] then
        mine[#mine + 1] = e[1]
      else
        local d = ''
        if e[2] then
          for i = 1, #e[2], 2 do
            if e[2][i] == 'd' then d = e[2][i + 1] end
          end
        end
        others[#others + 1] = e[1]
        data[#data + 1] = d
      end
    end
  end
end
return {table.concat(ids, ','), table.concat(mine, ','), table.concat(others, ','), table.concat(data, '\\n')}`;


/**
 * Record a batch of settled attempts in one step. KEYS: outbox, delayed, log, dead. ARGV: group,
 * log size, dead-letter cap, then four counts (entry ids to acknowledge, log lines, delayed
 * records, dead letters) and the values in that order: ids; lines; (due, record) pairs;
 * (id, record, letter) triples.
 */
export const SETTLE = `local nack, nlog, ndelay, ndead = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local i = 8
local function chunks(first, count, fn)
  local last = first + count - 1
  for from = first, last, 1000 do fn(unpack(ARGV, from, math.min(from + 999, last))) end
end
local acks = i
i = i + nack
if nlog > 0 then
  chunks(i, nlog, function(...) redis.call('LPUSH', KEYS[3], ...) end)
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[2]) - 1)
end
i = i + nlog
for _ = 1, ndelay do
  redis.call('ZADD', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for _ = 1, ndead do
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', 'id', ARGV[i], 'd', ARGV[i + 1], 'l', ARGV[i + 2])
  i = i + 3
end
if nack > 0 then chunks(acks, nack, function(...) redis.call('XACK', KEYS[1], ARGV[1], ...) end) end
return nack`;

/**
 * Non-blocking read of up to ARGV[3] new entries for consumer ARGV[2] of group ARGV[1], returned as
 * two joined strings `{ids (","), records ("\n")}`: far cheaper to decode than nested replies.
 */
export const READ_BATCH = `local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not r then return {'', ''} end
local ids, data = {}, {}
for _, e in ipairs(r[1][2]) do
  ids[#ids + 1] = e[1]
  local d = ''
  if e[2] then
    for i = 1, #e[2], 2 do
      if e[2][i] == 'd' then d = e[2][i + 1] end
    end
  end
  data[#data + 1] = d
end
return {table.concat(ids, ','), table.concat(data, '\\n')}`;

/** Move due members of the delayed set (KEYS[1]) back to the stream (KEYS[2]); ARGV: now, limit. */
export const MOVE_DUE = `local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #due do
  redis.call('XADD', KEYS[2], '*', 'd', due[i])
  redis.call('ZREM', KEYS[1], due[i])
end
return #due`;

/**
 * Trim acknowledged entries: everything older than the oldest pending entry of group ARGV[1], or
 * than the group's last-delivered id when nothing is pending (entries after it are not read yet).
 * Cheaper than one XDEL per delivery.
 */
export const TRIM_ACKED = `${LAST_DELIVERED}
local last = lastDelivered(KEYS[1], ARGV[1])
if not last then return 0 end
local p = redis.call('XPENDING', KEYS[1], ARGV[1])
local minid = last
if tonumber(p[1]) > 0 then minid = p[2] end
return redis.call('XTRIM', KEYS[1], 'MINID', '~', minid)`;

const shas = new Map<string, string>();

/** EVALSHA, loading the script with EVAL when Redis does not know it yet. */
export async function runScript(redis: Redis | Cluster, source: string, keys: string[], args: (string | number)[]): Promise<unknown> {
  let sha = shas.get(source);
  if (sha === undefined) {
    sha = createHash('sha1').update(source).digest('hex');
    shas.set(source, sha);
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!/NOSCRIPT/.test(error instanceof Error ? error.message : String(error))) throw error;
    return redis.eval(source, keys.length, ...keys, ...args);
  }
}
