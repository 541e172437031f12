package dev.dcache.aux;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.aux.antientropy.AntiEntropy;
import dev.dcache.aux.api.InternalApi;
import dev.dcache.common.admission.Admission;
import dev.dcache.common.admission.ByteBudget;
import dev.dcache.common.wire.InternalPaths;
import dev.dcache.aux.cache.LruCache;
import dev.dcache.aux.cluster.ClusterAgent;
import dev.dcache.aux.config.AuxConfig;
import dev.dcache.aux.metrics.AuxMetrics;
import dev.dcache.aux.ordering.OrderedWrites;
import dev.dcache.aux.proto.BinaryServer;
import dev.dcache.aux.recovery.Readiness;
import dev.dcache.aux.recovery.Recovery;
import dev.dcache.aux.snapshot.RestoreResult;
import dev.dcache.common.client.HttpAuxClient;
import dev.dcache.aux.snapshot.SnapshotListener;
import dev.dcache.aux.snapshot.Snapshotter;
import dev.dcache.common.config.ConfigException;
import dev.dcache.common.config.Env;
import dev.dcache.common.config.LogFormat;
import dev.dcache.common.http.HttpServers;
import dev.dcache.common.http.Json;
import dev.dcache.common.http.TokenGuard;
import dev.dcache.common.metrics.Registries;
import dev.dcache.common.wire.NodeHealth;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.InstantSource;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** An aux node: the LRU store behind the internal API. */
public final class AuxMain implements AutoCloseable {
    static {
        LogFormat.apply();
    }

    private static final Logger log = LoggerFactory.getLogger(AuxMain.class);
    /** Largest batch a master may send in one internal call. */
    public static final int MAX_BATCH = 10_000;
    /** How long an ordered write's request id is remembered: far longer than any retry of it. */
    private static final Duration ORDERED_WRITES_KEPT = Duration.ofSeconds(60);
    private static final int ORDERED_WRITES_MAX = 100_000;

    private final AuxConfig config;
    private final LruCache cache;
    private final Javalin server;
    private final ScheduledExecutorService sweeper;
    private final BinaryServer binary;
    private final HttpAuxClient peers;
    private final ClusterAgent agent;
    private final Readiness readiness;
    private final Recovery recovery;
    private volatile boolean running = true;
    private final Snapshotter snapshots;

