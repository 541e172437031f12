package dev.dcache.master.singleflight;

import dev.dcache.common.concurrent.Await;
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
    private static void awaitJoined(SingleFlight<?, ?> flight, int n) {
        Await.until(GENEROUS, Duration.ofMillis(1), () -> n + " callers joined, " + flight.joined() + " so far",
                () -> flight.joined() >= n);
        assertThat(flight.joined()).isEqualTo(n);
    }

    @Test
    void run_callersArrivingWhileACallRuns_shareTheNextCall_neverTheOneThatStartedBeforeThem() throws Exception {
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
        assertThat(calls).as("the next call waits for the running one").hasValue(1);
        release.countDown();
        assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("answer");
        for (Future<String> f : others) {
            // "answer" may predate a write acknowledged before they arrived: a stale read
            assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo("own call");
        }
        assertThat(calls).as("one running, one shared by the fifty that came during it").hasValue(2);
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
        assertThat(waiter.get(30, TimeUnit.SECONDS)).as("its own, later call").isEqualTo("never");
    }

    @Test
    void runAsync_theSharedCallThrows_everyCallerThatWaitedForItGetsTheException() throws Exception {
        SingleFlight<String, String> flight = new SingleFlight<>(GENEROUS);
        java.util.concurrent.CompletableFuture<String> running = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<String> first = flight.runAsync("k", () -> running);
        java.util.concurrent.CompletableFuture<String> a = flight.runAsync("k",
                () -> java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("aux down")));
        java.util.concurrent.CompletableFuture<String> b = flight.runAsync("k",
                () -> java.util.concurrent.CompletableFuture.completedFuture("never: a's call is shared"));
        running.complete("first");
        assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("first");
        assertThatThrownBy(() -> a.get(30, TimeUnit.SECONDS)).cause().hasMessage("aux down");
        assertThatThrownBy(() -> b.get(30, TimeUnit.SECONDS)).cause().hasMessage("aux down");
        assertThat(flight.inFlight()).isZero();
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
    void forget_whileCallersWaitForTheNextCall_stillRunsItForThem() throws Exception {
        SingleFlight<String, String> flight = new SingleFlight<>(GENEROUS);
        java.util.concurrent.CompletableFuture<String> running = new java.util.concurrent.CompletableFuture<>();
        flight.runAsync("k", () -> running);
        java.util.concurrent.CompletableFuture<String> waiting = flight.runAsync("k",
                () -> java.util.concurrent.CompletableFuture.completedFuture("next"));
        flight.forget("k");
        running.complete("old");
        assertThat(waiting.get(30, TimeUnit.SECONDS)).isEqualTo("next");
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
