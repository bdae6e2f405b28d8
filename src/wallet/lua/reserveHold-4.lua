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
--@include walletOps

return reserveHold(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
