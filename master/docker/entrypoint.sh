#!/bin/sh
# Container entry point of a master. MASTER_ID names the master and tags its write versions
# (MASTER_VERSION_TAG defaults to the id's trailing number), so replicas of one Compose service or
# Deployment must not share one. Then the JVM replaces the shell (PID 1, so SIGTERM reaches the
# shutdown hook).
#
#   MASTER_ID set: used as it is (the Kubernetes Deployment sets the pod name).
#   unset, with BACKUP_DIR a writable directory (Docker Compose, where every master mounts the
#          shared backup volume there): the master claims a slot, the lowest N whose lock file
#          BACKUP_DIR/.slots/master-N.lock no running master holds, and becomes master-N. Running
#          masters so never share an id or a version tag, and a recreated one keeps its backup
#          file's name. The lock is an flock on file descriptor 9, inherited by the JVM: held while
#          it runs, released by the kernel when it dies.
#   otherwise: the hostname (the container id, the pod name).
set -eu

if [ -z "${MASTER_ID:-}" ] && [ -n "${BACKUP_DIR:-}" ] && [ -d "$BACKUP_DIR" ] && [ -w "$BACKUP_DIR" ]; then
    mkdir -p "$BACKUP_DIR/.slots"
    slot=1
    while :; do
        exec 9>>"$BACKUP_DIR/.slots/master-$slot.lock"
        if flock -n 9; then
            break
        fi
        exec 9>&-
        slot=$((slot + 1))
        if [ "$slot" -gt 255 ]; then
            echo "entrypoint: every master slot under $BACKUP_DIR/.slots is taken" >&2
            exit 1
        fi
    done
    MASTER_ID="master-$slot"
fi
MASTER_ID="${MASTER_ID:-$(uname -n)}"
export MASTER_ID

# JAVA_OPTS is a list of flags: split on whitespace on purpose
# shellcheck disable=SC2086
exec java $JAVA_OPTS -jar /opt/dcache/dcache-master.jar "$@"
