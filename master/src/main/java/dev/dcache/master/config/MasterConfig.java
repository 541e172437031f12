package dev.dcache.master.config;

import dev.dcache.common.config.ConfigException;
import dev.dcache.common.config.Env;
import dev.dcache.common.cluster.FencingTimes;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.HybridLogicalClock;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a master is configured with, read once from the environment at start.
 *
 * @param id                 {@code MASTER_ID} (default {@code master-<port>}); tags its write versions
 * @param bind               {@code MASTER_BIND} (default 0.0.0.0)
 * @param port               {@code MASTER_PORT} (default 8000)
 * @param auxNodes           {@code AUX_NODES}: comma-separated {@code [id@]host:port}
 * @param auxNodesFile       {@code AUX_NODES_FILE}: a file of such entries, one per line, re-read while running
 * @param auxDns             {@code AUX_DNS}: {@code name:port}; every address the name resolves to is an aux node
 * @param replicationFactor  {@code REPLICATION_FACTOR} (default 2)
 * @param vnodes             {@code RING_VNODES}: virtual nodes per aux node (default 256)
 * @param maxKeyBytes        {@code MAX_KEY_BYTES} (default 250)
 * @param maxValueBytes      {@code MAX_VALUE_BYTES} (default 1 MiB)
 * @param maxBodyBytes       {@code MAX_BODY_BYTES} (default 16 MiB)
 * @param maxBulkItems       {@code MAX_BULK_ITEMS} (default 1000)
 * @param maxTtlSeconds      {@code MAX_TTL_SECONDS} (default 10 years)
 * @param connectTimeout     {@code AUX_CONNECT_TIMEOUT_MS} (default 500)
 * @param requestTimeout     {@code AUX_REQUEST_TIMEOUT_MS} (default 2000)
 * @param healthInterval     {@code HEALTH_INTERVAL_MS} (default 1000)
 * @param healthTimeout      {@code HEALTH_TIMEOUT_MS} (default 500)
 * @param failureThreshold   {@code HEALTH_FAILURES}: consecutive failed probes that eject a node (default 3)
 * @param successThreshold   {@code HEALTH_SUCCESSES}: consecutive good probes that re-admit it (default 2)
 * @param idleTimeout        {@code MASTER_IDLE_TIMEOUT_MS}: idle client connection timeout (default 60000)
 * @param clusterToken       {@code CLUSTER_TOKEN}: shared secret for aux and admin calls, or null
 * @param backupDir          {@code BACKUP_DIR}: shared backup volume, or null
 * @param binaryProtocol     {@code AUX_TRANSPORT}: {@code binary} (default) for single-key calls over the
 *                           binary protocol, {@code http} for the internal HTTP API only
 * @param connectionsPerNode {@code AUX_CONNECTIONS_PER_NODE}: binary connections per aux node (default 1: one pipelined connection batches best)
 * @param versionTag         {@code MASTER_VERSION_TAG}: 0..255, distinct per master, breaks ties between
 *                           masters' write versions (default: the id's trailing number, else a hash)
 * @param maxInflight        {@code MASTER_MAX_INFLIGHT}: requests served at once before answering 503 (default 1024)
 * @param maxHeaderBytes     {@code MAX_HEADER_BYTES}: request line plus headers (default 16384)
 * @param nearCache          the {@code NEAR_CACHE_*} settings of the master-local copy of hot keys
 * @param requestCoalescing  {@code REQUEST_COALESCING}: concurrent reads of one key share one aux read
 *                           (default true)
 * @param maxInflightBytes   {@code MASTER_MAX_INFLIGHT_BYTES}: bytes of request and response bodies held at
 *                           once (default {@link #derivedInflightBytes}: a quarter of the heap left after
 *                           64 MiB and the near cache); see {@code common.admission.ByteBudget}
 * @param admissionWait      {@code MASTER_ADMISSION_WAIT_MS}: longest a request waits for bytes of that
 *                           budget before it is refused with 503 (default 500)
 * @param keyTimeout         {@code AUX_KEY_TIMEOUT_MS}: bound on each single-key call over the binary protocol
 *                           (default 800): a read whose first owner is stalled fails over to the next
 *                           within nginx's 1 s for the single-key routes ({@code requestTimeout} bounds
 *                           batches, and single-key calls with {@code AUX_TRANSPORT=http})
 * @param staleWrite         {@code MASTER_STALE_WRITE_MS}: a write whose {@code X-Request-Start} (set by
 *                           nginx when it sent the request) is older than this when the master reads it,
 *                           and which this master stalled after, is refused, not applied: nginx gave up
 *                           on it (default 1000, the single-key routes' proxy_read_timeout; 0 turns the
 *                           check off; see {@code stall.StallWatch})
 * @param writeTimeout       {@code WRITE_TIMEOUT_MS}: how long a write or delete may wait for an owner that does
 *                           not answer, until it is fenced (then left out) or the write fails with 503 (default:
 *                           the fence wait, {@code FencingTimes#fenceAfter} of HEALTH_INTERVAL_MS, 3.25 s at
 *                           the default 1 s, plus 1.5 x AUX_REQUEST_TIMEOUT_MS)
 * @param clockOffset        {@code MASTER_CLOCK_OFFSET_MS}: added to this master's wall clock (default 0); a
 *                           test knob that shows write order does not depend on synchronized clocks
 */
public record MasterConfig(String id, String bind, int port, List<NodeAddress> auxNodes, Path auxNodesFile, String auxDns,
                           int replicationFactor, int vnodes, int maxKeyBytes, int maxValueBytes, long maxBodyBytes,
                           int maxBulkItems, long maxTtlSeconds, Duration connectTimeout, Duration requestTimeout,
                           Duration healthInterval, Duration healthTimeout, int failureThreshold,
                           int successThreshold, Duration idleTimeout, String clusterToken, Path backupDir,
                           boolean binaryProtocol, int connectionsPerNode, int versionTag, int maxInflight, int maxHeaderBytes,
                           NearCacheSettings nearCache, boolean requestCoalescing,
                           long maxInflightBytes, Duration admissionWait, Duration keyTimeout, Duration staleWrite,
                           Duration writeTimeout, Duration clockOffset) {

    /** Bound on one single-key call to an aux node: {@code keyTimeout} over the binary protocol, else {@code requestTimeout}. */
    public Duration singleKeyTimeout() {
        return binaryProtocol ? keyTimeout : requestTimeout;
    }

    /** Heap set aside for the master itself before the byte budget is derived from the rest. */
    static final long OWN_HEAP_BYTES = 64L << 20;
    /** Heap a master allocates per byte of body it holds (the body, its parsed strings, the batches sent on). */
    static final int HEAP_PER_BODY_BYTE = 4;

    /**
     * The master-local copy of hot keys ({@code dev.dcache.master.nearcache}).
     *
     * @param enabled       {@code NEAR_CACHE_ENABLED} (default false: with it on, a read through one
     *                      master may miss a write made through another for up to {@code maxStaleness})
     * @param maxEntries    {@code NEAR_CACHE_MAX_ENTRIES} (default 10000)
     * @param maxBytes      {@code NEAR_CACHE_MAX_BYTES}: estimated heap of the copies (default 32 MiB)
     * @param maxStaleness  {@code NEAR_CACHE_MAX_STALENESS_MS}: longest a copy is served (default 1000)
     * @param hotThreshold  {@code NEAR_CACHE_HOT_THRESHOLD}: recent reads, as estimated (1..15), that
     *                      admit a key (default 3)
     * @param push          {@code NEAR_CACHE_PUSH}: tell the other masters with a near cache which keys
     *                      this master wrote, and take theirs (default true; only with {@code enabled})
     */
    public record NearCacheSettings(boolean enabled, int maxEntries, long maxBytes, Duration maxStaleness,
                                    int hotThreshold, boolean push) {
    }

    /** Reads and validates the configuration; errors name the variable. */
    public static MasterConfig from(Env env) {
        return from(env, Runtime.getRuntime().maxMemory());
    }

    /**
     * The default of {@code MASTER_MAX_INFLIGHT_BYTES}: what is left of the heap after
     * {@link #OWN_HEAP_BYTES} and the near cache, divided by {@link #HEAP_PER_BODY_BYTE}. A 256 MiB heap
     * gives 48 MiB: three bulk requests of 16 MiB at once.
     */
    public static long derivedInflightBytes(long maxHeapBytes, NearCacheSettings nearCache) {
        long near = nearCache.enabled() ? nearCache.maxBytes() : 0;
        return dev.dcache.common.admission.ByteBudget.derivedCapacity(maxHeapBytes, OWN_HEAP_BYTES + near,
                HEAP_PER_BODY_BYTE);
    }

    /**
     * As {@link #from(Env)}, with the heap the byte budget is derived from given.
     *
     * @param maxHeapBytes the JVM's {@code -Xmx} ({@link Runtime#maxMemory()})
     */
    public static MasterConfig from(Env env, long maxHeapBytes) {
        int port = env.intIn("MASTER_PORT", 8000, 0, 65535);
        String file = env.string("AUX_NODES_FILE", null);
        List<NodeAddress> nodes = parseNodes(env.string("AUX_NODES", ""), "AUX_NODES");
        String dns = env.string("AUX_DNS", null);
        if (dns != null) {
            NodeAddress.parse(dns, "AUX_DNS");
        }
        if (nodes.isEmpty() && file == null && dns == null) {
            throw new ConfigException("one of AUX_NODES, AUX_NODES_FILE or AUX_DNS must be set"
                    + " (e.g. AUX_NODES=aux-1@127.0.0.1:9001 or AUX_DNS=aux:9000)");
        }
        int maxValue = env.intIn("MAX_VALUE_BYTES", 1 << 20, 1, 64 << 20);
        long maxBody = env.longIn("MAX_BODY_BYTES", 16L << 20, 1024, 1L << 30);
        if (maxBody < maxValue + 1024L) {
            throw new ConfigException("MAX_BODY_BYTES (" + maxBody + ") must exceed MAX_VALUE_BYTES (" + maxValue + ") by at least 1024");
        }
        String backup = env.string("BACKUP_DIR", null);
        NearCacheSettings nearCache = new NearCacheSettings(
                env.bool("NEAR_CACHE_ENABLED", false),
                env.intIn("NEAR_CACHE_MAX_ENTRIES", 10_000, 1, 1_000_000),
                env.longIn("NEAR_CACHE_MAX_BYTES", 32L << 20, 1024, 4L << 30),
                Duration.ofMillis(env.longIn("NEAR_CACHE_MAX_STALENESS_MS", 1000, 1, 60_000)),
                env.intIn("NEAR_CACHE_HOT_THRESHOLD", 3, 1, 15),
                env.bool("NEAR_CACHE_PUSH", true));
        long interval = env.longIn("HEALTH_INTERVAL_MS", 1000, 10, 600_000);
        long request = env.longIn("AUX_REQUEST_TIMEOUT_MS", 2000, 1, 120_000);
        long fenceWait = FencingTimes.fenceAfter(Duration.ofMillis(interval)).toMillis();
        long writeTimeout = env.longIn("WRITE_TIMEOUT_MS", fenceWait + request * 3 / 2, request, 600_000);
        return new MasterConfig(
                env.string("MASTER_ID", "master-" + port),
                env.string("MASTER_BIND", "0.0.0.0"),
                port,
                nodes,
                file == null ? null : Path.of(file),
                dns,
                env.intIn("REPLICATION_FACTOR", 2, 1, 16),
                env.intIn("RING_VNODES", 256, 1, 4096),
                env.intIn("MAX_KEY_BYTES", 250, 1, 4096),
                maxValue,
                maxBody,
                env.intIn("MAX_BULK_ITEMS", 1000, 1, 100_000),
                env.longIn("MAX_TTL_SECONDS", 10L * 365 * 24 * 3600, 1, 100L * 365 * 24 * 3600),
                Duration.ofMillis(env.longIn("AUX_CONNECT_TIMEOUT_MS", 500, 1, 60_000)),
                Duration.ofMillis(request),
                Duration.ofMillis(interval),
                Duration.ofMillis(env.longIn("HEALTH_TIMEOUT_MS", 500, 1, 60_000)),
                env.intIn("HEALTH_FAILURES", 3, 1, 100),
                env.intIn("HEALTH_SUCCESSES", 2, 1, 100),
                Duration.ofMillis(env.longIn("MASTER_IDLE_TIMEOUT_MS", 60_000, 100, 3_600_000)),
                env.string("CLUSTER_TOKEN", null),
                backup == null ? null : Path.of(backup),
                transport(env),
                env.intIn("AUX_CONNECTIONS_PER_NODE", 1, 1, 64),
                env.intIn("MASTER_VERSION_TAG", HybridLogicalClock.tagFor(env.string("MASTER_ID", "master-" + port)), 0, 255),
                env.intIn("MASTER_MAX_INFLIGHT", 1024, 1, 1_000_000),
                env.intIn("MAX_HEADER_BYTES", 16 * 1024, 1024, 1 << 20),
                nearCache,
                env.bool("REQUEST_COALESCING", true),
                env.longIn("MASTER_MAX_INFLIGHT_BYTES", derivedInflightBytes(maxHeapBytes, nearCache), 1L << 20, 1L << 40),
                Duration.ofMillis(env.longIn("MASTER_ADMISSION_WAIT_MS", 500, 0, 60_000)),
                Duration.ofMillis(env.longIn("AUX_KEY_TIMEOUT_MS", 800, 1, 120_000)),
                Duration.ofMillis(env.longIn("MASTER_STALE_WRITE_MS", 1000, 0, 3_600_000)),
                Duration.ofMillis(writeTimeout),
                Duration.ofMillis(env.longIn("MASTER_CLOCK_OFFSET_MS", 0, -86_400_000L, 86_400_000L)));

    }

    private static boolean transport(Env env) {
        String t = env.string("AUX_TRANSPORT", "binary");
        return switch (t) {
            case "binary" -> true;
            case "http" -> false;
            default -> throw new ConfigException("AUX_TRANSPORT must be 'binary' or 'http', was '" + t + "'");
        };
    }

    /** Parses a comma- or newline-separated list of {@code [id@]host:port}; '#' starts a comment. */
    public static List<NodeAddress> parseNodes(String text, String variable) {
        List<NodeAddress> out = new ArrayList<>();
        for (String line : text.split("[,\\n]")) {
            int hash = line.indexOf('#');
            String entry = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (!entry.isEmpty()) {
                NodeAddress a = NodeAddress.parse(entry, variable);
                if (out.stream().anyMatch(o -> o.id().equals(a.id()))) {
                    throw new ConfigException(variable + " lists node id '" + a.id() + "' twice");
                }
                out.add(a);
            }
        }
        return out;
    }

    /** One line for the start-up log, the token masked. */
    public String describe() {
        return "id=" + id + " bind=" + bind + ":" + port + " auxNodes=" + auxNodes
                + (auxNodesFile == null ? "" : " auxNodesFile=" + auxNodesFile)
                + (auxDns == null ? "" : " auxDns=" + auxDns)
                + " rf=" + replicationFactor + " vnodes=" + vnodes + " maxKey=" + maxKeyBytes
                + " maxValue=" + maxValueBytes + " maxBody=" + maxBodyBytes + " maxBulk=" + maxBulkItems
                + " timeouts(connect=" + connectTimeout.toMillis() + "ms request=" + requestTimeout.toMillis() + "ms key="
                + keyTimeout.toMillis() + "ms)"
                + " health(every=" + healthInterval.toMillis() + "ms timeout=" + healthTimeout.toMillis()
                + "ms eject=" + failureThreshold + " readmit=" + successThreshold + ")"
                + " transport=" + (binaryProtocol ? "binary x" + connectionsPerNode : "http")
                + " versionTag=" + versionTag
                + " nearCache=" + (nearCache.enabled()
                        ? "on(entries=" + nearCache.maxEntries() + " bytes=" + nearCache.maxBytes()
                          + " staleness=" + nearCache.maxStaleness().toMillis() + "ms hot>=" + nearCache.hotThreshold()
                          + " push=" + (nearCache.push() ? "on" : "off") + ")"
                        : "off")
                + " coalescing=" + (requestCoalescing ? "on" : "off")
                + " admission(requests=" + maxInflight + " bytes=" + maxInflightBytes + " wait="
                + admissionWait.toMillis() + "ms staleWrite=" + staleWrite.toMillis() + "ms)"
                + " writeTimeout=" + writeTimeout.toMillis() + "ms"
                + (clockOffset.isZero() ? "" : " clockOffset=" + clockOffset.toMillis() + "ms")
                + " token=" + (clusterToken == null ? "none" : "***")
                + " backupDir=" + (backupDir == null ? "none" : backupDir);
    }
}
