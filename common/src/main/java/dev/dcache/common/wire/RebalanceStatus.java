package dev.dcache.common.wire;

/**
 * One aux node's rebalancing state, as shown by the masters' admin API.
 *
 * @param appliedFingerprint the ring the node's data is placed for ("" before the first run)
 * @param targetFingerprint  the ring all masters agree on now ("" when they disagree or are silent)
 * @param running            a pass is in progress
 * @param runs               passes completed
 * @param keysMoved          records sent to other nodes, all passes
 * @param keysDropped        records removed after their new owners took them, all passes
 * @param lastDurationMillis duration of the last completed pass
 * @param straysPending      the node may still hold records it took as a former owner while the masters
 *                           also wrote to the owners under the ring before; it sends them to their owners
 *                           and drops them once every master writes by the new ring alone. Masters do not
 *                           wait for it (see {@code Rebalancer}). Absent (older nodes): false
 */
public record RebalanceStatus(String appliedFingerprint, String targetFingerprint, boolean running, long runs,
                              long keysMoved, long keysDropped, long lastDurationMillis, Boolean straysPending) {
    public RebalanceStatus {
        straysPending = straysPending != null && straysPending;
    }

    /** A status without stray records pending. */
    public RebalanceStatus(String appliedFingerprint, String targetFingerprint, boolean running, long runs,
                           long keysMoved, long keysDropped, long lastDurationMillis) {
        this(appliedFingerprint, targetFingerprint, running, runs, keysMoved, keysDropped, lastDurationMillis, false);
    }
}
