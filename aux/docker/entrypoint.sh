#!/bin/sh
# Container entry point of an aux node. Fills in the two settings that depend on which container
# this is, then replaces itself with the JVM (PID 1, so SIGTERM reaches the shutdown hook).
#
#   AUX_ID        defaults to the hostname: the container id under Compose, the pod name under a
#                 StatefulSet (which also sets it explicitly). Stable for the life of the container.
#   AUX_DATA_DIR  defaults to /data/$AUX_ID, so replicas of one Compose service can share one named
#                 volume without sharing files. A StatefulSet mounts a volume per pod and sets
#                 AUX_DATA_DIR=/data itself.
#   JAVA_OPTS     JVM flags; the image's default sizes the heap from the container's memory limit.
set -eu

AUX_ID="${AUX_ID:-$(uname -n)}"
AUX_DATA_DIR="${AUX_DATA_DIR:-/data/$AUX_ID}"
export AUX_ID AUX_DATA_DIR
mkdir -p "$AUX_DATA_DIR"

# JAVA_OPTS is a list of flags: split on whitespace on purpose
# shellcheck disable=SC2086
exec java $JAVA_OPTS -jar /opt/dcache/dcache-aux.jar "$@"
