--[[
  Rebuilds a wallet's Redis state from the ledger, unless it is already loaded (another replica
  or an earlier call got there first: the loaded state is newer than our ledger read).

  KEYS[1] wallet hash        {c:<company>}:w
  KEYS[2] holds hash         {c:<company>}:h   (callId -> held micro-units)
  ARGV[1] balance            integer micro-units, the ledger's last balance_after
  ARGV[2] seq                the ledger's last wallet_seq
  ARGV[3..] callId, amount   pairs of open holds from call_holds

  Returns 1 loaded, 0 already loaded.
]]
if redis.call('HEXISTS', KEYS[1], 'seq') == 1 then return 0 end
redis.call('DEL', KEYS[2])
local held = 0
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  held = held + tonumber(ARGV[i + 1])
end
redis.call('HSET', KEYS[1], 'bal', ARGV[1], 'seq', ARGV[2], 'held', string.format('%d', held))
return 1
