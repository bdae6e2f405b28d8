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
--@include walletOps

return applyCredit(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
