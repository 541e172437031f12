package dev.dcache.aux.cluster;

import dev.dcache.aux.metrics.AuxMetrics;
import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.RebalanceStatus;
import dev.dcache.common.wire.RingSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Moves this node's records to where a new ring places them. Each aux node rebalances only what
 * it holds, so the work is done once per record, not once per master.
 *
 * <h2>Design</h2>
 * A pass goes from the ring the node's data was last placed for ({@code applied}, null when
 * unknown: a fresh or restarted node) to the ring all masters agree on ({@code target}). For each
 * record (values and tombstones, with their versions and absolute expiries):
 * <ul>
 *   <li>If this node is no longer an owner, it drops its copy (only if the version is unchanged:
 *   a newer write that raced the pass is kept). When no old owner stays an owner (or the old
 *   placement is unknown), it first sends the record to every new owner and drops only once all
 *   of them acknowledged.</li>
 *   <li>If this node stays an owner and the owner set changed, the first of the owners that
 *   stayed sends it to the owners that are new; the others do nothing, so each record crosses the
 *   network once per new owner.</li>
 *   <li>If the old placement is unknown, it sends the record to all other owners and drops
 *   nothing (a record it does not own is dropped by the next pass, once the placement is
 *   known).</li>
 *   <li>A record this node holds but did not own under the old ring reached it under the new
 *   one (a write, or a peer's pass): it is not sent anywhere, so nothing travels back.</li>
 * </ul>
 * Receivers apply records by version, so a returning node's older values never overwrite newer
 * ones and tombstones keep deleted keys deleted. Only records whose owners changed move. A pass
 * that could not reach some owner keeps those records and is retried; {@code applied} advances
 * only when a pass completes.
 *
 * <p><b>Strays.</b> While the masters' new ring is not settled (some node has not placed its data
 * for it yet), masters write each key to its owners under the new ring <em>and</em> under the
 * last settled one, so a master still reading by the old ring sees the write. A node that already
 * finished its pass therefore keeps taking records it no longer owns. Once every master says it
 * writes by the new ring alone ({@link RingTracker#settledOn}), {@link #sweepStrays} sends each
 * record the node does not own to its owners (they apply by version, so a copy they already have
 * changes nothing) and drops it if no newer write raced the sweep. The masters do not wait for the
 * sweep ({@link RebalanceStatus#straysPending()} is for operators and tests), so there is no cycle
 * between "settled" and "swept".
 *
 * <p>Threading: passes run one at a time on the caller's thread ({@link #run}); status reads are
 * lock-free.
 */
public final class Rebalancer implements AuxMetrics.RebalanceReadings {
    private static final Logger log = LoggerFactory.getLogger(Rebalancer.class);
    private static final int CHUNK = 2000;

    private final String selfId;
    private final LruCache cache;
    private final AuxClient peers;

    private final Consumer<List<Entry>> movedSink;
    private volatile RingSpec applied;
    private volatile RingSpec cleanupFor;
    /** The ring reached by the last pass, until records taken as a former owner meanwhile are swept; or null. */
    private volatile RingSpec straysFor;
    private volatile RingSpec target;
    private volatile boolean running;
    private final AtomicLong runs = new AtomicLong();
    /** Bumped by {@link #forgetPlacement}, so a pass that was running then does not mark its ring applied. */
    private final AtomicLong placementEpoch = new AtomicLong();
    private final AtomicLong moved = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile long lastDurationMillis;
    private final InstantSource clock;

    /**
     * @param movedSink    receives each chunk of records that reached their new owners (the
     *                     masters' backup)
     * @param clock        times each pass, for its log line and {@link #lastDurationMillis}
     */
    public Rebalancer(String selfId, LruCache cache, AuxClient peers, Consumer<List<Entry>> movedSink,
                      InstantSource clock) {
        this.selfId = selfId;
        this.cache = cache;
        this.peers = peers;
        this.movedSink = movedSink;
        this.clock = clock;
    }

    /**
     * Sets the target and, when the node holds no records, marks it placed at once (nothing can
     * be misplaced), so the heartbeat reply that delivered the ring already says so.
     *
     * @return true when nothing is left to do
     */
    public boolean targetAndPlaceIfEmpty(RingSpec ring) {
        this.target = ring;
        if (cache.size() == 0 && !running) {
            applied = ring;
            straysFor = ring; // it may yet take writes as a former owner
            cleanupFor = null;
            return true;
        }
        return false;
    }

    /** True when the node's data is not yet placed for the target ring. */
    @Override
    public boolean pending() {
        RingSpec t = target;
        RingSpec a = applied;
        return t != null && (a == null || !a.fingerprint().equals(t.fingerprint()));
    }

    /** The last target ring (what masters agreed on), or null. */
    public RingSpec targetRing() {
        return target;
    }

    /** The ring this node's data is placed for, or null. */
    public RingSpec appliedRing() {
        return applied;
    }

    /**
     * Runs one pass towards the current target.
     *
     * @return true when the pass completed (every record is where the target ring wants it)
     */
    public boolean run() {
        RingSpec to = target;
        if (to == null) {
            return true;
        }
        RingSpec from = applied;
        long epoch = placementEpoch.get();
        if (from == null && cache.size() == 0) {
            applied = to; // nothing held, so nothing can be misplaced
            straysFor = to;
            log.info("rebalance: no records held, data placed for ring {}", to.fingerprint());
            return true;
        }
        boolean complete = pass(from, to);
        if (complete && to == target && epoch == placementEpoch.get()) {
            applied = to;
            straysFor = to;
            if (from == null) {
                cleanupFor = to; // copies it does not own are dropped a few seconds later, if this ring holds
            }
        }
        return complete;
    }

    /**
     * Hands every record to its owners under {@code to}, a ring without this node: used when the
     * node shuts down gracefully. With {@code drop} false the records are copied and kept, so the
     * node still answers reads while masters route to it.
     *
     * @return true when every record reached its owners
     */
    public boolean handOff(RingSpec to, boolean drop) {
        return pass(applied, to, drop);
    }

    /** True when a pass from an unknown placement left copies this node may not own. */
    public boolean cleanupPending() {
        return cleanupFor != null;
    }

    /**
     * Drops the records this node does not own under the ring it is placed for, if that is still
     * the ring a pass from an unknown placement targeted (their owners were sent them then). Run
     * a while after that pass, so a ring the masters agreed on only while nodes were still
     * starting never costs the only copy of a record.
     */
    public void cleanUp() {
        RingSpec ring = cleanupFor;
        cleanupFor = null;
        if (ring != null && ring == applied && ring == target) {
            pass(ring, ring, true);
        }
    }

    /** True when records taken as a former owner while the masters' ring was settling may be held. */
    public boolean straysPending() {
        return straysFor != null;
    }

    /** The ring strays are pending for (see {@link #straysPending}), or null. */
    public RingSpec straysRing() {
        return straysFor;
    }

    /**
     * Sends every record this node does not own under the ring it is placed for to that ring's
     * owners and drops it (see the class comment), if that ring is still the target and no
     * clean-up is pending. Call only once every master writes by that ring alone.
     *
     * @param stillSettled asked before each chunk's drops: false when the masters no longer all write
     *                     by that ring alone (the sweep then stops, dropping nothing more)
     * @return true when done (or nothing to do); false when some owner was unreachable (kept, retry later)
     */
    public boolean sweepStrays(java.util.function.BooleanSupplier stillSettled) {
        RingSpec ring = straysFor;
        if (ring == null || ring != applied || ring != target || cleanupFor != null) {
            return ring == null;
        }
        // checked again before each chunk's drops: a new ring may have come meanwhile, under which
        // this node owns some of these records (and masters write them here before it hears so)
        sweepValid = () -> target == ring && applied == ring && stillSettled.getAsBoolean();
        try {
            boolean complete = pass(ring, ring, true, true);
            if (complete && straysFor == ring) {
                straysFor = null;
            }
            return complete;
        } finally {
            sweepValid = null;
        }
    }

    /** While a sweep runs: whether its ring still holds; see {@link #sweepStrays}. */
    private volatile java.util.function.BooleanSupplier sweepValid;

    /** Forgets where the data is placed, so the next pass re-places every record (see {@link RingTracker}). */
    public void forgetPlacement() {
        placementEpoch.incrementAndGet();
        applied = null;
    }

    private boolean pass(RingSpec from, RingSpec to) {
        return pass(from, to, true, false);
    }

    private boolean pass(RingSpec from, RingSpec to, boolean drop) {
        return pass(from, to, drop, false);
    }

    /**
     * @param strays sweep mode: send every record not owned under {@code to} to its owners before
     *               dropping it; does not show as running, so masters do not see the ring unsettled
     */
    private boolean pass(RingSpec from, RingSpec to, boolean drop, boolean strays) {
        if (to.nodes().isEmpty()) {
            return false; // nowhere to put anything: keep every record
        }
        if (!strays) {
            running = true; // a sweep does not show: masters must not see the ring unsettled for it
        }
        long start = clock.millis();
        Map<String, NodeAddress> addresses = new HashMap<>();
        to.nodes().forEach(n -> addresses.put(n.id(), n));
        HashRing newRing = to.toRing();
        HashRing oldRing = from == null ? null : from.toRing();
        int rf = to.replicationFactor();
        long[] counts = new long[3]; // examined, sent, dropped
        boolean[] complete = {true};
        List<Entry> chunk = new ArrayList<>(CHUNK);
        cache.forEach(e -> {
            chunk.add(e);
            if (chunk.size() == CHUNK) {
                complete[0] &= moveChunk(chunk, oldRing, newRing, rf, from == null ? 0 : from.replicationFactor(),
                        addresses, counts, drop, strays);
                chunk.clear();
            }
        });
        if (!chunk.isEmpty()) {
            complete[0] &= moveChunk(chunk, oldRing, newRing, rf, from == null ? 0 : from.replicationFactor(),
                    addresses, counts, drop, strays);
        }
        long ms = Math.max(0, clock.millis() - start); // a wall-clock step back must not give a negative time
        if (!strays) {
            running = false;
        }
        runs.incrementAndGet();
        lastDurationMillis = ms;
        log.info("{} {} -> {}: examined {} records, sent {} copies, dropped {}, {} ms{}",
                strays ? "stray sweep" : "rebalance", from == null ? "unknown" : from.fingerprint(), to.fingerprint(), counts[0], counts[1], counts[2], ms,
                complete[0] ? "" : " (incomplete: some owners unreachable, will retry)");
        return complete[0];
    }

    private boolean moveChunk(List<Entry> chunk, HashRing oldRing, HashRing newRing, int rf, int oldRf,
                              Map<String, NodeAddress> addresses, long[] counts, boolean drop, boolean strays) {
        Map<String, List<Entry>> perTarget = new LinkedHashMap<>();
        List<Entry> toDrop = new ArrayList<>();
        Map<Entry, List<String>> dropNeeds = new HashMap<>();
        for (Entry e : chunk) {
            counts[0]++;
            long h = newRing.hashOf(e.key());
            List<String> owners = newRing.ownersOfHash(h, rf);
            List<String> oldOwners = oldRing == null ? null : oldRing.ownersOfHash(h, oldRf);
            List<String> staying = oldOwners == null ? List.of()
                    : owners.stream().filter(oldOwners::contains).toList();
            List<String> targets;
            if (!owners.contains(selfId)) {
                // leaving owner: a staying owner copies the record to the new ones; without one
                // (or without knowing), this node must; a stray may be newer than the owners' copy
                targets = staying.isEmpty() || strays ? owners : List.of();
                toDrop.add(e);
                dropNeeds.put(e, targets);
            } else if (oldOwners == null) {
                targets = new ArrayList<>(owners); // placement unknown: tell the other owners
                targets.remove(selfId);
            } else if (!oldOwners.contains(selfId)) {
                continue; // it reached this new owner under the new ring: from a write or a peer's pass
            } else if (oldOwners.equals(owners) || !staying.get(0).equals(selfId)) {
                continue; // unchanged, or another staying owner copies it
            } else {
                targets = owners.stream().filter(o -> !oldOwners.contains(o)).toList();
            }
            for (String t : targets) {
                perTarget.computeIfAbsent(t, x -> new ArrayList<>()).add(e);
            }
        }
        Set<String> failed = new HashSet<>();
        Set<Entry> delivered = new java.util.LinkedHashSet<>();
        for (Map.Entry<String, List<Entry>> batch : perTarget.entrySet()) {
            NodeAddress node = addresses.get(batch.getKey());
            try {
                peers.putBatch(node, batch.getValue());
                counts[1] += batch.getValue().size();
                moved.addAndGet(batch.getValue().size());
                delivered.addAll(batch.getValue());
            } catch (AuxCallException ex) {
                failed.add(batch.getKey());
                log.warn("rebalance: cannot send {} records to {}: {}", batch.getValue().size(), node, ex.getMessage());
            }
        }
        if (!delivered.isEmpty() && !strays) {
            movedSink.accept(new ArrayList<>(delivered)); // strays were backed up when they first moved
        }
        if (strays) {
            java.util.function.BooleanSupplier valid = sweepValid;
            if (valid != null && !valid.getAsBoolean()) {
                return false; // the ring changed: drop nothing, the next pass places these records
            }
        }
        // from an unknown placement nothing is dropped: the target ring may be a passing one
        // (nodes still starting), and a copy could be the only one left
        for (Entry e : drop && oldRing != null ? toDrop : List.<Entry>of()) {
            if (dropNeeds.get(e).stream().noneMatch(failed::contains) && cache.drop(e.key(), e.version())) {
                counts[2]++;
                dropped.incrementAndGet();
            }
        }
        return failed.isEmpty();
    }

    /** Current state, for heartbeats and metrics. */
    public RebalanceStatus status() {
        RingSpec a = applied;
        RingSpec t = target;
        // copies awaiting the clean-up pass count as not yet placed
        return new RebalanceStatus(a == null || cleanupFor != null ? "" : a.fingerprint(), t == null ? "" : t.fingerprint(),
                running,
                runs.get(), moved.get(), dropped.get(), lastDurationMillis, straysFor != null);
    }

    @Override
    public boolean running() {
        return running;
    }

    @Override
    public long runs() {
        return runs.get();
    }

    @Override
    public long keysMoved() {
        return moved.get();
    }

    @Override
    public long keysDropped() {
        return dropped.get();
    }

    @Override
    public long lastDurationMillis() {
        return lastDurationMillis;
    }
}
