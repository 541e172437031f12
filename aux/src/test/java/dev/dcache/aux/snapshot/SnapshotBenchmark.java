package dev.dcache.aux.snapshot;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.wire.Entry;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Measures what snapshotting a full aux cache costs and whether it stalls requests. A {@code main},
 * not a test: surefire does not run it (no {@code Test} suffix).
 *
 * <p>Fills a {@link LruCache} of 16 segments (by default) with {@code entries} records (20-char keys, 100-char
 * values), starts {@code readers} threads doing random {@code get}s in a loop, each timed alone
 * with {@link System#nanoTime()}, and then, for each round:
 * <ol>
 *   <li><b>baseline</b>: no snapshot runs; records the longest single get over a window as long
 *       as the previous snapshot took (2 s in round 1);</li>
 *   <li><b>snapshot</b>: the main thread writes a snapshot through {@link Snapshotter} (walk,
 *       encode, fsync, rename, directory fsync); records its duration (wall and thread CPU time),
 *       the file size and the longest single get while it ran.</li>
 * </ol>
 * Afterwards it times a restore into a fresh cache and a bare {@link LruCache#forEach} whose sink
 * measures the longest gap between two records handed over: the gap spans one segment's copy
 * under its lock, so it bounds how long a get can wait behind a snapshot. GC pauses in each
 * window are reported too, since a get that meets a pause looks like a stall.
 *
 * <p>Run from the repository root (arguments optional: entries, readers, rounds, segments, directory):
 * <pre>
 * mvn -q -B -pl aux -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -Xms3g -Xmx3g -cp aux/target/test-classes:aux/target/classes:$(cat aux/target/cp.txt) \
 *      dev.dcache.aux.snapshot.SnapshotBenchmark 1000000 2 5 16 aux/target/snapshot-benchmark
 * </pre>
 */
public final class SnapshotBenchmark {
    private SnapshotBenchmark() {
    }

    /** Get latencies observed while it was the current window. */
    private static final class Window {
        final LongAccumulator maxNanos = new LongAccumulator(Math::max, 0);
        final LongAdder overOneMilli = new LongAdder();
        /** Bucket i counts gets that took [2^i, 2^(i+1)) ns. */
        final LongAdder[] log2Buckets = new LongAdder[64];
        long gcCount;
        long gcMillis;

        Window() {
            Arrays.setAll(log2Buckets, i -> new LongAdder());
        }

        void record(long nanos) {
            maxNanos.accumulate(nanos);
            log2Buckets[63 - Long.numberOfLeadingZeros(Math.max(1, nanos))].increment();
            if (nanos > 1_000_000) {
                overOneMilli.increment();
            }
        }

        /** Upper bound of the bucket holding the {@code q} quantile, in ms. */
        double quantileMillis(double q) {
            long total = 0;
            for (LongAdder b : log2Buckets) {
                total += b.sum();
            }
            long seen = 0;
            for (int i = 0; i < 64; i++) {
                seen += log2Buckets[i].sum();
                if (seen >= Math.ceil(q * total)) {
                    return (1L << (i + 1)) / 1e6;
                }
            }
            return Double.NaN;
        }
    }

    private static volatile Window current = new Window();
    private static volatile boolean stop;

    public static void main(String[] args) throws Exception {
        int entries = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int readers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int segments = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        Path dir = Path.of(args.length > 4 ? args[4] : "aux/target/snapshot-benchmark");
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve(SnapshotFormat.FILE_NAME));

        System.out.printf("JVM %s, %d cpus, max heap %d MiB, GC %s%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, gcNames());
        String[] keys = new String[entries];
        LruCache cache = new LruCache(entries * 2L, 8L << 30, segments, 300_000, InstantSource.system());
        long t0 = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(42);
        char[] value = new char[100];
        for (int i = 0; i < entries; i++) {
            keys[i] = String.format("key-%016d", i);
            for (int c = 0; c < value.length; c++) {
                value[c] = (char) ('a' + rnd.nextInt(26));
            }
            cache.put(new Entry(keys[i], new String(value), i + 1, 0));
        }
        System.out.printf("filled %,d records (%,d bytes accounted) in %d ms, %d segments, %d reader threads%n",
                cache.size(), cache.bytes(), (System.nanoTime() - t0) / 1_000_000, segments, readers);

        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < readers; r++) {
            long seed = r;
            threads.add(Thread.ofPlatform().name("reader-" + r).start(() -> readLoop(cache, keys, seed)));
        }

        Snapshotter snapshotter = new Snapshotter(dir, cache, InstantSource.system(), SnapshotListener.NONE);
        runSnapshot(snapshotter, cache, keys); // warm-up: JIT, page cache, file allocation
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        System.out.printf("%nround  snapshot_ms  cpu_ms  file_MiB  | during snapshot: max_get_ms p99.99<=ms gets>1ms gc(n,ms)"
                + "  | baseline: max_get_ms p99.99<=ms gets>1ms gc(n,ms)%n");
        long windowMillis = 2_000;
        long[] writeMillis = new long[rounds];
        long[] during = new long[rounds];
        long[] baseline = new long[rounds];
        long fileBytes = 0;
        for (int round = 0; round < rounds; round++) {
            Window base = measure(windowMillis);
            Window snap = new Window();
            Gc gc = Gc.now();
            current = snap;
            long start = System.nanoTime();
            long startCpu = cpu.getCurrentThreadCpuTime();
            WriteResult w = runSnapshot(snapshotter, cache, keys);
            long took = System.nanoTime() - start;
            long tookCpu = cpu.getCurrentThreadCpuTime() - startCpu;
            current = new Window();
            gc.into(snap);
            fileBytes = w.bytes();
            writeMillis[round] = took / 1_000_000;
            during[round] = snap.maxNanos.get();
            baseline[round] = base.maxNanos.get();
            windowMillis = Math.max(500, writeMillis[round]);
            System.out.printf("%5d  %11d  %6d  %8.1f  | %10.2f %10.3f %8d %3d,%-4d | %10.2f %10.3f %8d %3d,%d%n", round + 1,
                    writeMillis[round], tookCpu / 1_000_000, fileBytes / 1048576.0,
                    during[round] / 1e6, snap.quantileMillis(0.9999), snap.overOneMilli.sum(), snap.gcCount, snap.gcMillis,
                    baseline[round] / 1e6, base.quantileMillis(0.9999), base.overOneMilli.sum(), base.gcCount, base.gcMillis);
        }

        forEachGaps(cache, segments);
        stop = true;
        for (Thread t : threads) {
            t.join();
        }

        long loadStart = System.nanoTime();
        long loadCpuStart = cpu.getCurrentThreadCpuTime();
        LruCache fresh = new LruCache(entries * 2L, 8L << 30, segments, 300_000, InstantSource.system());
        RestoreResult r = new Snapshotter(dir, fresh, InstantSource.system(), SnapshotListener.NONE).restore();
        long loadMillis = (System.nanoTime() - loadStart) / 1_000_000;
        long loadCpuMillis = (cpu.getCurrentThreadCpuTime() - loadCpuStart) / 1_000_000;
        if (r.outcome() != RestoreResult.Outcome.RESTORED || r.held() != entries) {
            throw new IllegalStateException("restore went wrong: " + r);
        }

        Arrays.sort(writeMillis);
        System.out.printf("%nsummary over %d rounds (%,d records, %d segments, %d readers):%n", rounds, entries, segments,
                readers);
        System.out.printf("  snapshot write: median %d ms, min %d ms, max %d ms; file %.1f MiB (%,d bytes)%n",
                writeMillis[rounds / 2], writeMillis[0], writeMillis[rounds - 1], fileBytes / 1048576.0, fileBytes);
        System.out.printf("  load (verify + restore %,d records): %d ms (%d ms cpu)%n", r.held(), loadMillis, loadCpuMillis);
        System.out.printf("  longest single get: during snapshots %.2f ms (worst round), baseline %.2f ms (worst round)%n",
                Arrays.stream(during).max().orElse(0) / 1e6, Arrays.stream(baseline).max().orElse(0) / 1e6);
    }

    private static WriteResult runSnapshot(Snapshotter snapshotter, LruCache cache, String[] keys) {
        // one write so that changes() moves and the snapshot is not skipped
        Entry e = cache.peek(keys[0]);
        cache.put(new Entry(e.key(), e.value(), e.version() + 1_000_000_000L, 0));
        WriteResult w = snapshotter.snapshotIfChanged();
        if (w.outcome() != WriteResult.Outcome.WRITTEN) {
            throw new IllegalStateException("snapshot not written: " + w);
        }
        return w;
    }

    private static Window measure(long millis) throws InterruptedException {
        Window w = new Window();
        Gc gc = Gc.now();
        current = w;
        Thread.sleep(millis); // the measurement window: real time in which the load runs
        current = new Window();
        gc.into(w);
        return w;
    }

    private static void readLoop(LruCache cache, String[] keys, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        while (!stop) {
            Window w = current;
            String key = keys[rnd.nextInt(keys.length)];
            long start = System.nanoTime();
            cache.get(key);
            w.record(System.nanoTime() - start);
        }
    }

    /**
     * Times a bare walk and the longest gap between two handed-over records, which spans one
     * segment's copy under its lock: in wall time, and in this thread's CPU time, which leaves out
     * time the thread was preempted (on a busy machine the wall figure includes waiting for a core
     * while holding the lock).
     */
    private static void forEachGaps(LruCache cache, int segments) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] state = new long[5]; // last wall, last cpu, longest wall gap, longest cpu gap, records
        long start = System.nanoTime();
        state[0] = start;
        state[1] = threads.getCurrentThreadCpuTime();
        cache.forEach(e -> {
            long wall = System.nanoTime();
            long cpu = threads.getCurrentThreadCpuTime();
            state[2] = Math.max(state[2], wall - state[0]);
            state[3] = Math.max(state[3], cpu - state[1]);
            state[4]++;
            state[1] = threads.getCurrentThreadCpuTime();
            state[0] = System.nanoTime();
        });
        System.out.printf("%nbare forEach over %,d records: %d ms (timing included); longest gap between two records, i.e. "
                + "one segment (~%,d records) copied under its lock: %.2f ms wall, %.2f ms cpu%n", state[4],
                (System.nanoTime() - start) / 1_000_000, state[4] / segments, state[2] / 1e6, state[3] / 1e6);
    }

    private static String gcNames() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList().toString();
    }

    /** Collection counts and times of the stop-the-world collectors, to subtract. */
    private record Gc(long count, long millis) {
        static Gc now() {
            long count = 0;
            long millis = 0;
            for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (!b.getName().contains("Concurrent")) {
                    count += b.getCollectionCount();
                    millis += b.getCollectionTime();
                }
            }
            return new Gc(count, millis);
        }

        void into(Window w) {
            Gc after = now();
            w.gcCount = after.count - count;
            w.gcMillis = after.millis - millis;
        }
    }
}
