package dev.dcache.aux.cache;

import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.PutOutcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hammers one cache from several threads with random puts, gets, peeks, deletes and sweeps, then
 * checks its structure and the versions it holds. Versions come from one shared counter, so
 * writes to a shared key race in both orders.
 *
 * <p>Whether a key's record was evicted is invisible from outside, so "the held version is the
 * highest applied write that was not evicted" is checked exactly where it is decidable: for all
 * keys when nothing is evicted or expires, and for single-writer keys under eviction (one writer's
 * versions only grow, so what is held must be that writer's last write). For keys several threads
 * write under eviction, the held record must be one of the writes that were applied.
 */
@Timeout(60)
class LruCacheConcurrencyTest {
    private static final int THREADS = 4;
    private static final int OPS_PER_THREAD = 200_000;
    private static final int KEYS = 10_000;

    private final FakeClock clock = new FakeClock();
    private final AtomicLong versions = new AtomicLong();

    private static String key(int i) {
        return "key-" + i;
    }

    /** A value that names its key and version, padded to {@code pad} extra chars. */
    private static String valueOf(String key, long version, int pad) {
        return key + "|" + version + "|" + "x".repeat(pad);
    }

    private static void assertValueMatches(Entry e) {
        if (e.value() != null) {
            assertThat(e.value()).startsWith(e.key() + "|" + e.version() + "|");
        }
    }

    /** Every write one thread made, in its order. */
    private static final class WriteLog {
        int size;
        int[] keys = new int[1 << 16];
        long[] versions = new long[1 << 16];
        long[] expiries = new long[1 << 16];
        int[] pads = new int[1 << 16];     // -1 for a delete
        boolean[] applied = new boolean[1 << 16];

        void add(int key, long version, long expiresAt, int pad, boolean wasApplied) {
            if (size == keys.length) {
                int n = size * 2;
                keys = Arrays.copyOf(keys, n);
                versions = Arrays.copyOf(versions, n);
                expiries = Arrays.copyOf(expiries, n);
                pads = Arrays.copyOf(pads, n);
                applied = Arrays.copyOf(applied, n);
            }
            keys[size] = key;
            versions[size] = version;
            expiries[size] = expiresAt;
            pads[size] = pad;
            applied[size] = wasApplied;
            size++;
        }
    }

    /** One write as the test issued it, for comparing with what the cache holds. */
    private record Write(long version, boolean delete, long expiresAt, int pad, boolean applied) {
    }

    private interface Worker {
        void run(int thread, WriteLog log) throws Exception;
    }

    private List<WriteLog> runWorkers(Worker worker) throws Exception {
        List<WriteLog> logs = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                WriteLog log = new WriteLog();
                logs.add(log);
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    worker.run(thread, log);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw new AssertionError("worker failed", e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return logs;
    }

    private static Map<Integer, List<Write>> writesByKey(List<WriteLog> logs) {
        Map<Integer, List<Write>> byKey = new HashMap<>();
        for (WriteLog log : logs) {
            for (int i = 0; i < log.size; i++) {
                byKey.computeIfAbsent(log.keys[i], k -> new ArrayList<>()).add(new Write(
                        log.versions[i], log.pads[i] < 0, log.expiries[i], log.pads[i], log.applied[i]));
            }
        }
        return byKey;
    }

    private static void assertStructure(LruCache cache) {
        cache.checkInvariants();
        assertThat(cache.size()).isLessThanOrEqualTo(cache.maxEntries());
        assertThat(cache.bytes()).isLessThanOrEqualTo(cache.maxBytes());
        long[] weight = {0};
        long[] count = {0};
        cache.forEach(e -> {
            weight[0] += Weigher.weigh(e.key(), e.value());
            count[0]++;
        });
        // after a sweep at a clock that no longer moves, forEach sees every record held
        assertThat(count[0]).isEqualTo(cache.size());
        assertThat(cache.bytes()).isEqualTo(weight[0]);
    }

    private static void assertHeldMatches(Entry held, String key, Write w) {
        assertThat(held.version()).as("version of %s", key).isEqualTo(w.version());
        assertThat(held.isTombstone()).as("tombstone %s", key).isEqualTo(w.delete());
        if (!w.delete()) {
            assertThat(held.value()).isEqualTo(valueOf(key, w.version(), w.pad()));
            assertThat(held.expiresAt()).isEqualTo(w.expiresAt());
        }
    }

    @Test
    void randomOps_nothingEvictedOrExpired_holdsHighestVersionWrittenPerKey() throws Exception {
        LruCache cache = new LruCache(1 << 20, 1L << 32, 16, 3_600_000, clock);
        long started = System.nanoTime();

        List<WriteLog> logs = runWorkers((thread, log) -> {
            SplittableRandom random = new SplittableRandom(thread * 31L + 7);
            for (int op = 0; op < OPS_PER_THREAD; op++) {
                int k = random.nextInt(KEYS);
                String key = key(k);
                int dice = random.nextInt(100);
                if (dice < 40) {
                    long version = versions.incrementAndGet();
                    int pad = random.nextInt(64);
                    PutOutcome outcome = cache.put(new Entry(key, valueOf(key, version, pad), version, 0));
                    // versions are unique, so a refused write always names a strictly newer one
                    assertThat(outcome.applied() ? outcome.version() == version : outcome.version() > version)
                            .as("%s at %d", outcome, version).isTrue();
                    log.add(k, version, 0, pad, outcome.applied());
                } else if (dice < 55) {
                    long version = versions.incrementAndGet();
                    cache.delete(key, version);
                    Entry after = cache.peek(key);
                    assertThat(after.version()).isGreaterThanOrEqualTo(version);
                    log.add(k, version, 0, -1, after.version() == version);
                } else if (dice < 85) {
                    Entry e = cache.get(key);
                    if (e != null) {
                        assertThat(e.key()).isEqualTo(key);
                        assertValueMatches(e);
                    }
                } else if (dice < 99) {
                    Entry e = cache.peek(key);
                    if (e != null) {
                        assertValueMatches(e);
                    }
                } else {
                    assertThat(cache.sweep()).isZero();
                }
                if (op % 4_096 == 0) {
                    cache.checkInvariants(); // walks every record: keep it rare
                }
            }
        });

        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("LruCache stress, no eviction: %d threads x %d ops in %d ms; %s%n",
                THREADS, OPS_PER_THREAD, elapsedMs, cache.stats());
        assertThat(cache.stats().evictions()).isZero();
        assertThat(cache.stats().expirations()).isZero();
        assertStructure(cache);

        Map<Integer, List<Write>> byKey = writesByKey(logs);
        for (int k = 0; k < KEYS; k++) {
            List<Write> writes = byKey.get(k);
            Entry held = cache.peek(key(k));
            if (writes == null) {
                assertThat(held).isNull();
                continue;
            }
            Write newest = writes.stream().max((a, b) -> Long.compare(a.version(), b.version())).orElseThrow();
            assertThat(newest.applied()).isTrue();
            assertThat(held).as("record of %s", key(k)).isNotNull();
            assertHeldMatches(held, key(k), newest);
        }
        long applied = logs.stream().mapToLong(l -> {
            long n = 0;
            for (int i = 0; i < l.size; i++) {
                n += l.applied[i] && l.pads[i] >= 0 ? 1 : 0;
            }
            return n;
        }).sum();
        assertThat(cache.stats().puts()).isEqualTo(applied);
    }

    @Test
    void randomOps_underEvictionAndExpiry_staysBoundedAndHoldsOnlyAppliedWrites() throws Exception {
        // ~2k entries or ~600 KB, whichever binds first; values weigh 100..400 bytes, so both do
        LruCache cache = new LruCache(2_048, 600_000, 16, 20, clock);
        long started = System.nanoTime();

        List<WriteLog> logs = runWorkers((thread, log) -> {
            SplittableRandom random = new SplittableRandom(thread * 131L + 3);
            for (int op = 0; op < OPS_PER_THREAD; op++) {
                if (thread == 0 && op % 500 == 0) {
                    clock.advance(Duration.ofMillis(1));
                }
                int k = random.nextInt(KEYS);
                // even keys: one writer each (thread k/2 % THREADS); odd keys: any thread writes
                boolean mayWrite = k % 2 == 1 || k / 2 % THREADS == thread;
                String key = key(k);
                int dice = random.nextInt(100);
                if (dice < 40 && mayWrite) {
                    long version = versions.incrementAndGet();
                    int pad = random.nextInt(300);
                    long expiresAt = random.nextInt(3) == 0 ? 0 : clock.millis() + 1 + random.nextInt(100);
                    PutOutcome outcome = cache.put(new Entry(key, valueOf(key, version, pad), version, expiresAt));
                    assertThat(outcome.version()).isNotEqualTo(-1);
                    if (k % 2 == 0) {
                        assertThat(outcome.applied()).as("single writer of %s at %d", key, version).isTrue();
                    }
                    log.add(k, version, expiresAt, pad, outcome.applied());
                } else if (dice < 55 && mayWrite) {
                    long version = versions.incrementAndGet();
                    cache.delete(key, version);
                    Entry after = cache.peek(key);
                    if (k % 2 == 0) {
                        // a single writer's versions only grow, so its delete always applies; the
                        // tombstone may already be gone if a write to its segment evicted it
                        if (after != null) {
                            assertThat(after.version()).as("single writer delete of %s", key).isEqualTo(version);
                        }
                        log.add(k, version, 0, -1, true);
                    } else {
                        log.add(k, version, 0, -1, after != null && after.version() == version);
                    }
                } else if (dice < 85) {
                    long before = clock.millis();
                    Entry e = cache.get(key);
                    if (e != null) {
                        assertThat(e.key()).isEqualTo(key);
                        assertThat(e.isTombstone()).isFalse();
                        assertThat(e.isExpiredAt(before)).as("%s at %d", e, before).isFalse();
                        assertValueMatches(e);
                    }
                } else if (dice < 99) {
                    long before = clock.millis();
                    Entry e = cache.peek(key);
                    if (e != null) {
                        assertThat(e.isExpiredAt(before)).as("%s at %d", e, before).isFalse();
                        assertValueMatches(e);
                    }
                } else {
                    cache.sweep();
                }
                if (op % 4_096 == 0) {
                    cache.checkInvariants();
                }
            }
        });

        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        LruCache.Stats stats = cache.stats();
        System.out.printf("LruCache stress, evicting: %d threads x %d ops in %d ms; %s%n",
                THREADS, OPS_PER_THREAD, elapsedMs, stats);
        assertThat(stats.evictions()).isPositive();
        assertThat(stats.expirations()).isPositive();
        cache.sweep();
        assertStructure(cache);

        Map<Integer, List<Write>> byKey = writesByKey(logs);
        for (int k = 0; k < KEYS; k++) {
            String key = key(k);
            Entry held = cache.peek(key);
            if (held == null) {
                continue; // never written, evicted or expired
            }
            List<Write> writes = byKey.get(k);
            assertThat(writes).as("writes to held %s", key).isNotNull();
            if (k % 2 == 0) {
                Write last = writes.get(writes.size() - 1);
                assertHeldMatches(held, key, last);
            } else {
                Write match = writes.stream().filter(w -> w.version() == held.version()).findFirst().orElse(null);
                assertThat(match).as("write held for %s", key).isNotNull();
                assertThat(match.applied()).isTrue();
                assertHeldMatches(held, key, match);
            }
        }
    }
}
