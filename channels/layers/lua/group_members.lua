-- Cluster mode, first step of a group send (the queues live in other slots).
-- KEYS[1] the group's member hash (field: channel, value: "<added> <capacity>").
-- ARGV: membership cutoff. Drops members added at or before the cutoff; returns the others
-- as {channel, value, channel, value...}.
local cutoff = tonumber(ARGV[1])
local members = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #members, 2 do
  local added = string.match(members[i + 1], '^(%S+) ')
  if tonumber(added) <= cutoff then
    redis.call('HDEL', KEYS[1], members[i])
  else
    live[#live + 1] = members[i]
    live[#live + 1] = members[i + 1]
  end
end
return live
