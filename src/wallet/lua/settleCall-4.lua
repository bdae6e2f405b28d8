--[[
  Settles a call that has ended: releases its hold (if any) and debits its real cost. The debit
  is never refused: the call happened, so any part not covered by the hold or free balance is
  an overrun the caller records. Idempotent by event id; a second end of the same call under
  another event id is refused as a duplicate.

  KEYS[1] wallet hash        {c:<company>}:w
  KEYS[2] holds hash         {c:<company>}:h
  KEYS[3] event marker       {c:<company>}:e:<eventId>
  KEYS[4] call-ended marker  {c:<company>}:c:<callId>
  ARGV[1] callId
  ARGV[2] delta              the cost as a signed change of the balance: integer micro-units, <= 0
  ARGV[3] marker ttl         seconds (event and call-ended markers)

  Returns {code, seq, balanceAfter, heldAfter, holdReleased}
    code  1 settled, 0 duplicate event (stored outcome), -1 wallet not loaded,
          -4 this call was already settled by another event
]]
--@include walletKeys

local seen = replay(KEYS[3])
if seen then return seen end
if redis.call('HEXISTS', KEYS[1], 'seq') == 0 then return {NOT_LOADED} end
if redis.call('EXISTS', KEYS[4]) == 1 then return {DUPLICATE_CALL_END} end

local ttl = tonumber(ARGV[3])
local hold = redis.call('HGET', KEYS[2], ARGV[1]) or '0'
if hold ~= '0' then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'held', '-' .. hold)
end
local balanceAfter = redis.call('HINCRBY', KEYS[1], 'bal', ARGV[2])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local heldAfter = redis.call('HGET', KEYS[1], 'held') or '0'
redis.call('SET', KEYS[4], '1', 'EX', ttl)
local out = {int(seq), int(balanceAfter), heldAfter, hold}
remember(KEYS[3], ttl, out)
return {1, out[1], out[2], out[3], out[4]}
