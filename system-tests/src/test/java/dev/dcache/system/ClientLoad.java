package dev.dcache.system;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * Clients of the public API (through nginx) running next to a test: a few threads writing,
 * deleting and reading their own keys, recording every acknowledged write in an
 * {@link AckedWrites} and every request that did not get a correct answer as a {@link Failure}.
 *
 * <p>Each thread owns the keys {@link #key key(prefix, thread, i)}, so the order of the writes to
 * a key is the order its thread made them, and a read must return the last acknowledged value
 * (anything else is a {@code stale-read} failure). A request that failed or timed out leaves its
 * key "unsure" in the ledger. Bounded: every request has a timeout and {@link #stop} waits for
 * the threads at most that long.
 */
final class ClientLoad {
    /**
     * @param writePercent  share of operations that write a new value
     * @param deletePercent share that delete; the rest read
     * @param pause         between two operations of one thread, so a 2-core machine shared
     *                      with builds keeps some room for the nodes
     */
    record Settings(String prefix, int threads, int keysPerThread, int writePercent, int deletePercent,
                    Duration pause) {
        /** Mostly writes, some deletes, the rest reads. */
        static Settings mixed(String prefix) {
            return new Settings(prefix, 4, 250, 55, 10, Duration.ofMillis(3));
        }

        /** Reads only, of keys written beforehand under {@code key(prefix, thread, i)}. */
        static Settings readOnly(String prefix, int threads, int keysPerThread) {
            return new Settings(prefix, threads, keysPerThread, 0, 0, Duration.ofMillis(2));
        }
    }

    /**
     * A request that did not get a correct answer.
     *
     * @param atNanos {@link System#nanoTime()} when it was sent
     */
    record Failure(long atNanos, String op, String key, String what) {
    }

    /** What the clients did between {@link #start} and {@link #stop}. */
    record Report(long writes, long deletes, long reads, long slowOver1s, long maxLatencyMillis, List<Failure> failures) {
        /** Failures of requests sent at or after {@code sinceNanos}. */
        List<Failure> failuresSince(long sinceNanos) {
            return failures.stream().filter(f -> f.atNanos() - sinceNanos >= 0).toList();
        }

        /** Reads that returned something other than the last acknowledged value. */
        List<Failure> staleReads() {
            return failures.stream().filter(f -> f.op().equals(STALE_READ)).toList();
        }

        /** Requests that got no answer or an error answer. */
        List<Failure> requestFailures() {
            return failures.stream().filter(f -> !f.op().equals(STALE_READ)).toList();
        }

        long operations() {
            return writes + deletes + reads;
        }

        /** Failures counted by kind and whole second since {@code sinceNanos} ("t-1s": the second before it). */
        Map<String, Long> histogram(long sinceNanos) {
            Map<String, Long> out = new LinkedHashMap<>();
            for (Failure f : failures) {
                long second = Math.floorDiv(f.atNanos() - sinceNanos, 1_000_000_000L);
                out.merge(String.format(Locale.ROOT, "t%+ds %s", second, f.op()), 1L, Long::sum);
            }
            return out;
        }
    }

    static final String STALE_READ = "stale-read";
    private static final AtomicInteger LOADS = new AtomicInteger();

    private final Http http;
    private final String api;
    private final AckedWrites ledger;
    private final Settings settings;
    /** Part of every value written, so values of two loads on the same keys never look alike. */
    private final int load = LOADS.incrementAndGet();
    private final List<Thread> threads = new ArrayList<>();
    private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong deletes = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong slow = new AtomicLong();
    private final LongAccumulator maxLatency = new LongAccumulator(Math::max, 0);
    private volatile boolean running;

    ClientLoad(Http http, String api, AckedWrites ledger, Settings settings) {
        this.http = http;
        this.api = api;
        this.ledger = ledger;
        this.settings = settings;
    }

    /** The {@code i}-th key of client thread {@code thread}. */
    static String key(String prefix, int thread, int i) {
        return prefix + "/" + thread + "/" + i;
    }

    /** Starts the client threads; they run until {@link #stop}. */
    ClientLoad start() {
        running = true;
        for (int t = 0; t < settings.threads(); t++) {
            int thread = t;
            Thread th = new Thread(() -> loop(thread), "client-" + settings.prefix() + "-" + t);
            th.setDaemon(true);
            threads.add(th);
            th.start();
        }
        return this;
    }

    /** Stops the threads (each finishes its request in flight) and reports. */
    Report stop() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(20).toMillis()); // longer than any request's timeout
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " did not stop");
            }
        }
        List<Failure> all = new ArrayList<>(failures);
        all.sort((a, b) -> Long.compare(a.atNanos(), b.atNanos()));
        return new Report(writes.get(), deletes.get(), reads.get(), slow.get(), maxLatency.get(), all);
    }

    private void loop(int thread) {
        long seq = 0;
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (running) {
            String key = key(settings.prefix(), thread, random.nextInt(settings.keysPerThread()));
            int dice = random.nextInt(100);
            long start = System.nanoTime();
            try {
                if (dice < settings.writePercent()) {
                    write(key, "v" + load + "-" + thread + "-" + seq++, start);
                } else if (dice < settings.writePercent() + settings.deletePercent()) {
                    delete(key, start);
                } else {
                    read(key, start);
                }
            } catch (IOException e) {
                failures.add(new Failure(start, dice < settings.writePercent() + settings.deletePercent() ? "write" : "read",
                        key, e.toString()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            maxLatency.accumulate(millis);
            if (millis > 1000) {
                slow.incrementAndGet();
            }
            pause();
        }
    }

    private void write(String key, String value, long start) throws IOException, InterruptedException {
        Http.Response r;
        try {
            r = http.post(api + "/data", Map.of("key", key, "value", value));
        } catch (IOException e) {
            ledger.unsure(key, value);
            throw e;
        }
        if (r.status() == 200) {
            ledger.acked(key, value);
            writes.incrementAndGet();
        } else {
            ledger.unsure(key, value);
            failures.add(new Failure(start, "write", key, r.toString()));
        }
    }

    private void delete(String key, long start) throws IOException, InterruptedException {
        Http.Response r;
        try {
            r = http.send("DELETE", api + Http.dataPath(key), null);
        } catch (IOException e) {
            ledger.unsure(key, AckedWrites.ABSENT);
            throw e;
        }
        if (r.status() == 200 || r.status() == 404) { // 404: there was nothing to delete; absent either way
            ledger.acked(key, AckedWrites.ABSENT);
            deletes.incrementAndGet();
        } else {
            ledger.unsure(key, AckedWrites.ABSENT);
            failures.add(new Failure(start, "write", key, r.toString()));
        }
    }

    private void read(String key, long start) throws IOException, InterruptedException {
        AckedWrites.Expected expected = ledger.expected(key);
        Http.Response r = http.get(api + Http.dataPath(key));
        String observed;
        if (r.status() == 200) {
            observed = r.json().path("value").asText();
        } else if (r.status() == 404) {
            observed = AckedWrites.ABSENT;
        } else {
            failures.add(new Failure(start, "read", key, r.toString()));
            return;
        }
        reads.incrementAndGet();
        if (!expected.allows(observed)) {
            failures.add(new Failure(start, STALE_READ, key, "expected " + expected + ", read "
                    + (observed == null ? "<absent>" : '"' + observed + '"')));
        }
    }

    private void pause() {
        try {
            Thread.sleep(settings.pause()); // paces the load generator
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Writes {@code count} keys {@code key(prefix, i % threads, i / threads)} through
     * {@code POST /data/bulk}, {@code batch} a request, and records them as acknowledged.
     */
    static void bulkWrite(Http http, String api, AckedWrites ledger, String prefix, int threads, int count, int batch)
            throws IOException, InterruptedException {
        for (int from = 0; from < count; from += batch) {
            List<Map<String, String>> entries = new ArrayList<>(batch);
            for (int i = from; i < Math.min(count, from + batch); i++) {
                String key = key(prefix, i % threads, i / threads);
                entries.add(Map.of("key", key, "value", "bulk-" + i));
            }
            Http.Response r = http.post(api + "/data/bulk", entries);
            if (r.status() != 200 || r.json().path("stored").asInt() != entries.size()) {
                throw new AssertionError("bulk write of " + entries.size() + ": " + r);
            }
            entries.forEach(e -> ledger.acked(e.get("key"), e.get("value")));
        }
    }
}
