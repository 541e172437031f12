# The aux and master images, one target each. Build from the repository root, which is the
# context (the Maven reactor needs every module's pom.xml):
#   docker build --target aux    -t dcache-aux .
#   docker build --target master -t dcache-master .
# Works with the classic builder and with BuildKit (Docker Engine 20.10 and later), and with
# docker-compose 1.29 (build.target in docker-compose.yml).
#
# One file at the root rather than one per module: the two images share the build stage (which
# builds both jars) and the runtime base, and differ only in the jar, entrypoint, data directory,
# heap share, ports and health-check port, which are the two small final stages below. The root is
# the build context anyway, so no -f is needed, and neither module owns the file.
#
# Stages: build (Maven, both jars) -> runtime (JRE, curl, the dcache user) -> aux | master.
# Always name a target: the last stage only fails with a message, so that a build without
# --target cannot tag one node kind's image with the other's name. The classic builder builds
# every stage before the target, so --target master also runs the small aux stage (from the
# cache after the first time); BuildKit builds only the stages the target needs.
#
# The base images are build arguments; the defaults are the upstream images, and
# docker-compose.yml passes the same ones (DCACHE_BUILD_IMAGE, DCACHE_RUNTIME_IMAGE), so that
# bin/local-images can substitute stand-ins built from Debian packages where Docker Hub cannot be
# reached. The build stage builds both jars, so whichever image is built second takes the whole
# stage from the layer cache.
ARG BUILD_IMAGE=maven:3.9.11-eclipse-temurin-21
ARG RUNTIME_IMAGE=eclipse-temurin:21.0.8_9-jre

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# Dependencies first, in a layer of their own that only a change to a pom.xml rebuilds: a code
# change then recompiles without downloading anything. Every module's pom is needed, since the
# reactor reads them all even for -pl.
COPY pom.xml ./
COPY common/pom.xml common/
COPY aux/pom.xml aux/
COPY master/pom.xml master/
COPY client/pom.xml client/
COPY integration-tests/pom.xml integration-tests/
COPY system-tests/pom.xml system-tests/
COPY deploy-tests/pom.xml deploy-tests/
COPY bench/pom.xml bench/
RUN mvn -B -q -pl aux,master -am dependency:go-offline
# only the sources the two jars are made of: a change to a test module leaves this cached
COPY common/src common/src
COPY aux/src aux/src
COPY master/src master/src
RUN mvn -B -q -pl aux,master -am package -DskipTests

# What both images run on.
FROM ${RUNTIME_IMAGE} AS runtime
# curl is only for HEALTHCHECK. A java one-liner is not an option: the JRE has no compiler, so
# source-file mode does not work, and a JVM per probe costs more than curl.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 dcache \
 && useradd --system --uid 10001 --gid dcache --no-create-home --home-dir /opt/dcache \
      --shell /usr/sbin/nologin dcache
ENV LOG_FORMAT=json
WORKDIR /opt/dcache
# each target copies its own entrypoint here
ENTRYPOINT ["/opt/dcache/entrypoint.sh"]

FROM runtime AS aux
# /data holds one directory per node (see aux/docker/entrypoint.sh); created here so that a
# fresh named volume mounted on it starts out owned by the dcache user.
RUN mkdir -p /data && chown dcache:dcache /data
COPY --from=build /src/aux/target/dcache-aux.jar /opt/dcache/dcache-aux.jar
COPY aux/docker/entrypoint.sh /opt/dcache/entrypoint.sh
# The cache lives on the heap: 70% of the container limit leaves room for metaspace, thread stacks
# and I/O buffers. AUX_MAX_BYTES may be up to about 0.9 of the heap (load_test/memory.sh: a full
# 1 GiB budget in a 1126 MiB G1 heap, RSS 1.24x the budget); less leaves G1 more room to copy
# into, which a write-heavy load repays in GC time.
# G1 explicitly: under 2 CPUs or 1792 MiB the JVM would pick SerialGC, whose full-heap pauses stall
# every request. ExitOnOutOfMemoryError: a JVM that ran out of heap is in an unknown state; exit
# and let the restart policy bring up a clean one.
ENV JAVA_OPTS="-XX:MaxRAMPercentage=70.0 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError"
# 9000: internal HTTP API, /health, /metrics. 19000: binary protocol (AUX_BINARY_PORT, announced to
# masters in /health). Neither belongs on a public network.
EXPOSE 9000 19000
USER dcache:dcache
# A probe that succeeds ends the start period at once, so a long one costs nothing on a quick
# start; on a busy 2-core host the JVMs of a whole stack starting together took 45 s, and a
# container marked unhealthy meanwhile makes Compose give up on the services that depend on it.
HEALTHCHECK --interval=5s --timeout=3s --start-period=120s --retries=3 \
    CMD curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${AUX_PORT:-9000}/health" || exit 1

FROM runtime AS master
# /backup is where a shared backup volume is mounted (BACKUP_DIR); created here so that a
# fresh named volume mounted on it starts out owned by the dcache user.
RUN mkdir -p /backup && chown dcache:dcache /backup
COPY --from=build /src/master/target/dcache-master.jar /opt/dcache/dcache-master.jar
COPY master/docker/entrypoint.sh /opt/dcache/entrypoint.sh
# A master holds no data, only buffers in flight: 75% of the container limit for the heap. G1 and
# ExitOnOutOfMemoryError for the reasons given at aux's JAVA_OPTS.
ENV JAVA_OPTS="-XX:MaxRAMPercentage=75.0 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError"
# 8000: public API (/data) for nginx, plus /health, /metrics and the private /cluster, /admin.
EXPOSE 8000
USER dcache:dcache
# the same probe as aux's (see there), on the master's port
HEALTHCHECK --interval=5s --timeout=3s --start-period=120s --retries=3 \
    CMD curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${MASTER_PORT:-8000}/health" || exit 1

# The default target, built when --target is missing: fail rather than build an image that is
# one node kind under whatever name it is tagged with.
FROM runtime AS no-default-target
RUN echo "name a target: docker build --target aux (or --target master) ..." >&2 && exit 1
