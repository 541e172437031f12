#!/usr/bin/env bash
# load_test/memory.sh - how much memory an aux node really takes for its byte budget.
#
#   ./load_test/memory.sh
#   VALUE_BYTES=100 AUX_JAVA_OPTS="-Xms256m -Xmx384m -XX:+UseG1GC" ./load_test/memory.sh
#
# Starts one aux node of its own (free loopback port, temp data dir, binary port off) with
# AUX_MAX_BYTES (1 GiB) as its budget and an entry bound high enough that only bytes bind, then
# fills it through the internal batch API (POST /internal/batch/put, 1000 records a call) until it
# evicts, and as much again, so the cache sits at its budget with garbage behind it, as a node
# does in service. Then it reports:
#   - the process RSS (VmRSS) and peak RSS (VmHWM) from /proc/<pid>/status, against the budget;
#   - the node's own dcache_cache_bytes / dcache_cache_max_bytes and entries from /metrics;
#   - the heap in use before and after a full GC (jcmd GC.run): the live heap against
#     dcache_cache_bytes says how well the Weigher's estimate matches the real footprint.
#
# Environment (defaults in brackets):
#   AUX_JAR [aux/target/dcache-aux.jar]  AUX_MAX_BYTES [1073741824]  VALUE_BYTES [1000]
#   AUX_JAVA_OPTS ["-Xms<h>m -Xmx<h>m -XX:+UseG1GC", h = budget in MiB x 1.1, at least 256]:
#     bin/cluster's rule for aux nodes. The heap must hold the budget (the Weigher's estimate of
#     the live records) plus the node itself and the garbage a write load leaves until the next
#     collection; more -Xmx buys less GC time for more RSS. Below a budget of about 1 GiB the
#     JVM's fixed footprint (about 180 MiB idle) dominates the ratio.
#   MAX_RECORDS [5000000]: hard bound on records written
#   NMT [0]: 1 adds -XX:NativeMemoryTracking=summary and prints the JVM's own account of where
#     the non-heap part of the RSS goes (jcmd VM.native_memory summary)
# Prints RSS / budget; exits 0 whatever the ratio (it measures, it does not judge), 2 on errors.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AUX_JAR="${AUX_JAR:-$ROOT/aux/target/dcache-aux.jar}"
AUX_MAX_BYTES="${AUX_MAX_BYTES:-1073741824}"
VALUE_BYTES="${VALUE_BYTES:-1000}"
AUX_JAVA_OPTS="${AUX_JAVA_OPTS:-$("$ROOT/bin/aux-heap" "$AUX_MAX_BYTES")}" # bin/cluster's rule for aux heaps
MAX_RECORDS="${MAX_RECORDS:-5000000}"
NMT="${NMT:-0}"

die() {
    echo "memory: $*" >&2
    exit 2
}

for v in AUX_MAX_BYTES VALUE_BYTES MAX_RECORDS; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, was '${!v}'"
done
[[ "$NMT" =~ ^[01]$ ]] || die "NMT must be 0 or 1, was '$NMT'"
java_opts="$AUX_JAVA_OPTS"
if [[ "$NMT" == 1 ]]; then
    java_opts+=" -XX:NativeMemoryTracking=summary"
fi
[[ -f "$AUX_JAR" ]] || die "$AUX_JAR missing; build it: mvn -q -B -DskipTests package -pl aux -am"
# JAVA_HOME if it is a JDK >= 21, else the newest such JDK under /usr/lib/jvm (jcmd is needed too)
java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
jdk=""
for candidate in "${JAVA_HOME:-}" $(find /usr/lib/jvm -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort -rV); do
    if [[ -n "$candidate" && -x "$candidate/bin/jcmd" ]] && (($(java_major "$candidate") >= 21)); then
        jdk="$candidate"
        break
    fi
done
[[ -n "$jdk" ]] || die "no JDK >= 21 with jcmd found; set JAVA_HOME"
JAVA_HOME="$jdk"

