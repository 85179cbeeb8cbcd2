-- wrk script: GET a random path from a file, with a pause between a connection's requests: a light, paced client
-- (publish.sh's "legitimate" manifest GETs during a flood; its latency is what is measured, not its rate).
-- usage: wrk ... -s paced-paths.lua http://HOST:PORT -- PATHS_FILE DELAY_MS
--   PATHS_FILE: one path per line (anything after the first space is ignored); DELAY_MS: pause after each response.
-- wrk's latency covers request to response only, not the pause.
local requests = {}
local pause = 0

function init(args)
  for line in io.lines(args[1]) do
    local path = line:match("^(%S+)")
    if path then requests[#requests + 1] = wrk.format("GET", path) end
  end
  if #requests == 0 then error("no paths in " .. tostring(args[1])) end
  pause = tonumber(args[2]) or 0
  math.randomseed(os.time())
end

function request()
  return requests[math.random(#requests)]
end

function delay()
  return pause
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
