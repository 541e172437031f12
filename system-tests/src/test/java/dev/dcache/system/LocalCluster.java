package dev.dcache.system;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A cluster launched with {@code bin/cluster} for one test class, as a JUnit extension:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LocalCluster CLUSTER = LocalCluster.withoutPrometheus("cluster");
 * }</pre>
 *
 * <p>{@code bin/cluster up} runs before the class's {@code @BeforeAll} methods and
 * {@code bin/cluster down} after its tests. The cluster gets its own RUN_DIR under
 * {@code target/} and ports picked free below the ephemeral range, so it never meets a
 * developer's own {@code bin/cluster} or an outgoing connection. The output of every
 * {@code bin/cluster} command goes to {@code target/<name>-cli.log}; it and the nodes' logs are
 * printed only when something failed, and a passing run's RUN_DIR is deleted.
 */
final class LocalCluster implements BeforeAllCallback, AfterAllCallback, TestWatcher {
    static final int AUX_NODES = 3;
    static final int MASTERS = 2;
    static final Duration UP_LIMIT = Duration.ofSeconds(180);
    static final Duration COMMAND_LIMIT = Duration.ofSeconds(60);
    private static final Duration RING_LIMIT = Duration.ofSeconds(30);

    private final String name;
    private final boolean prometheus;
    private Path repoRoot;
    private Path targetDir;
    private Path runDir;
    private Map<String, String> env;
    private int nginxPort;
    private int auxBase;
    private int masterBase;
    private int prometheusPort;
    private volatile boolean failed;

    private LocalCluster(String name, boolean prometheus) {
        this.name = name;
        this.prometheus = prometheus;
    }

    /** Aux nodes, masters and nginx; no Prometheus even when one is installed. */
    static LocalCluster withoutPrometheus(String name) {
        return new LocalCluster(name, false);
    }

    /**
     * Aux nodes, masters, nginx and a Prometheus scraping them. Without a {@code prometheus}
     * binary the test class is skipped, except under CI ({@code CI=true}), which must have it.
     */
    static LocalCluster withPrometheus(String name) {
        return new LocalCluster(name, true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (prometheus) {
            requirePrometheus();
        }
        try {
            launch();
        } catch (Exception | Error e) {
            failed = true; // no test runs, so testFailed never sees it: show the logs anyway
            throw e;
        }
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        failed = true;
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (runDir != null) {
                int exit = run(COMMAND_LIMIT, "down");
                if (exit != 0) {
                    failed = true;
                    System.out.println("bin/cluster down exited " + exit);
                }
            }
        } finally {
            if (failed) {
                printLogs();
            } else if (runDir != null) {
                deleteTree(runDir); // a passing run leaves nothing worth reading
            }
        }
    }

    /** The public API's base URL: nginx. */
    String api() {
        return "http://127.0.0.1:" + nginxPort;
    }

    /** Base URL of master-{@code i} (1-based). */
    String master(int i) {
        return "http://127.0.0.1:" + (masterBase + i);
    }

    /** Base URL of aux-{@code i} (1-based). */
    String aux(int i) {
        return "http://127.0.0.1:" + (auxBase + i);
    }

    /** Base URL of the cluster's Prometheus; only for {@link #withPrometheus}. */
    String prometheus() {
        if (!prometheus) {
            throw new IllegalStateException("cluster " + name + " runs no Prometheus");
        }
        return "http://127.0.0.1:" + prometheusPort;
    }

    Path repoRoot() {
        return repoRoot;
    }

    /** Where the output of every bin/cluster command of this cluster goes. */
    Path cliLog() {
        return targetDir.resolve(name + "-cli.log");
    }

