-- wrk script for every benchmark case.
-- Environment:
--   BENCH_COOKIES  file with one Cookie header value per line (signed-in cases; rotated per request)
--   BENCH_METHOD   GET (default) or POST
--   BENCH_BODY     POST body template; {n} becomes a unique number, {token} a unique 32-hex token
--   BENCH_BUST     1: a unique "bench-miss" query parameter on every request (never a page-cache hit)
-- Prints one line "BENCHJSON {...}" with requests/s, latency percentiles (ms) and errors.

local cookies = {}
local method = os.getenv("BENCH_METHOD") or "GET"
local body_template = os.getenv("BENCH_BODY")
local bust = os.getenv("BENCH_BUST") == "1"
local counter = 0
thread_no = 0  -- global: set per thread by setup()

local function read_lines(path)
  local lines = {}
  if path and path ~= "" then
    for line in io.lines(path) do
      if line ~= "" then lines[#lines + 1] = line end
    end
  end
  return lines
end

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_no", next_id)
  threads[#threads + 1] = thread
end

unexpected = 0  -- global: POST answers other than the 302 of a saved reply (read by done())

function init(args)
  cookies = read_lines(os.getenv("BENCH_COOKIES"))
  math.randomseed(os.time() + thread_no * 7919)
  -- Each run (warm-up, measurement) starts at a different session, not at the first ones again.
  counter = math.random(0, 1000000)
end

if method == "POST" then
  -- A form shown again (200) is not a saved reply: count it, however wrk counts 2xx.
  response = function(status, headers, body)
    if status ~= 302 then unexpected = unexpected + 1 end
  end
end

local function hex_token(n)
  local seed = string.format("%08x%08x%08x", thread_no, n, math.random(0, 0x7fffffff))
  seed = seed .. string.format("%08x", math.random(0, 0x7fffffff))
  return string.sub(seed, 1, 32)
end

request = function()
  counter = counter + 1
  local headers = {}
  if #cookies > 0 then
    headers["Cookie"] = cookies[((counter * 31 + thread_no * 7) % #cookies) + 1]
  end
  if method == "POST" then
    local n = thread_no * 100000000 + counter
    local body = string.gsub(body_template, "{n}", tostring(n))
    body = string.gsub(body, "{token}", hex_token(counter))
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", nil, headers, body)
  end
  if bust then
    local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
    return wrk.format(method, wrk.path .. sep .. "bench-miss=" .. thread_no .. "-" .. counter, headers, nil)
  end
  return wrk.format(method, nil, headers, nil)
end

function done(summary, latency, requests)
  local s = summary
  local non2xx = s.errors.status
  local wrong = 0
  for _, t in ipairs(threads) do wrong = wrong + (t:get("unexpected") or 0) end
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_ms":%.2f,"p95_ms":%.2f,"p99_ms":%.2f,' ..
    '"mean_ms":%.2f,"max_ms":%.2f,"non_2xx_3xx":%d,"connect_errors":%d,"read_errors":%d,"timeouts":%d,' ..
    '"unexpected_status":%d}\n',
    s.requests, s.duration, s.requests / (s.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000,
    non2xx, s.errors.connect, s.errors.read, s.errors.timeout, wrong))
end