    /** Builds and starts a node. */
    public AuxMain(AuxConfig config, InstantSource clock) throws IOException {
        this.config = config;
        this.cache = new LruCache(config.maxEntries(), config.maxBytes(), config.segments(),
                config.tombstoneTtl().toMillis(), clock);
        PrometheusMeterRegistry registry = Registries.create("aux", config.id());
        AuxMetrics.bind(registry, cache);
        // the node starts recovering: it serves no read until it has caught up with its co-owners
        this.readiness = new Readiness(System::nanoTime, clock, config.tombstoneTtl());
        // persistence (dev.dcache.aux.snapshot): restore before anything can serve, schedule once serving
        this.snapshots = new Snapshotter(config.dataDir(), cache, clock, readiness::asOfMillis,
                SnapshotListener.feeding(AuxMetrics.snapshots(registry)));
        RestoreResult restored = snapshots.restore();
        if (restored.outcome() == RestoreResult.Outcome.RESTORED && restored.held() > 0) {
            readiness.restoredFrom(restored.asOfMillis());
        }
        ObjectMapper mapper = Json.mapper(Integer.MAX_VALUE / 4);
        TokenGuard guard = new TokenGuard(config.clusterToken());
        OrderedWrites ordered = new OrderedWrites(cache, System::nanoTime, ORDERED_WRITES_KEPT, ORDERED_WRITES_MAX);
        this.binary = config.binaryPort() < 0 ? null : new BinaryServer(cache, readiness, ordered, config.bind(), config.binaryPort(),
                config.clusterToken(), config.maxConnections());
        int binaryPort = binary == null ? 0
                : config.advertisedBinaryPort() > 0 ? config.advertisedBinaryPort() : binary.port();
        this.peers = new HttpAuxClient(mapper, Duration.ofSeconds(1), Duration.ofSeconds(10), config.clusterToken());
        this.agent = new ClusterAgent(config.id(), binaryPort, cache, readiness, peers, clock, config.clusterToken());
        AuxMetrics.bindRebalance(registry, agent.rebalancer());
        AntiEntropy antiEntropy = new AntiEntropy(config.id(), cache, AntiEntropy.Peers.over(peers));
        this.recovery = new Recovery(config.id(), readiness, antiEntropy, agent::agreedRing,
                () -> !agent.rebalancer().pending() && !agent.rebalancer().running(), agent::caughtUp,
                System::nanoTime, config.antiEntropyInterval());
        AuxMetrics.bindRecovery(registry, readiness, antiEntropy);
        InternalApi api = new InternalApi(cache, readiness, ordered, antiEntropy, agent, mapper, MAX_BATCH,
                config.maxBodyBytes());
        this.server = HttpServers.create(
                new HttpServers.Options(config.maxBodyBytes(), config.idleTimeout().toMillis(),
                        new Admission(config.maxInflight(), new ByteBudget(config.maxInflightBytes(), config.admissionWait())),
                        config.maxHeaderBytes(), mapper, registry, Set.of(InternalPaths.HEARTBEAT)),
                cfg -> {
                    cfg.jetty.host = config.bind();
                    guard.install(cfg, "/internal/*");
                    cfg.routes.get("/health", ctx -> ctx.json(new NodeHealth("up", config.id(), "aux", binaryPort)));
                    api.register(cfg);
                });
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "expiry-sweeper");
            t.setDaemon(true);
            return t;
        });
        long every = config.sweepInterval().toMillis();
        sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
        HttpServers.start(server, config.bind(), config.port(), config.idleTimeout().toMillis());
        snapshots.start(config.snapshotInterval());
        recovery.start();
    }

    private void sweep() {
        try {
            cache.sweep();
        } catch (RuntimeException e) {
            log.error("expiry sweep failed", e);
        }
    }

    public int port() {
        return server.port();
    }

    /** The binary protocol's port, 0 when disabled. */
    public int binaryPort() {
        return binary == null ? 0 : binary.port();
    }

    public LruCache cache() {
        return cache;
    }

    public ClusterAgent agent() {
        return agent;
    }

    public Readiness readiness() {
        return readiness;
    }

    public AuxConfig config() {
        return config;
    }

    /**
     * Graceful shutdown: hands every record to its owners under the ring without this node
     * (bounded by {@code AUX_DRAIN_TIMEOUT_MS}), then stops.
     */
    public void shutdown() {
        if (!config.drainTimeout().isZero()) {
            agent.drain(config.drainTimeout());
        }
        close();
    }

    /** True until {@link #close()}. */
    public boolean isRunning() {
        return running;
    }

    /** Stops at once, as a crash would (records are not handed off). */
    @Override
    public void close() {
        running = false;
        // serve no read from here on: a master that finds the binary port closed below leaves this
        // node out of writes at once (a refused connection means no process serves there)
        readiness.drain();
        recovery.close();
        agent.close();
        peers.close();
        sweeper.shutdownNow();
        if (binary != null) {
            binary.close();
        }
        server.stop();
        snapshots.close(); // after serving stopped, so the final snapshot holds every acknowledged write
    }

    public static void main(String[] args) {
        dev.dcache.common.concurrent.Carriers.widen(); // before any virtual thread starts
        AuxConfig config;
        try {
            config = AuxConfig.from(Env.system());
        } catch (ConfigException e) {
            log.error("bad configuration: {}", e.getMessage());
            System.exit(2);
            return;
        }
        AuxMain node;
        try {
            node = new AuxMain(config, InstantSource.system());
        } catch (IOException e) {
            log.error("cannot start: {}", e.toString());
            System.exit(1);
            return;
        }
        log.info("aux started on port {}: {}", node.port(), config.describe());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("aux {} shutting down", config.id());
            node.shutdown();
        }, "shutdown"));
    }
}
