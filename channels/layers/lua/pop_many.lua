-- KEYS: queues, in the order to try. ARGV: now, most elements to take.
-- Pops up to ARGV[2] unexpired elements, one from each queue in turn (round robin), so that
-- a batch is shared among the queues that have messages, as single pops would be: a queue
-- with a backlog cannot fill a whole batch while another waits. Each queue's elements come
-- out in order. Expired elements met on the way are dropped.
-- Returns {{key, element, key, element...}, {key, expired count...}}.
local now, limit = tonumber(ARGV[1]), 2 * tonumber(ARGV[2])
local taken, dropped, live = {}, {}, {}
for index = 1, #KEYS do
  live[index] = true
  dropped[index] = 0
end
local any = true
while any and #taken < limit do
  any = false
  for index, key in ipairs(KEYS) do
    if live[index] and #taken < limit then
      local element = redis.call('LPOP', key)
      -- Skip expired elements to the queue's next live one.
      while element and expires_at(element) <= now do
        dropped[index] = dropped[index] + 1
        element = redis.call('LPOP', key)
      end
      if element then
        taken[#taken + 1] = key
        taken[#taken + 1] = element
        any = true
      else
        live[index] = false
      end
    end
  end
end
local expired = {}
for index, key in ipairs(KEYS) do
  if dropped[index] > 0 then
    expired[#expired + 1] = key
    expired[#expired + 1] = dropped[index]
  end
end
return {taken, expired}
