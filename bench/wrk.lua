-- wrk script: POST pre-signed form bodies, one per line of a file, split between wrk's threads.
-- Usage: wrk -tT ... -s bench/wrk.lua URL -- BODIES_FILE T [once|cycle] [POST|GET|RAW] [AUTHORIZATION]
--   CYCLE "once" (default): each body is sent at most once; when a thread has used all of its
--     bodies it repeats its last one and counts it as "exhausted" (the run is then flagged).
--   CYCLE "cycle": bodies are sent round-robin (reads).
--   GET turns each line into a path (with its query) instead of a body.
--   RAW turns each line into a whole request, tab-separated: METHOD, PATH, BODY (may be empty),
--     then "name: value" headers (API v2's signed headers, different for every request).
--   AUTHORIZATION: the value of an Authorization header to send (localstripe's API key).
-- done() prints one JSON line prefixed "WRKJSON " with the counts and latency percentiles.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local bodies = {}
local n = 0
local i = 0
local mode = "once"
local method = "POST"
local headers = {}
exhausted = 0
non2xx = 0

function init(args)
   local file = args[1]
   local nthreads = tonumber(args[2])
   mode = args[3] or "once"
   method = args[4] or "POST"
   if args[5] then
      headers["Authorization"] = args[5]
   end
   local tid = wrk.thread:get("tid")
   local k = 0
   for line in io.lines(file) do
      if (k % nthreads) == tid then
         n = n + 1
         bodies[n] = line
      end
      k = k + 1
   end
   if method == "POST" then
      headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
   end
end

local function raw(line)
   local fields = {}
   for field in (line .. "\t"):gmatch("([^\t]*)\t") do
      table.insert(fields, field)
   end
   local hdrs = {}
   for k = 4, #fields do
      local name, value = fields[k]:match("^([^:]+): (.*)$")
      if name then
         hdrs[name] = value
      end
   end
   local body = fields[3]
   if body == "" then
      body = nil
   end
   return wrk.format(fields[1], fields[2], hdrs, body)
end

function request()
   i = i + 1
   local idx = i
   if idx > n then
      if mode == "once" then
         exhausted = exhausted + 1
         idx = n
      else
         idx = ((idx - 1) % n) + 1
      end
   end
   if method == "RAW" then
      return raw(bodies[idx])
   end
   if method == "GET" then
      return wrk.format("GET", bodies[idx], headers)
   end
   return wrk.format("POST", nil, headers, bodies[idx])
end

function response(status, hdrs, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local ex, bad = 0, 0
   for _, t in ipairs(threads) do
      ex = ex + (t:get("exhausted") or 0)
      bad = bad + (t:get("non2xx") or 0)
   end
   io.write(string.format(
      'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors_connect": %d, ' ..
      '"errors_read": %d, "errors_write": %d, "errors_status": %d, "errors_timeout": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
      '"exhausted": %d, "non2xx": %d}\n',
      summary.requests, summary.duration, summary.bytes, summary.errors.connect,
      summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      latency.mean, ex, bad))
end
