package dev.dcache.aux.cluster;

import dev.dcache.aux.metrics.AuxMetrics;
import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.RebalanceStatus;
import dev.dcache.common.wire.RingSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
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
 * <p>This class keeps the placement state (target, applied, clean-up and strays pending) and decides
 * which pass runs; {@link RecordMover} carries out a pass, record by record, by the rules above.
 *
 * <p>Threading: passes run one at a time on the caller's thread ({@link #run}); status reads are
 * lock-free.
 */
public final class Rebalancer implements AuxMetrics.RebalanceReadings {
    private static final Logger log = LoggerFactory.getLogger(Rebalancer.class);

    private final LruCache cache;
    private final RecordMover mover;
    private volatile RingSpec applied;
    private volatile RingSpec cleanupFor;
    /** The ring reached by the last pass, until records taken as a former owner meanwhile are swept; or null. */
    private volatile RingSpec straysFor;
    private volatile RingSpec target;
    private volatile boolean running;
    private final AtomicLong runs = new AtomicLong();
    /** Bumped by {@link #forgetPlacement}, so a pass that was running then does not mark its ring applied. */
    private final AtomicLong placementEpoch = new AtomicLong();
    private volatile long lastDurationMillis;
    private final InstantSource clock;

    /**
     * @param movedSink    receives each chunk of records that reached their new owners (the
     *                     masters' backup)
     * @param clock        times each pass, for its log line and {@link #lastDurationMillis}
     */
    public Rebalancer(String selfId, LruCache cache, AuxClient peers, Consumer<List<Entry>> movedSink,
                      InstantSource clock) {
        this.cache = cache;
        this.mover = new RecordMover(selfId, cache, peers, movedSink);
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
    public boolean sweepStrays(BooleanSupplier stillSettled) {
        RingSpec ring = straysFor;
        if (ring == null || ring != applied || ring != target || cleanupFor != null) {
            return ring == null;
        }
        // checked again before each chunk's drops: a new ring may have come meanwhile, under which
        // this node owns some of these records (and masters write them here before it hears so)
        boolean complete = pass(ring, ring, true, true,
                () -> target == ring && applied == ring && stillSettled.getAsBoolean());
        if (complete && straysFor == ring) {
            straysFor = null;
        }
        return complete;
    }

    /** Forgets where the data is placed, so the next pass re-places every record (see {@link RingTracker}). */
    public void forgetPlacement() {
        placementEpoch.incrementAndGet();
        applied = null;
    }

    private boolean pass(RingSpec from, RingSpec to) {
        return pass(from, to, true, false, null);
    }

    private boolean pass(RingSpec from, RingSpec to, boolean drop) {
        return pass(from, to, drop, false, null);
    }

    /**
     * @param strays     sweep mode: send every record not owned under {@code to} to its owners before
     *                   dropping it; does not show as running, so masters do not see the ring unsettled
     * @param sweepValid in sweep mode, asked before each chunk's drops (see {@link #sweepStrays}); else null
     */
    private boolean pass(RingSpec from, RingSpec to, boolean drop, boolean strays,
                         BooleanSupplier sweepValid) {
        if (to.nodes().isEmpty()) {
            return false; // nowhere to put anything: keep every record
        }
        if (!strays) {
            running = true; // a sweep does not show: masters must not see the ring unsettled for it
        }
        long start = clock.millis();
        RecordMover.Counts counts = mover.move(from, to, drop, strays, sweepValid);
        long ms = Math.max(0, clock.millis() - start); // a wall-clock step back must not give a negative time
        if (!strays) {
            running = false;
        }
        runs.incrementAndGet();
        lastDurationMillis = ms;
        log.info("{} {} -> {}: examined {} records, sent {} copies, dropped {}, {} ms{}",
                strays ? "stray sweep" : "rebalance", from == null ? "unknown" : from.fingerprint(),
                to.fingerprint(), counts.examined(), counts.sent(), counts.dropped(), ms,
                counts.complete() ? "" : " (incomplete: some owners unreachable, will retry)");
        return counts.complete();
    }

    /** Current state, for heartbeats and metrics. */
    public RebalanceStatus status() {
        RingSpec a = applied;
        RingSpec t = target;
        // copies awaiting the clean-up pass count as not yet placed
        return new RebalanceStatus(a == null || cleanupFor != null ? "" : a.fingerprint(), t == null ? "" : t.fingerprint(),
                running,
                runs.get(), mover.moved(), mover.dropped(), lastDurationMillis, straysFor != null);
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
        return mover.moved();
    }

    @Override
    public long keysDropped() {
        return mover.dropped();
    }

    @Override
    public long lastDurationMillis() {
        return lastDurationMillis;
    }
}
