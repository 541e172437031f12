package dev.dcache.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.wire.Entry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.time.InstantSource;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput of the aux node's {@link LruCache} against Caffeine, under the aux node's workload
 * shape: 90% reads and 10% writes, keys drawn from a Zipf distribution (s = 1.0) over 100,000 keys
 * of about 20 characters with 100-character values.
 *
 * <p>Both caches are bounded by entry count to the same capacity: {@code all} holds every key (a
 * 100% hit ratio once filled), {@code half} holds 50,000 (hits and evictions both happen). Both
 * are filled with every key before measuring. The {@link LruCache} is built as an aux node builds
 * it, with 16 segments, and a byte budget so large that only the entry bound binds. A read is
 * {@code get}; a write is {@code put} of a new version. The LRU applies a write only if its
 * version is newer than the key's, so versions come from one shared {@link AtomicLong}; both
 * caches pay for that increment, so the comparison is of the caches alone. A miss is not followed
 * by a load (the aux node is a store, not a loading cache). Caffeine runs with its defaults,
 * maintenance on the common pool.
 *
 * <p>Besides the code, two things differ: Caffeine's admission policy (W-TinyLFU) keeps a higher
 * hit ratio than LRU at {@code half}, and a hit costs both caches more than a miss; and
 * {@link LruCache#get} returns a fresh {@link Entry} copy where Caffeine returns the stored value.
 * The two methods differ only in the thread count: 1 measures the single-thread cost of an
 * operation, 2 (this machine's core count) adds lock contention for the LRU's segment locks.
 *
 * <pre>{@code
 *   bench/run.sh LruCacheBenchmark
 *   java -jar bench/target/benchmarks.jar LruCacheBenchmark -f 1 -wi 2 -w 2s -i 3 -r 3s
 *   java -jar bench/target/benchmarks.jar 'LruCacheBenchmark.readWrite_2threads' -p capacity=all
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class LruCacheBenchmark {
    static final int KEYS = 100_000;
    static final double ZIPF_S = 1.0;
    static final double WRITE_SHARE = 0.10;
    /** Precomputed operations; a power of two, walked cyclically by each thread. */
    static final int OPS = 1 << 20;
    static final int MASK = OPS - 1;

    @Param({"LruCache", "Caffeine"})
    public String cache;

    @Param({"all", "half"})
    public String capacity;

    Store store;
    String[] keys;
    String value;
    int[] keyIndex;
    boolean[] isWrite;
    final AtomicLong versions = new AtomicLong();

    /** The two caches behind one face: what a read and a write do. */
    interface Store {
        Object get(String key);

        Object put(String key, String value, long version);

        default void cleanUp() {
        }
    }

    /** Where a benchmark thread is in the precomputed operations; threads start apart. */
    @State(Scope.Thread)
    public static class Cursor {
        int next = ThreadLocalRandom.current().nextInt();
    }

    @Setup(Level.Trial)
    public void setUp() {
        keys = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = String.format("user:%08d:profile", i);
        }
        value = "v".repeat(100);
        keyIndex = new Zipf(KEYS, ZIPF_S, 42).fill(new int[OPS]);
        isWrite = new boolean[OPS];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < OPS; i++) {
            isWrite[i] = random.nextDouble() < WRITE_SHARE;
        }
        int size = switch (capacity) {
            case "all" -> KEYS;
            case "half" -> KEYS / 2;
            default -> throw new IllegalArgumentException("capacity must be all or half, was " + capacity);
        };
        store = switch (cache) {
            case "LruCache" -> lru(size);
            case "Caffeine" -> caffeine(size);
            default -> throw new IllegalArgumentException("cache must be LruCache or Caffeine, was " + cache);
        };
        for (String key : keys) {
            store.put(key, value, versions.incrementAndGet());
        }
        store.cleanUp();
    }

    @TearDown(Level.Iteration)
    public void cleanUp() {
        store.cleanUp();
    }

    @Benchmark
    @Threads(1)
    public Object readWrite_1thread(Cursor cursor) {
        return operation(cursor);
    }

    @Benchmark
    @Threads(2)
    public Object readWrite_2threads(Cursor cursor) {
        return operation(cursor);
    }

    private Object operation(Cursor cursor) {
        int i = cursor.next++ & MASK;
        String key = keys[keyIndex[i]];
        return isWrite[i] ? store.put(key, value, versions.incrementAndGet()) : store.get(key);
    }

    private static Store lru(int size) {
        // as AuxMain builds it: 16 segments, tombstones kept 5 minutes; bytes never bind here
        LruCache lru = new LruCache(size, 1L << 40, 16, 300_000, InstantSource.system());
        return new Store() {
            @Override
            public Object get(String key) {
                return lru.get(key);
            }

            @Override
            public Object put(String key, String value, long version) {
                return lru.put(new Entry(key, value, version, 0));
            }
        };
    }

    private static Store caffeine(int size) {
        Cache<String, String> c = Caffeine.newBuilder().maximumSize(size).build();
        return new Store() {
            @Override
            public Object get(String key) {
                return c.getIfPresent(key);
            }

            @Override
            public Object put(String key, String value, long version) {
                c.put(key, value);
                return value;
            }

            @Override
            public void cleanUp() {
                c.cleanUp();
            }
        };
    }
}
