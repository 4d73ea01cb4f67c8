-- KEYS[1] this shard's member hash of the group (field: channel, value: "<added> <capacity>").
-- ARGV: key prefix, expiry header (8 bytes), body, now, membership cutoff, ttl.
-- Members sharing a process-specific prefix get ONE element naming all of them.
-- Returns {members sent to, skipped channel...}.
local prefix, header, body = ARGV[1], ARGV[2], ARGV[3]
local now, cutoff, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local members = redis.call('HGETALL', KEYS[1])
local queues, order, capacities = {}, {}, {}
for i = 1, #members, 2 do
  local channel = members[i]
  local added, capacity = string.match(members[i + 1], '^(%S+) (%d+)$')
  if tonumber(added) <= cutoff then
    redis.call('HDEL', KEYS[1], channel)
  else
    local bang = string.find(channel, '!', 1, true)
    local queue = bang and string.sub(channel, 1, bang) or channel
    if not queues[queue] then
      queues[queue] = {}
      capacities[queue] = tonumber(capacity)
      order[#order + 1] = queue
    end
    local targets = queues[queue]
    targets[#targets + 1] = channel
  end
end
local result = {0}
for _, queue in ipairs(order) do
  local key = prefix .. queue
  local targets = queues[queue]
  local names = ''
  if string.sub(queue, -1) == '!' then
    names = table.concat(targets, ',')
  end
  if push_if_room(key, capacities[queue], now, header .. names .. '\0' .. body, ttl) then
    result[1] = result[1] + #targets
  else
    for _, channel in ipairs(targets) do
      result[#result + 1] = channel
    end
  end
end
return result
