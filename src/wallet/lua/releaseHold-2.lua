--[[
  Releases the hold of a call whose end never came (expired). Idempotent: a hold that is gone
  releases nothing. A late call end is still settled, from the balance.

  KEYS[1] wallet hash        {c:<company>}:w
  KEYS[2] holds hash         {c:<company>}:h
  ARGV[1] callId

  Returns the released amount in micro-units (0 when there was no hold).
]]
local hold = redis.call('HGET', KEYS[2], ARGV[1])
if not hold then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'held', '-' .. hold)
return tonumber(hold)
