--[[
  Grows the hold of a running call whose hold is nearly used up, by as much of `extra` as the
  available balance allows, provided it pays at least `minimum`. When it cannot, the caller
  cuts the call off.

  KEYS[1] wallet hash        {c:<company>}:w
  KEYS[2] holds hash         {c:<company>}:h
  ARGV[1] callId
  ARGV[2] extra              integer micro-units
  ARGV[3] minimum            integer micro-units

  Returns {code, hold}
    code  1 extended (hold = new total), 0 the call has no hold (ended or released),
          -1 wallet not loaded, -2 available balance below minimum (hold unchanged)
]]
--@include walletKeys

if redis.call('HEXISTS', KEYS[1], 'seq') == 0 then return {NOT_LOADED} end
local hold = redis.call('HGET', KEYS[2], ARGV[1])
if not hold then return {0, '0'} end
local available = tonumber(redis.call('HGET', KEYS[1], 'bal')) - tonumber(redis.call('HGET', KEYS[1], 'held') or '0')
if available < tonumber(ARGV[3]) or available <= 0 then return {INSUFFICIENT, hold} end
local add = tonumber(ARGV[2])
if add > available then add = available end
local addText = int(add)
local total = redis.call('HINCRBY', KEYS[2], ARGV[1], addText)
redis.call('HINCRBY', KEYS[1], 'held', addText)
return {1, int(total)}
