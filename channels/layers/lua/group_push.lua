-- Cluster mode, second step of a group send: one copy onto each queue of one hash slot.
-- KEYS: the queues (all in one slot). ARGV: expiry header (8 bytes), body, now, ttl, then
-- for each queue its capacity and its target names (comma-separated; '' for a normal
-- channel). Returns {1 if pushed or 0 if full, per queue}.
local header, body, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local result = {}
for i, key in ipairs(KEYS) do
  local capacity, names = tonumber(ARGV[3 + 2 * i]), ARGV[4 + 2 * i]
  if push_if_room(key, capacity, now, header .. names .. '\0' .. body, ttl) then
    result[i] = 1
  else
    result[i] = 0
  end
end
return result
