package dev.dcache.master.nearcache;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How often each key was read recently, estimated in constant space: a count-min sketch of four
 * rows of 4-bit counters that halves every counter after a fixed number of increments, so old
 * popularity fades (the "aging" of TinyLFU; the idea follows Caffeine's {@code FrequencySketch},
 * the code is this project's own).
 *
 * <p>Layout: each {@code long} of the table holds sixteen 4-bit counters; row {@code r} owns the
 * nibbles {@code 4r..4r+3} of every long. A key picks, per row, one long and one of that row's four
 * nibbles from an independent hash, so the rows behave as four tables of {@code 4 * length}
 * counters each. The estimate is the minimum over the rows: it can only over-count (a collision
 * adds), never under-count, except for what aging took away. Increments are conservative (only the
 * counters at the key's minimum move). Counters saturate at 15, which is plenty to tell hot from
 * cold.
 *
 * <p>Sizing: the table has {@code 4 * expectedKeys} longs (rounded up to a power of two), that is
 * about 16 counters per expected key and row, and ages after {@code 10 * expectedKeys}
 * increments. With that load a key read once stays at an estimate of 1 with high probability,
 * so a scan of cold keys does not make them hot.
 *
 * <p>Thread-safety: lock-free. Counters are updated with compare-and-set on an
 * {@link AtomicLongArray}; the thread whose increment crosses the sample size does the halving,
 * one long at a time, while others keep counting (an increment that lands during the sweep may be
 * halved or not; the estimate stays an estimate).
 */
final class FrequencySketch {
    static final int MAX_COUNT = 15;
    private static final long RESET_MASK = 0x7777_7777_7777_7777L;
    private static final long[] SEEDS = {
            0x9E37_79B9_7F4A_7C15L, 0xC2B2_AE3D_27D4_EB4FL, 0x1656_67B1_9E37_79F9L, 0x27D4_EB2F_1656_67C5L};
    private static final int MAX_TABLE = 1 << 21; // 16 MiB of counters at most

    private final AtomicLongArray table;
    private final int mask;
    private final int sampleSize;
    private final AtomicInteger additions = new AtomicInteger();

    /** A sketch for about {@code expectedKeys} distinct hot keys (at least 1). */
    FrequencySketch(int expectedKeys) {
        if (expectedKeys < 1) {
            throw new IllegalArgumentException("expectedKeys must be >= 1, was " + expectedKeys);
        }
        long wanted = Math.max(64L, 4L * expectedKeys);
        int length = (int) Math.min(MAX_TABLE, Long.highestOneBit(wanted - 1) << 1);
        this.table = new AtomicLongArray(length);
        this.mask = length - 1;
        this.sampleSize = (int) Math.min(Integer.MAX_VALUE / 2, 10L * expectedKeys);
    }

    /**
     * Counts one read of {@code key}. Conservative update: only the key's counters that hold its
     * current minimum are raised, so collisions inflate the estimates of other keys far less.
     */
    void increment(Object key) {
        long h = spread(key.hashCode());
        int[] slots = new int[4];
        int[] shifts = new int[4];
        int min = MAX_COUNT;
        for (int row = 0; row < 4; row++) {
            long rh = rehash(h, row);
            slots[row] = slot(rh);
            shifts[row] = shift(rh, row);
            min = Math.min(min, count(slots[row], shifts[row]));
        }
        if (min == MAX_COUNT) {
            return;
        }
        boolean added = false;
        for (int row = 0; row < 4; row++) {
            added |= incrementIfAt(slots[row], shifts[row], min);
        }
        if (added && additions.incrementAndGet() >= sampleSize) {
            age();
        }
    }

    /** The estimated number of recent reads of {@code key}, 0..{@value #MAX_COUNT}. */
    int frequency(Object key) {
        long h = spread(key.hashCode());
        int min = MAX_COUNT;
        for (int row = 0; row < 4; row++) {
            long rh = rehash(h, row);
            min = Math.min(min, count(slot(rh), shift(rh, row)));
        }
        return min;
    }

    /** Increments since the last halving (for tests). */
    int additions() {
        return additions.get();
    }

    /** Increments after which every counter is halved (for tests). */
    int sampleSize() {
        return sampleSize;
    }

    private int count(int slot, int shift) {
        return (int) ((table.get(slot) >>> shift) & 0xF);
    }

    /** Raises the counter by one if it still holds {@code expected}. */
    private boolean incrementIfAt(int slot, int shift, int expected) {
        long old;
        do {
            old = table.get(slot);
            if (((old >>> shift) & 0xF) != expected) {
                return false;
            }
        } while (!table.compareAndSet(slot, old, old + (1L << shift)));
        return true;
    }

    /** Halves every counter; only the thread that wins the reset of the addition count sweeps. */
    private void age() {
        int seen = additions.get();
        if (seen < sampleSize || !additions.compareAndSet(seen, seen / 2)) {
            return;
        }
        for (int i = 0; i < table.length(); i++) {
            table.getAndUpdate(i, v -> (v >>> 1) & RESET_MASK);
        }
    }

    private int slot(long rowHash) {
        return (int) (rowHash >>> 32) & mask;
    }

    private static int shift(long rowHash, int row) {
        return ((row << 2) + (int) (rowHash & 3)) << 2;
    }

    /** Spreads a 32-bit hash code over 64 bits (String.hashCode alone clusters short keys). */
    private static long spread(int hashCode) {
        return mix(hashCode * 0x9E37_79B9_7F4A_7C15L);
    }

    private static long rehash(long h, int row) {
        return mix(h ^ SEEDS[row]);
    }

    /** The 64-bit finaliser of MurmurHash3. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xFF51_AFD7_ED55_8CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CE_B9FE_1A85_EC53L;
        return z ^ (z >>> 33);
    }
}
