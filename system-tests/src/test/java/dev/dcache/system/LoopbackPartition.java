package dev.dcache.system;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A network partition between some processes and some ports on 127.0.0.1, where every node of a
 * {@link LaunchedCluster} lives, so addresses cannot tell them apart. The processes to cut off
 * are started inside a cgroup (v2) of this partition's own ({@link #wrap}); an nftables table of
 * its own drops every packet that a socket of that cgroup sends to the cut ports
 * ({@code socket cgroupv2}). Dropped, not refused: to the cut-off side the other end looks
 * unreachable, as behind a failed link. Connections made before the cut are cut too, since
 * their packets are dropped as well.
 *
 * <p>Needs root, {@code nft} and a writable cgroup2 mount ({@link #unavailableBecause}). Touches
 * nothing but its own table and cgroup, both removed by {@link #close}, so other clusters on the
 * machine are not affected.
 */
final class LoopbackPartition implements AutoCloseable {
    private static final Path NFT_CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    private final Path cgroupMount;
    private final Path cgroup;
    private final String table;

    private LoopbackPartition(Path cgroupMount) throws IOException, InterruptedException {
        String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        this.cgroupMount = cgroupMount;
        this.cgroup = cgroupMount.resolve("dcache-partition-" + suffix);
        this.table = "dcache_partition_" + suffix;
        Files.createDirectory(cgroup);
        nft("add table inet " + table);
        nft("add chain inet " + table + " out { type filter hook output priority 0; policy accept; }");
    }

    /**
     * Why a partition cannot be made on this machine, or null when it can.
     */
    static String unavailableBecause() {
        Path mount = cgroup2Mount();
        if (mount == null || !mount.startsWith(NFT_CGROUP_ROOT)) {
            return "no cgroup2 mount under " + NFT_CGROUP_ROOT + " (" + mount + ")";
        }
        if (!Files.isWritable(mount)) {
            return "cgroup2 mount " + mount + " is not writable (not root?)";
        }
        try {
            Process p = new ProcessBuilder("nft", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "nft does not run";
            }
        } catch (IOException | InterruptedException e) {
            return "nft is not installed (apt-get install nftables)";
        }
        return null;
    }

    /** A partition that cuts nothing yet. */
    static LoopbackPartition create() throws IOException, InterruptedException {
        Path mount = cgroup2Mount();
        if (mount == null) {
            throw new IllegalStateException("no cgroup2 mount");
        }
        return new LoopbackPartition(mount);
    }

    /**
     * {@code command} prefixed so that it runs inside this partition's cgroup, with every
     * process it starts: {@code sh -c 'echo $$ > cgroup.procs && exec "$@"' sh command...}.
     */
    List<String> wrap(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("sh", "-c",
                "echo $$ > '" + cgroup.resolve("cgroup.procs") + "' && exec \"$@\"", "sh"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** From now on, packets from the partitioned processes to these ports are dropped. */
    void cut(int... ports) throws IOException, InterruptedException {
        String set = Arrays.stream(ports).mapToObj(Integer::toString).collect(Collectors.joining(", "));
        // nft names a cgroup by its path below /sys/fs/cgroup, and matches its ancestor at that level
        nft("add rule inet " + table + " out socket cgroupv2 level " + cgroupMount.relativize(cgroup).getNameCount()
                + " \"" + NFT_CGROUP_ROOT.relativize(cgroup) + "\" tcp dport { " + set + " } drop");
    }

    /** Removes every cut. */
    void heal() throws IOException, InterruptedException {
        nft("flush chain inet " + table + " out");
    }

    /**
     * Removes the table, moves any process left in the cgroup back to the root one, removes the cgroup.
     *
     * @throws InterruptedIOException if interrupted while waiting for nft (the cgroup is removed anyway)
     */
    @Override
    public void close() throws IOException {
        try {
            nft("delete table inet " + table);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while deleting nft table " + table);
        } finally {
            for (String pid : Files.readAllLines(cgroup.resolve("cgroup.procs"), StandardCharsets.UTF_8)) {
                Files.writeString(cgroupMount.resolve("cgroup.procs"), pid);
            }
            Files.delete(cgroup);
        }
    }

    private static void nft(String command) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add("nft");
        argv.add(command);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("nft " + command + " failed: " + out);
        }
    }

    /** Where cgroup2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host), or null. */
    private static Path cgroup2Mount() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] halves = line.split(" - ", 2);
                if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                    return Path.of(halves[0].split(" ")[4]);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }
}
