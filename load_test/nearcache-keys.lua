-- wrk script for load_test/nearcache-bench.sh: GET /data/k<rank> with ranks drawn from a Zipf
-- distribution (P(rank r) ~ r^-s) or uniformly over 1..N.
--
--   wrk -t2 -c64 -d20s -s load_test/nearcache-keys.lua http://127.0.0.1:18180 -- zipf 1.1 100000
--   wrk ... -- uniform 0 100000
--
-- Each thread precomputes its own key sequence (2^20 ranks, fixed seed per thread) in init, so
-- request() only indexes an array: the load generator spends its CPU on HTTP, not on sampling.
-- done() prints one machine-readable RESULT line.

local threads = {}

function setup(thread)
    thread:set("id", #threads + 1)
    table.insert(threads, thread)
end

local SEQ = 1048576
local seq = {}
local pos = 0

function init(args)
    local mode = args[1] or "zipf"
    local s = tonumber(args[2] or "1.1")
    local n = tonumber(args[3] or "100000")
    math.randomseed(7919 * (id or 1) + 12345)
    if mode == "zipf" then
        local cdf, sum = {}, 0
        for r = 1, n do
            sum = sum + r ^ (-s)
            cdf[r] = sum
        end
        for i = 1, SEQ do
            local u = math.random() * sum
            local lo, hi = 1, n
            while lo < hi do
                local mid = math.floor((lo + hi) / 2)
                if cdf[mid] < u then lo = mid + 1 else hi = mid end
            end
            seq[i] = lo
        end
    else
        for i = 1, SEQ do
            seq[i] = math.random(1, n)
        end
    end
end

function request()
    pos = pos + 1
    if pos > SEQ then pos = 1 end
    return wrk.format("GET", "/data/k" .. seq[pos])
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d\n",
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.status, e.connect + e.read + e.write + e.timeout))
end
