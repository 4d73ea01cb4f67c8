-- KEYS[1] queue; ARGV: element, capacity, now, ttl (whole seconds).
-- Returns 1 if pushed, 0 if the queue is full.
if not has_room(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3])) then
  return 0
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
