package dev.dcache.master;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.admission.Admission;
import dev.dcache.common.admission.ByteBudget;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.client.BinaryAuxClient;
import dev.dcache.common.client.HttpAuxClient;
import dev.dcache.common.config.ConfigException;
import dev.dcache.common.config.Env;
import dev.dcache.common.config.LogFormat;
import dev.dcache.common.http.HttpServers;
import dev.dcache.common.http.Json;
import dev.dcache.common.http.TokenGuard;
import dev.dcache.common.metrics.Registries;
import dev.dcache.common.time.HybridLogicalClock;
import dev.dcache.master.api.AdminApi;
import dev.dcache.master.api.BackupApi;
import dev.dcache.master.backup.BackupLog;
import dev.dcache.master.backup.Restorer;
import dev.dcache.master.api.ClusterApi;
import dev.dcache.master.api.ContractApi;
import dev.dcache.master.api.DataApi;
import dev.dcache.master.api.DataFastPath;
import dev.dcache.master.api.InvalidationApi;
import dev.dcache.master.membership.Membership;
import dev.dcache.master.membership.NodeSource;
import dev.dcache.master.config.MasterConfig;
import dev.dcache.master.fencing.Fences;
import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.master.nearcache.InvalidationPush;
import dev.dcache.master.nearcache.NearCache;
import dev.dcache.master.nearcache.NearReads;
import dev.dcache.master.nearcache.PushReceiver;
import dev.dcache.master.routing.DataRouter;
import dev.dcache.master.singleflight.SingleFlight;
import dev.dcache.master.stall.StallWatch;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.InstantSource;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** A master: the stateless public API in front of the aux nodes. */
public final class MasterMain implements AutoCloseable {
    static {
        LogFormat.apply();
    }

    private static final Logger log = LoggerFactory.getLogger(MasterMain.class);

    private final MasterConfig config;
    private final AuxClient dataClient;
    private final HttpAuxClient probeClient;
    private final Membership membership;
    private final NodeSource nodeSource;
    private final DataRouter router;
    private final Javalin server;
    private final ScheduledExecutorService loop;
    private final BackupLog backup;
    /** Notices this master's own stalls, so writes nginx gave up on meanwhile are not applied late. */
    private final StallWatch stalls;
    private final Restorer restorer;
    /** Pushes keys written here to the other masters' near caches; null without a near cache or push. */
    private final InvalidationPush push;
    /** Takes other masters' pushes (only routed to when {@code push} is on). */
    private final PushReceiver pushReceiver;
    /** Keys waiting to be pushed to one peer before more are dropped (the staleness bound covers those). */
    private static final int PUSH_QUEUE_KEYS = 65_536;
    /** How often a silent sender of pushes is looked for. */
    private static final long SILENCE_CHECK_MILLIS = 250;

