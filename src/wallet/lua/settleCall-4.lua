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
--@include walletOps

return settleCall(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3])
