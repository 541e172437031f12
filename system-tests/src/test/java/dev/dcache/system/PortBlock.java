package dev.dcache.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Cuts a node of a {@link LaunchedCluster} off the network by its ports, with iptables rules on
 * the loopback interface in a chain of its own: {@link #dropRequests} drops every packet sent to
 * the ports (nothing reaches the node), {@link #dropAnswers} every packet sent from them (the node
 * gets requests and applies them, nobody hears its answers). Dropped, not refused: to the other
 * side the node looks unreachable, as behind a failed link, and connections made before the cut
 * are cut too. Everyone is cut alike, masters and the other aux nodes: every node lives on
 * 127.0.0.1, so only ports tell them apart.
 *
 * <p>Needs root and iptables ({@link #unavailableBecause}). Touches nothing but its own chain and
 * the one jump to it, both removed by {@link #close}.
 */
final class PortBlock implements AutoCloseable {
    private final String chain;

    private PortBlock() throws IOException, InterruptedException {
        this.chain = "dcache-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
        iptables("-N", chain);
        iptables("-I", "INPUT", "1", "-i", "lo", "-j", chain);
    }

    /** Why no block can be made on this machine, or null when it can. */
    static String unavailableBecause() {
        try {
            Process p = new ProcessBuilder("iptables", "-S", "INPUT").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "iptables does not work here (root needed): " + out.strip();
            }
            return null;
        } catch (IOException e) {
            return "iptables is not installed (apt-get install iptables)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** A block that cuts nothing yet. */
    static PortBlock create() throws IOException, InterruptedException {
        return new PortBlock();
    }

    /** From now on, every packet sent to these ports is dropped. */
    void dropRequests(int... ports) throws IOException, InterruptedException {
        for (int port : ports) {
            iptables("-A", chain, "-p", "tcp", "--dport", Integer.toString(port), "-j", "DROP");
        }
    }

    /** From now on, every packet sent from these ports (the node's answers) is dropped. */
    void dropAnswers(int... ports) throws IOException, InterruptedException {
        for (int port : ports) {
            iptables("-A", chain, "-p", "tcp", "--sport", Integer.toString(port), "-j", "DROP");
        }
    }

    /** Removes every cut. */
    void heal() throws IOException, InterruptedException {
        iptables("-F", chain);
    }

    @Override
    public void close() throws IOException {
        try {
            iptables("-D", "INPUT", "-i", "lo", "-j", chain);
            iptables("-F", chain);
            iptables("-X", chain);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while removing iptables chain " + chain, e);
        }
    }

    private static void iptables(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add("iptables");
        argv.add("-w"); // wait for the xtables lock (Docker may hold it) instead of failing
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + out);
        }
    }
}