    /** Builds and starts a master. */
    public MasterMain(MasterConfig config, InstantSource wallClock) {
        InstantSource clock = wallClock;
        this.config = config;
        PrometheusMeterRegistry registry = Registries.create("master", config.id());
        MasterMetrics metrics = new MasterMetrics(registry);
        ObjectMapper mapper = Json.mapper((int) config.maxBodyBytes());
        HttpAuxClient httpData = new HttpAuxClient(mapper, config.connectTimeout(), config.requestTimeout(), config.clusterToken());
        this.dataClient = config.binaryProtocol()
                ? new BinaryAuxClient(httpData, config.connectTimeout(), config.keyTimeout(), config.clusterToken(),
                        config.connectionsPerNode())
                : httpData;
        this.probeClient = new HttpAuxClient(mapper, config.healthTimeout(), config.healthTimeout(), config.clusterToken());
        this.nodeSource = new NodeSource(config.auxNodes(), config.auxNodesFile(), config.auxDns(), this::askId);
        // the master's one monotonic clock: pushes and restores read it through fences.now()
        Fences fences = new Fences(System::nanoTime, Fences.fenceAfter(config.healthInterval()), config.writeTimeout());
        this.membership = new Membership(new Membership.Settings(config.id(), config.vnodes(), config.replicationFactor(),
                config.healthInterval().toMillis(), config.failureThreshold(), config.successThreshold(),
                config.clusterToken()),
                nodeSource.current(), probeClient, fences);
        metrics.bindMembership(membership.readings());
        membership.onChange(view -> metrics.ringChanged());
        metrics.bindFencedNodes(fences::flagged);
        if (!config.clockOffset().isZero()) {
            clock = offset(clock, config.clockOffset());
            log.warn("MASTER_CLOCK_OFFSET_MS: this master's wall clock runs {} ms off (a test setting)",
                    config.clockOffset().toMillis());
        }
        membership.warmUp(); // start from facts, not optimism; bounded by the heartbeat timeout
        HybridLogicalClock versions = new HybridLogicalClock(clock, config.versionTag());
        MasterConfig.NearCacheSettings near = config.nearCache();
        this.push = near.enabled() && near.push()
                ? new InvalidationPush(config.id(), membership::nearCachePeers, probeClient::invalidate, PUSH_QUEUE_KEYS,
                        config.maxBodyBytes() / 2) // every master takes bodies this large, with room to spare
                : null;
        membership.advertiseNearCache(push != null);
        NearReads nearReads = nearReads(config, clock, push);
        metrics.bindNearReads(nearReads);
        this.pushReceiver = new PushReceiver(nearReads, membership::nearCachePeers, () -> fences.now() / 1_000_000,
                InvalidationPush.silence(config.healthTimeout()));
        metrics.bindPushReceiver(pushReceiver);
        InvalidationApi invalidations = push == null ? null : new InvalidationApi(pushReceiver, mapper);
        this.stalls = StallWatch.start(clock, config.staleWrite());
        metrics.bindStallWatch(stalls);
        this.router = new DataRouter(membership, dataClient, versions, clock, config.replicationFactor(), metrics,
                nearReads, config.writeTimeout(), stalls::stalls, stalls::stalledNow);
        Admission admission = new Admission(config.maxInflight(),
                new ByteBudget(config.maxInflightBytes(), config.admissionWait()));
        if (config.maxInflightBytes() < config.maxBodyBytes()) {
            log.warn("MASTER_MAX_INFLIGHT_BYTES ({}) is below MAX_BODY_BYTES ({}): larger bodies get 413; give the"
                    + " master more heap or set MASTER_MAX_INFLIGHT_BYTES", config.maxInflightBytes(), config.maxBodyBytes());
        }
        DataApi data = new DataApi(router, mapper, config, clock, admission, stalls);
        ClusterApi cluster = new ClusterApi(config.id(), membership, config.replicationFactor());
        ContractApi contract = new ContractApi();
        AdminApi admin = new AdminApi(membership, probeClient, versions, mapper);
        TokenGuard guard = new TokenGuard(config.clusterToken());
        this.backup = config.backupDir() == null ? null : openBackup(config);
        BackupApi backupApi = backup == null ? null : new BackupApi(backup, mapper, metrics::backedUp);
        this.restorer = config.backupDir() == null ? null
                : new Restorer(config.backupDir(), membership, dataClient, clock, fences::now,
                        config.replicationFactor());
        if (restorer != null) {
            metrics.bindRestorer(restorer);
        }
        this.server = HttpServers.create(
                new HttpServers.Options(config.maxBodyBytes(), config.idleTimeout().toMillis(), admission,
                        config.maxHeaderBytes(), mapper, registry, java.util.Set.of()),
                cfg -> {
                    cfg.jetty.host = config.bind();
                    guard.install(cfg, "/admin/*", "/admin", "/internal/*");
                    cluster.register(cfg);
                    contract.register(cfg);
                    admin.register(cfg);
                    if (backupApi != null) {
                        backupApi.register(cfg);
                    }
                    if (invalidations != null) {
                        invalidations.register(cfg);
                    }
                    data.register(cfg);
                },
                edge -> {
                    DataFastPath fast = new DataFastPath(data, router, edge, config.maxBodyBytes());
                    metrics.bindFastPath(fast);
                    return fast;
                });
        // two threads: the heartbeat round and the check for silent push senders never wait for each other
        this.loop = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "cluster-loop");
            t.setDaemon(true);
            return t;
        });
        HttpServers.start(server, config.bind(), config.port(), config.idleTimeout().toMillis());
        membership.advertisePort(server.port());
        long every = config.healthInterval().toMillis();
        loop.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
        if (push != null) {
            // its own task: a slow or failing heartbeat round must not delay noticing a silent peer
            loop.scheduleAtFixedRate(this::checkPushes, SILENCE_CHECK_MILLIS, SILENCE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        }
        if (restorer != null) {
            Thread.ofVirtual().name("restore").start(this::restore);
        }
    }

    private static InstantSource offset(InstantSource clock, java.time.Duration offset) {
        return new InstantSource() {
            @Override
            public java.time.Instant instant() {
                return clock.instant().plus(offset);
            }

            @Override
            public long millis() {
                return clock.millis() + offset.toMillis();
            }
        };
    }

    private static BackupLog openBackup(MasterConfig config) {
        try {
            return new BackupLog(config.backupDir(), config.id(), 256L << 20);
        } catch (IOException e) {
            throw new ConfigException("BACKUP_DIR " + config.backupDir() + " is not usable: " + e.getMessage());
        }
    }

    /** After start: restore the backup if the whole cluster came back empty. */
    private void restore() {
        try {
            membership.heartbeatAll(); // fresh entry counts, with this master's port advertised
            restorer.restoreIfClusterEmpty();
        } catch (IOException | RuntimeException e) {
            log.error("restore from {} failed", config.backupDir(), e);
        }
    }

    private static NearReads nearReads(MasterConfig config, InstantSource clock, InvalidationPush push) {
        MasterConfig.NearCacheSettings n = config.nearCache();
        NearCache cache = n.enabled()
                ? new NearCache(clock, n.maxEntries(), n.maxBytes(), n.maxStaleness(), n.hotThreshold())
                : null;
        // a waiter waits as long as the read it joined may take: every owner tried, each call bounded
        SingleFlight<String, dev.dcache.common.wire.Entry> flights = config.requestCoalescing()
                ? new SingleFlight<>(config.connectTimeout().plus(config.singleKeyTimeout())
                        .multipliedBy(config.replicationFactor()))
                : null;
        return new NearReads(cache, flights, push);
    }

    private void tick() {
        try {
            membership.setSourced(nodeSource.current());
            membership.heartbeatAll();
            if (push != null) {
                push.refreshPeers();
            }
        } catch (RuntimeException e) {
            log.error("cluster loop failed", e);
        }
    }

    private void checkPushes() {
        try {
            pushReceiver.checkSilence();
        } catch (RuntimeException e) {
            log.error("checking pushed invalidations failed", e);
        }
    }

    private String askId(dev.dcache.common.ring.NodeAddress node) {
        try {
            return probeClient.health(node).id();
        } catch (dev.dcache.common.client.AuxCallException e) {
            return null;
        }
    }

    public int port() {
        return server.port();
    }

    public Membership membership() {
        return membership;
    }

    public MasterConfig config() {
        return config;
    }

    @Override
    public void close() {
        loop.shutdownNow();
        stalls.close();
        server.stop();
        if (push != null) {
            push.close();
        }
        router.close();
        membership.close();
        dataClient.close();
        probeClient.close();
        if (backup != null) {
            try {
                backup.close();
            } catch (IOException e) {
                log.warn("closing the backup: {}", e.toString());
            }
        }
    }

    public static void main(String[] args) {
        dev.dcache.common.concurrent.Carriers.widen(); // before any virtual thread starts
        // DNS discovery must see scaled services promptly; the JVM caches lookups for 30 s otherwise
        java.security.Security.setProperty("networkaddress.cache.ttl", "1");
        java.security.Security.setProperty("networkaddress.cache.negative.ttl", "1");
        MasterConfig config;
        try {
            config = MasterConfig.from(Env.system());
        } catch (ConfigException e) {
            log.error("bad configuration: {}", e.getMessage());
            System.exit(2);
            return;
        }
        MasterMain master = new MasterMain(config, InstantSource.system());
        log.info("master started on port {}: {}", master.port(), config.describe());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("master {} shutting down", config.id());
            master.close();
        }, "shutdown"));
    }
}
