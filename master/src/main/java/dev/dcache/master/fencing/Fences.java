package dev.dcache.master.fencing;

import dev.dcache.common.cluster.FencingTimes;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * When this master may acknowledge a write that an owner did not take, and what it tells each aux
 * node about that in its heartbeats.
 *
 * <h2>Design: write without an owner only once it cannot be read</h2>
 *
 * <p>A write is acknowledged when every owner applied it, with one exception: an owner this master
 * has not reached for {@code fenceAfter} may be left out (it is <em>fenced</em>). That owner holds
 * older data, so no master may read from it until it has caught up. The aux side guarantees it
 * (see {@code dev.dcache.aux.recovery.Readiness}): a node that hears no master for
 * {@link FencingTimes#silenceLimit} stops serving reads by itself, and {@code fenceAfter} is one
 * interval and a margin longer ({@link FencingTimes#fenceAfter}), so by the time a master writes without a node that is cut off, paused or dead, that
 * node refuses reads, whichever master asks, and a dead one restarts refusing them. An owner that
 * <em>refused the connection</em> runs no process on its port: it serves no reads now, and the
 * process that will listen there starts refusing reads until it caught up, so it may be left out
 * at once ({@link #skip(String, boolean)}; a SIGKILLed node costs writes no wait). An owner that
 * fails while this master still hears it (a broken connection, a full queue) is not fenced: the
 * write retries it until the write's deadline, then fails (503; it may or may not have been
 * applied).
 *
 * <p>A node that refuses reads serves again only after every master's heartbeat says it is no longer
 * fenced ({@link #flag}) and it then caught up from its co-owners. So the flag stays up while any of
 * these holds:
 * <ul>
 *   <li>the node is fenced: lifted only once a heartbeat that carried the flag was answered (the
 *   node has heard it, so it is recovering), never just because time passed;</li>
 *   <li>a write that left the node out is still in flight ({@link Skip}): its value reaches the
 *   other owners before it is acknowledged, so a catch-up that starts after the next unflagged
 *   heartbeat finds it;</li>
 *   <li>this master routes without the node (it is off this master's ring), or put it back on the
 *   ring less than one write deadline ago: a write routed by the older ring may still be running.</li>
 * </ul>
 * The same rule bounds ejection: a node leaves this master's ring for failures only once it could
 * be fenced ({@link #mayEject}), since leaving the ring means writing without it.
 *
 * <p>Monotonic time from an injected clock. Per node state is guarded by its own monitor; the
 * node map is concurrent.
 */
public final class Fences {
    private final LongSupplier nanos;
    private final long fenceAfterNanos;
    private final long quietNanos;
    private final ConcurrentHashMap<String, NodeFence> nodes = new ConcurrentHashMap<>();

    /**
     * @param nanos      monotonic clock
     * @param fenceAfter time without contact after which an owner may be left out of a write
     *                   ({@link #fenceAfter(Duration)} for a heartbeat interval)
     * @param quiet      how long the flag stays up after the node is back on the ring: the write deadline
     */
    public Fences(LongSupplier nanos, Duration fenceAfter, Duration quiet) {
        this.nanos = nanos;
        this.fenceAfterNanos = fenceAfter.toNanos();
        this.quietNanos = quiet.toNanos();
    }

    /**
     * The wait before an unreachable owner may be left out of a write, for a heartbeat interval
     * ({@link FencingTimes#fenceAfter}): 3.25 s at the default 1 s.
     */
    public static Duration fenceAfter(Duration heartbeatInterval) {
        return FencingTimes.fenceAfter(heartbeatInterval);
    }

    /** A write that goes on without one owner; {@link #close} when the write is answered or failed. */
    public final class Skip implements AutoCloseable {
        private final NodeFence fence;
        private boolean closed;

        private Skip(NodeFence fence) {
            this.fence = fence;
        }

        @Override
        public void close() {
            synchronized (fence) {
                if (!closed) {
                    closed = true;
                    fence.inFlight--;
                }
            }
        }
    }

    private final class NodeFence {
        /** Send time of the last heartbeat that was answered. */
        long lastContactNanos = nanos.getAsLong();
        boolean fenced;
        int inFlight;
        boolean routedWithout;
        long quietUntilNanos = lastContactNanos;
    }

    private NodeFence of(String node) {
        return nodes.computeIfAbsent(node, n -> new NodeFence());
    }

    /**
     * May a write go on without {@code node}, which did not take it? Yes once the node is fenced, or
     * has not answered a heartbeat for {@code fenceAfter} (then it becomes fenced).
     *
     * @return the permission, to close when the write is done; null: retry the node, or fail
     */
    public Skip skip(String node) {
        return skip(node, false);
    }

    /**
     * {@link #skip(String)}, or at once when the node {@code refused} the connection (nothing
     * listens on its port: it cannot serve a read, and restarts refusing reads until it caught up).
     * Not for a connection that broke or timed out: a live node can do that.
     */
    public Skip skip(String node, boolean refused) {
        NodeFence f = of(node);
        synchronized (f) {
            if (!refused && !f.fenced && nanos.getAsLong() - f.lastContactNanos < fenceAfterNanos) {
                return null;
            }
            f.fenced = true;
            f.inFlight++;
            return new Skip(f);
        }
    }

    /** True once {@code node} has not answered a heartbeat for {@code fenceAfter}: it may leave the ring. */
    public boolean mayEject(String node) {
        NodeFence f = of(node);
        synchronized (f) {
            return f.fenced || nanos.getAsLong() - f.lastContactNanos >= fenceAfterNanos;
        }
    }

    /**
     * A heartbeat to {@code node} was answered.
     *
     * @param sentNanos    when it was sent
     * @param carriedFlag  it said the node is fenced: the node has heard that, so the fence may go
     */
    public void answered(String node, long sentNanos, boolean carriedFlag) {
        NodeFence f = of(node);
        synchronized (f) {
            f.lastContactNanos = Math.max(f.lastContactNanos, sentNanos);
            if (carriedFlag) {
                f.fenced = false;
            }
        }
    }

    /** This master took {@code node} off its ring: it writes without it from now on. */
    public void routedWithout(String node) {
        NodeFence f = of(node);
        synchronized (f) {
            f.routedWithout = true;
        }
    }

    /** This master put {@code node} back on its ring. */
    public void routedWith(String node) {
        NodeFence f = of(node);
        synchronized (f) {
            if (f.routedWithout) {
                f.routedWithout = false;
                f.quietUntilNanos = nanos.getAsLong() + quietNanos;
            }
        }
    }

    /** What the next heartbeat to {@code node} says: whether this master may write without it. */
    public boolean flag(String node) {
        NodeFence f = of(node);
        synchronized (f) {
            return f.fenced || f.inFlight > 0 || f.routedWithout || nanos.getAsLong() - f.quietUntilNanos < 0;
        }
    }

    /** The monotonic clock these fences run on, in nanoseconds: heartbeat send times come from it. */
    public long now() {
        return nanos.getAsLong();
    }

    /** Nodes whose heartbeats say they are fenced now, for metrics. */
    public long flagged() {
        return nodes.keySet().stream().filter(this::flag).count();
    }

    /** Forgets a node that left the membership. */
    public void forget(String node) {
        nodes.remove(node);
    }
}
