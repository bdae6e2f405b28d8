--[[
  Applies several events to one wallet in one script run: the operations of applyCredit,
  reserveHold and settleCall, in the order given, each exactly as its own script would (same
  idempotency by event id, same outcome). One run instead of one per event saves Redis and the
  client the cost of a command per event; each operation is still atomic, and so is the batch.

  KEYS[1] wallet hash        {c:<company>}:w
  KEYS[2] holds hash         {c:<company>}:h
  KEYS[3…] the keys of each operation in turn, as its own script takes them after the wallet
           (and holds) hash: applyCredit its event marker; reserveHold and settleCall their
           event marker and call-ended marker
  ARGV[1] marker ttl         seconds
  ARGV[2…] each operation in turn: its letter, then its own arguments but the ttl
           c amount floor                (applyCredit)
           r callId wanted minimum       (reserveHold)
           s callId delta                (settleCall)

  Returns one reply per operation, each what its own script returns.
]]
--@include walletKeys
--@include walletOps

local wallet, holds, ttl = KEYS[1], KEYS[2], ARGV[1]
local replies = {}
local k, a = 3, 2
while a <= #ARGV do
  local op = ARGV[a]
  if op == 'c' then
    replies[#replies + 1] = applyCredit(wallet, KEYS[k], ARGV[a + 1], ARGV[a + 2], ttl)
    k, a = k + 1, a + 3
  elseif op == 'r' then
    replies[#replies + 1] =
      reserveHold(wallet, holds, KEYS[k], KEYS[k + 1], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ttl)
    k, a = k + 2, a + 4
  elseif op == 's' then
    replies[#replies + 1] =
      settleCall(wallet, holds, KEYS[k], KEYS[k + 1], ARGV[a + 1], ARGV[a + 2], ttl)
    k, a = k + 2, a + 3
  else
    return redis.error_reply('applyBatch: unknown operation ' .. tostring(op))
  end
end
return replies
