--[[
  Reads everything the call gate needs about one company in one command: its mirrored profile,
  one campaign's pause and its wallet. Read-only.

  KEYS[1] company profile    {c:<company>}:p
  KEYS[2] campaign pauses    {c:<company>}:cp
  KEYS[3] wallet hash        {c:<company>}:w
  ARGV[1] campaign id        "" when the call has no campaign

  Returns one string of 13 fields, in the order
    none, setup, paused, mode, cap, spent, ms, me, hit, campaignPause, bal, held, seq
  each written as "=" and its value when present, as nothing when missing, and ended by "\n".
  One string rather than an array of 13: the dialer's client decodes one reply, not 13 (the
  values are tollgate's own flags, enums and integer strings, never a newline).
]]
local profile = redis.call('HMGET', KEYS[1], 'none', 'setup', 'paused', 'mode', 'cap', 'spent',
  'ms', 'me', 'hit')
local pause = false
if ARGV[1] ~= '' then
  pause = redis.call('HGET', KEYS[2], ARGV[1])
end
local wallet = redis.call('HMGET', KEYS[3], 'bal', 'held', 'seq')

local out = {}
local function put(value)
  if value then
    out[#out + 1] = '=' .. value .. '\n'
  else
    out[#out + 1] = '\n'
  end
end
for i = 1, 9 do
  put(profile[i])
end
put(pause)
for i = 1, 3 do
  put(wallet[i])
end
return table.concat(out)
