package dev.dcache.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The operating-system side of a {@link LaunchedCluster}'s nodes: their pids (from
 * {@code RUN_DIR/pids}), pausing and resuming them (SIGSTOP, SIGCONT), open file descriptors,
 * the live heap after a full collection ({@code jcmd}), and what their logs say. Every command it
 * runs is bounded in time.
 */
final class NodeProcesses {
    private static final Pattern HEAP_USED = Pattern.compile("(?m)^\\s*garbage-first heap\\s+total (?:reserved )?\\d+K,? (?:committed \\d+K, )?used (\\d+)K");
    private final LaunchedCluster cluster;

    NodeProcesses(LaunchedCluster cluster) {
        this.cluster = cluster;
    }

    /** The pid of a running node ({@code aux-1}, {@code master-2}, {@code nginx}). */
    long pid(String node) throws IOException {
        return Long.parseLong(Files.readString(cluster.runDir().resolve("pids/" + node + ".pid")).trim());
    }

    /** SIGSTOP: the node keeps its sockets (the kernel still accepts connections) but runs nothing. */
    void pause(String node) throws IOException, InterruptedException {
        signal(node, "STOP");
    }

    /** SIGCONT after {@link #pause}. */
    void resume(String node) throws IOException, InterruptedException {
        signal(node, "CONT");
    }

    private void signal(String node, String signal) throws IOException, InterruptedException {
        run(List.of("kill", "-" + signal, Long.toString(pid(node))));
    }

    /** Open file descriptors of a node. */
    int openFiles(String node) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid(node) + "/fd"))) {
            return (int) fds.count();
        }
    }

    /** Peak resident set size of a node since it started ({@code VmHWM}), in bytes. */
    long peakRss(String node) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid(node) + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmHWM for " + node);
    }

    /**
     * Bytes of heap in use right after a full collection ({@code jcmd GC.run} twice, then
     * {@code GC.heap_info}): the first full collection after a busy spell was seen to leave tens of
     * MiB that the next one freed.
     */
    long heapAfterFullGc(String node) throws IOException, InterruptedException {
        String pid = Long.toString(pid(node));
        run(List.of(jcmd(), pid, "GC.run"));
        run(List.of(jcmd(), pid, "GC.run"));
        String info = run(List.of(jcmd(), pid, "GC.heap_info"));
        Matcher m = HEAP_USED.matcher(info);
        if (!m.find()) {
            throw new IllegalStateException("no heap use in jcmd GC.heap_info of " + node + ": " + info);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    /** The first {@code lines} lines of a node's live-object histogram ({@code jcmd GC.class_histogram}). */
    String histogram(String node, int lines) throws IOException, InterruptedException {
        return run(List.of(jcmd(), Long.toString(pid(node)), "GC.class_histogram")).lines().limit(lines)
                .reduce("", (a, b) -> a + b + "\n");
    }

    /** Lines mentioning {@code OutOfMemoryError} in each node's log (nginx and the CLI log excluded). */
    Map<String, Long> outOfMemoryErrors() throws IOException {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> logs = Files.list(cluster.runDir().resolve("logs"))) {
            for (Path log : logs.filter(p -> p.getFileName().toString().matches("(aux|master)-\\d+\\.log")).toList()) {
                long n;
                try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
                    n = lines.filter(l -> l.contains("OutOfMemoryError")).count();
                }
                out.put(log.getFileName().toString().replace(".log", ""), n);
            }
        }
        return out;
    }

    /** Lines of a node's log that match {@code regex}. */
    long logLines(String node, String regex) throws IOException {
        Pattern p = Pattern.compile(regex);
        try (Stream<String> lines = Files.lines(cluster.runDir().resolve("logs/" + node + ".log"), StandardCharsets.UTF_8)) {
            return lines.filter(l -> p.matcher(l).find()).count();
        }
    }

    private static String jcmd() {
        return Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command + " still running after 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(command + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }
}
