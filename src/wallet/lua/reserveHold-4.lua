--[[
  Places the hold of a call that has started: as much of `wanted` as the available balance
  (balance minus all holds) allows, provided it pays at least `minimum` (the first billing
  increment). Concurrent calls draw holds from the same available balance, so together they
  never exceed it. Idempotent by event id; a call already settled (its end came first) gets
  no hold.

  KEYS[1] wallet hash        {c:<company>}:w
  KEYS[2] holds hash         {c:<company>}:h
  KEYS[3] event marker       {c:<company>}:e:<eventId>
  KEYS[4] call-ended marker  {c:<company>}:c:<callId>
  ARGV[1] callId
  ARGV[2] wanted             integer micro-units
  ARGV[3] minimum            integer micro-units
  ARGV[4] marker ttl         seconds

  Returns {code, hold, available}
    code  1 hold placed, 0 duplicate (stored outcome), -1 wallet not loaded,
          2 refused: available < minimum (hold 0), 3 no hold: the call already ended or
          already holds (hold = existing amount)
]]
--@include walletKeys

local seen = replay(KEYS[3])
if seen then return seen end
if redis.call('HEXISTS', KEYS[1], 'seq') == 0 then return {NOT_LOADED} end

local ttl = tonumber(ARGV[4])
local bal = tonumber(redis.call('HGET', KEYS[1], 'bal'))
local held = tonumber(redis.call('HGET', KEYS[1], 'held') or '0')
local available = bal - held
if available < 0 then available = 0 end

if redis.call('EXISTS', KEYS[4]) == 1 then
  local out = {'3', '0', int(available)}
  remember(KEYS[3], ttl, out)
  return {3, out[2], out[3]}
end
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then
  local out = {'3', existing, int(available)}
  remember(KEYS[3], ttl, out)
  return {3, out[2], out[3]}
end

local minimum = tonumber(ARGV[3])
if available < minimum or available <= 0 then
  local out = {'2', '0', int(available)}
  remember(KEYS[3], ttl, out)
  return {2, out[2], out[3]}
end

local wanted = tonumber(ARGV[2])
local hold = wanted
if hold > available then hold = available end
local holdText = int(hold)
redis.call('HSET', KEYS[2], ARGV[1], holdText)
redis.call('HINCRBY', KEYS[1], 'held', holdText)
local out = {'1', holdText, int(available)}
remember(KEYS[3], ttl, out)
return {1, out[2], out[3]}
