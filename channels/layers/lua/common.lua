-- Shared by every script. A stored message ("element") is:
--   8 bytes   expiry time, big-endian IEEE double (Unix seconds)
--   targets   comma-separated full channel names (process-specific queues only; else empty)
--   "\0"      separator
--   body      the encoded (maybe encrypted) message
-- Capacity counts elements, so one group copy for many members of a prefix counts once.

local function expires_at(element)
  return (struct.unpack('>d', element))
end

-- True if queue `key` has room under `capacity`, after dropping expired elements at its head
-- (only when it looks full: the common path costs one LLEN).
local function has_room(key, capacity, now)
  if redis.call('LLEN', key) < capacity then
    return true
  end
  while true do
    local head = redis.call('LINDEX', key, 0)
    if not head or expires_at(head) > now then
      break
    end
    redis.call('LPOP', key)
  end
  return redis.call('LLEN', key) < capacity
end

-- Push `element` onto queue `key` if it has room; renew the key's expiry. True if pushed.
local function push_if_room(key, capacity, now, element, ttl)
  if not has_room(key, capacity, now) then
    return false
  end
  redis.call('RPUSH', key, element)
  redis.call('EXPIRE', key, ttl)
  return true
end
