-- wrk script for `make bench` (bench/run.py): POST /v1/events with ~1 KB generic
-- events, one per request, spread evenly over FB_ISSUES issues.
--
-- Environment (all optional except FB_KEY):
--   FB_KEY       project key (Authorization: Bearer)
--   FB_ISSUES    how many distinct issues to spread over (default 10000)
--   FB_NS        a letters-only prefix for the issue words, so a run can open fresh issues
--   FB_NONCE     8 hex digits mixed into every event_id, unique per run (ids never repeat)
--   FB_DELAY_MS  mean pause before each request on a connection, in ms (fractional ok):
--                with C connections the rate is about C * 1000 / (FB_DELAY_MS + latency)
--   FB_BATCH     events per request (NDJSON, one per line); default 1
--   FB_PORTS     comma-separated ports of several daemons on 127.0.0.1: thread t sends to
--                port t mod their count (one wrk thread per node), instead of the URL's
--
-- Each event's exception has library (not in-app) frames, so the daemon groups it by
-- exception type + parameterized value: "worker <word> failed for order <n> after <d>ms"
-- becomes "worker <word> failed for order <int> after <duration>", one issue per word.
-- Words are letters only, so the parameterizer keeps them. Request i of thread t uses
-- word (i * threads + t) mod FB_ISSUES: every issue is hit once before any is hit twice.

local key = os.getenv("FB_KEY") or ""
local issues = tonumber(os.getenv("FB_ISSUES") or "10000")
local ns = os.getenv("FB_NS") or ""
local nonce = tonumber(os.getenv("FB_NONCE") or "0", 16) or 0
local delay_ms = tonumber(os.getenv("FB_DELAY_MS") or "0") or 0
local batch = tonumber(os.getenv("FB_BATCH") or "1") or 1

local threads = {}
local thread_count = 0

local ports = {}
for port in string.gmatch(os.getenv("FB_PORTS") or "", "%d+") do
   table.insert(ports, port)
end

function setup(thread)
   thread:set("tid", thread_count)
   if #ports > 0 then
      thread.addr = wrk.lookup("127.0.0.1", ports[thread_count % #ports + 1])[1]
   end
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

wrk.method = "POST"
wrk.path = "/v1/events"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key

local words = {}
counter = 0  -- global: done() reads each thread's with thread:get
local nthreads = 1

local function word(i)
   local s = ns
   for _ = 1, 4 do
      s = s .. string.char(97 + i % 26)
      i = math.floor(i / 26)
   end
   return s
end

function init(args)
   for i = 0, issues - 1 do
      words[i] = word(i)
   end
   tid = tid or 0
   nthreads = tonumber(os.getenv("FB_THREADS") or "2") or 2
   math.randomseed(nonce + tid * 7919)
end

-- The frames are a realistic library stack; in_app false keeps grouping on type + value.
local frames = '[' ..
   '{"module":"gunicorn.workers.sync","function":"handle_request","filename":"gunicorn/workers/sync.py","lineno":136,"in_app":false},' ..
   '{"module":"django.core.handlers.base","function":"_get_response","filename":"django/core/handlers/base.py","lineno":197,"in_app":false},' ..
   '{"module":"django.views.generic.base","function":"dispatch","filename":"django/views/generic/base.py","lineno":143,"in_app":false},' ..
   '{"module":"celery.app.task","function":"apply_async","filename":"celery/app/task.py","lineno":594,"in_app":false},' ..
   '{"module":"kombu.connection","function":"ensure_connection","filename":"kombu/connection.py","lineno":381,"in_app":false}' ..
   ']'

local template = '{"event_id":"%08x%08x0000%012x","level":"error","environment":"production",' ..
   '"service":"checkout","release":"shop@1.4.2","platform":"python",' ..
   '"message":"worker %s failed for order %d after %dms",' ..
   '"exception":{"type":"WorkerError","value":"worker %s failed for order %d after %dms","stacktrace":' .. frames .. '},' ..
   '"tags":{"region":"eu-west-1","host":"web-%d","queue":"payments"},' ..
   '"user":{"id":"%d"},"url":"https://shop.example/orders/%d"}'

local function event()
   local i = counter * nthreads + tid
   counter = counter + 1
   local w = words[i % issues]
   local order = 100000 + (i * 7) % 900000
   local ms = 10 + i % 990
   return string.format(template, nonce, tid, counter, w, order, ms, w, order, ms, i % 16, i % 5000, order)
end

function request()
   if batch <= 1 then
      return wrk.format(nil, nil, nil, event())
   end
   local lines = {}
   for k = 1, batch do
      lines[k] = event()
   end
   return wrk.format(nil, nil, nil, table.concat(lines, "\n"))
end

if delay_ms > 0 then
   -- wrk takes whole milliseconds; choose floor or ceil so the mean is delay_ms.
   local lo = math.floor(delay_ms)
   local frac = delay_ms - lo
   function delay()
      if math.random() < frac then return lo + 1 end
      return lo
   end
end

function done(summary, latency, requests)
   io.write(string.format(
      'FBJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
      summary.errors.write, summary.errors.status, summary.errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
   local counts = {}
   for _, t in ipairs(threads) do
      table.insert(counts, string.format("%d", t:get("counter") or 0))
   end
   io.write("FBTHREADS [" .. table.concat(counts, ",") .. "]\n")
end
