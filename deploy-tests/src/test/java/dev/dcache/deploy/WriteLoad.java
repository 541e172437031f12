package dev.dcache.deploy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Clients writing through nginx while a test breaks something. Each thread writes fresh keys
 * ({@code prefix-t-n}, never written before, so an acknowledged value is the only one a key can
 * hold) and reads each back at once. It remembers every write the cluster acknowledged and every
 * request that did not succeed, with when and why.
 *
 * <p>Bounded in time and count: it stops at {@link #stop()}, after {@code maxDuration}, or after
 * {@code maxOpsPerThread} writes per thread, whichever comes first; a short pause between
 * operations keeps it from taking both cores from the stack it is measuring.
 */
final class WriteLoad implements AutoCloseable {
    private static final Duration PAUSE = Duration.ofMillis(5);

    /** One request that did not succeed. */
    record Failure(long atNanos, String op, String key, String what) {
    }

    private final Api api;
    private final String prefix;
    private final Duration maxDuration;
    private final int maxOpsPerThread;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final Map<String, String> acked = new ConcurrentHashMap<>();
    private final Queue<Failure> failures = new ConcurrentLinkedQueue<>();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong maxLatencyNanos = new AtomicLong();

    WriteLoad(Api api, String prefix, int threadCount, Duration maxDuration, int maxOpsPerThread) {
        this.api = api;
        this.prefix = prefix;
        this.maxDuration = maxDuration;
        this.maxOpsPerThread = maxOpsPerThread;
        for (int t = 0; t < threadCount; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().daemon().name("write-load-" + prefix + "-" + t).unstarted(() -> run(id)));
        }
    }

    WriteLoad start() {
        threads.forEach(Thread::start);
        return this;
    }

    private void run(int thread) {
        long deadline = System.nanoTime() + maxDuration.toNanos();
        for (int n = 0; n < maxOpsPerThread && !stopping.get() && System.nanoTime() < deadline; n++) {
            String key = prefix + "-" + thread + "-" + n;
            String value = "v" + n + "-" + Long.toHexString(System.nanoTime());
            if (timed("write", key, () -> api.put(key, value))) {
                acked.put(key, value);
                timed("read", key, () -> {
                    Api.Reply r = api.get(key);
                    return r.ok() && value.equals(r.text("value")) ? r : new Api.Reply(-r.status(), r.json(), r.body());
                });
            }
            try {
                TimeUnit.NANOSECONDS.sleep(PAUSE.toNanos()); // paces the load
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @FunctionalInterface
    private interface Call {
        Api.Reply call() throws Exception;
    }

    /** Runs one request; true when it answered 200 (a read: with the value written). */
    private boolean timed(String op, String key, Call call) {
        (op.equals("write") ? writes : reads).incrementAndGet();
        long start = System.nanoTime();
        String what;
        try {
            Api.Reply r = call.call();
            if (r.status() == 200) {
                return true;
            }
            what = r.status() < 0 ? "read " + (-r.status()) + " without the value written: " + r.body() : "status " + r.status() + ": " + r.body();
        } catch (Exception e) {
            what = e.getClass().getSimpleName() + ": " + e.getMessage();
        } finally {
            maxLatencyNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
        }
        failures.add(new Failure(start, op, key, what));
        return false;
    }

    /** Stops every thread and waits for it (each is bounded by its request timeout). */
    void stop() throws InterruptedException {
        stopping.set(true);
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(30));
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** Keys whose write was acknowledged, with the value each must hold. */
    Map<String, String> acked() {
        return new TreeMap<>(acked);
    }

    long writes() {
        return writes.get();
    }

    long reads() {
        return reads.get();
    }

    List<Failure> failures() {
        return List.copyOf(failures);
    }

    long maxLatencyMillis() {
        return maxLatencyNanos.get() / 1_000_000;
    }
}
