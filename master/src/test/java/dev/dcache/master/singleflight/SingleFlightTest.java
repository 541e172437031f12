package dev.dcache.master.singleflight;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SingleFlightTest {
    private static final Duration GENEROUS = Duration.ofSeconds(30);
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    /** Waits (bounded) until {@code n} callers have joined the call under way. */
    private static void awaitJoined(SingleFlight<?, ?> flight, int n) throws InterruptedException {
        long deadline = System.nanoTime() + GENEROUS.toNanos();
        while (flight.joined() < n && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(flight.joined()).isEqualTo(n);
    }

    @Test
    void run_concurrentCallersOfOneKey_shareOneCall() throws Exception {
        SingleFlight<String, String> flight = new SingleFlight<>(GENEROUS);
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<String> first = pool.submit(() -> flight.run("k", () -> {
            calls.incrementAndGet();
            entered.countDown();
            await(release);
            return "answer";
        }));
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        List<Future<String>> others = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            others.add(pool.submit(() -> flight.run("k", () -> {
                calls.incrementAndGet();
                return "own call";
            })));
        }
        awaitJoined(flight, 50);
        release.countDown();
        assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("answer");
        for (Future<String> f : others) {
            assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo("answer");
        }
        assertThat(calls).hasValue(1);
        assertThat(flight.inFlight()).isZero();
    }

    @Test
    void run_differentKeys_doNotWaitForEachOther() {
        SingleFlight<String, String> flight = new SingleFlight<>(GENEROUS);
        assertThat(flight.run("a", () -> flight.run("b", () -> "inner"))).isEqualTo("inner");
        assertThat(flight.joined()).isZero();
    }

    @Test
    void run_callAfterTheFirstFinished_runsAgain() {
        SingleFlight<String, Integer> flight = new SingleFlight<>(GENEROUS);
        AtomicInteger calls = new AtomicInteger();
        flight.run("k", calls::incrementAndGet);
        assertThat(flight.run("k", calls::incrementAndGet)).isEqualTo(2);
    }

    @Test
    void run_callThrows_everyWaiterGetsTheException() throws Exception {
        SingleFlight<String, String> flight = new SingleFlight<>(GENEROUS);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<String> first = pool.submit(() -> flight.run("k", () -> {
            entered.countDown();
            await(release);
            throw new IllegalStateException("aux down");
        }));
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        Future<String> waiter = pool.submit(() -> flight.run("k", () -> "never"));
        awaitJoined(flight, 1);
        release.countDown();
        assertThatThrownBy(() -> first.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> waiter.get(30, TimeUnit.SECONDS)).cause()
                .isInstanceOf(IllegalStateException.class).hasMessage("aux down");
    }

    @Test
    void run_nullAnswer_isShared() {
        SingleFlight<String, String> flight = new SingleFlight<>(GENEROUS);
        assertThat(flight.run("k", () -> null)).isNull();
    }

    @Test
    void run_waiterOutlastingMaxWait_givesUp_whileTheCallGoesOn() throws Exception {
        SingleFlight<String, String> flight = new SingleFlight<>(Duration.ofMillis(50));
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<String> first = pool.submit(() -> flight.run("k", () -> {
            entered.countDown();
            await(release);
            return "late";
        }));
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> flight.run("k", () -> "never"))
                .isInstanceOf(SingleFlight.WaitTimeoutException.class).hasMessageContaining("50 ms");
        release.countDown();
        assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("late");
    }

    @Test
    void forget_detachesTheCallUnderWay_soLaterCallersStartAFreshOne() throws Exception {
        SingleFlight<String, String> flight = new SingleFlight<>(GENEROUS);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<String> first = pool.submit(() -> flight.run("k", () -> {
            entered.countDown();
            await(release);
            return "read before the write";
        }));
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        flight.forget("k");
        assertThat(flight.run("k", () -> "read after the write")).isEqualTo("read after the write");
        release.countDown();
        assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("read before the write");
        assertThat(flight.inFlight()).isZero();
    }

    @Test
    void constructor_nonPositiveWait_fails() {
        assertThatThrownBy(() -> new SingleFlight<String, String>(Duration.ZERO)).hasMessageContaining("maxWait");
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test latch never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
