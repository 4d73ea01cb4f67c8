-- KEYS[1] the owner mark of a process prefix, KEYS[2] that prefix's queue;
-- ARGV: element, ttl (whole seconds).
-- Pushes a membership note only when a process said it owns the prefix (an interface server
-- refreshes its mark while it runs), so no other reader of the prefix ever holds one, and a
-- note never counts against a capacity: the owner reads them at once. Returns 1 if pushed.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
