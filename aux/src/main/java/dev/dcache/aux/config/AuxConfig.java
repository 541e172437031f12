package dev.dcache.aux.config;

import dev.dcache.common.config.ConfigException;
import dev.dcache.common.config.Env;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything an aux node is configured with, read once from the environment at start.
 *
 * @param id                 {@code AUX_ID}: the node's id on the ring (default {@code aux-<port>})
 * @param bind               {@code AUX_BIND}: listen address (default 0.0.0.0)
 * @param port               {@code AUX_PORT} (default 9000)
 * @param maxEntries         {@code AUX_MAX_ENTRIES}: record bound (default 1,000,000)
 * @param maxBytes           {@code AUX_MAX_BYTES}: byte budget (default 256 MiB)
 * @param segments           {@code AUX_SEGMENTS}: lock stripes, a power of two (default 16)
 * @param tombstoneTtl       {@code AUX_TOMBSTONE_TTL_SECONDS}: how long deletes are remembered (default 300)
 * @param sweepInterval      {@code AUX_SWEEP_INTERVAL_MS}: expiry sweep period (default 1000)
 * @param dataDir            {@code AUX_DATA_DIR}: where the node keeps its files (default ./data)
 * @param maxBodyBytes       {@code AUX_MAX_BODY_BYTES}: largest request body (default 64 MiB)
 * @param idleTimeout        {@code AUX_IDLE_TIMEOUT_MS}: idle connection timeout (default 60000)
 * @param clusterToken       {@code CLUSTER_TOKEN}: shared secret masters must present, or null for none
 * @param binaryPort         {@code AUX_BINARY_PORT}: binary protocol port (default AUX_PORT + 10000, 0 when
 *                           AUX_PORT is 0; -1 disables it)
 * @param maxConnections     {@code AUX_MAX_CONNECTIONS}: binary protocol connection cap (default 1024)
 * @param drainTimeout       {@code AUX_DRAIN_TIMEOUT_MS}: longest graceful hand-off at shutdown (default 20000)
 * @param maxInflight        {@code AUX_MAX_INFLIGHT}: HTTP requests served at once before answering 503 (default 2048)
 * @param advertisedBinaryPort {@code AUX_ADVERTISED_BINARY_PORT}: binary port reported in /health when masters
 *                           reach the node through a proxy or NAT (default: the port it listens on)
 * @param maxHeaderBytes     {@code MAX_HEADER_BYTES}: request line plus headers (default 16384)
 * @param snapshotInterval   {@code AUX_SNAPSHOT_INTERVAL_MS}: how often the cache is snapshotted to
 *                           {@code dataDir} if it changed (default 10000); 0 turns periodic snapshots
 *                           off, leaving the restore at start and the snapshot on graceful shutdown
 * @param maxInflightBytes   {@code AUX_MAX_INFLIGHT_BYTES}: bytes of request bodies (batches from masters and
 *                           peers) held at once (default {@link #derivedInflightBytes}: a quarter of the heap
 *                           left after the cache's budget and 48 MiB); see {@code common.admission.ByteBudget}
 * @param admissionWait      {@code AUX_ADMISSION_WAIT_MS}: longest a batch waits for bytes of that budget
 *                           before it is refused with 503 (default 500; masters wait AUX_REQUEST_TIMEOUT_MS)
 * @param antiEntropyInterval {@code AUX_ANTI_ENTROPY_INTERVAL_MS}: how often the node compares the records it
 *                           shares with each co-owner and repairs differences (default 30000; 0 turns the
 *                           periodic runs off, the catch-up after a restart or a fault still runs)
 */
public record AuxConfig(String id, String bind, int port, long maxEntries, long maxBytes, int segments,
                        Duration tombstoneTtl, Duration sweepInterval, Path dataDir, long maxBodyBytes,
                        Duration idleTimeout, String clusterToken, int binaryPort, int maxConnections,
                        Duration drainTimeout, int maxInflight, int advertisedBinaryPort,
                        int maxHeaderBytes,
                        Duration snapshotInterval, long maxInflightBytes, Duration admissionWait,
                        Duration antiEntropyInterval) {

    /** Heap set aside for the node itself, besides the cache, before the byte budget is derived. */
    static final long OWN_HEAP_BYTES = 48L << 20;
    /** Heap an aux node allocates per byte of batch body it holds (the body, the parsed records). */
    static final int HEAP_PER_BODY_BYTE = 4;

    /** Reads and validates the configuration; errors name the variable. */
    public static AuxConfig from(Env env) {
        return from(env, Runtime.getRuntime().maxMemory());
    }

    /**
     * The default of {@code AUX_MAX_INFLIGHT_BYTES}: the heap left after the cache's byte budget and
     * {@link #OWN_HEAP_BYTES}, divided by {@link #HEAP_PER_BODY_BYTE}; at least 1 MiB. bin/cluster's
     * default node (a 256 MiB heap for a 128 MiB budget) gets 20 MiB.
     */
    public static long derivedInflightBytes(long maxHeapBytes, long cacheBytes) {
        return dev.dcache.common.admission.ByteBudget.derivedCapacity(maxHeapBytes, cacheBytes + OWN_HEAP_BYTES,
                HEAP_PER_BODY_BYTE);
    }

    /**
     * As {@link #from(Env)}, with the heap the byte budget is derived from given.
     *
     * @param maxHeapBytes the JVM's {@code -Xmx} ({@link Runtime#maxMemory()})
     */
    public static AuxConfig from(Env env, long maxHeapBytes) {
        int port = env.intIn("AUX_PORT", 9000, 0, 65535);
        int segments = env.intIn("AUX_SEGMENTS", 16, 1, 1 << 16);
        if (Integer.bitCount(segments) != 1) {
            throw new ConfigException("AUX_SEGMENTS must be a power of two, was " + segments);
        }
        long maxEntries = env.longIn("AUX_MAX_ENTRIES", 1_000_000, segments, Long.MAX_VALUE / 2);
        long maxBytes = env.longIn("AUX_MAX_BYTES", 256L << 20, 1L << 16, Long.MAX_VALUE / 2);
        return new AuxConfig(
                env.string("AUX_ID", "aux-" + port),
                env.string("AUX_BIND", "0.0.0.0"),
                port,
                maxEntries,
                maxBytes,
                segments,
                Duration.ofSeconds(env.longIn("AUX_TOMBSTONE_TTL_SECONDS", 300, 1, 30L * 24 * 3600)),
                Duration.ofMillis(env.longIn("AUX_SWEEP_INTERVAL_MS", 1000, 10, 3_600_000)),
                Path.of(env.string("AUX_DATA_DIR", "data")),
                env.longIn("AUX_MAX_BODY_BYTES", 64L << 20, 1024, 1L << 31),
                Duration.ofMillis(env.longIn("AUX_IDLE_TIMEOUT_MS", 60_000, 100, 3_600_000)),
                env.string("CLUSTER_TOKEN", null),
                env.intIn("AUX_BINARY_PORT", port == 0 ? 0 : port + 10_000 > 65535 ? port - 10_000 : port + 10_000, -1, 65535),
                env.intIn("AUX_MAX_CONNECTIONS", 1024, 1, 100_000),
                Duration.ofMillis(env.longIn("AUX_DRAIN_TIMEOUT_MS", 20_000, 0, 600_000)),
                env.intIn("AUX_MAX_INFLIGHT", 2048, 1, 1_000_000),
                env.intIn("AUX_ADVERTISED_BINARY_PORT", 0, 0, 65535),
                env.intIn("MAX_HEADER_BYTES", 16 * 1024, 1024, 1 << 20),
                Duration.ofMillis(env.longIn("AUX_SNAPSHOT_INTERVAL_MS", 10_000, 0, 86_400_000)),
                env.longIn("AUX_MAX_INFLIGHT_BYTES", derivedInflightBytes(maxHeapBytes, maxBytes), 1L << 20, 1L << 40),
                Duration.ofMillis(env.longIn("AUX_ADMISSION_WAIT_MS", 500, 0, 60_000)),
                Duration.ofMillis(env.longIn("AUX_ANTI_ENTROPY_INTERVAL_MS", 30_000, 0, 86_400_000)));

    }

    /** One line for the start-up log, the token masked. */
    public String describe() {
        return "id=" + id + " bind=" + bind + ":" + port + " maxEntries=" + maxEntries + " maxBytes=" + maxBytes
                + " segments=" + segments + " tombstoneTtl=" + tombstoneTtl + " sweep=" + sweepInterval
                + " binaryPort=" + binaryPort + " dataDir=" + dataDir + " snapshot=" + snapshotInterval
                + " antiEntropy=" + antiEntropyInterval + " maxBody=" + maxBodyBytes
                + " admission(requests=" + maxInflight + " bytes=" + maxInflightBytes + " wait=" + admissionWait.toMillis()
                + "ms) token=" + (clusterToken == null ? "none" : "***");
    }
}
