package dev.dcache.aux.cache;

/**
 * Estimates the heap a cache record retains, for the byte budget.
 *
 * <p>On a 64-bit JVM with compressed oops a {@code String} is a 24-byte object plus a
 * {@code byte[]} of 16 header bytes and its contents, one byte per char when every char fits in
 * Latin-1 (compact strings), two otherwise, rounded up to 8. {@link #ENTRY_OVERHEAD} covers the
 * LRU node (40 bytes: header, record reference, int weight, two links, long recency stamp), the immutable
 * {@link dev.dcache.common.wire.Entry} it points to (40: header, two references, two longs), the
 * {@code ConcurrentHashMap.Node} (32) and the amortised table slot (about 8 at the map's load
 * factor). Measured by {@code WeigherHeapMeasurementTest} (200k entries, 16-char key, 100-char
 * value, default G1, whose region accounting adds about 12 bytes): 325 bytes of heap growth per
 * entry against 312 estimated, before the node grew its 8-byte stamp. {@code load_test/memory.sh}
 * (1 GiB budget, 1000-byte values): live heap after a full GC 1.02x the estimate, the rest being
 * the node's own objects.
 */
public final class Weigher {
    /** Bytes per record beyond its two strings. */
    public static final long ENTRY_OVERHEAD = 120;
    private static final long STRING_OVERHEAD = 24 + 16;

    private Weigher() {
    }

    /** Weight of a record; {@code value} is null for a tombstone. */
    public static long weigh(String key, String value) {
        return ENTRY_OVERHEAD + retained(key) + (value == null ? 0 : retained(value));
    }

    /** Retained heap of one string. */
    public static long retained(String s) {
        int len = s.length();
        long payload = len;
        for (int i = 0; i < len; i++) {
            if (s.charAt(i) > 0xFF) {
                payload = 2L * len;
                break;
            }
        }
        return STRING_OVERHEAD + ((payload + 7) & ~7L);
    }
}
