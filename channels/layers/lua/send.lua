-- KEYS[1] queue; ARGV: element, capacity, now, ttl (whole seconds).
-- Returns 1 if pushed, 0 if the queue is full. The common path is RPUSH + EXPIRE: the push
-- returns the length, and only a queue over capacity pays for dropping expired heads.
local capacity = tonumber(ARGV[2])
if redis.call('RPUSH', KEYS[1], ARGV[1]) > capacity then
  redis.call('RPOP', KEYS[1])
  if not has_room(KEYS[1], capacity, tonumber(ARGV[3])) then
    return 0
  end
  redis.call('RPUSH', KEYS[1], ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
