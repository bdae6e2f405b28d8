--[[
  Reads everything the call gate needs about one company in one command: its mirrored profile,
  one campaign's pause and its wallet. Read-only.

  KEYS[1] company profile    {c:<company>}:p
  KEYS[2] campaign pauses    {c:<company>}:cp
  KEYS[3] wallet hash        {c:<company>}:w
  ARGV[1] campaign id        "" when the call has no campaign

  Returns {none, setup, paused, mode, cap, spent, ms, me, hit, campaignPause, bal, held, seq};
  a missing field is nil.
]]
local out = redis.call('HMGET', KEYS[1], 'none', 'setup', 'paused', 'mode', 'cap', 'spent', 'ms',
  'me', 'hit')
if ARGV[1] ~= '' then
  out[10] = redis.call('HGET', KEYS[2], ARGV[1])
else
  out[10] = false
end
local wallet = redis.call('HMGET', KEYS[3], 'bal', 'held', 'seq')
out[11] = wallet[1]
out[12] = wallet[2]
out[13] = wallet[3]
return out
