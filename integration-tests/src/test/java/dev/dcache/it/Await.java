package dev.dcache.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Polls a condition that the cluster reaches in the background (heartbeats, rebalancing). */
final class Await {
    private Await() {
    }

    /** Polls every 50 ms; fails the test when {@code condition} still does not hold after {@code max}. */
    static void until(Duration max, BooleanSupplier condition) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within " + max).isLessThan(deadline);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