    /** Runs bin/cluster with the cluster's environment; output is appended to {@link #cliLog()}. */
    int run(Duration limit, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(repoRoot.resolve("bin/cluster").toString());
        command.addAll(List.of(args));
        Path log = cliLog();
        Files.writeString(log, "\n$ bin/cluster " + String.join(" ", args) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(repoRoot.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("bin/cluster " + String.join(" ", args) + " still running after " + limit);
        }
        return process.exitValue();
    }

    // ---------------------------------------------------------------------------------------

    private void launch() throws Exception {
        repoRoot = Path.of(System.getProperty("dcache.repo.root", "..")).toAbsolutePath().normalize();
        targetDir = repoRoot.resolve("system-tests/target");
        Files.createDirectories(targetDir);
        Files.deleteIfExists(cliLog());
        runDir = Files.createTempDirectory(targetDir, name + "-run-");

        Set<Integer> taken = new HashSet<>();
        nginxPort = freePortBlock(1, taken);
        auxBase = freePortBlock(AUX_NODES, taken) - 1;
        masterBase = freePortBlock(MASTERS, taken) - 1;
        int auxBinaryBase = freePortBlock(AUX_NODES, taken) - 1;
        prometheusPort = freePortBlock(1, taken);
        env = new LinkedHashMap<>();
        env.put("RUN_DIR", runDir.toString());
        env.put("NGINX_PORT", Integer.toString(nginxPort));
        env.put("AUX_BASE_PORT", Integer.toString(auxBase));
        env.put("MASTER_BASE_PORT", Integer.toString(masterBase));
        env.put("AUX_BINARY_BASE_PORT", Integer.toString(auxBinaryBase));
        env.put("AUX", Integer.toString(AUX_NODES));
        env.put("MASTERS", Integer.toString(MASTERS));
        env.put("PROMETHEUS", prometheus ? "on" : "off");
        env.put("PROMETHEUS_PORT", Integer.toString(prometheusPort));
        env.put("CLUSTER_TOKEN", "system-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        // the reactor has just packaged the jars; a nested Maven build from inside a test is never wanted
        env.put("CLUSTER_BUILD", System.getProperty("dcache.cluster.build", "never"));
        env.put("CLUSTER_UP_TIMEOUT", "90");

        int exit = run(UP_LIMIT, "up");
        if (exit != 0) {
            throw new IllegalStateException("bin/cluster up exited " + exit + "; output in " + cliLog()
                    + ", node logs in " + runDir.resolve("logs"));
        }
        awaitEveryMasterRoutesToEveryAuxNode();
    }

    /**
     * {@code bin/cluster up} returns once every node answers /health, but a master routes only to
     * the aux nodes its heartbeats have admitted (HEALTH_SUCCESSES in a row), and until then
     * answers a write with 503. Waits until the ring of every master holds every aux node.
     */
    private void awaitEveryMasterRoutesToEveryAuxNode() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        ObjectMapper json = new ObjectMapper();
        long deadline = System.nanoTime() + RING_LIMIT.toNanos();
        for (int i = 1; i <= MASTERS; i++) {
            while (true) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(master(i) + "/cluster"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && json.readTree(r.body()).path("ring").size() == AUX_NODES) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("master-" + i + " does not route to all " + AUX_NODES
                            + " aux nodes " + RING_LIMIT + " after bin/cluster up; GET /cluster: " + r.statusCode() + " " + r.body());
                }
                Thread.sleep(100);
            }
        }
    }

    /** CI installs Prometheus (.ci/run), so there its absence is a failure; elsewhere a skip. */
    private static void requirePrometheus() {
        boolean installed = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "prometheus")));
        if (installed) {
            return;
        }
        String why = "the prometheus binary is not on PATH (apt-get install prometheus)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(why + "; .ci/run must install it");
        }
        System.out.println("SKIPPED: " + why);
        Assumptions.abort(why);
    }

    /**
     * A block of {@code count} consecutive ports, all free right now and none in {@code taken}.
     * Picked in 20000-32000, below Linux's ephemeral range, so that no outgoing connection takes
     * one between this check and the node binding it.
     */
    private static int freePortBlock(int count, Set<Integer> taken) {
        for (int attempt = 0; attempt < 500; attempt++) {
            int first = ThreadLocalRandom.current().nextInt(20_000, 32_000 - count);
            boolean free = true;
            for (int p = first; p < first + count && free; p++) {
                free = !taken.contains(p) && canBind(p);
            }
            if (free) {
                for (int p = first; p < first + count; p++) {
                    taken.add(p);
                }
                return first;
            }
        }
        throw new IllegalStateException("no block of " + count + " free ports found in 20000-32000");
    }

    private static boolean canBind(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void printLogs() {
        if (targetDir == null) {
            return;
        }
        List<Path> logs = new ArrayList<>();
        logs.add(cliLog());
        Path nodeLogs = runDir == null ? null : runDir.resolve("logs");
        if (nodeLogs != null && Files.isDirectory(nodeLogs)) {
            try (Stream<Path> files = Files.list(nodeLogs)) {
                files.sorted().forEach(logs::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (Path log : logs) {
            if (!Files.isRegularFile(log)) {
                continue;
            }
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                System.out.println("===== " + log + " (last 80 of " + lines.size() + " lines) =====");
                lines.subList(Math.max(0, lines.size() - 80), lines.size()).forEach(System.out::println);
            } catch (IOException e) {
                System.out.println("===== " + log + ": unreadable: " + e);
            }
        }
    }
}
