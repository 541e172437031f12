package dev.dcache.common.concurrent;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.fail;

/**
 * Polls a condition that is reached in the background (heartbeats, rebalancing, a thread getting
 * somewhere, a metric moving): every wait is bounded. Shared with other modules through the test-jar.
 */
public final class Await {
    /** How often the condition is looked at again, unless the caller says otherwise. */
    public static final Duration EVERY = Duration.ofMillis(50);

    private Await() {
    }

    /** Polls every 50 ms; fails the test when {@code condition} still does not hold after {@code max}. */
    public static void until(Duration max, BooleanSupplier condition) {
        until(max, EVERY, () -> "condition", condition);
    }

    /** As {@link #until(Duration, BooleanSupplier)}; the failure says what did not happen. */
    public static void until(Duration max, String what, BooleanSupplier condition) {
        until(max, EVERY, () -> what, condition);
    }

    /**
     * Polls every {@code every} (finer for a test that measures how soon the condition held); fails
     * the test with "not within {@code max}: {@code what}" when it still does not hold after
     * {@code max}. {@code what} is asked for only then, so it may report the last value seen.
     */
    public static void until(Duration max, Duration every, Supplier<String> what, BooleanSupplier condition) {
        if (!within(max, every, condition)) {
            fail("not within " + max + ": " + what.get());
        }
    }

    /**
     * Polls every {@code every} until {@code condition} holds or {@code max} has passed; answers
     * whether it held. Only for a caller that goes on either way and checks what it needs itself;
     * otherwise use {@link #until}.
     */
    public static boolean within(Duration max, Duration every, BooleanSupplier condition) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            try {
                Thread.sleep(every); // the poll interval: this helper's one sleep
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting", e);
            }
        }
        return true;
    }
}
