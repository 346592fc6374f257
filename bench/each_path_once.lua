-- wrk script: every request asks for the next path of a file (one URL path per line), the paths split
-- between wrk's threads, so that no query is sent twice until the file runs out (then it starts over, and
-- the repeated requests are counted). Run: wrk -t2 -c8 -d30s -s each_path_once.lua URL -- PATHS_FILE 2
-- (the last argument: wrk's number of threads).
-- It prints one line for the benchmark to read: percentiles in ms, requests, seconds, errors, repeats.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  step = tonumber(args[2])
  nextpath = id + 1
  wrapped = false
  repeats = 0
end

function request()
  local path = paths[nextpath]
  if wrapped then
    repeats = repeats + 1
  end
  nextpath = nextpath + step
  if nextpath > #paths then
    nextpath = (nextpath - 1) % #paths + 1
    wrapped = true
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local repeated = 0
  for _, thread in ipairs(threads) do
    repeated = repeated + thread:get("repeats")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT p50=%.1f p90=%.1f p99=%.1f max=%.1f requests=%d seconds=%.2f errors=%d repeats=%d\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.status + e.timeout, repeated
  ))
end
