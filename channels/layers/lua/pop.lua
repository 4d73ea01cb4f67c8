-- KEYS: queues, in the order to try. ARGV: now.
-- Pops the first unexpired element of the first queue that has one: {key, element}, or nil.
-- Expired elements met on the way are dropped; their count is returned as a third item,
-- followed by key, count pairs saying which queues they came from.
local now = tonumber(ARGV[1])
local expired, by_key = 0, {}

local function reply(key, element)
  local result = {key, element, expired}
  for _, item in ipairs(by_key) do
    result[#result + 1] = item
  end
  return result
end

for _, key in ipairs(KEYS) do
  while true do
    local element = redis.call('LPOP', key)
    if not element then
      break
    end
    if expires_at(element) > now then
      return reply(key, element)
    end
    expired = expired + 1
    if by_key[#by_key - 1] == key then
      by_key[#by_key] = by_key[#by_key] + 1
    else
      by_key[#by_key + 1] = key
      by_key[#by_key + 1] = 1
    end
  end
end
if expired > 0 then
  return reply(false, false)
end
return nil
