#!/usr/bin/env bash
# bench/run.sh - build bench/target/benchmarks.jar and run the JMH benchmarks with settings a
# 2-core machine finishes in a few minutes; prints a table and the LruCache/Caffeine ratio.
#
#   bench/run.sh                          # every benchmark (about 4 minutes)
#   bench/run.sh LruCacheBenchmark        # a regex of benchmarks, as JMH takes it
#   JMH_OPTS="-f 2 -wi 2 -w 2s -i 5 -r 3s" bench/run.sh   # other settings (replace the defaults)
#   JMH_OPTS="-f 1 -wi 3 -w 1s -i 10 -r 1s" bench/run.sh  # busy machine: short iterations, read "best"
#   BUILD=never bench/run.sh              # reuse the jar
#
# Results: bench/target/jmh-result-<timestamp>.json (JMH's JSON) and the printed summary.
# Needs a JDK >= 21 (JAVA_HOME, else the newest under /usr/lib/jvm) and Maven; builds with
# `-pl bench -am` inside this checkout and installs nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/bench/target/benchmarks.jar"
BUILD="${BUILD:-always}"
# -f 1: one fork; -wi 2 -w 2s: warm-up; -i 3 -r 3s: measurement. Modest on purpose: two cores,
# shared with whatever else runs; repeat runs to see the spread rather than trusting one.
DEFAULT_OPTS=(-f 1 -wi 2 -w 2s -i 3 -r 3s)

java_home() {
    local candidate
    for candidate in "${JAVA_HOME:-}" $(find /usr/lib/jvm -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort -rV); do
        [[ -n "$candidate" && -x "$candidate/bin/javac" ]] || continue
        local v
        v="$("$candidate/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
        if [[ -n "$v" ]] && ((v >= 21)); then
            echo "$candidate"
            return 0
        fi
    done
    echo "bench: no JDK >= 21 found; set JAVA_HOME" >&2
    return 1
}

JAVA_HOME="$(java_home)"
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"

case "$BUILD" in
    always) ;;
    never) [[ -f "$JAR" ]] || { echo "bench: $JAR missing; run with BUILD=always" >&2; exit 2; } ;;
    *) echo "bench: BUILD must be always or never, was '$BUILD'" >&2; exit 2 ;;
esac
if [[ "$BUILD" == always ]]; then
    echo "bench: building $JAR"
    (cd "$ROOT" && MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
        mvn -q -B -Dstyle.color=never -DskipTests package -pl bench -am)
fi

result="$ROOT/bench/target/jmh-result-$(date +%Y%m%d-%H%M%S).json"
echo "bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
# JMH refuses an option given twice, so JMH_OPTS replaces the defaults rather than adding to them
if [[ -n "${JMH_OPTS:-}" ]]; then
    read -ra opts <<<"$JMH_OPTS"
else
    opts=("${DEFAULT_OPTS[@]}")
fi
timeout --kill-after=30 1800 java -jar "$JAR" "${opts[@]}" -rf json -rff "$result" "$@"

echo
echo "== summary ($result; load average now $(cut -d' ' -f1-3 /proc/loadavg)) =="
python3 - "$result" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))
# Other work on the machine only ever slows an iteration down, so besides JMH's mean the table
# shows the best iteration: the closer of the two to what the code does undisturbed.
scores = {}
print(f"{'benchmark':18} {'method':20} {'params':32} {'mean M ops/s':>12} {'+- 99.9%':>9} {'best':>8}")
for r in runs:
    bench, method = r["benchmark"].rsplit(".", 2)[-2:]
    params = r.get("params", {})
    m = r["primaryMetric"]
    best = max(x for fork in m["rawData"] for x in fork)
    label = " ".join(f"{k}={v}" for k, v in sorted(params.items()))
    print(f"{bench:18} {method:20} {label:32} {m['score'] / 1e6:12.2f} {m['scoreError'] / 1e6:9.2f} {best / 1e6:8.2f}")
    scores[(bench, method, tuple(sorted(params.items())))] = (m["score"], best)

ratios = []
for (bench, method, params), (mean, best) in scores.items():
    p = dict(params)
    if bench == "LruCacheBenchmark" and p.get("cache") == "LruCache":
        base = scores.get((bench, method, tuple(sorted(dict(p, cache="Caffeine").items()))))
        if base:
            ratios.append(f"  {method:20} capacity={p.get('capacity'):5} LruCache / Caffeine = "
                          f"{mean / base[0]:.2f} (means), {best / base[1]:.2f} (best iterations)")
if ratios:
    print("\nLruCache throughput as a share of Caffeine's (target >= 0.50 at 2 threads):")
    print("\n".join(sorted(ratios)))
PY
