#!/bin/sh
# Container entry point of an aux node. Gives the node its identity and data directory, then
# replaces itself with the JVM (PID 1, so SIGTERM reaches the shutdown hook).
#
#   AUX_ID and AUX_DATA_DIR both set: used as they are (the Kubernetes StatefulSet: the pod name
#                 and a volume per pod).
#   AUX_ID alone: AUX_DATA_DIR defaults to /data/$AUX_ID.
#   neither:      (Docker Compose, where the replicas of one service share the volume at /data)
#                 the node claims a slot: the lowest N whose lock file /data/aux-N/.lock no running
#                 node holds. It becomes aux-N with the data directory /data/aux-N.
#   JAVA_OPTS     JVM flags; the image's default sizes the heap from the container's memory limit.
#
# The slot lock is an flock on file descriptor 9, which the JVM inherits through exec: it is held
# exactly as long as the node runs, and the kernel releases it when the node dies, however it
# dies. So a node that is restarted, or recreated (`docker compose down` then `up`, a new image,
# scaling down and up), finds a slot whose snapshot it restores, and the ring keeps its node ids.
# Which container gets which slot may change between two `up`s; the data goes with the slot.
set -eu

if [ -z "${AUX_ID:-}" ] && [ -z "${AUX_DATA_DIR:-}" ]; then
    slot=1
    while :; do
        mkdir -p "/data/aux-$slot"
        exec 9>>"/data/aux-$slot/.lock"
        if flock -n 9; then
            break
        fi
        exec 9>&-
        slot=$((slot + 1))
        if [ "$slot" -gt "${AUX_MAX_SLOTS:-256}" ]; then
            echo "entrypoint: every slot up to AUX_MAX_SLOTS=${AUX_MAX_SLOTS:-256} under /data is taken" >&2
            exit 1
        fi
    done
    AUX_ID="aux-$slot"
fi
AUX_DATA_DIR="${AUX_DATA_DIR:-/data/$AUX_ID}"
export AUX_ID AUX_DATA_DIR
mkdir -p "$AUX_DATA_DIR"

# JAVA_OPTS is a list of flags: split on whitespace on purpose
# shellcheck disable=SC2086
exec java $JAVA_OPTS -jar /opt/dcache/dcache-aux.jar "$@"
