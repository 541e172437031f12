-- wrk script for load_test/bench.sh: GET, POST or a 90/10 mix over a preloaded key set.
--
--   wrk -t2 -c64 -d10s -s load_test/wrk/dcache.lua http://127.0.0.1:8001 -- MODE KEYS VALUE_BYTES PREFIX
--
-- MODE is get, post or mix (90% GET, 10% POST); webdis-get and webdis-set are the same GET and SET
-- in webdis's URL form (/GET/<key>, /SET/<key>/<value>) for the peer row of bench.sh. Keys are PREFIX .. %08d for 0 <= i < KEYS, the
-- ones bench.sh preloads, so every GET should find its key and every POST overwrites one; the
-- cache never grows. Requests are formatted once per thread in init(): request() only picks one,
-- which keeps the generator's own CPU cost low on a machine it shares with the servers.
-- done() prints one machine-readable RESULT line that bench.sh parses; status_errors is wrk's own
-- count of answers with a status >= 400 (a response() hook would count exactly non-2xx, but makes
-- wrk hand every body to Lua, which would lower the ceiling it measures).

local mode, requests_get, requests_post
local thread_count = 0

function setup(thread)
    thread_count = thread_count + 1
    thread:set("index", thread_count)
end

function init(args)
    mode = args[1] or "get"
    local keys = tonumber(args[2] or "10000")
    local value_bytes = tonumber(args[3] or "100")
    local prefix = args[4] or "bench-"
    if mode ~= "get" and mode ~= "post" and mode ~= "mix" and mode ~= "webdis-get" and mode ~= "webdis-set" then
        error("MODE must be get, post, mix, webdis-get or webdis-set, was " .. tostring(mode))
    end
    -- distinct streams per thread (index is set in setup) and per run
    math.randomseed(os.time() * 1000 + (index or 0))
    local value = string.rep("v", value_bytes)
    requests_get, requests_post = {}, {}
    local headers = { ["Content-Type"] = "application/json" }
    for i = 0, keys - 1 do
        local key = string.format("%s%08d", prefix, i)
        if mode == "webdis-get" then
            requests_get[i + 1] = wrk.format("GET", "/GET/" .. key)
        elseif mode == "webdis-set" then
            requests_post[i + 1] = wrk.format("GET", "/SET/" .. key .. "/" .. value)
        else
            requests_get[i + 1] = wrk.format("GET", "/data/" .. key)
        end
        if mode == "post" or mode == "mix" then
            local body = string.format('{"key":"%s","value":"%s"}', key, value)
            requests_post[i + 1] = wrk.format("POST", "/data", headers, body)
        end
    end
end

function request()
    if mode == "get" or mode == "webdis-get" or (mode == "mix" and math.random() < 0.9) then
        return requests_get[math.random(#requests_get)]
    end
    return requests_post[math.random(#requests_post)]
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d status_errors=%d socket_errors=%d\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
        e.status, e.connect + e.read + e.write + e.timeout))
end
