-- Shared by every wallet script. Wallet hash fields:
--   bal   balance, integer micro-units (may go negative only by a recorded overrun)
--   held  sum of open holds, integer micro-units
--   seq   last wallet_seq handed out; the ledger's per-wallet chain follows it
-- A wallet hash without `seq` is not loaded: the caller rebuilds it from the ledger and retries.
local NOT_LOADED = -1
local INSUFFICIENT = -2
-- Integers leave Lua as decimal strings: tostring() would print large ones in exponent form.
local function int(n) return string.format('%d', n) end
local DUPLICATE_CALL_END = -4

-- The stored outcome of an applied event, returned again on redelivery.
local function replay(eventKey)
  local stored = redis.call('GET', eventKey)
  if stored then
    local out = {0}
    for part in string.gmatch(stored, '[^|]+') do out[#out + 1] = part end
    return out
  end
  return nil
end

local function remember(eventKey, ttl, parts)
  redis.call('SET', eventKey, table.concat(parts, '|'), 'EX', ttl)
end
