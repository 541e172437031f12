#!/usr/bin/env bash
# load_test/profile.sh - where the CPU goes while one master serves wrk GET load.
#
#   ./load_test/profile.sh                        # master on 8001, aux nodes on 9001-9003
#   MASTER_PORT=8201 AUX_PORTS="9201 9202 9203" MODE=post ./load_test/profile.sh
#
# Runs wrk (same script and settings as bench.sh) against one master; after WARMUP seconds it
# records DURATION seconds of JFR on the master and on the first aux node ("profile" settings plus,
# on JDK 25, the CPU-time sampler jdk.CPUTimeSample, which also sees time spent in native code and
# syscalls), the CPU time each process of the test used (/proc/<pid>/stat) and the requests the
# master served in that window (its dcache_http_server_requests_seconds_count), which gives CPU
# microseconds per request: a figure that holds up better than requests/s on a shared machine.
# Keys must be preloaded: run bench.sh once first. Prints the CPU split, the hottest methods, the
# top frames by package, allocation by site and GC pauses; the .jfr files are kept under
# load_test/reports/ for `jfr view ... FILE` or JDK Mission Control.
#
# Environment (defaults in brackets): HOST [127.0.0.1]  MASTER_PORT [8001]  AUX_PORTS ["9001 9002 9003"]
#   MODE [get] (get, post or mix)  KEYS [10000]  VALUE_BYTES [100]  KEY_PREFIX [bench-]
#   CONNECTIONS [64]  THREADS [2]  WARMUP [5]  DURATION [10]  REPORT_DIR [load_test/reports]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOST="${HOST:-127.0.0.1}"
MASTER_PORT="${MASTER_PORT:-8001}"
AUX_PORTS="${AUX_PORTS:-9001 9002 9003}"
MODE="${MODE:-get}"
KEYS="${KEYS:-10000}"
VALUE_BYTES="${VALUE_BYTES:-100}"
KEY_PREFIX="${KEY_PREFIX:-bench-}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-5}"
DURATION="${DURATION:-10}"
REPORT_DIR="${REPORT_DIR:-$HERE/reports}"

die() {
    echo "profile: $*" >&2
    exit 2
}

for v in MASTER_PORT KEYS VALUE_BYTES CONNECTIONS THREADS WARMUP DURATION; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, was '${!v}'"
done
[[ "$MODE" =~ ^(get|post|mix)$ ]] || die "MODE must be get, post or mix, was '$MODE'"
((DURATION <= 120 && WARMUP <= 60)) || die "DURATION is at most 120 and WARMUP at most 60 seconds"

# the JDK whose jcmd and jfr can talk to the nodes: that of the master process
pid_on_port() {
    ss -ltnpH "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1
}
master_pid="$(pid_on_port "$MASTER_PORT")"
[[ -n "$master_pid" ]] || die "nothing listens on $HOST:$MASTER_PORT (is the cluster up?)"
java_bin="$(readlink -f "/proc/$master_pid/exe")"
jdk="${java_bin%/bin/java}"
[[ -x "$jdk/bin/jcmd" && -x "$jdk/bin/jfr" ]] || die "no jcmd/jfr next to $java_bin"
aux_pids=()
for p in $AUX_PORTS; do
    ap="$(pid_on_port "$p")"
    [[ -n "$ap" ]] || die "no aux node listens on $HOST:$p"
    aux_pids+=("$ap")
done
curl -fsS --max-time 5 -o /dev/null "http://$HOST:$MASTER_PORT/data/${KEY_PREFIX}00000000" ||
    die "key ${KEY_PREFIX}00000000 is not there: preload with load_test/bench.sh first"

mkdir -p "$REPORT_DIR"
stamp="$(date +%Y%m%d-%H%M%S)"
master_jfr="$REPORT_DIR/profile-$stamp-master-$MODE.jfr"
aux_jfr="$REPORT_DIR/profile-$stamp-aux-$MODE.jfr"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

