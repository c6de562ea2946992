-- wrk driver for the benchmark (see bench/lib/wrk-run.ts).
--
-- With BENCH_TOKENS set, every request asks for GET <BENCH_PATH_PREFIX><token>, walking the
-- pre-signed tokens of this wrk thread's own file (<BENCH_TOKENS><thread number>.txt), so no
-- token is sent twice (BENCH_TOKENS_MODE=once) unless the list is meant to be cycled
-- (BENCH_TOKENS_MODE=cycle, for tokens that are all used already). Running out in "once" mode
-- is counted as `exhausted` and makes the sample invalid.
-- Without BENCH_TOKENS, wrk sends its fixed request (the URL and -H headers).
--
-- done() prints one line "BENCH_JSON {...}" with counts, latency percentiles (microseconds)
-- and the CPU ticks wrk itself used, read from /proc/self/stat.

local tokens_prefix = os.getenv("BENCH_TOKENS")
local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

if tokens_prefix ~= nil then
  local requests = {}
  local n = 0
  local i = 0
  local cycle = false

  function init(args)
    exhausted = 0
    cycle = os.getenv("BENCH_TOKENS_MODE") == "cycle"
    local path_prefix = os.getenv("BENCH_PATH_PREFIX") or "/d/"
    local file = assert(io.open(tokens_prefix .. tid .. ".txt", "r"))
    for line in file:lines() do
      if #line > 0 then
        n = n + 1
        requests[n] = wrk.format("GET", path_prefix .. line)
      end
    end
    file:close()
    assert(n > 0, "no tokens for thread " .. tid)
  end

  function request()
    i = i + 1
    if i > n then
      if cycle then
        i = 1
      else
        exhausted = exhausted + 1
        i = n
      end
    end
    return requests[i]
  end
end

function done(summary, latency, requests)
  local exhausted_total = 0
  for _, thread in ipairs(threads) do
    exhausted_total = exhausted_total + (thread:get("exhausted") or 0)
  end
  local ticks = -1
  local stat_file = io.open("/proc/self/stat", "r")
  if stat_file ~= nil then
    local stat = stat_file:read("*a")
    stat_file:close()
    local rest = stat:match(".*%) (.*)")
    local fields = {}
    for field in rest:gmatch("%S+") do fields[#fields + 1] = field end
    ticks = tonumber(fields[12]) + tonumber(fields[13])
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
    '"exhausted":%d,"cpuTicks":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    exhausted_total, ticks))
end
