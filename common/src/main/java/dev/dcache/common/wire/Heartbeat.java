package dev.dcache.common.wire;

import java.util.List;

/**
 * What a master sends every health interval to each aux node it knows ({@code POST
 * /internal/heartbeat}): it doubles as the health probe, tells the node the master's ring, and
 * carries the master's membership decisions for gossip.
 *
 * @param master           the master's id
 * @param intervalMillis   the master's heartbeat interval; a master silent for three is forgotten
 * @param ring             the ring the master routes by
 * @param changes          the master's operator membership decisions
 * @param port             the master's HTTP port; with the heartbeat's source address it is where aux
 *                         nodes send the records they move, for the master's backup
 * @param nonce            fresh per heartbeat; the node answers with a proof that it knows the token
 * @param nearCache        the master keeps a near cache and takes invalidations pushed by other masters
 *                         ({@link InternalPaths#INVALIDATE}); the node lists it in
 *                         {@link HeartbeatReply#nearCacheMasters()}. Absent (older masters): false. A
 *                         {@code Boolean}, not a {@code boolean}: the mapper refuses a missing primitive
 * @param seq              increases with every heartbeat round of this master, so a node that gets two
 *                         of them out of order (a delayed one) acts on the newer; absent (older
 *                         masters): 0
 * @param fenced           the master may acknowledge writes this node did not take (it routes without
 *                         the node, or gave up reaching it): the node must not serve reads until this
 *                         master says so no longer and the node has caught up from its peers. See
 *                         {@code dev.dcache.aux.recovery.Readiness}. Absent (older masters): false
 * @param settled          the master writes only to the owners under {@code ring}: every node reported its
 *                         data placed for it, so the master no longer also writes to the owners under the
 *                         ring before. A node that took such writes as a former owner may drop them once
 *                         every master says so. Absent (older masters, which never do): true
 */
public record Heartbeat(String master, long intervalMillis, RingSpec ring, List<MemberChange> changes, int port,
                        String nonce, Boolean nearCache, Long seq, Boolean fenced, Boolean settled) {
    public Heartbeat {
        nearCache = nearCache != null && nearCache;
        seq = seq == null ? 0L : seq;
        fenced = fenced != null && fenced;
        settled = settled == null || settled;
    }

    /** A heartbeat of a master that neither numbers its rounds nor fences nodes (tests, older masters). */
    public Heartbeat(String master, long intervalMillis, RingSpec ring, List<MemberChange> changes, int port,
                     String nonce, Boolean nearCache) {
        this(master, intervalMillis, ring, changes, port, nonce, nearCache, 0L, false, true);
    }

    /** This heartbeat for one node, saying whether the master fences it. */
    public Heartbeat withFenced(boolean fence) {
        return fence == fenced ? this : new Heartbeat(master, intervalMillis, ring, changes, port, nonce, nearCache, seq, fence,
                settled);
    }
}
