package dev.dcache.master.membership;

import dev.dcache.common.wire.RebalanceStatus;
import dev.dcache.master.ring.ClusterView;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Where the aux nodes say their data is placed (each heartbeat reply's {@link RebalanceStatus}),
 * and from that, whether a ring is settled and which ring was last settled long enough for this
 * master to route writes by it alone (see {@link Membership#routesAlone}). Statuses are written by
 * the heartbeat round and read by request threads; the settling state is the heartbeat round's own.
 */
final class Placement {
    private final long graceNanos;
    private final Map<String, RebalanceStatus> statuses = new ConcurrentHashMap<>();
    private volatile ClusterView lastSettled;
    /** A new ring seen settled, not yet for the grace, and since when; heartbeat round only. */
    private String settlingFingerprint;
    private long settlingSinceNanos;

    /** A ring becomes the last settled one once it has been settled for two heartbeat intervals. */
    Placement(long intervalMillis) {
        this.graceNanos = TimeUnit.MILLISECONDS.toNanos(2 * intervalMillis);
    }

    /** The node's status from its latest heartbeat reply. */
    void report(String id, RebalanceStatus status) {
        statuses.put(id, status);
    }

    /** Forgets every node but these. */
    void retain(Set<String> ids) {
        statuses.keySet().retainAll(ids);
    }

    /** Each node's status, from its last heartbeat reply. */
    Map<String, RebalanceStatus> statuses() {
        return Map.copyOf(statuses);
    }

    /** Nodes whose data is not yet placed for the ring they were told, or still moving. */
    long rebalancing() {
        return statuses.values().stream()
                .filter(st -> st.running() || !st.targetFingerprint().equals(st.appliedFingerprint())).count();
    }

    /** See {@link Membership#settled}. */
    boolean settled(ClusterView v) {
        String fp = v.ring().fingerprint();
        for (String id : v.ring().nodes()) {
            RebalanceStatus s = statuses.get(id);
            if (s == null || s.running() || !fp.equals(s.appliedFingerprint())) {
                return false;
            }
        }
        return true;
    }

    /** See {@link Membership#lastSettled}. */
    ClusterView lastSettled() {
        return lastSettled;
    }

    /** See {@link Membership#routesAlone}. */
    boolean routesAlone(ClusterView v) {
        ClusterView alone = lastSettled;
        return alone != null && alone.ring().fingerprint().equals(v.ring().fingerprint()) && settled(v);
    }

    /**
     * After a heartbeat round: the first ring seen settled becomes the last settled at once; a new
     * one only once it has stayed settled for the grace.
     *
     * @param warm false while this master warms up (no ring of its own yet)
     */
    void afterRound(ClusterView v, boolean warm, long nowNanos) {
        if (warm && !v.ring().isEmpty() && settled(v)) {
            String fp = v.ring().fingerprint();
            ClusterView before = lastSettled;
            if (before == null || before.ring().fingerprint().equals(fp)) {
                lastSettled = v; // the first ring (no other to route by), or the same one
                settlingFingerprint = null;
            } else if (!fp.equals(settlingFingerprint)) {
                settlingFingerprint = fp;
                settlingSinceNanos = nowNanos;
            } else if (nowNanos - settlingSinceNanos >= graceNanos) {
                lastSettled = v;
                settlingFingerprint = null;
            }
        } else {
            settlingFingerprint = null;
        }
    }
}
