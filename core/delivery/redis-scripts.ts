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
 * Stream entries hold one delivery (field `d`: its record) or several written together (fields
 * `n`: how many, `b`: a JSON array of records). Many per entry is what makes durable mode cheap:
 * Redis keeps one pending-list node and takes one acknowledgement per entry, not per delivery.
 */
export const ENTRY_RECORDS_MAX = 32;

/**
 * Lua: `readNew(stream, group, consumer, budget)` reads new entries for a consumer until about
 * `budget` deliveries (each entry counts its `n`, so at most ENTRY_RECORDS_MAX - 1 over), returning
 * two lists: entry ids and their payloads (`d` or `b`; '' for an entry deleted meanwhile).
 */
const READ_NEW = `local function payload(fields)
  local d, n = '', 1
  if fields then
    for i = 1, #fields, 2 do
      local f = fields[i]
      if f == 'd' or f == 'b' then d = fields[i + 1] elseif f == 'n' then n = tonumber(fields[i + 1]) or 1 end
    end
  end
  return d, n
end
local function readNew(stream, group, consumer, budget)
  local ids, data = {}, {}
  while budget > 0 do
    local want = math.ceil(budget / ${ENTRY_RECORDS_MAX})
    local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', want, 'STREAMS', stream, '>')
    if not r then break end
    local entries = r[1][2]
    for _, e in ipairs(entries) do
      local d, n = payload(e[2])
      ids[#ids + 1] = e[1]
      data[#data + 1] = d
      budget = budget - n
    end
    if #entries < want then break end
  end
  return ids, data
end`;

/**
 * Write new deliveries and, when ARGV[3] > 0, take about that many into this consumer's pending
 * list in the same step. KEYS: outbox, the prefix of the idempotency keys (`<prefix>seen:`), then
 * the cooldown keys the records claim. ARGV: group, consumer, claim count, idempotency window (ms),
 * record count, then per record five values: id, JSON, dedupe (1: refuse an id written within the
 * window), cooldown key index in KEYS (0: none), cooldown TTL (ms).
 *
 * Per record, in one atomic step: a record whose id was written within the window is a duplicate
 * (`d`: nothing written, no claim); a record whose cooldown key is held is suppressed (`s`); else
 * the cooldown key is claimed (value: the delivery id), the id is remembered for the window and the
 * record is appended (`a`). So a cooldown is claimed only together with its delivery, and a retried
 * delivery is written once. Appended records are packed in order, up to ENTRY_RECORDS_MAX per entry.
 *
 * When nothing unread precedes the batch, its own first entries are claimed directly (XCLAIM FORCE
 * JUSTID, then the group's last-delivered id moves past them), which costs Redis far less than
 * reading them back; otherwise the oldest unread entries are read. Returns joined strings `{added
 * ids, claimed ids that were just added (the caller has them), other claimed ids, their payloads
 * ("\n"), one status letter per record}`.
 */
export const ADD_AND_CLAIM = `${LAST_DELIVERED}
${READ_NEW}
local function after(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am > bm or (am == bm and as > bs)
end
-- The group is created here too, so a deleted stream or group heals itself (BUSYGROUP otherwise).
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
local n = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local nrec = tonumber(ARGV[5])
local backlog = true
if n > 0 then
  local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
  local delivered = lastDelivered(KEYS[1], ARGV[1])
  backlog = delivered == nil or (last ~= nil and after(last[1], delivered))
end
local status, kept = {}, {}
local a = 6
for r = 1, nrec do
  local id, json, dedupe, ck = ARGV[a], ARGV[a + 1], ARGV[a + 2] == '1' and window > 0, tonumber(ARGV[a + 3])
  local s = 'a'
  if dedupe and redis.call('EXISTS', KEYS[2] .. id) == 1 then
    s = 'd'
  elseif ck > 0 and not redis.call('SET', KEYS[ck], id, 'PX', ARGV[a + 4], 'NX') then
    s = 's'
  else
    if dedupe then redis.call('SET', KEYS[2] .. id, '1', 'PX', window) end
    kept[#kept + 1] = json
  end
  status[r] = s
  a = a + 5
end
local ids, counts = {}, {}
for first = 1, #kept, ${ENTRY_RECORDS_MAX} do
  local last = math.min(first + ${ENTRY_RECORDS_MAX} - 1, #kept)
  local count = last - first + 1
  counts[#counts + 1] = count
  if count == 1 then
    ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'd', kept[first])
  else
    ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'n', count, 'b', '[' .. table.concat(kept, ',', first, last) .. ']')
  end
end
if #ids == 0 and not backlog then n = 0 end
local mine, others, data = {}, {}, {}
if n > 0 and not backlog then
  local args = {KEYS[1], ARGV[1], ARGV[2], 0}
  local taken = 0
  for i = 1, #ids do
    if taken >= n then break end
    mine[i] = ids[i]
    args[#args + 1] = ids[i]
    taken = taken + counts[i]
  end
  args[#args + 1] = 'FORCE'
  args[#args + 1] = 'JUSTID'
  redis.call('XCLAIM', unpack(args))
  redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], mine[#mine])
elseif n > 0 then
  local own = {}
  for _, id in ipairs(ids) do own[id] = true end
  local readIds, readData = readNew(KEYS[1], ARGV[1], ARGV[2], n)
  for i, id in ipairs(readIds) do
    if own[id] then
      mine[#mine + 1] = id
    else
      others[#others + 1] = id
      data[#data + 1] = readData[i]
    end
  end
end
return {table.concat(ids, ','), table.concat(mine, ','), table.concat(others, ','), table.concat(data, '\\n'), table.concat(status)}`;

