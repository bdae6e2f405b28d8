-- The wallet operations that run once per event, as functions: each single-operation script
-- calls one of them, and applyBatch calls them for many events of one wallet in one script run.
-- Needs walletKeys. Keys and arguments are as documented in the script of the same name.

-- applyCredit-2.lua
local function applyCredit(wallet, marker, amount, floor, ttl)
  local seen = replay(marker)
  if seen then return seen end
  if redis.call('HEXISTS', wallet, 'seq') == 0 then return {NOT_LOADED} end

  if floor == '1' and tonumber(amount) < 0 then
    local bal = tonumber(redis.call('HGET', wallet, 'bal'))
    local held = tonumber(redis.call('HGET', wallet, 'held') or '0')
    if bal - held + tonumber(amount) < 0 then return {INSUFFICIENT} end
  end

  local balanceAfter = redis.call('HINCRBY', wallet, 'bal', amount)
  local seq = redis.call('HINCRBY', wallet, 'seq', 1)
  local held = redis.call('HGET', wallet, 'held') or '0'
  local out = {int(seq), int(balanceAfter), held}
  remember(marker, tonumber(ttl), out)
  return {1, out[1], out[2], out[3]}
end

-- reserveHold-4.lua
local function reserveHold(wallet, holds, marker, callEnded, callId, wanted, minimum, ttl)
  local seen = replay(marker)
  if seen then return seen end
  if redis.call('HEXISTS', wallet, 'seq') == 0 then return {NOT_LOADED} end

  ttl = tonumber(ttl)
  local bal = tonumber(redis.call('HGET', wallet, 'bal'))
  local held = tonumber(redis.call('HGET', wallet, 'held') or '0')
  local available = bal - held
  if available < 0 then available = 0 end

  if redis.call('EXISTS', callEnded) == 1 then
    local out = {'3', '0', int(available)}
    remember(marker, ttl, out)
    return {3, out[2], out[3]}
  end
  local existing = redis.call('HGET', holds, callId)
  if existing then
    local out = {'3', existing, int(available)}
    remember(marker, ttl, out)
    return {3, out[2], out[3]}
  end

  minimum = tonumber(minimum)
  if available < minimum or available <= 0 then
    local out = {'2', '0', int(available)}
    remember(marker, ttl, out)
    return {2, out[2], out[3]}
  end

  local hold = tonumber(wanted)
  if hold > available then hold = available end
  local holdText = int(hold)
  redis.call('HSET', holds, callId, holdText)
  redis.call('HINCRBY', wallet, 'held', holdText)
  local out = {'1', holdText, int(available)}
  remember(marker, ttl, out)
  return {1, out[2], out[3]}
end

-- settleCall-4.lua
local function settleCall(wallet, holds, marker, callEnded, callId, delta, ttl)
  local seen = replay(marker)
  if seen then return seen end
  if redis.call('HEXISTS', wallet, 'seq') == 0 then return {NOT_LOADED} end
  if redis.call('EXISTS', callEnded) == 1 then return {DUPLICATE_CALL_END} end

  ttl = tonumber(ttl)
  local hold = redis.call('HGET', holds, callId) or '0'
  if hold ~= '0' then
    redis.call('HDEL', holds, callId)
    redis.call('HINCRBY', wallet, 'held', '-' .. hold)
  end
  local balanceAfter = redis.call('HINCRBY', wallet, 'bal', delta)
  local seq = redis.call('HINCRBY', wallet, 'seq', 1)
  local heldAfter = redis.call('HGET', wallet, 'held') or '0'
  redis.call('SET', callEnded, '1', 'EX', ttl)
  local out = {int(seq), int(balanceAfter), heldAfter, hold}
  remember(marker, ttl, out)
  return {1, out[1], out[2], out[3], out[4]}
end
