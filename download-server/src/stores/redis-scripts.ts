// Lua scripts of the Redis store. Redis runs a script atomically; these two make one step of the
// token state machine (token-state.ts, in TypeScript) a compare-and-set over the step's keys.
//
// Replies carry Redis's own TIME, so that every server sharing the Redis judges leases by one
// clock, whatever its own clock says.

// Returns each key's value ('' when absent), then TIME's seconds and microseconds.
const RETURN_VALUES_AND_TIME = `
local out = {}
for j, key in ipairs(KEYS) do out[j] = redis.call('GET', key) or '' end
local t = redis.call('TIME')
out[#KEYS + 1] = t[1]
out[#KEYS + 2] = t[2]
return out`

/** KEYS: the ids' keys. Reply: each value ('' when absent), then TIME's seconds and microseconds. */
export const READ_SCRIPT = RETURN_VALUES_AND_TIME

/**
 * KEYS: the ids' keys. ARGV, three per key: the value the step read ('' = absent), the value to
 * write ('' = none), and how many ms to keep it at least (a key's TTL is never shortened).
 * All or nothing: when any key no longer holds what the step read, nothing is written and the
 * reply is the READ_SCRIPT reply (so the step can run again at once); otherwise the reply is 1.
 */
export const COMPARE_AND_SET_SCRIPT = `
for i, key in ipairs(KEYS) do
  if (redis.call('GET', key) or '') ~= ARGV[3 * i - 2] then${RETURN_VALUES_AND_TIME}
  end
end
for i, key in ipairs(KEYS) do
  local value = ARGV[3 * i - 1]
  if value ~= '' then
    local keep = tonumber(ARGV[3 * i])
    local left = redis.call('PTTL', key)
    if left > keep then keep = left end
    redis.call('SET', key, value, 'PX', keep)
  end
end
return 1
`
