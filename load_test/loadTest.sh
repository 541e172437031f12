#!/usr/bin/env bash
# load_test/loadTest.sh - run the locust load test headless and judge it by its failure ratio.
#
#   ./load_test/loadTest.sh                         # 20 users against http://127.0.0.1:8080 for 60s
#   HOST=http://127.0.0.1:8001 USERS=50 RUN_TIME=2m ./load_test/loadTest.sh
#   USER_CLASSES="ReadHeavyUser HotKeyUser" ./load_test/loadTest.sh
#   TAGS="read hot" ./load_test/loadTest.sh          # only these workloads (tags: locustfile.py)
#   EXCLUDE_TAGS="values" ./load_test/loadTest.sh    # all workloads but these
#   ./load_test/loadTest.sh --loglevel DEBUG        # extra arguments go to locust unchanged
#
# Environment (defaults in brackets):
#   HOST [http://127.0.0.1:8080]  the cluster's public entry (nginx) or one master
#   USERS [20]  SPAWN_RATE [5] users started per second  RUN_TIME [60s] (locust -t syntax: 20s, 2m)
#   MAX_FAIL_RATIO [0.01]  exit 1 when failures / requests is above this
#   USER_CLASSES [all]  space-separated subset of ReadHeavyUser WriteHeavyUser BulkUser HotKeyUser TtlUser
#                       ValueShapesUser
#   TAGS [all]  EXCLUDE_TAGS [none]  space-separated workload tags: read write bulk hot ttl values,
#                       and the values aspects json raw valuesbulk conditional head
#   VALUE_BYTES [100]  KEYS_PER_USER [200]  TTL_SECONDS [5]  WAIT_MIN [0.05]  WAIT_MAX [0.2] seconds
#   REPORT_DIR [load_test/reports]  where <name>_stats.csv, _failures.csv, ... and <name>.html go
#   LOCUST [locust]  the locust command (Debian: apt-get install python3-locust)
#
# Exit status: 0 when the test ran and the failure ratio is within MAX_FAIL_RATIO, 1 when it is
# above it (or no request was made), 2 when the target is unreachable or locust is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOST="${HOST:-http://127.0.0.1:8080}"
USERS="${USERS:-20}"
SPAWN_RATE="${SPAWN_RATE:-5}"
RUN_TIME="${RUN_TIME:-60s}"
MAX_FAIL_RATIO="${MAX_FAIL_RATIO:-0.01}"
USER_CLASSES="${USER_CLASSES:-}"
TAGS="${TAGS:-}"
EXCLUDE_TAGS="${EXCLUDE_TAGS:-}"
REPORT_DIR="${REPORT_DIR:-$HERE/reports}"
LOCUST="${LOCUST:-locust}"
export VALUE_BYTES="${VALUE_BYTES:-100}" KEYS_PER_USER="${KEYS_PER_USER:-200}" TTL_SECONDS="${TTL_SECONDS:-5}"
export WAIT_MIN="${WAIT_MIN:-0.05}" WAIT_MAX="${WAIT_MAX:-0.2}"

die() {
    echo "loadTest: $*" >&2
    exit 2
}

[[ "$USERS" =~ ^[1-9][0-9]*$ ]] || die "USERS must be a positive integer, was '$USERS'"
[[ "$SPAWN_RATE" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "SPAWN_RATE must be a number, was '$SPAWN_RATE'"
[[ "$RUN_TIME" =~ ^([0-9]+[hms]?)+$ ]] || die "RUN_TIME must look like 20s, 2m or 1h30m, was '$RUN_TIME'"
[[ "$MAX_FAIL_RATIO" =~ ^[0-9]*\.?[0-9]+$ ]] || die "MAX_FAIL_RATIO must be a number in [0, 1], was '$MAX_FAIL_RATIO'"
command -v "$LOCUST" >/dev/null || die "'$LOCUST' not found; on Debian: apt-get install python3-locust"

# Seconds in RUN_TIME, for the hard time limit below.
run_seconds() {
    local t="$1" total=0 n unit
    while [[ "$t" =~ ^([0-9]+)([hms]?)(.*)$ ]]; do
        n="${BASH_REMATCH[1]}" unit="${BASH_REMATCH[2]:-s}" t="${BASH_REMATCH[3]}"
        case "$unit" in h) total=$((total + n * 3600)) ;; m) total=$((total + n * 60)) ;; *) total=$((total + n)) ;; esac
    done
    echo "$total"
}

