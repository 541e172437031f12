package dev.dcache.common.client;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Interrupts the thread that created it if it is not closed within {@code timeout}: a blocked
 * read of a streamed answer then fails (the JDK client's response stream waits interruptibly).
 * Closing it clears an interrupt it caused, so the thread goes on clean.
 */
final class AnswerWatchdog implements AutoCloseable {
    /** Runs the watchdogs of streamed answers. */
    private static final ScheduledExecutorService WATCHDOGS =
            Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("answer-watchdog").unstarted(r));

    private final Thread reader = Thread.currentThread();
    private final ScheduledFuture<?> alarm;
    private boolean done;
    private boolean fired;

    AnswerWatchdog(Duration timeout) {
        this.alarm = WATCHDOGS.schedule(this::fire, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void fire() {
        if (!done) {
            fired = true;
            reader.interrupt();
        }
    }

    synchronized boolean fired() {
        return fired;
    }

    @Override
    public void close() {
        alarm.cancel(false);
        synchronized (this) {
            done = true;
            if (fired) {
                Thread.interrupted(); // ours, not the caller's
            }
        }
    }
}
