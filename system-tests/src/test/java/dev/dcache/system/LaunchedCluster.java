package dev.dcache.system;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A cluster launched with {@code bin/cluster up} from the packaged jars: aux nodes, masters and
 * nginx (and, when asked, a Prometheus scraping them) as real processes on 127.0.0.1, in a
 * private RUN_DIR under {@code system-tests/target/}. Launch it through {@link Clusters}, which
 * stops it after the test or the class.
 *
 * <p>Ports are picked free below the ephemeral range, so the cluster never meets a developer's
 * own {@code bin/cluster} or an outgoing connection; {@link Layout#spareAux()} extra aux ports are
 * reserved for {@code bin/cluster add-aux}. Every {@code bin/cluster} call's output goes to
 * {@code RUN_DIR/bin-cluster.log}. {@link #close()} stops what was started; the RUN_DIR is
 * deleted when nothing failed (unless {@code -Ddcache.cluster.keep=true}), otherwise kept and the
 * tail of every log printed.
 */
final class LaunchedCluster implements AutoCloseable {
    private static final Duration UP_LIMIT = Duration.ofSeconds(180);
    private static final Duration COMMAND_LIMIT = Duration.ofSeconds(90);
    /** {@code -Ddcache.cluster.keep=true}: keep every RUN_DIR, logs included, to read after a passing run. */
    private static final boolean KEEP_RUN_DIR = Boolean.getBoolean("dcache.cluster.keep");

    /**
     * What to launch.
     *
     * @param spareAux    aux ports reserved beyond {@code aux}, for {@code add-aux}
     * @param killOnClose stop with {@code kill-all} (SIGKILL) instead of {@code down}: for tests
     *                    that do not need the graceful path, which takes up to
     *                    {@code CLUSTER_STOP_TIMEOUT} while aux nodes drain
     * @param prometheus  also start a Prometheus scraping the nodes ({@code PROMETHEUS=on});
     *                    without one installed the test class is skipped, except under CI
     *                    ({@code CI=true}), which must have it
     * @param nodeEnv     extra environment of every {@code bin/cluster} call, which the nodes it
     *                    starts inherit (e.g. {@code AUX_SNAPSHOT_INTERVAL_MS})
     */
    record Layout(int aux, int masters, int replicationFactor, int spareAux, boolean killOnClose, boolean prometheus,
                  Map<String, String> nodeEnv) {
        Layout {
            nodeEnv = Map.copyOf(nodeEnv);
        }

        static Layout of(int aux, int masters, int replicationFactor) {
            return new Layout(aux, masters, replicationFactor, 0, false, false, Map.of());
        }

        Layout withSpareAux(int spare) {
            return new Layout(aux, masters, replicationFactor, spare, killOnClose, prometheus, nodeEnv);
        }

        Layout killedOnClose() {
            return new Layout(aux, masters, replicationFactor, spareAux, true, prometheus, nodeEnv);
        }

        Layout withPrometheus() {
            return new Layout(aux, masters, replicationFactor, spareAux, killOnClose, true, nodeEnv);
        }

        Layout withNodeEnv(String name, String value) {
            Map<String, String> env = new LinkedHashMap<>(nodeEnv);
            env.put(name, value);
            return new Layout(aux, masters, replicationFactor, spareAux, killOnClose, prometheus, env);
        }
    }

    private final Layout layout;
    private final Path repoRoot;
    private final Path runDir;
    private final Map<String, String> env = new LinkedHashMap<>();
    private final int nginxPort;
    private final int auxBase;
    private final int masterBase;
    private final int auxBinaryBase;
    private final int prometheusPort;
    private volatile boolean failed;
    private boolean closed;

    private LaunchedCluster(Layout layout) throws IOException {
        this.layout = layout;
        this.repoRoot = Path.of(System.getProperty("dcache.repo.root", "..")).toAbsolutePath().normalize();
        Path targetDir = repoRoot.resolve("system-tests/target");
        Files.createDirectories(targetDir);
        this.runDir = Files.createTempDirectory(targetDir, "cluster-run-");

        Set<Integer> taken = new HashSet<>();
        int auxPorts = layout.aux() + layout.spareAux();
        this.nginxPort = freePortBlock(1, taken);
        this.auxBase = freePortBlock(auxPorts, taken) - 1;
        this.masterBase = freePortBlock(layout.masters(), taken) - 1;
        this.auxBinaryBase = freePortBlock(auxPorts, taken) - 1;
        this.prometheusPort = freePortBlock(1, taken);
        env.putAll(layout.nodeEnv());
        env.put("RUN_DIR", runDir.toString());
        env.put("NGINX_PORT", Integer.toString(nginxPort));
        env.put("AUX_BASE_PORT", Integer.toString(auxBase));
        env.put("MASTER_BASE_PORT", Integer.toString(masterBase));
        env.put("AUX_BINARY_BASE_PORT", Integer.toString(auxBinaryBase));
        env.put("AUX", Integer.toString(layout.aux()));
        env.put("MASTERS", Integer.toString(layout.masters()));
        env.put("REPLICATION_FACTOR", Integer.toString(layout.replicationFactor()));
        // "auto" would start one on the shared default port whenever Prometheus is installed
        env.put("PROMETHEUS", layout.prometheus() ? "on" : "off");
        env.put("PROMETHEUS_PORT", Integer.toString(prometheusPort));
        env.put("CLUSTER_TOKEN", "system-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        // the reactor has just packaged the jars; a nested Maven build from inside a test is never wanted
        env.put("CLUSTER_BUILD", System.getProperty("dcache.cluster.build", "never"));
        env.put("CLUSTER_UP_TIMEOUT", "90");
    }

    /**
     * Runs {@code bin/cluster up}, which returns once every node answers {@code /health} and every
     * master's ring lists every aux node. When it fails, whatever it started is stopped, the logs
     * are printed, and the exception says where they are.
     */
    static LaunchedCluster start(Layout layout) throws IOException, InterruptedException {
        if (layout.prometheus()) {
            requirePrometheus();
        }
        LaunchedCluster cluster = new LaunchedCluster(layout);
        try {
            int exit = cluster.run(UP_LIMIT, "up");
            if (exit != 0) {
                throw new IllegalStateException("bin/cluster up exited " + exit + "; output in " + cluster.cliLog()
                        + ", node logs in " + cluster.runDir.resolve("logs"));
            }
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            cluster.markFailed();
            cluster.close();
            throw e;
        }
    }

    Layout layout() {
        return layout;
    }

    /** The public API: nginx, e.g. {@code http://127.0.0.1:23456}. */
    String api() {
        return "http://127.0.0.1:" + nginxPort;
    }

    /** The cluster's Prometheus; only for a {@link Layout#withPrometheus()} layout. */
    String prometheusUrl() {
        if (!layout.prometheus()) {
            throw new IllegalStateException("this cluster runs no Prometheus: " + layout);
        }
        return "http://127.0.0.1:" + prometheusPort;
    }

    /** The repository the cluster was launched from. */
    Path repoRoot() {
        return repoRoot;
    }

    /** Where every node's state lives: {@code data/<aux-id>/}, {@code logs/<name>.log}, {@code cluster.env}. */
    Path runDir() {
        return runDir;
    }

    /** master-{@code i}'s own port, 1-based; not routed by nginx. */
    String masterUrl(int i) {
        return "http://127.0.0.1:" + (masterBase + i);
    }

    /** aux-{@code i}'s HTTP port, 1-based (spare ones included). */
    int auxPort(int i) {
        return auxBase + i;
    }

    /** aux-{@code i}'s binary protocol port, 1-based. */
    int auxBinaryPort(int i) {
        return auxBinaryBase + i;
    }

    String auxUrl(int i) {
        return "http://127.0.0.1:" + auxPort(i);
    }

    /** The shared secret the admin and internal APIs require in {@code X-Cluster-Token}. */
    String token() {
        return env.get("CLUSTER_TOKEN");
    }

    /** The next close prints the logs and keeps the RUN_DIR. */
    void markFailed() {
        failed = true;
    }

    /**
     * Runs {@code bin/cluster args...} against this cluster.
     *
     * @return its exit code
     */
    int run(String... args) throws IOException, InterruptedException {
        return run(COMMAND_LIMIT, args);
    }

    /** Runs {@code bin/cluster args...} and fails unless it exits 0. */
    void runOk(String... args) throws IOException, InterruptedException {
        runOk(UnaryOperator.identity(), args);
    }

    /**
     * Runs {@code bin/cluster args...} as {@code wrapper} rewrites the command line (e.g. to start
     * a node inside a cgroup, see {@link LoopbackPartition#wrap}), and fails unless it exits 0.
     */
    void runOk(UnaryOperator<List<String>> wrapper, String... args) throws IOException, InterruptedException {
        int exit = run(COMMAND_LIMIT, wrapper, args);
        if (exit != 0) {
            throw new AssertionError("bin/cluster " + String.join(" ", args) + " exited " + exit + "; output in "
                    + cliLog());
        }
    }

    private int run(Duration limit, String... args) throws IOException, InterruptedException {
        return run(limit, UnaryOperator.identity(), args);
    }

    private int run(Duration limit, UnaryOperator<List<String>> wrapper, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(repoRoot.resolve("bin/cluster").toString());
        command.addAll(List.of(args));
        command = wrapper.apply(command);
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

    /**
     * Stops every node ({@code down}, or {@code kill-all} per the layout); idempotent.
     *
     * @throws InterruptedIOException if interrupted while waiting for bin/cluster
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            String stop = layout.killOnClose() ? "kill-all" : "down";
            int exit = run(stop);
            if (exit != 0) {
                failed = true;
                System.out.println("bin/cluster " + stop + " exited " + exit);
            }
        } catch (InterruptedException e) {
            failed = true;
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping the cluster in " + runDir);
        } finally {
            if (failed) {
                printLogs();
            }
            if (failed || KEEP_RUN_DIR) {
                System.out.println("cluster RUN_DIR kept: " + runDir);
            } else {
                deleteTree(runDir); // a passing run leaves nothing worth reading
            }
        }
    }

    private Path cliLog() {
        return runDir.resolve("bin-cluster.log");
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
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

    private void printLogs() {
        List<Path> logs = new ArrayList<>();
        logs.add(cliLog());
        Path nodeLogs = runDir.resolve("logs");
        if (Files.isDirectory(nodeLogs)) {
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
