package dev.dcache.master.nearcache;

import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Invalidation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The receiving end of {@link InvalidationPush}: drops the near copies of the keys other masters
 * pushed, and the whole near cache whenever one of their pushes may have been lost.
 *
 * <p>Pushes are best effort, so each says where it stands in its sender's stream
 * ({@link Invalidation#epoch()}, {@link Invalidation#seq()}). This master remembers, per sender,
 * the stream, the highest number seen and when it last heard from it, and drops every copy
 * ({@link NearReads#invalidateEverything}) when
 * <ul>
 *   <li>a push skips ahead of the next number of the stream it knows (one was lost or is late,
 *   or the sender skipped a number because a key did not fit its queue). A push that arrives late,
 *   behind a higher number, has its keys applied and changes nothing else;</li>
 *   <li>a sender it has not heard from, or a new stream of one it has, pushes (a new or restarted
 *   master, or one that just learned of this master: it may have written before);</li>
 *   <li>{@link #checkSilence}, run a few times a second, finds a sender silent for longer than
 *   {@code silence}. Senders push an empty keep-alive at least every
 *   {@link InvalidationPush#KEEP_ALIVE}, so silence means the sender died (possibly after
 *   acknowledging a write it never pushed), is cut off, or cannot reach this master. A silent
 *   sender that is still among the {@code expected} peers (the near-cache masters the aux nodes
 *   list) keeps the near cache dropped on every check until its pushes arrive again, so a broken
 *   path from a live master never leaves a copy stale for longer than {@code silence}; one that
 *   is no longer expected is dropped for once and forgotten. An expected peer never heard from
 *   counts as silent from when it was first expected.</li>
 * </ul>
 * So a lost push costs this master its near cache (refilled from the aux nodes at the next reads
 * of hot keys), and a copy made stale by another master's write lives at most about
 * {@code silence} plus one check period, or the staleness bound if that is shorter.
 *
 * <p>Time is read from a monotonic source: a wall clock stepped back would hide a silence.
 * Thread-safe.
 */
public final class PushReceiver implements MasterMetrics.PushReadings {
    private static final Logger log = LoggerFactory.getLogger(PushReceiver.class);

    private final NearReads reads;
    private final LongSupplier monotonicMillis;
    private final long silenceMillis;
    private final Supplier<List<NodeAddress>> expected;
    /** Per sender id: its stream and when it was last heard; guarded by {@code this}. */
    private final Map<String, Stream> senders = new HashMap<>();
    /** Expected peers never heard from, by id, with when each was first expected; guarded by {@code this}. */
    private final Map<String, Long> awaited = new HashMap<>();
    /** Senders reported silent and not heard since, so the log says it once; guarded by {@code this}. */
    private final Set<String> reportedSilent = new HashSet<>();
    private final LongAdder received = new LongAdder();
    private final LongAdder flushes = new LongAdder();

    private record Stream(long epoch, long seq, long heardAtMillis) {
    }

    /**
     * @param expected        the other masters that should be pushing here (ids are what counts)
     * @param monotonicMillis milliseconds from a clock that never goes back
     * @param silence         how long a sender may go without pushing before its stream counts as
     *                        broken: a few keep-alive intervals plus a push's timeout
     */
    public PushReceiver(NearReads reads, Supplier<List<NodeAddress>> expected, LongSupplier monotonicMillis,
                        Duration silence) {
        this.reads = reads;
        this.expected = expected;
        this.monotonicMillis = monotonicMillis;
        this.silenceMillis = silence.toMillis();
    }

    /** Applies one push: its keys, and a drop of everything when pushes before it may be missing. */
    public synchronized void accept(Invalidation push) {
        long now = monotonicMillis.getAsLong();
        Stream known = senders.get(push.from());
        long highest = push.seq();
        if (known == null || known.epoch() != push.epoch()) {
            flush();
            log.info("near cache dropped: new stream of pushes from {} (it may have written before this master"
                    + " heard from it)", push.from());
        } else if (push.seq() > known.seq() + 1) {
            flush(); // repeats under a sustained overload: the metric counts it, the log stays quiet
            log.debug("near cache dropped: push {} from {} after {}", push.seq(), push.from(), known.seq());
        } else if (push.seq() <= known.seq()) {
            highest = known.seq(); // a late push: its keys still count, the gap it left was already paid for
        }
        for (String key : push.keys()) {
            reads.invalidatePushed(key);
        }
        received.add(push.keys().size());
        senders.put(push.from(), new Stream(push.epoch(), highest, now));
        awaited.remove(push.from());
        reportedSilent.remove(push.from());
    }

    /**
     * Drops everything when a sender has been silent too long: every time for an expected peer,
     * once for one that is not expected any more (then forgotten). Call a few times a second.
     */
    public synchronized void checkSilence() {
        long now = monotonicMillis.getAsLong();
        Set<String> expectedIds = new HashSet<>();
        for (NodeAddress peer : expected.get()) {
            expectedIds.add(peer.id());
            if (!senders.containsKey(peer.id())) {
                awaited.putIfAbsent(peer.id(), now);
            }
        }
        awaited.keySet().retainAll(expectedIds);
        boolean silent = false;
        for (Iterator<Map.Entry<String, Stream>> it = senders.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Stream> e = it.next();
            long quiet = now - e.getValue().heardAtMillis();
            if (quiet > silenceMillis) {
                silent = true;
                reportSilent(e.getKey(), quiet);
                if (!expectedIds.contains(e.getKey())) {
                    it.remove();
                    reportedSilent.remove(e.getKey());
                }
            }
        }
        for (Map.Entry<String, Long> e : awaited.entrySet()) {
            long quiet = now - e.getValue();
            if (quiet > silenceMillis) {
                silent = true;
                reportSilent(e.getKey(), quiet);
            }
        }
        if (silent) {
            flush();
        }
    }

    private void reportSilent(String sender, long quietMillis) {
        if (reportedSilent.add(sender)) {
            log.warn("no invalidation push from {} for {} ms: near cache dropped", sender, quietMillis);
        }
    }

    private void flush() {
        reads.invalidateEverything();
        flushes.increment();
    }

    /** Keys other masters pushed here. */
    @Override
    public long received() {
        return received.sum();
    }

    /** Times the whole near cache was dropped because a push may have been lost. */
    @Override
    public long flushes() {
        return flushes.sum();
    }
}
