package dev.dcache.it;

import dev.dcache.aux.AuxMain;
import dev.dcache.aux.config.AuxConfig;
import dev.dcache.common.concurrent.Await;
import dev.dcache.common.config.Env;
import dev.dcache.master.MasterMain;
import dev.dcache.master.config.MasterConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Real aux nodes and masters in this JVM, on ephemeral loopback ports, sharing one clock.
 * Close it in {@code @AfterAll}/{@code @AfterEach}; it stops everything it started.
 */
public final class TestCluster implements AutoCloseable {
    public static final String TOKEN = "test-token";

    private final InstantSource clock;
    private final List<AuxMain> aux = new ArrayList<>();
    private final List<MasterMain> masters = new ArrayList<>();
    private final Path dataRoot;

    public TestCluster(InstantSource clock) {
        this.clock = clock;
        try {
            this.dataRoot = Files.createTempDirectory("dcache-it");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A started cluster with default settings: aux nodes {@code aux-1..aux-<auxNodes>}, then masters
     * {@code master-1..master-<masters>} routing over them.
     */
    public static TestCluster of(InstantSource clock, int auxNodes, int masters) {
        TestCluster cluster = new TestCluster(clock);
        for (int i = 1; i <= auxNodes; i++) {
            cluster.startAux("aux-" + i, Map.of());
        }
        for (int i = 1; i <= masters; i++) {
            cluster.startMaster("master-" + i, Map.of());
        }
        return cluster;
    }

    /** Starts an aux node with id {@code aux-<n>}; {@code extra} overrides environment settings. */
    public AuxMain startAux(String id, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("AUX_ID", id);
        env.put("AUX_BIND", "127.0.0.1");
        env.put("AUX_PORT", "0");
        env.put("AUX_DATA_DIR", dataRoot.resolve(id).toString());
        env.put("CLUSTER_TOKEN", TOKEN);
        env.putAll(extra);
        try {
            AuxMain node = new AuxMain(AuxConfig.from(new Env(env)), clock);
            aux.add(node);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a master routing over every aux node started so far. */
    public MasterMain startMaster(String id, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("MASTER_ID", id);
        env.put("MASTER_BIND", "127.0.0.1");
        env.put("MASTER_PORT", "0");
        env.put("AUX_NODES", auxNodes());
        env.put("CLUSTER_TOKEN", TOKEN);
        env.put("HEALTH_INTERVAL_MS", "100");
        env.put("HEALTH_TIMEOUT_MS", "1000");
        env.putAll(extra);
        MasterMain m = new MasterMain(MasterConfig.from(new Env(env)), clock);
        masters.add(m);
        awaitServing(m);
        return m;
    }

    /**
     * Waits (at most 15 s) until every running aux node serves reads and {@code master} has heard
     * so: a node starts recovering and serves once it has heard its masters for two heartbeat
     * intervals and caught up with its co-owners. Returns anyway after the bound, for tests that
     * start masters next to nodes that cannot serve.
     */
    public void awaitServing(MasterMain master) {
        Await.within(java.time.Duration.ofSeconds(15), java.time.Duration.ofMillis(20),
                () -> aux.stream().filter(AuxMain::isRunning).allMatch(a -> a.readiness().serving()
                        && !master.membership().isNotServing(a.config().id())
                        && master.membership().view().ring().nodes().contains(a.config().id())));
    }

    /** {@code AUX_NODES} for the aux nodes started so far. */
    public String auxNodes() {
        return aux.stream().map(a -> a.config().id() + "@127.0.0.1:" + a.port()).collect(Collectors.joining(","));
    }

    public List<AuxMain> aux() {
        return aux;
    }

    public AuxMain aux(String id) {
        return aux.stream().filter(a -> a.config().id().equals(id)).findFirst().orElseThrow();
    }

    public List<MasterMain> masters() {
        return masters;
    }

    public String masterUrl(int i) {
        return "http://127.0.0.1:" + masters.get(i).port();
    }

    @Override
    public void close() {
        masters.forEach(MasterMain::close);
        aux.forEach(a -> {
            try {
                a.close();
            } catch (RuntimeException ignored) {
                // already stopped by the test
            }
        });
    }
}
