/**
 * Liveness of the consumers of the durable outbox. Every worker stamps the hash `<prefix>consumers`
 * (consumer name -> Redis time in ms) several times per liveness period. A consumer whose stamp is
 * older than the period is gone: its pending entries are taken over at once instead of after
 * `claim_idle`, and once it holds nothing its name is removed from the group. Consumers without a
 * stamp (written by older versions) keep the old rule: their entries are taken over by XAUTOCLAIM
 * after `claim_idle`, and their name is removed once they hold nothing and have been idle that long.
 */

/** Lua: Redis time in ms. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: consumers hash. ARGV: consumer name. Stamps it with Redis time; returns that time. */
export const STAMP_CONSUMER = `${NOW}
redis.call('HSET', KEYS[1], ARGV[1], now)
return now`;

/**
 * KEYS: outbox, consumers hash. ARGV: group, this consumer, liveness period (ms), claim idle (ms),
 * entries to take at most. Takes the pending entries of gone consumers (their stamp older than the
 * period, or 0 after a close that left work) into this consumer's pending list, removes gone
 * consumers that hold nothing from the group and the hash, and drops stale stamps of consumers no
 * longer in the group. Returns `{taken entries [id, fields], removed consumer names}`.
 * Atomic: a gone consumer's entries go to one taker, and a consumer is removed only when empty.
 */
export const TAKE_OVER_GONE = `${NOW}
local group, me, liveMs, idleMs, budget = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], group)
if not ok then return {{}, {}} end
local inGroup, taken, removed = {}, {}, {}
for _, c in ipairs(consumers) do
  local name, pending, idle = nil, 0, 0
  for j = 1, #c, 2 do
    if c[j] == 'name' then name = c[j + 1] elseif c[j] == 'pending' then pending = tonumber(c[j + 1]) elseif c[j] == 'idle' then idle = tonumber(c[j + 1]) end
  end
  inGroup[name] = true
  if name ~= me then
    local stamp = redis.call('HGET', KEYS[2], name)
    local gone
    if stamp then gone = now - tonumber(stamp) > liveMs else gone = idle > idleMs end
    if gone then
      if stamp and pending > 0 and budget > 0 then
        local p = redis.call('XPENDING', KEYS[1], group, '-', '+', budget, name)
        if #p > 0 then
          local args = {KEYS[1], group, me, 0}
          for _, e in ipairs(p) do args[#args + 1] = e[1] end
          for _, e in ipairs(redis.call('XCLAIM', unpack(args))) do
            if e then taken[#taken + 1] = e end
          end
          budget = budget - #p
        end
      end
      if #redis.call('XPENDING', KEYS[1], group, '-', '+', 1, name) == 0 then
        redis.call('XGROUP', 'DELCONSUMER', KEYS[1], group, name)
        redis.call('HDEL', KEYS[2], name)
        removed[#removed + 1] = name
      end
    end
  end
end
local stamps = redis.call('HGETALL', KEYS[2])
for j = 1, #stamps, 2 do
  local name = stamps[j]
  if name ~= me and not inGroup[name] and now - tonumber(stamps[j + 1]) > liveMs then
    redis.call('HDEL', KEYS[2], name)
  end
end
return {taken, removed}`;

/**
 * KEYS: outbox, consumers hash. ARGV: group, this consumer. On close: a consumer that holds nothing
 * leaves the group and the hash; one that still holds entries is stamped 0 (gone), so another
 * worker takes them over at once. Returns 1 when it still holds entries, else 0.
 */
export const RETIRE_CONSUMER = `local ok, p = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if not ok then
  redis.call('HDEL', KEYS[2], ARGV[2])
  return 0
end
if #p == 0 then
  redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
  redis.call('HDEL', KEYS[2], ARGV[2])
  return 0
end
redis.call('HSET', KEYS[2], ARGV[2], 0)
return 1`;
