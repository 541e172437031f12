package dev.dcache.master.membership;

import dev.dcache.master.fencing.Fences;
import dev.dcache.master.ring.ClusterView;
import dev.dcache.master.ring.NodeState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A master's warm-up: until every known member is up, or the deadline passes, the master sends no
 * ring in its heartbeats. When a whole cluster starts, aux nodes come up one by one, and a ring over
 * the first few would make nodes restored from snapshots hand their records to those few, only to
 * take them back moments later. Until {@link #start} the deadline is the construction time, so a
 * master that never warms up ends it at its first round. The flag is written by the heartbeat round
 * and read by request threads.
 */
final class WarmUp {
    private static final Logger log = LoggerFactory.getLogger(WarmUp.class);

    private final Fences fences;
    private final long windowNanos;
    private volatile boolean over;
    private volatile long deadlineNanos;

    /** @param windowNanos how long after {@link #start} the warm-up ends at the latest */
    WarmUp(Fences fences, long windowNanos) {
        this.fences = fences;
        this.windowNanos = windowNanos;
        this.deadlineNanos = fences.now();
    }

    /** The warm-up begins now. */
    void start() {
        deadlineNanos = fences.now() + windowNanos;
    }

    /** True once the warm-up has ended: the ring is this master's opinion, and heartbeats carry it. */
    boolean over() {
        return over;
    }

    /**
     * Before a heartbeat round: ends the warm-up when every member of {@code v} is up or the deadline
     * has passed; from then on this master writes without the members that are down.
     */
    void endIfReady(ClusterView v) {
        if (!over) {
            boolean allUp = !v.members().isEmpty() && v.ring().nodes().size() == v.members().size();
            if (allUp || fences.now() - deadlineNanos >= 0) {
                over = true;
                v.states().forEach((id, state) -> {
                    if (state == NodeState.DOWN) {
                        fences.routedWithout(id); // from now on this master writes without it
                    }
                });
                log.info("warm-up over: {} of {} aux nodes up", v.ring().nodes().size(), v.members().size());
            }
        }
    }
}
