package dev.dcache.client.transport;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** How a retry waits: an executor that runs its task after {@code delay}. Tests pass one that does not wait. */
@FunctionalInterface
public interface Pause {
    /** An executor that runs each task it is given {@code delay} from now. */
    Executor after(Duration delay);

    /** Real time: tasks run on {@code executor} once {@code delay} has passed. */
    static Pause on(Executor executor) {
        return delay -> CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS, executor);
    }
}
