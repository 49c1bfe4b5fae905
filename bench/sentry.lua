-- wrk script for `make bench` (bench/run.py): POST /api/<project>/envelope/ with
-- gzip-compressed envelopes captured from the real sentry-sdk, rotating through them,
-- each request a new event (its own event_id), as an SDK sends them.
--
-- Environment:
--   FB_KEY        project key (X-Sentry-Auth: Sentry sentry_key=...)
--   FB_PROJECT    project id (default 1)
--   FB_SENTRY_DIR directory written by run.py: manifest.lua and one .gz prefix per envelope
--   FB_NONCE      8 hex digits mixed into every event_id
--   FB_THREADS    wrk's thread count (ids stay unique across threads)
--   FB_DELAY_MS   optional mean pause before each request, as in events.lua
--
-- How a fresh event_id gets into an already-compressed body: run.py moved each
-- envelope's event_id to the very end of its event payload (the header line carries
-- none, so the daemon takes the payload's) and stored the gzip stream of everything
-- before it: gzip header + deflate blocks ending in a sync flush, plus the CRC-32 of
-- those bytes. Per request this script appends one final *stored* deflate block with
-- the id and the few bytes after it, then the gzip trailer, continuing the CRC over
-- just those bytes. The result is a valid gzip body that any inflater checks (CRC and
-- length) like one gzip produced in one go.

local bit = require("bit")
local band, bor, bxor, rshift, bnot = bit.band, bit.bor, bit.bxor, bit.rshift, bit.bnot

local key = os.getenv("FB_KEY") or ""
local project = os.getenv("FB_PROJECT") or "1"
local dir = os.getenv("FB_SENTRY_DIR") or "."
local nonce = tonumber(os.getenv("FB_NONCE") or "0", 16) or 0
local delay_ms = tonumber(os.getenv("FB_DELAY_MS") or "0") or 0

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("tid", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

wrk.method = "POST"
wrk.path = "/api/" .. project .. "/envelope/"
wrk.headers["Content-Type"] = "application/x-sentry-envelope"
wrk.headers["Content-Encoding"] = "gzip"
wrk.headers["X-Sentry-Auth"] = "Sentry sentry_key=" .. key .. ", sentry_version=7, sentry_client=sentry.python/bench"

local crc_table = {}
for n = 0, 255 do
   local c = n
   for _ = 1, 8 do
      if band(c, 1) ~= 0 then
         c = bxor(0xEDB88320, rshift(c, 1))
      else
         c = rshift(c, 1)
      end
   end
   crc_table[n] = c
end

-- zlib's crc32(crc, data): continues a finished CRC over more bytes.
local function crc32(crc, s)
   local c = bnot(crc)
   for i = 1, #s do
      c = bxor(crc_table[band(bxor(c, s:byte(i)), 0xFF)], rshift(c, 8))
   end
   return bnot(c)
end

local function le32(x)
   return string.char(band(x, 0xFF), band(rshift(x, 8), 0xFF), band(rshift(x, 16), 0xFF), band(rshift(x, 24), 0xFF))
end

local function le16(x)
   return string.char(band(x, 0xFF), band(rshift(x, 8), 0xFF))
end

local envelopes = {}
local counter = 0
local nthreads = 2

function init(args)
   tid = tid or 0
   nthreads = tonumber(os.getenv("FB_THREADS") or "2") or 2
   local manifest = dofile(dir .. "/manifest.lua")
   for i, m in ipairs(manifest) do
      local f = assert(io.open(dir .. "/" .. m.file, "rb"))
      local prefix = f:read("*a")
      f:close()
      envelopes[i] = { prefix = prefix, crc = m.crc, size = m.size, tail = m.tail }
   end
   math.randomseed(nonce + tid * 7919)
end

function request()
   local i = counter * nthreads + tid
   counter = counter + 1
   local e = envelopes[(i % #envelopes) + 1]
   local id = string.format("%08x%08x0000%012x", nonce, tid, counter)
   local last = id .. e.tail
   local n = #last
   local body = e.prefix .. "\1" .. le16(n) .. le16(bxor(n, 0xFFFF)) .. last
      .. le32(crc32(e.crc, last)) .. le32(e.size)
   return wrk.format(nil, nil, nil, body)
end

if delay_ms > 0 then
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
end
