-- KEYS: queues, in the order to try. ARGV: now, most elements to take.
-- Pops up to ARGV[2] unexpired elements: the first queue's until it is empty, then the next
-- queue's, so each queue's elements come out in order. Expired elements met on the way are
-- dropped. Returns {{key, element, key, element...}, {key, expired count...}}.
local now, limit = tonumber(ARGV[1]), 2 * tonumber(ARGV[2])
local taken, expired = {}, {}
for _, key in ipairs(KEYS) do
  local dropped = 0
  while #taken < limit do
    local element = redis.call('LPOP', key)
    if not element then
      break
    end
    if expires_at(element) > now then
      taken[#taken + 1] = key
      taken[#taken + 1] = element
    else
      dropped = dropped + 1
    end
  end
  if dropped > 0 then
    expired[#expired + 1] = key
    expired[#expired + 1] = dropped
  end
  if #taken >= limit then
    break
  end
end
return {taken, expired}