if ! curl -fsS --max-time 5 -o /dev/null "$HOST/health"; then
    die "$HOST/health does not answer; start the cluster first (bin/cluster up)"
fi

mkdir -p "$REPORT_DIR"
name="locust-$(date +%Y%m%d-%H%M%S)"
csv="$REPORT_DIR/$name"
html="$REPORT_DIR/$name.html"
# shellcheck disable=SC2206 # word splitting of the class and tag lists is intended
classes=($USER_CLASSES)
tag_args=()
# shellcheck disable=SC2206
[[ -z "$TAGS" ]] || tag_args+=(--tags $TAGS)
# shellcheck disable=SC2206
[[ -z "$EXCLUDE_TAGS" ]] || tag_args+=(--exclude-tags $EXCLUDE_TAGS)

echo "loadTest: $HOST, $USERS users (+$SPAWN_RATE/s), $RUN_TIME, classes: ${USER_CLASSES:-all}, tags: ${TAGS:-all}${EXCLUDE_TAGS:+ but $EXCLUDE_TAGS}, max failure ratio $MAX_FAIL_RATIO"
status=0
# timeout is the backstop for a locust that does not stop by itself: run time + spawn + slack.
# The class names come first: --tags and --exclude-tags take every word after them.
timeout --kill-after=10 "$(($(run_seconds "$RUN_TIME") + 60))" \
    "$LOCUST" -f "$HERE/locustfile.py" ${classes[@]+"${classes[@]}"} --headless --only-summary \
    -H "$HOST" -u "$USERS" -r "$SPAWN_RATE" -t "$RUN_TIME" --stop-timeout 5 \
    --csv "$csv" --html "$html" --max-fail-ratio "$MAX_FAIL_RATIO" \
    ${tag_args[@]+"${tag_args[@]}"} "$@" || status=$?

stats="${csv}_stats.csv"
[[ -f "$stats" ]] || die "locust wrote no statistics (exit $status)"

echo
echo "== summary ($HOST, $USERS users, $RUN_TIME) =="
python3 - "$stats" "${csv}_failures.csv" <<'PY'
import csv, sys
with open(sys.argv[1], newline="") as f:
    for row in csv.DictReader(f):
        name = f"{row['Type']} {row['Name']}".strip()
        print(f"{name:32} {row['Request Count']:>8} req {row['Failure Count']:>6} fail "
              f"{float(row['Requests/s']):8.1f} req/s  p50 {row['50%']:>5} ms  p99 {row['99%']:>5} ms")
try:
    with open(sys.argv[2], newline="") as f:
        failures = sorted(csv.DictReader(f), key=lambda r: -int(r["Occurrences"]))
except FileNotFoundError:
    failures = []
if failures:
    print("\nfailures (most frequent first):")
    for r in failures[:10]:
        print(f"  {r['Occurrences']:>6}  {r['Method']} {r['Name']}: {r['Error']}")
PY
echo
echo "reports: $stats"
echo "         $html"
case "$status" in
    0) echo "loadTest: PASS (failure ratio within $MAX_FAIL_RATIO)" ;;
    1) echo "loadTest: FAIL (failure ratio above $MAX_FAIL_RATIO, or no request made)" ;;
    124 | 137) echo "loadTest: FAIL (locust did not stop in time, killed)" ;;
    *) echo "loadTest: FAIL (locust exited with $status)" ;;
esac
exit "$status"
