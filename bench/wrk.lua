-- wrk script for bench/run.py: one connection per thread, every response checked.
--
-- Arguments (after `--`): method path expected_status must_contain seconds csrf body fresh nonce
--   must_contain  text the body must contain (for a 3xx: the Location header)
--   seconds       each thread stops by itself after its first response past this
--                 many seconds, so no request is ever left in flight (the runner
--                 then checks stored rows == successes exactly); wrk's own -d is
--                 only a safety net
--   fresh         "fresh" appends a new submit_token and phone to every POST
-- The summary is printed as one JSON line starting with BENCH_RESULT.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  method, path, expected, must_contain = args[1], args[2], tonumber(args[3]), args[4]
  seconds, csrf, body, fresh, nonce = tonumber(args[5]), args[6], args[7] or "", args[8] == "fresh", tonumber(args[9])
  headers = { ["Cookie"] = "csrftoken=" .. csrf, ["Content-Type"] = "application/x-www-form-urlencoded" }
  ok, bad, s5xx, seq = 0, 0, 0, 0
  first_bad = ""
  t_first, t_last = 0, 0
  math.randomseed(nonce + id * 7919)
end

function request()
  if t_first == 0 then
    t_first = now()
  end
  if method == "GET" then
    return wrk.format("GET", path, { ["Cookie"] = headers["Cookie"] })
  end
  local payload = body
  if fresh then
    seq = seq + 1
    local token = string.format("%08x-%04x-4%03x-a%03x-%012x", nonce, id, math.random(0, 4095), math.random(0, 4095), seq)
    payload = payload .. "&submit_token=" .. token .. string.format("&phone=139%08d", math.random(0, 99999999))
  end
  return wrk.format(method, path, headers, payload)
end

function response(status, resp_headers, resp_body)
  local seen = resp_body or ""
  if status >= 300 and status < 400 then
    seen = resp_headers["Location"] or ""
  end
  if status == expected and string.find(seen, must_contain, 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
    if first_bad == "" then
      first_bad = tostring(status) .. " " .. string.sub(seen, 1, 200)
    end
  end
  if status >= 500 then
    s5xx = s5xx + 1
  end
  t_last = now()
  if t_last - t_first >= seconds then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local ok_sum, bad_sum, s5xx_sum, start, finish, firsts = 0, 0, 0, math.huge, 0, {}
  for _, t in ipairs(threads) do
    ok_sum = ok_sum + t:get("ok")
    bad_sum = bad_sum + t:get("bad")
    s5xx_sum = s5xx_sum + t:get("s5xx")
    start = math.min(start, t:get("t_first"))
    finish = math.max(finish, t:get("t_last"))
    local fb = t:get("first_bad")
    if fb ~= "" then
      table.insert(firsts, fb)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"ok": %d, "bad": %d, "s5xx": %d, "responses": %d, "seconds": %.4f, ' ..
    '"p50_ms": %.3f, "p99_ms": %.3f, "socket_errors": %d, "first_bad": "%s"}\n',
    ok_sum, bad_sum, s5xx_sum, summary.requests, finish - start,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, (table.concat(firsts, " | "):gsub('[%c"\\]', " "))))
end