/**
 * Record a batch of settled deliveries in one step. KEYS: outbox, delayed, log, dead, done (hash:
 * entry id -> ids of its deliveries already settled, for entries settled piecemeal). ARGV: group,
 * log size, dead-letter cap, number of entries, then per entry: its id ('' for deliveries of no
 * entry), the deliveries it holds, k, and k items of five values (delivery id, kind, a, b, log
 * line or ''). Kinds: `d` done, `r` retry or park (a: due time, b: record), `x` dead (a: record, b:
 * letter), `a` re-append (a: record). An entry is acknowledged once all its deliveries are settled,
 * so a crash part-way re-sends only the rest.
 * Safe to run again with the same arguments (a retry after a lost reply, or a delivery settled by
 * two holders): an entry no longer pending was settled already and is skipped whole, and a delivery
 * already noted as settled in its entry is not recorded twice.
 */
export const SETTLE = `local nentries = tonumber(ARGV[4])
local i = 5
-- unpack in slices: Lua's stack takes a few thousand values at most.
local function chunks(list, first, last, fn)
  for from = first, last, 1000 do fn(unpack(list, from, math.min(from + 999, last))) end
end
local lines, acks = {}, {}
local function apply(at)
  local kind, a, b, line = ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4]
  if line ~= '' then lines[#lines + 1] = line end
  if kind == 'r' then
    redis.call('ZADD', KEYS[2], a, b)
  elseif kind == 'x' then
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', 'id', ARGV[at], 'd', a, 'l', b)
  elseif kind == 'a' then
    redis.call('XADD', KEYS[1], '*', 'd', a)
  end
end
for _ = 1, nentries do
  local ref, total, k = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local first = i + 3
  i = first + 5 * k
  if ref == '' then
    for j = 0, k - 1 do apply(first + 5 * j) end
  elseif #redis.call('XPENDING', KEYS[1], ARGV[1], ref, ref, 1) > 0 then
    -- Ids settled so far, each once (a delivery settled twice by two holders counts once).
    local seen, settled = {}, {}
    local prev = false
    if total > 1 then prev = redis.call('HGET', KEYS[5], ref) end
    if prev then
      for id in string.gmatch(prev, '[^,]+') do
        if not seen[id] then
          seen[id] = true
          settled[#settled + 1] = id
        end
      end
    end
    for j = 0, k - 1 do
      local at = first + 5 * j
      local id = ARGV[at]
      if not seen[id] then
        seen[id] = true
        settled[#settled + 1] = id
        apply(at)
      end
    end
    if #settled >= total then
      acks[#acks + 1] = ref
      if prev then redis.call('HDEL', KEYS[5], ref) end
    else
      redis.call('HSET', KEYS[5], ref, table.concat(settled, ','))
    end
  end
end
if #lines > 0 then
  chunks(lines, 1, #lines, function(...) redis.call('LPUSH', KEYS[3], ...) end)
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[2]) - 1)
end
if #acks > 0 then chunks(acks, 1, #acks, function(...) redis.call('XACK', KEYS[1], ARGV[1], ...) end) end
return #acks`;

/**
 * Non-blocking read of about ARGV[3] new deliveries for consumer ARGV[2] of group ARGV[1], returned
 * as two joined strings `{entry ids (","), payloads ("\n")}`: far cheaper to decode than nested replies.
 */
export const READ_BATCH = `${READ_NEW}
local ids, data = readNew(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]))
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
