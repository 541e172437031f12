package dev.dcache.aux.cache;

import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Measures the heap one cache record really retains and compares it with {@link Weigher}'s
 * estimate: fills a single-segment cache with 200k records (16-char keys, 100-char values, all
 * Latin-1 and all distinct) and divides the growth of used heap after full GCs by the count.
 * The growth includes the map's table at its post-resize size, as a full cache would have it.
 *
 * <p>A measurement, not a unit test: it needs a quiet JVM and a few seconds, so it runs only when
 * asked, e.g.
 * {@code mvn -pl common,aux -am test -Ddcache.measure=true -Dtest=WeigherHeapMeasurementTest
 * -Dsurefire.failIfNoSpecifiedTests=false}; the figures land in
 * {@code aux/target/surefire-reports/*-output.txt}. The bound asserted is deliberately loose.
 */
@Tag("measure")
@EnabledIfSystemProperty(named = "dcache.measure", matches = "true")
class WeigherHeapMeasurementTest {
    private static final int ENTRIES = 200_000;
    private static final int ROUNDS = 5;
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    /** Used heap once repeated full GCs stop changing it. */
    private static long settledUsedHeap() {
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            long used = MEMORY.getHeapMemoryUsage().getUsed();
            if (i >= 2 && Math.abs(previous - used) < 64 * 1024) {
                return used;
            }
            previous = used;
        }
        return previous;
    }

    private static String randomLatin1(SplittableRandom random, int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = (char) ('a' + random.nextInt(26));
        }
        return new String(chars);
    }

    @Test
    void fill_200kSmallRecords_estimateWithin35PercentOfHeapGrowth() {
        FakeClock clock = new FakeClock();
        double[] measured = new double[ROUNDS];
        double estimated = 0;
        for (int round = 0; round < ROUNDS; round++) {
            LruCache cache = new LruCache(ENTRIES, 1L << 40, 1, 60_000, clock);
            SplittableRandom random = new SplittableRandom(round);
            long before = settledUsedHeap();
            for (int i = 0; i < ENTRIES; i++) {
                String key = String.format("k%015d", i);
                cache.put(new Entry(key, randomLatin1(random, 100), i + 1, 0));
            }
            long after = settledUsedHeap();
            assertThat(cache.size()).isEqualTo(ENTRIES);
            measured[round] = (after - before) / (double) ENTRIES;
            estimated = cache.bytes() / (double) ENTRIES;
            System.out.printf("round %d: heap growth %.1f bytes/entry, Weigher estimate %.1f (%+.1f%%)%n",
                    round, measured[round], estimated, 100 * (estimated - measured[round]) / measured[round]);
            Reference.reachabilityFence(cache);
        }
        double[] sorted = measured.clone();
        Arrays.sort(sorted);
        double median = sorted[ROUNDS / 2];
        System.out.printf("%s %s: median heap growth %.1f bytes/entry, Weigher estimate %.1f (%+.1f%%), "
                        + "of which key+value strings %d%n",
                System.getProperty("java.vm.name"), System.getProperty("java.vm.version"), median, estimated,
                100 * (estimated - median) / median,
                Weigher.retained("k000000000000000") + Weigher.retained("x".repeat(100)));

        assertThat(estimated).isBetween(median * 0.65, median * 1.35);
    }
}
