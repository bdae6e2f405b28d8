--[[
  Moves money into or out of a wallet outside a call: top-up, refund, complimentary credit,
  debit (removal of credit), adjustment. Idempotent by event id.

  KEYS[1] wallet hash        {c:<company>}:w
  KEYS[2] event marker       {c:<company>}:e:<eventId>
  ARGV[1] amount             signed integer micro-units (string)
  ARGV[2] floor              "1": refuse if the available balance would drop below zero
  ARGV[3] marker ttl         seconds

  Returns {code, seq, balanceAfter, held}
    code  1 applied, 0 duplicate (the stored outcome), -1 wallet not loaded,
          -2 insufficient available balance (nothing changed)
]]
--@include walletKeys

local seen = replay(KEYS[2])
if seen then return seen end
if redis.call('HEXISTS', KEYS[1], 'seq') == 0 then return {NOT_LOADED} end

local amount = ARGV[1]
if ARGV[2] == '1' and tonumber(amount) < 0 then
  local bal = tonumber(redis.call('HGET', KEYS[1], 'bal'))
  local held = tonumber(redis.call('HGET', KEYS[1], 'held') or '0')
  if bal - held + tonumber(amount) < 0 then return {INSUFFICIENT} end
end

local balanceAfter = redis.call('HINCRBY', KEYS[1], 'bal', amount)
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local held = redis.call('HGET', KEYS[1], 'held') or '0'
local out = {int(seq), int(balanceAfter), held}
remember(KEYS[2], tonumber(ARGV[3]), out)
return {1, out[1], out[2], out[3]}