echo "profile: wrk $MODE against master pid $master_pid ($HOST:$MASTER_PORT), ${WARMUP}s + ${DURATION}s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
# wrk runs SLACK seconds longer than warm-up + recording: attaching jcmd takes seconds on a loaded
# machine, and the recording must not outlast the load
slack=15
timeout --kill-after=5 $((WARMUP + DURATION + slack + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" \
    -d "$((WARMUP + DURATION + slack))s" -s "$HERE/wrk/dcache.lua" "http://$HOST:$MASTER_PORT" \
    -- "$MODE" "$KEYS" "$VALUE_BYTES" "$KEY_PREFIX" >"$REPORT_DIR/profile-$stamp-wrk.txt" 2>&1 &
wrk_pid=$!
trap 'kill "$wrk_pid" 2>/dev/null || true' EXIT
sleep "$WARMUP"
# wrk's own pid (the child of timeout), for its CPU time
wrk_proc="$(pgrep -P "$wrk_pid" -x wrk || echo "$wrk_pid")"
jfr_start() {
    local out
    # JDK 25's CPU-time sampler; an older JDK refuses the unknown event, so retry without it
    out="$("$jdk/bin/jcmd" "$1" JFR.start name="profile-$stamp" settings=profile duration="${DURATION}s" \
        jdk.CPUTimeSample#enabled=true jdk.CPUTimeSample#throttle=2ms filename="$2" 2>&1)"
    if ! grep -q 'Started recording' <<<"$out"; then
        "$jdk/bin/jcmd" "$1" JFR.start name="profile-$stamp" settings=profile duration="${DURATION}s" filename="$2" >/dev/null
    fi
}
served() {
    curl -fsS --max-time 5 "http://$HOST:$MASTER_PORT/metrics" |
        awk 'index($0, "dcache_http_server_requests_seconds_count{") == 1 && index($0, "uri=\"/metrics\"") == 0 { s += $NF }
             END { printf "%.0f", s }'
}
jfr_start "$master_pid" "$master_jfr" &
jfr_master=$!
jfr_start "${aux_pids[0]}" "$aux_jfr" &
jfr_aux=$!
wait "$jfr_master" || die "JFR.start on the master failed"
wait "$jfr_aux" || die "JFR.start on the aux node failed"
kill -0 "$wrk_pid" 2>/dev/null || die "wrk ended before the recordings started; raise the slack"
declare -A before
served_before="$(served)"
for p in "$master_pid" "${aux_pids[@]}" "$wrk_proc"; do before[$p]="$(cpu_ticks "$p")"; done
t0="$(date +%s.%N)"
sleep "$DURATION"
t1="$(date +%s.%N)"
declare -A used
for p in "$master_pid" "${aux_pids[@]}" "$wrk_proc"; do used[$p]=$(($(cpu_ticks "$p") - ${before[$p]})); done
served_after="$(served)"
wait "$wrk_pid" || true
trap - EXIT

hz="$(getconf CLK_TCK)"
secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
requests=$((served_after - served_before))
((requests > 0)) || die "the master served no request during the recording"
aux_ticks=0
for p in "${aux_pids[@]}"; do aux_ticks=$((aux_ticks + ${used[$p]})); done
share() { awk -v t="$1" -v hz="$hz" -v s="$secs" 'BEGIN { printf "%.0f", 100 * t / hz / s }'; }
per_request() { awk -v t="$1" -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.0f", 1e6 * t / hz / n }'; }
echo
echo "== ${secs%.*}s window: the master served $requests requests ($(awk -v n="$requests" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')/s); load average $(cut -d' ' -f1-3 /proc/loadavg) =="
echo "   CPU (100% = one core of $(nproc))   CPU us per request"
printf '  %-10s %6s%%   %6s\n' master "$(share "${used[$master_pid]}")" "$(per_request "${used[$master_pid]}")"
for i in "${!aux_pids[@]}"; do
    p="${aux_pids[$i]}"
    printf '  %-10s %6s%%   %6s\n' "aux-$((i + 1))" "$(share "${used[$p]}")" "$(per_request "${used[$p]}")"
done
printf '  %-10s %6s%%   %6s\n' "aux, all" "$(share "$aux_ticks")" "$(per_request "$aux_ticks")"
printf '  %-10s %6s%%   %6s\n' wrk "$(share "${used[$wrk_proc]}")" "$(per_request "${used[$wrk_proc]}")"
echo
echo "== wrk (whole run, warm-up and slack included) =="
grep -E 'Requests/sec|Latency|Non-2xx|Socket errors|^RESULT' "$REPORT_DIR/profile-$stamp-wrk.txt" | sed 's/^/  /'

for f in "$master_jfr" "$aux_jfr"; do
    [[ -s "$f" ]] || die "no recording at $f"
    name="$(basename "$f")"
    event=jdk.CPUTimeSample
    view=cpu-time-hot-methods
    if ! "$jdk/bin/jfr" summary "$f" | awk '$1 == "jdk.CPUTimeSample" && $2 > 0 { ok = 1 } END { exit !ok }'; then
        event=jdk.ExecutionSample
        view=hot-methods
    fi
    echo
    echo "== $name: hottest methods ($event, top frame) =="
    "$jdk/bin/jfr" view --width 150 "$view" "$f" | sed -n '4,24p'
    echo
    echo "== $name: $event by package of the top frame =="
    "$jdk/bin/jfr" print --events "$event" --stack-depth 1 "$f" |
        awk '/stackTrace = \[/ { getline; sub(/^[ \t]+/, ""); sub(/\(.*$/, ""); n = split($0, parts, ".");
                 pkg = parts[1]; for (i = 2; i < n - 1 && i <= 3; i++) pkg = pkg "." parts[i];
                 count[pkg]++; total++ }
             END { for (p in count) printf "  %6.1f%%  %s\n", 100 * count[p] / total, p }' | sort -rn | head -12
    echo
    echo "== $name: allocation by site, GC =="
    "$jdk/bin/jfr" view --width 150 allocation-by-site "$f" | sed -n '6,10p'
    "$jdk/bin/jfr" view gc-pauses "$f" | grep -E 'Total Pause|Number of Pauses|Median' || echo "  no GC pause recorded"
done
echo
echo "profile: recordings kept: $master_jfr $aux_jfr"
