package dev.dcache.aux.cluster;

import dev.dcache.common.cluster.MemberChanges;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.RingSpec;

import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What this aux node hears from masters: their rings and their membership decisions.
 *
 * <p>The node acts on a ring only when <em>every</em> master it has heard from recently (within
 * three of that master's heartbeat intervals) reports the same one; a master still warming up
 * sends no ring and is not counted, and an empty ring is never acted on. While masters disagree (one
 * has ejected a node, another has not yet) nothing moves, so data never ping-pongs between two
 * placements; once they agree, every aux node starts from the same facts and moves only its own
 * records. Masters that keep disagreeing for more than three heartbeat intervals are not
 * converging but split (a partition between some master and some node): each may have placed
 * writes by its own ring, so once they agree again the node re-places every record it holds, even
 * when the ring is the one it had before. Thread-safe.
 */
public final class RingTracker {
    private final InstantSource clock;
    private final MemberChanges changes = new MemberChanges();
    private final Consumer<RingSpec> onAgreement;
    private final Runnable onSplit;
    /** When masters started to disagree, 0 while they agree; guarded by {@code this}. */
    private long disagreeingSince;
    /** A split was reported and not yet healed; guarded by {@code this}. */
    private boolean split;
    /** Last heartbeat per master and when it came; guarded by {@code this}. */
    private final Map<String, Heard> masters = new HashMap<>();
    /** Guarded by {@code this}. */
    private String agreedFingerprint = "";

    /** @param settledSince when this master's heartbeats began to say it writes by its ring alone, -1 while not */
    private record Heard(Heartbeat heartbeat, long atMillis, long settledSince) {
    }

    /**
     * @param onAgreement called (on the heartbeat's thread) each time the agreed ring changes
     * @param onSplit     called once when masters have disagreed for longer than three heartbeat
     *                    intervals (a partition, not a change converging): writes may have been
     *                    placed by different rings, so the next agreement must re-place everything
     */
    public RingTracker(InstantSource clock, Consumer<RingSpec> onAgreement, Runnable onSplit) {
        this.clock = clock;
        this.onAgreement = onAgreement;
        this.onSplit = onSplit;
    }

    /** Records a master's heartbeat and, if the masters now agree on a new ring, reports it. */
    public void heard(Heartbeat hb) {
        changes.merge(hb.changes());
        RingSpec agreed;
        boolean newSplit = false;
        synchronized (this) {
            long now = clock.millis();
            masters.put(hb.master(), new Heard(hb, now, settledSince(masters.get(hb.master()), hb, now)));
            agreed = agreedLocked();
            if (agreed == null) {
                if (disagreeing()) {
                    if (disagreeingSince == 0) {
                        disagreeingSince = now;
                    } else if (!split && now - disagreeingSince > 3 * Math.max(hb.intervalMillis(), 100)) {
                        split = true;
                        newSplit = true;
                        agreedFingerprint = ""; // the next agreement, even on the old ring, re-places everything
                    }
                }
            } else {
                disagreeingSince = 0;
                split = false;
                if (agreed.fingerprint().equals(agreedFingerprint)) {
                    agreed = null;
                } else {
                    agreedFingerprint = agreed.fingerprint();
                }
            }
        }
        if (newSplit) {
            onSplit.run();
        }
        if (agreed != null) {
            onAgreement.accept(agreed);
        }
    }

    private static long settledSince(Heard before, Heartbeat hb, long now) {
        if (hb.ring() == null || !hb.settled()) {
            return -1;
        }
        boolean continued = before != null && before.settledSince() >= 0 && before.heartbeat().ring() != null
                && before.heartbeat().ring().fingerprint().equals(hb.ring().fingerprint());
        return continued ? before.settledSince() : now;
    }

    /**
     * True when every recently heard master routes by the ring {@code fingerprint} and has said for
     * at least {@code forMillis} that it writes by that ring alone (no longer also to the owners
     * under the ring before): records a node took as a former owner will not be read there again.
     */
    public synchronized boolean settledOn(String fingerprint, long forMillis) {
        if (agreedLocked() == null) {
            return false;
        }
        long now = clock.millis();
        for (Heard h : masters.values()) {
            RingSpec r = h.heartbeat().ring();
            if (r == null) {
                continue;
            }
            if (!r.fingerprint().equals(fingerprint) || h.settledSince() < 0 || now - h.settledSince() < forMillis) {
                return false;
            }
        }
        return true;
    }

    /** Two recently heard masters report different non-empty rings. Caller holds the lock. */
    private boolean disagreeing() {
        String seen = null;
        for (Heard h : masters.values()) {
            RingSpec r = h.heartbeat().ring();
            if (r != null && !r.nodes().isEmpty()) {
                if (seen == null) {
                    seen = r.fingerprint();
                } else if (!seen.equals(r.fingerprint())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The ring all recently heard masters agree on, or null when they disagree or none is heard. */
    public synchronized RingSpec agreed() {
        return agreedLocked();
    }

    private RingSpec agreedLocked() {
        long now = clock.millis();
        masters.values().removeIf(h -> now - h.atMillis() > 3 * Math.max(h.heartbeat().intervalMillis(), 100));
        RingSpec ring = null;
        for (Heard h : masters.values()) {
            RingSpec r = h.heartbeat().ring();
            if (r == null) {
                continue; // a master still warming up has no opinion yet
            }
            if (r.nodes().isEmpty()) {
                return null; // no node is up anywhere: nothing can be placed, keep everything
            }
            if (ring == null) {
                ring = r;
            } else if (!ring.fingerprint().equals(r.fingerprint())) {
                return null;
            }
        }
        return ring;
    }

    /**
     * True when some master's last heartbeat is at most two of its intervals old: the masters are
     * running, so handing records over on shutdown will be followed by masters routing around
     * this node. False when every master has gone quiet (the whole cluster is stopping).
     */
    public synchronized boolean mastersAlive() {
        long now = clock.millis();
        return masters.values().stream()
                .anyMatch(h -> now - h.atMillis() <= 2 * Math.max(h.heartbeat().intervalMillis(), 100));
    }

    /** Membership decisions heard so far, to echo back to masters. */
    public MemberChanges changes() {
        return changes;
    }
}
