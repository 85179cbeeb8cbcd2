-- wrk script: each request GETs a random path from a file, optionally revalidating with If-None-Match.
-- usage: wrk ... -s random-paths.lua http://HOST:PORT -- PATHS_FILE [inm]
--   PATHS_FILE: one "PATH" or "PATH ETAG" per line; with "inm" every request sends If-None-Match: ETAG.
-- Requests are formatted once in init(), so the per-request Lua cost is one random index (the same for both servers).
local requests = {}

function init(args)
  local file, mode = args[1], args[2]
  for line in io.lines(file) do
    local path, etag = line:match("^(%S+)%s*(%S*)")
    if path then
      if mode == "inm" then
        requests[#requests + 1] = wrk.format("GET", path, { ["If-None-Match"] = etag })
      else
        requests[#requests + 1] = wrk.format("GET", path)
      end
    end
  end
  if #requests == 0 then error("no paths in " .. tostring(file)) end
  math.randomseed(os.time())
end

function request()
  return requests[math.random(#requests)]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
