-- wrk script: MCP over Streamable HTTP, one JSON-RPC method under load, every reply checked.
--
-- MCP_ERA=legacy  the script does the handshake itself: `initialize`, then
--                 `notifications/initialized` on the session it got, then the measured method
--                 with that Mcp-Session-Id on every connection of the thread. Until the session
--                 is ready, idle connections send `initialize` too (at most about -c of them;
--                 their sessions stay unused), and handshake replies are counted apart (`hs`).
-- MCP_ERA=modern  2026-07-28, stateless: no handshake; every request carries
--                 params._meta (protocol version, client capabilities) and the headers
--                 MCP-Protocol-Version, Mcp-Method and Mcp-Name (tools/call).
--
-- Env: MCP_METHOD (tools/list | tools/call), MCP_PARAMS (JSON object text, may be empty),
-- MCP_NAME (tool name, for Mcp-Name), MCP_EXPECT (text every measured reply must contain),
-- MCP_PROTO (legacy version to request, default 2025-06-18).
-- A measured reply is "bad" unless it is HTTP 200 with a JSON-RPC "result", MCP_EXPECT in it,
-- no "isError":true and (modern) "resultType". Replies may be JSON or SSE-framed.
local era    = os.getenv("MCP_ERA") or "legacy"
local method = os.getenv("MCP_METHOD") or "tools/list"
local params = os.getenv("MCP_PARAMS") or ""
local tname  = os.getenv("MCP_NAME") or ""
local expect = os.getenv("MCP_EXPECT") or '"result"'
local proto  = os.getenv("MCP_PROTO") or "2025-06-18"
local MODERN = "2026-07-28"

local function with_meta(p)
  local meta = '"_meta":{"io.modelcontextprotocol/protocolVersion":"' .. MODERN ..
               '","io.modelcontextprotocol/clientCapabilities":{}}'
  if p == "" or p == "{}" then return "{" .. meta .. "}" end
  return string.sub(p, 1, -2) .. "," .. meta .. "}"
end

local prefix = '{"jsonrpc":"2.0","id":'
local suffix
local hdr
if era == "modern" then
  suffix = ',"method":"' .. method .. '","params":' .. with_meta(params) .. '}'
  hdr = {
    ["Accept"] = "application/json, text/event-stream",
    ["Content-Type"] = "application/json",
    ["MCP-Protocol-Version"] = MODERN,
    ["Mcp-Method"] = method,
  }
  if tname ~= "" then hdr["Mcp-Name"] = tname end
else
  if params ~= "" then
    suffix = ',"method":"' .. method .. '","params":' .. params .. '}'
  else
    suffix = ',"method":"' .. method .. '"}'
  end
end

local init_hdr = {
  ["Accept"] = "application/json, text/event-stream",
  ["Content-Type"] = "application/json",
}
local init_tail = ',"method":"initialize","params":{"protocolVersion":"' .. proto ..
  '","capabilities":{},"clientInfo":{"name":"toolgate-bench","version":"1"}}}'
local notify_body = '{"jsonrpc":"2.0","method":"notifications/initialized"}'

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

-- per-thread state (globals, so done() can read them with thread:get)
phase = (era == "modern") and "ready" or "init"   -- init | need_notify | notify_sent | ready
session = ""
bad = 0          -- measured replies that failed the check
hs = 0           -- handshake replies (initialize, notifications/initialized)
hs_bad = 0       -- handshake replies that failed
first_bad = ""   -- the first failing reply, for the report
local n = 0
local base = 0
function init(args)
  base = (tonumber(tid) or 1) * 1000000000
end

function request()
  n = n + 1
  if phase == "ready" then
    return wrk.format("POST", nil, hdr, prefix .. (base + n) .. suffix)
  elseif phase == "need_notify" then
    phase = "notify_sent"
    return wrk.format("POST", nil, hdr, notify_body)
  else
    return wrk.format("POST", nil, init_hdr, prefix .. (base + n) .. init_tail)
  end
end

local function header(headers, want)
  for k, v in pairs(headers) do
    if string.lower(k) == want then return v end
  end
  return nil
end

local function note_bad(status, body)
  if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
end

function response(status, headers, body)
  if era ~= "modern" then
    if status == 202 then            -- notifications/initialized
      hs = hs + 1
      if phase == "notify_sent" then phase = "ready" end
      return
    end
    if string.find(body, '"serverInfo"', 1, true) then   -- an initialize reply
      hs = hs + 1
      local sid = header(headers, "mcp-session-id")
      if status ~= 200 or not sid or not string.find(body, '"result"', 1, true) then
        hs_bad = hs_bad + 1
        note_bad(status, body)
      elseif phase == "init" then
        session = sid
        phase = "need_notify"
        hdr = {
          ["Accept"] = "application/json, text/event-stream",
          ["Content-Type"] = "application/json",
          ["Mcp-Session-Id"] = sid,
          ["MCP-Protocol-Version"] = string.match(body, '"protocolVersion":"([^"]+)"') or proto,
        }
      end
      return
    end
  end
  if status ~= 200 or not string.find(body, '"result"', 1, true)
     or not string.find(body, expect, 1, true)
     or string.find(body, '"isError":true', 1, true)
     or (era == "modern" and not string.find(body, '"resultType"', 1, true)) then
    bad = bad + 1
    note_bad(status, body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local nbad, nhs, nhsbad, fb = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    nbad = nbad + (tonumber(t:get("bad")) or 0)
    nhs = nhs + (tonumber(t:get("hs")) or 0)
    nhsbad = nhsbad + (tonumber(t:get("hs_bad")) or 0)
    if fb == "" then fb = t:get("first_bad") or "" end
  end
  fb = string.gsub(string.gsub(fb, '\\', '\\\\'), '"', '\\"')
  fb = string.gsub(fb, '[%c]', ' ')
  io.write(string.format(
    'WRKJSON {"bad":%d,"hs":%d,"hs_bad":%d,"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d,"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,"first_bad":"%s"}\n',
    nbad, nhs, nhsbad, summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, fb))
end
