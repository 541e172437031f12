package dev.dcache.common.time;

import java.time.InstantSource;

/**
 * Issues write versions: a hybrid logical clock packed into one positive {@code long}.
 *
 * <p>Layout, high to low: 43 bits of wall-clock milliseconds, 12 bits of logical counter,
 * 8 bits of node tag. Versions issued by one clock strictly increase even when the wall clock
 * steps back; versions from two masters with different tags never collide, so "higher version
 * wins" is a total order every aux node applies the same way. A version is also a timestamp:
 * {@link #millisOf(long)} recovers when it was issued, which tombstone and backup code can use.
 *
 * <p>Thread-safe: a single CAS loop on an {@code AtomicLong}-like field.
 */
public final class HybridLogicalClock {
    static final int TAG_BITS = 8;
    static final int COUNTER_BITS = 12;
    private static final long LOGICAL_MASK = (1L << (TAG_BITS + COUNTER_BITS)) - 1;

    private final InstantSource clock;
    private final long tag;
    private final java.util.concurrent.atomic.AtomicLong last = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param clock  wall clock
     * @param nodeId identity of the issuing master, turned into the tag by {@link #tagFor(String)}
     */
    public HybridLogicalClock(InstantSource clock, String nodeId) {
        this(clock, tagFor(nodeId));
    }

    /**
     * @param clock wall clock
     * @param tag   this master's 8-bit tag, 0..255; masters must use different tags
     * @throws IllegalArgumentException when the tag is out of range
     */
    public HybridLogicalClock(InstantSource clock, int tag) {
        if (tag < 0 || tag >= 1 << TAG_BITS) {
            throw new IllegalArgumentException("tag must be in [0, 255], was " + tag);
        }
        this.clock = clock;
        this.tag = tag;
    }

    /**
     * The default tag for a master id: its trailing number modulo 256 when it has one
     * ({@code master-1} -> 1, so numbered masters never collide below 256), else a hash of the id.
     * Set {@code MASTER_VERSION_TAG} explicitly where ids are not numbered.
     */
    public static int tagFor(String nodeId) {
        int end = nodeId.length();
        int start = end;
        while (start > 0 && Character.isDigit(nodeId.charAt(start - 1)) && end - start < 9) {
            start--;
        }
        if (start < end) {
            return Integer.parseInt(nodeId.substring(start, end)) & ((1 << TAG_BITS) - 1);
        }
        return (int) ((nodeId.hashCode() * 0x9E3779B9L >>> 24) & ((1L << TAG_BITS) - 1));
    }

    /** Returns a version greater than every version this clock issued before. */
    public long next() {
        long physical = clock.millis() << (TAG_BITS + COUNTER_BITS);
        while (true) {
            long prev = last.get();
            long candidate;
            if (physical > (prev & ~LOGICAL_MASK)) {
                candidate = physical | tag;
            } else {
                // same or earlier millisecond: bump the counter; overflowing it carries into the
                // millisecond field, i.e. the clock runs slightly ahead until wall time catches up
                candidate = ((prev >>> TAG_BITS) + 1) << TAG_BITS | tag;
            }
            if (last.compareAndSet(prev, candidate)) {
                return candidate;
            }
        }
    }

    /**
     * Folds in a version seen from elsewhere so later versions from this clock exceed it. Cheap when
     * the clock is already past it (one volatile read, no write): reads call it on every answer.
     */
    public void observe(long version) {
        long seen = version & ~((1L << TAG_BITS) - 1);
        if (seen > last.get()) {
            last.accumulateAndGet(seen, Math::max);
        }
    }

    /** Wall-clock milliseconds at which {@code version} was issued. */
    public static long millisOf(long version) {
        return version >>> (TAG_BITS + COUNTER_BITS);
    }
}
