package dev.dcache.aux.cluster;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.aux.recovery.Readiness;
import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.HttpAuxClient;
import dev.dcache.common.cluster.TokenProof;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.HeartbeatReply;
import dev.dcache.common.wire.RingSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * This aux node's part in the cluster: answers masters' heartbeats, rebalances its records when
 * the masters agree on a new ring, and hands everything over when the node shuts down.
 *
 * <p>Graceful shutdown ({@link #drain}): the node reports "draining" in its heartbeat replies, so
 * every master ejects it on its next heartbeat; meanwhile it copies every record to its owners
 * under the ring without it (keeping them, since masters still route reads here until they eject
 * it), waits (bounded) until the masters route without it, then sends once more to catch writes
 * that arrived in between and drops what the owners took. Receivers apply by version, so sending twice is
 * harmless. With RF=1 no acknowledged write is lost. When no master has been heard for two
 * heartbeat intervals the whole cluster is stopping ({@code bin/cluster down} stops masters
 * first): then nothing is handed over and the node keeps its records for its snapshot.
 */
public final class ClusterAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterAgent.class);

    private final String selfId;
    private final int binaryPort;
    private final RingTracker tracker;
    private final Rebalancer rebalancer;
    private final ExecutorService worker;
    private final LruCache cache;
    private final Readiness readiness;
    private final HttpAuxClient peers;
    private final String token;
    /** Where each master heard from takes backups; any one of them will do. */
    private final java.util.Map<String, NodeAddress> backupTargets = new java.util.concurrent.ConcurrentHashMap<>();
    /** Masters that keep a near cache, by id, with when each was last heard; listed in heartbeat replies. */
    private final java.util.Map<String, NearCacheMaster> nearCacheMasters = new java.util.concurrent.ConcurrentHashMap<>();
    private final InstantSource clock;

    private record NearCacheMaster(NodeAddress address, long heardAtMillis, long intervalMillis) {
        boolean heardWithinThreeIntervals(long now) {
            return now - heardAtMillis <= 3 * Math.max(intervalMillis, 100);
        }
    }
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicBoolean sweepScheduled = new AtomicBoolean();
    private volatile boolean draining;
    /** How long a ring reached from an unknown placement must hold before copies not owned are dropped. */
    private static final Duration CLEANUP_DELAY = Duration.ofSeconds(3);
    private volatile boolean closed;

    /**
     * @param readiness told of every heartbeat; decides whether the node serves reads
     * @param token     the cluster token, proven to masters in heartbeat replies; null for none
     */
    public ClusterAgent(String selfId, int binaryPort, LruCache cache, Readiness readiness, HttpAuxClient peers,
                        InstantSource clock, String token) {
        this.selfId = selfId;
        this.readiness = readiness;
        this.clock = clock;
        this.token = token;
        this.binaryPort = binaryPort;
        this.cache = cache;
        this.peers = peers;
        this.rebalancer = new Rebalancer(selfId, cache, peers, this::backUp, clock);
        this.tracker = new RingTracker(clock, this::onAgreement, this::onSplit);
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "rebalancer");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Handles one master heartbeat.
     *
     * @param fromHost the address the heartbeat came from: with its port, where this master takes backups
     */
    public HeartbeatReply onHeartbeat(Heartbeat hb, String fromHost) {
        NodeAddress master = hb.port() > 0 && fromHost != null ? new NodeAddress(hb.master(), fromHost, hb.port()) : null;
        if (master != null) {
            backupTargets.put(hb.master(), master);
        }
        readiness.heard(hb.master(), hb.seq(), hb.intervalMillis(), hb.fenced());
        tracker.heard(hb);
        maybeSweepStrays(hb.intervalMillis());
        return new HeartbeatReply(draining ? "draining" : "up", selfId, binaryPort, tracker.changes().all(),
                rebalancer.status(), cache.size(), TokenProof.prove(token, hb.nonce()),
                nearCacheMasters(hb, master), readiness.serving());
    }

    /**
     * Records whether {@code hb}'s master keeps a near cache and lists every such master heard
     * recently: how masters, which do not know each other, find where to push invalidations.
     */
    private List<NodeAddress> nearCacheMasters(Heartbeat hb, NodeAddress master) {
        long now = clock.millis();
        if (Boolean.TRUE.equals(hb.nearCache()) && master != null) {
            nearCacheMasters.put(hb.master(), new NearCacheMaster(master, now, hb.intervalMillis()));
        } else {
            nearCacheMasters.remove(hb.master());
        }
        nearCacheMasters.values().removeIf(m -> !m.heardWithinThreeIntervals(now));
        return nearCacheMasters.values().stream().map(NearCacheMaster::address).toList();
    }

    /**
     * Sends records this node just moved to a master's backup. Best effort: the move itself
     * already succeeded, so a failure here is logged, not retried.
     */
    private void backUp(List<Entry> moved) {
        for (NodeAddress master : backupTargets.values()) {
            try {
                peers.backup(master, moved);
                return;
            } catch (AuxCallException e) {
                log.debug("backup to {} failed: {}", master, e.getMessage());
            }
        }
        if (!backupTargets.isEmpty()) {
            log.warn("could not back up {} moved records: no master reachable", moved.size());
        }
    }

    public Rebalancer rebalancer() {
        return rebalancer;
    }

    /** The ring every master heard from recently agrees on, or null. */
    public RingSpec agreedRing() {
        return tracker.agreed();
    }

    /**
     * The node caught up (see {@code Readiness}): a rebalance held back while it was rebuilding may
     * run now.
     */
    public void caughtUp() {
        if (!closed && !draining && rebalancer.pending()) {
            schedule();
        }
    }

    public boolean draining() {
        return draining;
    }

    private void onAgreement(RingSpec ring) {
        if (draining) {
            return;
        }
        log.info("masters agree on ring {} ({} nodes: {})", ring.fingerprint(), ring.nodes().size(),
                ring.nodes().stream().map(NodeAddress::id).toList());
        if (!rebalancer.targetAndPlaceIfEmpty(ring)) {
            schedule();
        }
    }

    private void onSplit() {
        log.warn("masters have disagreed on the ring for more than three heartbeat intervals;"
                + " records will be re-placed once they agree");
        rebalancer.forgetPlacement();
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            worker.execute(this::work);
        }
    }

    private void work() {
        try {
            int attempt = 0;
            // a rebuilding node's records may be long deleted elsewhere: handed to no one until checked
            while (!closed && !draining && rebalancer.pending() && !readiness.rebuilding()) {
                if (!rebalancer.run()) {
                    sleep(Math.min(5000, 250L << Math.min(attempt++, 4)));
                }
            }
        } catch (RuntimeException e) {
            log.error("rebalance failed", e);
        } finally {
            scheduled.set(false);
            if (!closed && !draining && rebalancer.pending() && !readiness.rebuilding()) {
                schedule();
            } else if (!closed && rebalancer.cleanupPending()) {
                CompletableFuture.delayedExecutor(CLEANUP_DELAY.toMillis(), TimeUnit.MILLISECONDS, worker)
                        .execute(this::cleanUp);
            }
        }
    }

    /**
     * Schedules a stray sweep (see {@link Rebalancer#sweepStrays}) once every master has written by
     * the ring this node is placed for alone for {@link #STRAY_SETTLE} (at least three heartbeat
     * intervals), so writes a master sent to former owners before it settled, retried up to their
     * deadline ({@code WRITE_TIMEOUT_MS}, 6.25 s by default), have landed. After a sweep that could
     * not reach some owner, the next waits {@link #STRAY_RETRY}.
     */
    private void maybeSweepStrays(long intervalMillis) {
        RingSpec ring = rebalancer.straysRing();
        long settle = Math.max(STRAY_SETTLE.toMillis(), 3 * intervalMillis);
        if (ring == null || closed || draining || readiness.rebuilding() || rebalancer.pending()
                || clock.millis() < nextSweepMillis
                || !tracker.settledOn(ring.fingerprint(), settle)
                || !sweepScheduled.compareAndSet(false, true)) {
            return;
        }
        worker.execute(() -> {
            try {
                if (!closed && !draining && !rebalancer.pending()
                        && !rebalancer.sweepStrays(() -> tracker.settledOn(ring.fingerprint(), settle))) {
                    nextSweepMillis = clock.millis() + STRAY_RETRY.toMillis();
                }
            } catch (RuntimeException e) {
                log.error("stray sweep failed", e);
            } finally {
                sweepScheduled.set(false);
            }
        });
    }

    /** How long every master must have written by a ring alone before strays are swept. */
    static final Duration STRAY_SETTLE = Duration.ofSeconds(7);
    /** The wait after a sweep that could not reach some owner. */
    private static final Duration STRAY_RETRY = Duration.ofSeconds(5);
    /** No sweep starts before this (the injected clock's millis). */
    private volatile long nextSweepMillis;

    private void cleanUp() {
        if (!closed && !draining && !rebalancer.pending() && !readiness.rebuilding()) {
            try {
                rebalancer.cleanUp();
            } catch (RuntimeException e) {
                log.error("rebalance clean-up failed", e);
            }
        }
    }

    /**
     * Hands every record to the owners under the ring without this node. Bounded by {@code max}.
     *
     * @return true when the hand-off completed
     */
    public boolean drain(Duration max) {
        draining = true;
        long deadline = clock.millis() + max.toMillis();
        if (!tracker.mastersAlive()) {
            // the masters are gone (the whole cluster is stopping): moving records between nodes
            // that are all about to stop would only scatter them; each keeps its own snapshot
            log.info("draining: no master heard recently; keeping records for the snapshot");
            return false;
        }
        RingSpec known = tracker.agreed() != null ? tracker.agreed() : rebalancer.targetRing();
        if (known == null) {
            log.warn("draining: no ring known from masters; nothing handed off");
            return false;
        }
        if (readiness.rebuilding()) {
            log.warn("draining: this node's records were never checked against its peers; nothing handed off");
            return false;
        }
        if (known.replicationFactor() > 1) {
            // other owners hold every key: reads go there, never to a copy the hand-off may leave behind
            readiness.drain();
        }
        List<NodeAddress> others = known.nodes().stream().filter(n -> !n.id().equals(selfId)).toList();
        if (others.isEmpty()) {
            log.warn("draining: this is the only node on the ring; nothing to hand off to");
            return false;
        }
        String fp = new HashRing(others.stream().map(NodeAddress::id).toList(), known.vnodes(),
                dev.dcache.common.hash.HashFunction.FNV1A_MIX).fingerprint();
        RingSpec without = new RingSpec(others, known.replicationFactor(), known.vnodes(), fp);
        waitForWorker(deadline);
        log.info("draining: copying records to {} (ring {})", others.stream().map(NodeAddress::id).toList(), fp);
        // first copy and keep: masters still route reads here until they eject this node
        boolean ok = rebalancer.handOff(without, false);
        while (clock.millis() < deadline) {
            RingSpec agreed = tracker.agreed();
            if (agreed != null && agreed.nodes().stream().noneMatch(n -> n.id().equals(selfId))) {
                break; // every master routes without this node now
            }
            if (!tracker.mastersAlive()) {
                break;
            }
            sleep(100);
        }
        if (!tracker.mastersAlive()) {
            // the masters stopped meanwhile (the whole cluster is stopping, masters first): the other
            // nodes are stopping too, maybe draining into this one; dropping what they took would
            // leave every snapshot without those records. Keep them: the copies sent are harmless.
            log.info("draining: the masters went quiet; keeping records for the snapshot");
            return false;
        }
        // then send again (writes that arrived in between) and drop what the owners took
        ok &= rebalancer.handOff(without, true);
        log.info("draining: hand-off {}", ok ? "complete" : "INCOMPLETE (some owners unreachable)");
        return ok;
    }

    private void waitForWorker(long deadline) {
        while ((rebalancer.running() || sweepScheduled.get()) && clock.millis() < deadline) {
            sleep(50);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        worker.shutdownNow();
    }
}
