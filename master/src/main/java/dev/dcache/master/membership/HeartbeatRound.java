package dev.dcache.master.membership;

import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.HeartbeatReply;
import dev.dcache.common.wire.RingSpec;
import dev.dcache.master.fencing.Fences;
import dev.dcache.master.ring.ClusterView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * One heartbeat round: a heartbeat to every member and every departed node, in parallel, each on
 * its own virtual thread and bounded by the probe timeouts. The heartbeat is the health probe, and
 * it carries what the nodes must know of this master: the ring it routes by (none while warming
 * up), whether that ring is settled, the operator decisions it knows, its HTTP port, whether it
 * keeps a near cache, whether the node is fenced, a nonce to prove the cluster token against, and
 * the round's number, so a node acts on the newest of two that arrive out of order. Every master
 * probes on the same interval, so after a change they converge within about one interval.
 *
 * <p>From each member's reply the round records what the node said of itself ({@link NodeReports},
 * {@link Placement}), the operator decisions and near-cache masters it lists, and tells the fences it
 * answered; then it hands the outcome to the caller, member by member as the replies come in. A
 * departed node ({@link Departures}) is heartbeated until its reply says its records are placed for
 * the ring sent, or its grace passes. Rounds do not overlap: one thread runs them.
 */
final class HeartbeatRound implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HeartbeatRound.class);

    /** What a round sends and records into; the same for every round. */
    record Parts(HeartbeatCall call, Fences fences, MemberSet members, Departures departures, NodeReports reports,
                 Placement placement, NearCachePeers peers) {
    }

    private final String masterId;
    private final long intervalMillis;
    private final Parts parts;
    private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();
    /** Numbers this master's heartbeat rounds. */
    private final AtomicLong rounds = new AtomicLong();
    private volatile int port;

    HeartbeatRound(String masterId, long intervalMillis, Parts parts) {
        this.masterId = masterId;
        this.intervalMillis = intervalMillis;
        this.parts = parts;
    }

    /** The port this master's HTTP API listens on, for later heartbeats. */
    void advertisePort(int port) {
        this.port = port;
    }

    /**
     * Runs one round over the members of {@code current}.
     *
     * @param ring    the ring to tell the nodes, or null while warming up
     * @param settled whether this master routes writes by that ring alone
     * @param probed  called with each member's id and reply (null when the probe failed), in turn
     * @return true when a reply brought operator decisions new to this master
     */
    boolean run(ClusterView current, RingSpec ring, boolean settled, BiConsumer<String, HeartbeatReply> probed) {
        Fences fences = parts.fences();
        Heartbeat hb = new Heartbeat(masterId, intervalMillis, ring, parts.members().changes(), port,
                parts.call().nonce(), parts.peers().advertised(), rounds.incrementAndGet(), false, settled);
        List<String> ids = new ArrayList<>(current.members().keySet());
        List<Future<HeartbeatReply>> replies = new ArrayList<>(ids.size());
        boolean[] flagged = new boolean[ids.size()];
        long sentNanos = fences.now();
        for (int i = 0; i < ids.size(); i++) {
            NodeAddress a = current.members().get(ids.get(i));
            flagged[i] = fences.flag(a.id());
            Heartbeat toNode = hb.withFenced(flagged[i]);
            replies.add(probes.submit(() -> parts.call().send(a, toNode)));
        }
        List<Departures.Departed> leaving = parts.departures().all();
        List<Future<HeartbeatReply>> leavingReplies = new ArrayList<>(leaving.size());
        for (Departures.Departed d : leaving) {
            leavingReplies.add(probes.submit(() -> parts.call().send(d.address(), hb)));
        }
        boolean learned = false;
        Map<String, NodeAddress> peers = null;
        for (int i = 0; i < ids.size(); i++) {
            HeartbeatReply reply = await(replies.get(i));
            if (reply != null) {
                fences.answered(ids.get(i), sentNanos, flagged[i]);
                parts.reports().replied(ids.get(i), reply);
                peers = parts.peers().add(peers, reply.nearCacheMasters());
                learned |= parts.members().merge(reply.changes());
                if (reply.rebalance() != null) {
                    parts.placement().report(ids.get(i), reply.rebalance());
                }
            }
            probed.accept(ids.get(i), reply);
        }
        for (int i = 0; i < leaving.size(); i++) {
            handOver(leaving.get(i), await(leavingReplies.get(i)), ring);
        }
        parts.peers().roundOver(peers);
        return learned;
    }

    /** Stops heartbeating a departed node once it has handed its records over, or its grace has passed. */
    private void handOver(Departures.Departed d, HeartbeatReply reply, RingSpec ring) {
        boolean handedOver = reply != null && reply.rebalance() != null && ring != null
                && reply.rebalance().appliedFingerprint().equals(ring.fingerprint());
        if (handedOver || parts.fences().now() - d.sinceNanos() > Departures.GRACE_NANOS) {
            parts.departures().forget(d.address().id());
            log.info("departed aux {} {}", d.address().id(), handedOver ? "handed its records over" : "given up on");
        }
    }

    private static HeartbeatReply await(Future<HeartbeatReply> reply) {
        try {
            return reply.get();
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public void close() {
        probes.shutdownNow();
    }
}
