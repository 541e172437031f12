package dev.dcache.common.concurrent;

/**
 * How many platform threads carry the node's virtual threads.
 *
 * <p>The JDK gives virtual threads one carrier per core, and a virtual thread keeps its carrier
 * until it blocks. A node's CPU-bound request work (parsing a 16 MiB bulk body, a batch of
 * records, discarding a refused body) runs on virtual threads, and so does its latency-critical
 * control work (a master's heartbeats and their replies, an aux node's heartbeat route). With one
 * carrier per core, a burst of the first queued the second behind it: in the overload test on two
 * cores, every heartbeat of a master missed its 500 ms and the master took all three aux nodes off
 * the ring in the same second. With four carriers per core the operating system time-slices
 * the carriers, so a heartbeat waits for a slice, not for a parse to finish; with them, no node
 * was ejected in the same burst.
 */
public final class Carriers {
    /** The JDK's property; read once, when the first virtual thread starts. */
    public static final String PARALLELISM = "jdk.virtualThreadScheduler.parallelism";

    private Carriers() {
    }

    /**
     * Sets four carriers per core (4 to 64) unless the property was given; call first thing in
     * {@code main}, before any virtual thread starts.
     */
    public static void widen() {
        if (System.getProperty(PARALLELISM) == null) {
            int carriers = Math.clamp(4L * Runtime.getRuntime().availableProcessors(), 4, 64);
            System.setProperty(PARALLELISM, Integer.toString(carriers));
        }
    }
}
