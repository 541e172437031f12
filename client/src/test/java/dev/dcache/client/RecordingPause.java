package dev.dcache.client;

import dev.dcache.client.transport.Pause;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/** A {@link Pause} that records each wait asked for and does not wait, or, when holding, keeps the retries to run by hand. */
final class RecordingPause implements Pause {
    /** Guarded by this. */
    private final List<Duration> delays = new ArrayList<>();
    /** Guarded by this. */
    private final List<Runnable> held = new ArrayList<>();
    private final boolean hold;

    private RecordingPause(boolean hold) {
        this.hold = hold;
    }

    /** Runs every retry at once. */
    static RecordingPause immediate() {
        return new RecordingPause(false);
    }

    /** Keeps every retry until {@link #runHeld()}. */
    static RecordingPause holding() {
        return new RecordingPause(true);
    }

    @Override
    public Executor after(Duration delay) {
        synchronized (this) {
            delays.add(delay);
            notifyAll();
        }
        return task -> {
            if (hold) {
                synchronized (this) {
                    held.add(task);
                }
            } else {
                task.run();
            }
        };
    }

    synchronized List<Duration> delays() {
        return List.copyOf(delays);
    }

    /** Waits (at most 5 s) until {@code n} waits have been asked for. */
    synchronized void awaitDelays(int n) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (delays.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("only " + delays.size() + " of " + n + " retries were scheduled");
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Runs the retries held so far; returns how many. */
    int runHeld() {
        List<Runnable> now;
        synchronized (this) {
            now = List.copyOf(held);
            held.clear();
        }
        now.forEach(Runnable::run);
        return now.size();
    }

    /** A client of {@code hosts} whose retries wait through this pause; 5 s per try, 3 retries unless changed. */
    DcacheClientBuilder client(java.net.URI... hosts) {
        DcacheClientBuilder b = DcacheClient.builder().pause(this).requestTimeout(Duration.ofSeconds(5));
        for (java.net.URI h : hosts) {
            b.host(h);
        }
        return b;
    }
}
