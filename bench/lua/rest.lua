-- wrk script: plain REST GET (the URL given to wrk), every reply checked for REST_EXPECT.
local expect = os.getenv("REST_EXPECT") or ""
local threads = {}
function setup(thread) table.insert(threads, thread) end
bad = 0
first_bad = ""
function response(status, headers, body)
  if status ~= 200 or not string.find(body, expect, 1, true) then
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
  end
end
function done(summary, latency, requests)
  local e = summary.errors
  local nbad, fb = 0, ""
  for _, t in ipairs(threads) do
    nbad = nbad + (tonumber(t:get("bad")) or 0)
    if fb == "" then fb = t:get("first_bad") or "" end
  end
  fb = string.gsub(string.gsub(string.gsub(fb, '\\', '\\\\'), '"', '\\"'), '[%c]', ' ')
  io.write(string.format(
    'WRKJSON {"bad":%d,"hs":0,"hs_bad":0,"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d,"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,"first_bad":"%s"}\n',
    nbad, summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, fb))
end
