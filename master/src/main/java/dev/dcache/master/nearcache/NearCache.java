package dev.dcache.master.nearcache;

import dev.dcache.common.wire.Entry;

import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A master's local copy of hot keys, each served for a bounded time after it was read from an aux
 * node.
 *
 * <h2>What it promises</h2>
 * <ul>
 *   <li><b>Staleness bound.</b> A copy is served only while {@code now < fetchStart + maxStaleness}
 *   and {@code now < expiresAt} (when the key has an expiry), where {@code fetchStart} is when the
 *   read from the aux node began. So an answer from here is never older than {@code maxStaleness},
 *   and never outlives the key's own TTL.</li>
 *   <li><b>Read-your-writes through the same master.</b> {@link #invalidate} is called by the router
 *   after the owners answered a write or delete and before the client is answered; it drops the
 *   copy and bumps the key's generation. A read that began before the bump carries the older
 *   generation in its {@link Ticket}, and {@link #offer} refuses it, so a read racing a write can
 *   never re-insert the value the write replaced.</li>
 *   <li><b>Other masters</b> hear of the write when it is pushed to them ({@link InvalidationPush});
 *   they call {@link #invalidate} the same way. A push can be lost, so across masters a read may
 *   still be up to {@code maxStaleness} stale.</li>
 * </ul>
 *
 * <h2>What it holds</h2>
 * Only values (no tombstones, no "absent"), only of keys the {@link FrequencySketch} rates at
 * least {@code hotThreshold} recent reads, so a scan of cold keys never enters. Bounded by entry
 * count and by an estimate of the heap the copies take ({@link #weigh}); a value that alone exceeds
 * the byte bound is not kept.
 *
 * <h2>Eviction: first in, first out</h2>
 * Copies live at most {@code maxStaleness}, so the oldest copy is also the one closest to being
 * refetched anyway: evicting in fetch order loses the least. It also keeps hits lock-free, because a
 * hit does not reorder anything (an LRU would need the lock on every hit). Admission is what keeps
 * cold keys out, not the eviction order.
 *
 * <h2>Thread-safety</h2>
 * Hits read the {@link ConcurrentHashMap} without locking; each {@link Node} is immutable apart
 * from its list links. {@code lock} guards the fetch-order list ({@code head}, {@code tail}, every
 * node's {@code prev}/{@code next}), {@code count}, {@code bytes}, every change to {@code map}, and
 * every bump of {@code generations} (which are read without the lock).
 */
public final class NearCache {
    /** Per-entry heap overhead assumed on top of the characters: node, map entry, Entry, two Strings. */
    static final long ENTRY_OVERHEAD_BYTES = 160;
    private static final int GENERATION_STRIPES = 4096;
    /** A small cache still gets a sketch wide enough to keep scans of cold keys out (32 KiB). */
    private static final int MIN_SKETCH_KEYS = 1024;

    /** The key's generation and the time a read began; pass it back to {@link #offer}. */
    public record Ticket(long generation, long startedAt) {
    }

    private static final class Node {
        final String key;
        final Entry entry;
        final long servedUntil;
        final long weight;
        Node prev;
        Node next;

        Node(String key, Entry entry, long servedUntil, long weight) {
            this.key = key;
            this.entry = entry;
            this.servedUntil = servedUntil;
            this.weight = weight;
        }
    }

    private final InstantSource clock;
    private final int maxEntries;
    private final long maxBytes;
    private final long maxStalenessMillis;
    private final int hotThreshold;
    private final FrequencySketch sketch;
    private final ConcurrentHashMap<String, Node> map = new ConcurrentHashMap<>();
    private final AtomicLongArray generations = new AtomicLongArray(GENERATION_STRIPES);
    private final Object lock = new Object();
    private Node head; // oldest fetch; guarded by lock
    private Node tail; // newest fetch; guarded by lock
    private int count; // guarded by lock
    private long bytes; // guarded by lock

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder invalidations = new LongAdder();

    /**
     * @param maxEntries   most copies held, >= 1
     * @param maxBytes     most estimated heap bytes held, >= 1
     * @param maxStaleness longest a copy is served after its read began, > 0
     * @param hotThreshold recent reads (1..15, as estimated) that make a key worth keeping
     * @throws IllegalArgumentException when a bound is out of range (the message names it)
     */
    public NearCache(InstantSource clock, int maxEntries, long maxBytes, Duration maxStaleness, int hotThreshold) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be >= 1, was " + maxEntries);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, was " + maxBytes);
        }
        if (maxStaleness.toMillis() < 1) {
            throw new IllegalArgumentException("maxStaleness must be >= 1 ms, was " + maxStaleness);
        }
        if (hotThreshold < 1 || hotThreshold > FrequencySketch.MAX_COUNT) {
            throw new IllegalArgumentException("hotThreshold must be in [1, " + FrequencySketch.MAX_COUNT
                    + "], was " + hotThreshold);
        }
        this.clock = clock;
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
        this.maxStalenessMillis = maxStaleness.toMillis();
        this.hotThreshold = hotThreshold;
        this.sketch = new FrequencySketch(Math.max(maxEntries, MIN_SKETCH_KEYS));
    }

    /**
     * Counts a read of {@code key} and answers it from the local copy when there is a fresh one.
     *
     * @return the copy, or null on a miss (absent, or past its staleness bound or expiry)
     */
    public Entry get(String key) {
        sketch.increment(key);
        Node n = map.get(key);
        if (n != null) {
            if (clock.millis() < n.servedUntil) {
                hits.increment();
                return n.entry;
            }
            synchronized (lock) {
                if (map.remove(key, n)) {
                    unlink(n);
                }
            }
        }
        misses.increment();
        return null;
    }

    /** Call before reading {@code key} from an aux node; hand the ticket to {@link #offer}. */
    public Ticket ticket(String key) {
        return new Ticket(generations.get(stripe(key)), clock.millis());
    }

    /**
     * Keeps {@code entry} as the copy of {@code key} when the key is hot, the value fits, and no
     * write through this master touched the key since {@code ticket} was taken.
     *
     * @param entry what the aux nodes answered; null or a tombstone is ignored
     * @return true when the copy was kept
     */
    public boolean offer(String key, Entry entry, Ticket ticket) {
        if (entry == null || entry.isTombstone() || sketch.frequency(key) < hotThreshold) {
            return false;
        }
        long servedUntil = ticket.startedAt() + maxStalenessMillis;
        if (entry.expiresAt() != 0) {
            servedUntil = Math.min(servedUntil, entry.expiresAt());
        }
        long now = clock.millis();
        long weight = weigh(key, entry);
        if (servedUntil <= now || weight > maxBytes) {
            return false;
        }
        Node node = new Node(key, entry, servedUntil, weight);
        synchronized (lock) {
            if (generations.get(stripe(key)) != ticket.generation()) {
                return false; // a write through this master may have replaced what we read
            }
            Node old = map.put(key, node);
            if (old != null) {
                unlink(old);
            }
            append(node);
            while (count > maxEntries || bytes > maxBytes) {
                Node victim = head;
                map.remove(victim.key, victim);
                unlink(victim);
                if (victim.servedUntil > now) {
                    evictions.increment(); // an expired copy leaving is not an eviction
                }
            }
        }
        return true;
    }

    /** Drops this master's copy of {@code key} and turns away reads of it already under way. */
    public void invalidate(String key) {
        synchronized (lock) {
            generations.incrementAndGet(stripe(key));
            Node n = map.remove(key);
            if (n != null) {
                unlink(n);
                invalidations.increment();
            }
        }
    }

    /**
     * Drops every copy and turns away every read under way, as {@link #invalidate} does for one
     * key: for when writes through other masters may have gone unheard.
     */
    public void invalidateAll() {
        synchronized (lock) {
            for (int i = 0; i < GENERATION_STRIPES; i++) {
                generations.incrementAndGet(i);
            }
            invalidations.add(count);
            map.clear();
            head = null;
            tail = null;
            count = 0;
            bytes = 0;
        }
    }

    /** Estimated heap bytes of a copy: two bytes per character plus a fixed overhead. */
    static long weigh(String key, Entry entry) {
        return ENTRY_OVERHEAD_BYTES + 2L * (key.length() + entry.value().length());
    }

    /** Estimated recent reads of {@code key}, as the admission sees it. */
    int frequency(String key) {
        return sketch.frequency(key);
    }

    public int size() {
        synchronized (lock) {
            return count;
        }
    }

    public long bytes() {
        synchronized (lock) {
            return bytes;
        }
    }

    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    public long evictions() {
        return evictions.sum();
    }

    public long invalidations() {
        return invalidations.sum();
    }

    private static int stripe(String key) {
        int h = key.hashCode();
        return (h ^ (h >>> 16)) & (GENERATION_STRIPES - 1);
    }

    private void append(Node n) { // lock held
        n.prev = tail;
        n.next = null;
        if (tail == null) {
            head = n;
        } else {
            tail.next = n;
        }
        tail = n;
        count++;
        bytes += n.weight;
    }

    private void unlink(Node n) { // lock held
        if (n.prev == null) {
            head = n.next;
        } else {
            n.prev.next = n.next;
        }
        if (n.next == null) {
            tail = n.prev;
        } else {
            n.next.prev = n.prev;
        }
        n.prev = null;
        n.next = null;
        count--;
        bytes -= n.weight;
    }
}
