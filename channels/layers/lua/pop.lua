-- KEYS: queues, in the order to try. ARGV: now.
-- Pops the first unexpired element of the first queue that has one: {key, element}, or nil.
-- Expired elements met on the way are dropped; their count is returned as a third item.
local now = tonumber(ARGV[1])
local expired = 0
for _, key in ipairs(KEYS) do
  while true do
    local element = redis.call('LPOP', key)
    if not element then
      break
    end
    if expires_at(element) > now then
      return {key, element, expired}
    end
    expired = expired + 1
  end
end
if expired > 0 then
  return {false, false, expired}
end
return nil
