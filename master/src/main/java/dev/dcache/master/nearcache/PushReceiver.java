package dev.dcache.master.nearcache;

import dev.dcache.common.wire.Invalidation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The receiving end of {@link InvalidationPush}: drops the near copies of the keys other masters
 * pushed, and the whole near cache whenever one of their pushes may have been lost.
 *
 * <p>Pushes are best effort, so each says where it stands in its sender's stream
 * ({@link Invalidation#epoch()}, {@link Invalidation#seq()}). This master remembers, per sender,
 * the stream and the last number it saw. It drops every copy ({@link NearReads#invalidateEverything})
 * when
 * <ul>
 *   <li>a push is not the next number of the stream it knows (one was lost, arrived late, or
 *   the sender skipped a number because a key did not fit its queue);</li>
 *   <li>a sender it has not heard from pushes (a new master, a restarted one, or one that just
 *   learned of this master: it may have written keys before it knew to tell us); or</li>
 *   <li>a sender it knows has been silent for longer than {@code silence} ({@link #checkSilence}):
 *   senders push an empty keep-alive at least every {@link InvalidationPush#KEEP_ALIVE}, so
 *   silence means the sender died or is cut off, possibly after acknowledging a write it never
 *   got to push.</li>
 * </ul>
 * So a lost push costs this master its near cache (refilled from the aux nodes at the next reads
 * of hot keys), and a copy made stale by a write through another master lives at most about
 * {@code silence} plus a push's timeout, or the staleness bound if that is shorter. Thread-safe.
 */
public final class PushReceiver {
    private static final Logger log = LoggerFactory.getLogger(PushReceiver.class);

    private final NearReads reads;
    private final InstantSource clock;
    private final long silenceMillis;
    /** The stream and last push seen per sender; guarded by {@code this}. */
    private final Map<String, Stream> senders = new HashMap<>();
    private final LongAdder received = new LongAdder();
    private final LongAdder flushes = new LongAdder();

    private record Stream(long epoch, long seq, long heardAtMillis) {
    }

    /**
     * @param silence how long a known sender may go without pushing before its stream counts as
     *                broken; a few keep-alive intervals
     */
    public PushReceiver(NearReads reads, InstantSource clock, Duration silence) {
        this.reads = reads;
        this.clock = clock;
        this.silenceMillis = silence.toMillis();
    }

    /** Applies one push: its keys, and a drop of everything when it is not the next of its stream. */
    public synchronized void accept(Invalidation push) {
        Stream known = senders.get(push.from());
        if (known == null) {
            flush();
            log.info("near cache dropped: first push from {} (it may have written before it knew of this master)",
                    push.from());
        } else if (known.epoch() != push.epoch() || push.seq() != known.seq() + 1) {
            flush(); // under a sustained overload this repeats; the metric counts it, the log stays quiet
            log.debug("near cache dropped: push {} of stream {} from {} after {} of stream {}", push.seq(),
                    push.epoch(), push.from(), known.seq(), known.epoch());
        }
        for (String key : push.keys()) {
            reads.invalidatePushed(key);
        }
        received.add(push.keys().size());
        senders.put(push.from(), new Stream(push.epoch(), push.seq(), clock.millis()));
    }

    /** Drops everything once for each sender silent for longer than {@code silence}, and forgets it. */
    public synchronized void checkSilence() {
        long now = clock.millis();
        for (Iterator<Map.Entry<String, Stream>> it = senders.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Stream> e = it.next();
            if (now - e.getValue().heardAtMillis() > silenceMillis) {
                it.remove();
                flush();
                log.info("near cache dropped: no push from {} for {} ms", e.getKey(), now - e.getValue().heardAtMillis());
            }
        }
    }

    private void flush() {
        reads.invalidateEverything();
        flushes.increment();
    }

    /** Keys other masters pushed here. */
    public long received() {
        return received.sum();
    }

    /** Times the whole near cache was dropped because a push may have been lost. */
    public long flushes() {
        return flushes.sum();
    }
}
