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
 */
public record Heartbeat(String master, long intervalMillis, RingSpec ring, List<MemberChange> changes, int port,
                        String nonce, Boolean nearCache) {
    public Heartbeat {
        nearCache = nearCache != null && nearCache;
    }
}
