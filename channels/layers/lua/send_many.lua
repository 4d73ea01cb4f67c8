-- KEYS: the queue of each item, in send order (a queue appears once per item sent to it).
-- ARGV: now, ttl (whole seconds), then each item's element and its queue's capacity.
-- Pushes each item whose queue has room. Once a queue refused an item it refuses the rest of
-- the batch's items too, so a batch never reorders a queue. Returns {1 if pushed, 0 if not}.
local now, ttl = tonumber(ARGV[1]), ARGV[2]
local result, refused = {}, {}
for i, key in ipairs(KEYS) do
  local element, capacity = ARGV[1 + 2 * i], tonumber(ARGV[2 + 2 * i])
  if not refused[key] and push_if_room(key, capacity, now, element, ttl) then
    result[i] = 1
  else
    refused[key] = true
    result[i] = 0
  end
end
return result