work="$(mktemp -d /tmp/dcache-memory.XXXXXX)"
pid=""
cleanup() {
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# shellcheck disable=SC2086 # java_opts is a list of options
env AUX_ID=aux-memory AUX_BIND=127.0.0.1 AUX_PORT="$port" AUX_BINARY_PORT=-1 AUX_DATA_DIR="$work/data" \
    AUX_MAX_BYTES="$AUX_MAX_BYTES" AUX_MAX_ENTRIES=1000000000 CLUSTER_TOKEN= \
    "$JAVA_HOME/bin/java" $java_opts -jar "$AUX_JAR" >"$work/aux.log" 2>&1 &
pid=$!
for _ in $(seq 150); do
    curl -fsS --max-time 1 -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || die "aux exited at start: $(tail -5 "$work/aux.log")"
    sleep 0.2
done
curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/health" || die "aux did not answer /health in 30s"

status_kib() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$pid/status"; }
echo "memory: aux pid $pid on 127.0.0.1:$port, budget $AUX_MAX_BYTES bytes, ${VALUE_BYTES}-byte values, java $AUX_JAVA_OPTS"
echo "memory: idle RSS $(($(status_kib VmRSS) / 1024)) MiB"

python3 - "$port" "$VALUE_BYTES" "$MAX_RECORDS" <<'PY'
import http.client, json, sys, time
port, value_bytes, max_records = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

def metric(name):
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise SystemExit(f"memory: metric {name} not found")

value = "v" * value_bytes
written, version, batch = 0, 0, 1000
stop_at = max_records
start = time.monotonic()
while written < stop_at:
    records = []
    for _ in range(batch):
        version += 1
        records.append({"key": f"mem:{written:010d}", "value": value, "version": version, "expiresAt": 0})
        written += 1
    conn.request("POST", "/internal/batch/put", body=json.dumps(records), headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit(f"memory: batch put answered {r.status}: {body[:200]!r}")
    if stop_at == max_records and written % 20000 == 0 and metric("dcache_cache_evictions_total") > 0:
        # the budget is reached: write as many records again, so the cache turns over fully
        stop_at = min(max_records, 2 * written)
        print(f"memory: evictions began after {written} records; writing until {stop_at}", flush=True)
print(f"memory: wrote {written} records in {time.monotonic() - start:.1f}s", flush=True)
PY

sleep 2
metrics="$(curl -fsS --max-time 5 "http://127.0.0.1:$port/metrics")"
metric() { awk -v n="$1" 'index($0, n "{") == 1 || index($0, n " ") == 1 { v = $NF } END { printf "%.0f", v }' <<<"$metrics"; }
heap_used() { awk -v a='area="heap"' 'index($0, "jvm_memory_used_bytes{") == 1 && index($0, a) { s += $NF } END { printf "%.0f", s }' <<<"$metrics"; }
rss=$(($(status_kib VmRSS) * 1024))
hwm=$(($(status_kib VmHWM) * 1024))
cache_bytes="$(metric dcache_cache_bytes)"
max_bytes="$(metric dcache_cache_max_bytes)"
entries="$(metric dcache_cache_entries)"
evictions="$(metric dcache_cache_evictions_total)"
heap_before="$(heap_used)"
"$JAVA_HOME/bin/jcmd" "$pid" GC.run >/dev/null
sleep 1
metrics="$(curl -fsS --max-time 5 "http://127.0.0.1:$port/metrics")"
heap_live="$(heap_used)"
rss_after_gc=$(($(status_kib VmRSS) * 1024))

python3 - "$rss" "$hwm" "$cache_bytes" "$max_bytes" "$entries" "$evictions" "$heap_before" "$heap_live" \
    "$rss_after_gc" "$AUX_MAX_BYTES" <<'PY'
import sys
rss, hwm, cache, max_bytes, entries, evictions, heap_before, heap_live, rss_gc, budget = map(int, sys.argv[1:])
mib = lambda b: f"{b / 2**20:7.1f} MiB"
print()
print(f"budget (AUX_MAX_BYTES)           {mib(budget)}")
print(f"dcache_cache_max_bytes           {mib(max_bytes)}")
print(f"dcache_cache_bytes               {mib(cache)}   ({cache / max_bytes:.1%} of max, {entries} entries, {evictions} evictions)")
print(f"heap used at the end             {mib(heap_before)}")
print(f"heap live after a full GC        {mib(heap_live)}   ({heap_live / cache:.2f}x dcache_cache_bytes)")
print(f"RSS (VmRSS) at the end           {mib(rss)}")
print(f"peak RSS (VmHWM)                 {mib(hwm)}")
print(f"RSS after the full GC            {mib(rss_gc)}")
print()
print(f"RSS / budget = {rss / budget:.2f}  (peak {hwm / budget:.2f}; target <= 1.30)")
PY
if [[ "$NMT" == 1 ]]; then
    echo
    echo "native memory tracking (MB committed per JVM area):"
    "$JAVA_HOME/bin/jcmd" "$pid" VM.native_memory summary scale=MB |
        grep -E '^(Total|-\s+[A-Za-z ]+ \()' | sed -E 's/^-\s+//; s/\s+/ /g; s/^/  /'
fi
