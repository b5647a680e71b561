-- toolgate rate limits: GCRA (generic cell rate algorithm), one call at a time, atomically.
-- The same arithmetic as the governor crate that keeps in-memory limits, so both stores decide
-- alike. Time is Redis's own clock (TIME), so every toolgate instance sharing this Redis agrees
-- on it whatever their own clocks say.
--
-- KEYS[1]  the bucket (prefix:rule:caller); its value is the theoretical arrival time (TAT) in
--          microseconds: when the bucket would be full again.
-- ARGV[1]  T, the emission interval in microseconds (period / calls)
-- ARGV[2]  tau, the tolerance in microseconds: T * (burst - 1)
--
-- Returns {1, 0} when the call conforms (and records it), or {0, wait}: the microseconds until
-- it would. The key expires when the bucket is full again, so idle callers leave nothing behind.
if redis.replicate_commands then
  redis.replicate_commands() -- Redis < 5: TIME before a write needs effects replication
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local t = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then
  tat = now
end
local earliest = tat - tau
if now < earliest then
  return {0, earliest - now}
end
local next_tat = tat + t
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.max(1, math.ceil((next_tat - now) / 1000)))
return {1, 0}
