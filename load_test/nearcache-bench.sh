#!/usr/bin/env bash
# load_test/nearcache-bench.sh - GET throughput and p99 through nginx with the masters' near cache
# on vs off, on a Zipf-distributed key set (s=1.1, 100k keys) and on uniformly drawn keys.
#
#   load_test/nearcache-bench.sh              # 2 rounds, each: zipf on/off, uniform on/off
#   ROUNDS=3 DURATION=30s load_test/nearcache-bench.sh
#   WORKLOADS="zipf hot" load_test/nearcache-bench.sh
#
# Workloads: zipf (s=ZIPF_S over KEYS), uniform (over KEYS), and hot: the same Zipf over only the
# first HOT_KEYS (1000) keys, where nearly every read is a near hit. "hot" is the ceiling: what
# the near cache gives when the hit ratio is not the limit.
#
# For each run the cluster is started afresh (bin/cluster up, NEAR_CACHE_ENABLED set), the 100k
# keys are loaded through the bulk API, a warm-up run (WARMUP) fills JIT and caches, then the
# measured run. The order of on/off alternates between rounds, so a slow drift in the machine's
# load does not favour one side. Each result line carries `uptime` taken just before the run and
# the cluster's CPU time per GET (from /proc, split by role), which a busy machine disturbs far
# less than requests per second.
# Results go to stdout and to $OUT (default /tmp/nearcache-bench.txt).
#
# It uses its own ports and RUN_DIR, so it does not collide with a cluster on the defaults, and it
# runs bin/cluster down on exit. Needs wrk (apt-get install -y wrk), nginx, curl, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export RUN_DIR="${RUN_DIR:-/tmp/dcache-nearbench}"
export AUX_BASE_PORT="${AUX_BASE_PORT:-19100}"
export MASTER_BASE_PORT="${MASTER_BASE_PORT:-18100}"
export NGINX_PORT="${NGINX_PORT:-18180}"
ROUNDS="${ROUNDS:-2}"
DURATION="${DURATION:-20s}"
WARMUP="${WARMUP:-10s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
KEYS="${KEYS:-100000}"
ZIPF_S="${ZIPF_S:-1.1}"
VALUE_BYTES="${VALUE_BYTES:-100}"
WORKLOADS="${WORKLOADS:-zipf uniform}"
HOT_KEYS="${HOT_KEYS:-1000}"
OUT="${OUT:-/tmp/nearcache-bench.txt}"
URL="http://127.0.0.1:$NGINX_PORT"
LUA="$ROOT/load_test/nearcache-keys.lua"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

cleanup() {
    "$ROOT/bin/cluster" down >/dev/null 2>&1 || true
}
trap cleanup EXIT

load_keys() {
    python3 - "$URL" "$KEYS" "$VALUE_BYTES" <<'PY'
import json, sys, urllib.request
url, keys, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for start in range(1, keys + 1, 1000):
    batch = [{"key": f"k{i}", "value": f"v{i}-".ljust(size, "x")} for i in range(start, min(start + 1000, keys + 1))]
    req = urllib.request.Request(url + "/data/bulk", json.dumps(batch).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        stored = json.load(r)["stored"]
        assert stored == len(batch), (start, stored)
PY
}

master_counter() { # sum of a counter over all masters
    local name="$1" i sum=0 v
    for i in 1 2; do
        v="$(curl -s --max-time 5 "http://127.0.0.1:$((MASTER_BASE_PORT + i))/metrics" |
            awk -v n="$name" '$1 ~ "^"n"({|$)" {s += $2} END {printf "%.0f", s}')"
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}

# CPU ticks used so far by each role's processes (every process in a node's session, so nginx's
# workers count), as "aux=<ticks> master=<ticks> nginx=<ticks>". Throughput on a shared machine
# swings with the share of CPU the cluster gets; CPU time per GET does much less.
cpu_ticks() {
    local f role sid pid
    local -A ticks=([aux]=0 [master]=0 [nginx]=0)
    local -A role_of=()
    for f in "$RUN_DIR"/pids/*.pid; do
        role="$(basename "$f" .pid)"
        role_of[$(<"$f")]="${role%%-*}"
    done
    while read -r pid sid; do
        if [[ -n "${role_of[$sid]:-}" && -r /proc/$pid/stat ]]; then
            role="${role_of[$sid]}"
            ticks[$role]=$((ticks[$role] + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
        fi
    done < <(ps -eo pid=,sid=)
    echo "${ticks[aux]} ${ticks[master]} ${ticks[nginx]}"
}

run_one() {
    local workload="$1" near="$2" s=0 mode="$1" n="$KEYS" result hits misses coalesced load
    [[ "$workload" == zipf ]] && s="$ZIPF_S"
    [[ "$workload" == hot ]] && s="$ZIPF_S" mode=zipf n="$HOT_KEYS"
    "$ROOT/bin/cluster" down >/dev/null 2>&1 || true
    NEAR_CACHE_ENABLED="$near" "$ROOT/bin/cluster" up >/dev/null
    load_keys
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$LUA" "$URL" -- "$mode" "$s" "$n" >/dev/null
    local h0 m0 c0
    h0="$(master_counter dcache_nearcache_hits_total)"
    m0="$(master_counter dcache_nearcache_misses_total)"
    c0="$(master_counter dcache_reads_coalesced_total)"
    load="$(uptime | sed 's/.*load average: //')"
    local before after requests hz cpu
    read -ra before < <(cpu_ticks)
    result="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$LUA" "$URL" -- "$mode" "$s" "$n" | grep '^RESULT')"
    read -ra after < <(cpu_ticks)
    requests="$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$result")"
    hz="$(getconf CLK_TCK)"
    # microseconds of CPU per GET: all roles, then aux / master / nginx
    cpu="$(awk -v r="$requests" -v hz="$hz" -v a0="${before[0]}" -v m0="${before[1]}" -v n0="${before[2]}" \
        -v a1="${after[0]}" -v m1="${after[1]}" -v n1="${after[2]}" 'BEGIN {
            f = 1e6 / hz / r
            printf "cpu_us_per_get=%.0f (aux=%.0f master=%.0f nginx=%.0f)", \
                ((a1 - a0) + (m1 - m0) + (n1 - n0)) * f, (a1 - a0) * f, (m1 - m0) * f, (n1 - n0) * f }')"
    hits=$(($(master_counter dcache_nearcache_hits_total) - h0))
    misses=$(($(master_counter dcache_nearcache_misses_total) - m0))
    coalesced=$(($(master_counter dcache_reads_coalesced_total) - c0))
    echo "$(date +%T) workload=$workload near=$near ${result#RESULT } $cpu near_hits=$hits near_misses=$misses coalesced=$coalesced load=[$load]" | tee -a "$OUT"
}

echo "# $(date -Is) nearcache-bench: rounds=$ROUNDS duration=$DURATION warmup=$WARMUP t=$THREADS c=$CONNECTIONS keys=$KEYS s=$ZIPF_S value=${VALUE_BYTES}B nproc=$(nproc)" | tee -a "$OUT"
for ((round = 1; round <= ROUNDS; round++)); do
    for workload in $WORKLOADS; do
        if ((round % 2)); then order="true false"; else order="false true"; fi
        for near in $order; do
            run_one "$workload" "$near"
        done
    done
done
