package dev.dcache.master.health;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * How each aux node's heartbeats have gone lately, and what that means for its place on the ring:
 * {@code failureThreshold} failed probes in a row eject an up node (once the caller says it may),
 * {@code successThreshold} good ones in a row re-admit a down node, and a node that answers
 * "draining" is ejected at once. A run is required both ways, so a flapping node does not churn
 * the ring. A failed call on a real request makes the node <em>suspect</em> (readers try its
 * co-owners first) and counts as one failed probe; a burst of such failures counts once, until a
 * heartbeat succeeds again.
 *
 * <p>This class only decides; the membership applies the verdicts and publishes the ring.
 * {@link #probe} and {@link #track}/{@link #retain} are called under the membership's lock;
 * {@link #isSuspect} is read by request threads.
 */
public final class Health {
    /** What one heartbeat to a node found. */
    public enum Probe { ANSWERED, DRAINING, FAILED }

    /**
     * A change of a node's place on the ring.
     *
     * @param up  true: re-admit it; false: eject it
     * @param why for the log
     */
    public record Verdict(boolean up, String why) {
    }

    private final int failureThreshold;
    private final int successThreshold;
    /** Consecutive failures [0] and successes [1] per node; guarded by the caller's lock. */
    private final Map<String, int[]> streaks = new TreeMap<>();
    private final Set<String> suspects = ConcurrentHashMap.newKeySet();
    private final LongAdder failures = new LongAdder();

    public Health(int failureThreshold, int successThreshold) {
        this.failureThreshold = failureThreshold;
        this.successThreshold = successThreshold;
    }

    /** Starts a fresh record for a node that is new, or known at a new address. */
    public void track(String id) {
        streaks.put(id, new int[2]);
    }

    /** Forgets every node but these. */
    public void retain(Set<String> ids) {
        streaks.keySet().retainAll(ids);
    }

    /**
     * Applies one probe of a tracked node, {@code up} or not now.
     *
     * @param mayEject asked only before an ejection for failures: whether the node may leave the
     *                 ring now (it has been fenced)
     * @return the change to make, or null for none (or when the node is not tracked)
     */
    public Verdict probe(String id, boolean up, Probe probe, BooleanSupplier mayEject) {
        int[] streak = streaks.get(id);
        if (streak == null) {
            return null; // removed meanwhile
        }
        switch (probe) {
            case DRAINING -> {
                streak[1] = 0;
                streak[0] = failureThreshold;
                return up ? new Verdict(false, "it is draining (graceful shutdown)") : null;
            }
            case ANSWERED -> {
                suspects.remove(id);
                streak[0] = 0;
                streak[1]++;
                return !up && streak[1] >= successThreshold
                        ? new Verdict(true, streak[1] + " good heartbeats in a row") : null;
            }
            default -> {
                failures.increment();
                streak[1] = 0;
                streak[0]++;
                // off the ring means written without: only once the node refuses reads by itself
                return up && streak[0] >= failureThreshold && mayEject.getAsBoolean()
                        ? new Verdict(false, streak[0] + " failed heartbeats in a row") : null;
            }
        }
    }

    /**
     * Marks the node suspect after a failed call.
     *
     * @return true when it was not suspect yet: the failure counts as a failed probe
     */
    public boolean suspect(String id) {
        return suspects.add(id);
    }

    /** True when a recent call to the node failed and no heartbeat has succeeded since. */
    public boolean isSuspect(String id) {
        return !suspects.isEmpty() && suspects.contains(id);
    }

    /** Failed heartbeats and failed calls counted against tracked nodes, since start. */
    public long failures() {
        return failures.sum();
    }
}
