#!/bin/sh
# Container entry point of a master. MASTER_ID tags the master's write versions, so replicas of one
# Compose service or Deployment must not share the default (master-<port>): it defaults to the
# hostname here, the container id under Compose and the pod name under Kubernetes. Then the JVM
# replaces the shell (PID 1, so SIGTERM reaches the shutdown hook).
set -eu

MASTER_ID="${MASTER_ID:-$(uname -n)}"
export MASTER_ID

# JAVA_OPTS is a list of flags: split on whitespace on purpose
# shellcheck disable=SC2086
exec java $JAVA_OPTS -jar /opt/dcache/dcache-master.jar "$@"
