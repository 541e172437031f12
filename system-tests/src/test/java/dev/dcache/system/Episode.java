package dev.dcache.system;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One cluster event with clients running around it: the clients start, the event
 * ({@code bin/cluster ...}, run in the background so the test can watch the masters while it
 * runs) comes a set time later, the test measures what it wants while the clients keep going,
 * and {@link #finish} stops them a set time after they started. Times are counted from the
 * clients' start, so an episode lasts as long whatever the measurements took (unless they took
 * longer).
 */
final class Episode {
    private final LaunchedCluster cluster;
    private final ClusterProbe probe;
    private final ClientLoad clients;
    private final long startNanos;
    private Map<String, ClusterProbe.Rebalance> before;
    /** The event's command or action, running or done: how long it ran, in milliseconds. */
    private CompletableFuture<Long> command;
    private long eventNanos;
    private ClientLoad.Report report;

    private Episode(LaunchedCluster cluster, ClusterProbe probe, ClientLoad clients) {
        this.cluster = cluster;
        this.probe = probe;
        this.clients = clients;
        this.startNanos = System.nanoTime();
        clients.start();
    }

    /** Starts {@code clients}. */
    static Episode begin(LaunchedCluster cluster, ClusterProbe probe, ClientLoad clients) {
        return new Episode(cluster, probe, clients);
    }

    /** What causes the event. */
    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    /**
     * Waits until {@code after} since the start, reads the rebalancing counters, then starts
     * {@code bin/cluster command...} in the background.
     *
     * @return {@link System#nanoTime()} just before the command started
     */
    long event(Duration after, String... command) throws IOException, InterruptedException {
        return event(after, () -> cluster.runOk(command));
    }

    /**
     * Waits until {@code after} since the start, reads the rebalancing counters, then starts
     * {@code action} in the background.
     *
     * @return {@link System#nanoTime()} just before the action started
     */
    long event(Duration after, Action action) throws IOException, InterruptedException {
        pauseUntil(after);
        before = probe.rebalance();
        long at = System.nanoTime();
        eventNanos = at;
        this.command = CompletableFuture.supplyAsync(() -> {
            try {
                action.run();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
            return (System.nanoTime() - at) / 1_000_000;
        });
        return at;
    }

    /**
     * Waits for the event's command (or action) to finish.
     *
     * @return how long it ran, in milliseconds
     */
    long awaitCommand() throws InterruptedException {
        try {
            return command.get(2, TimeUnit.MINUTES); // runOk bounds it already; this only guards the guard
        } catch (ExecutionException e) {
            throw new AssertionError("the event failed", e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("the event is still running", e);
        }
    }

    /** Waits for the event's command and until {@code length} since the start, then stops the clients. */
    ClientLoad.Report finish(Duration length) throws InterruptedException {
        awaitCommand();
        pauseUntil(length);
        report = clients.stop();
        return report;
    }

    /** {@link System#nanoTime()} just before the event's command started. */
    long eventNanos() {
        return eventNanos;
    }

    /** What the clients did, once {@link #finish} has stopped them. */
    ClientLoad.Report report() {
        return report;
    }

    /** Records rebalancing sent since just before the event ({@link ClusterProbe#keysMoved}). */
    long keysMoved() throws IOException, InterruptedException {
        return ClusterProbe.keysMoved(before, probe.rebalance());
    }

    private void pauseUntil(Duration sinceStart) throws InterruptedException {
        long remaining = startNanos + sinceStart.toNanos() - System.nanoTime();
        if (remaining > 0) {
            // the episode's timeline: its event is due at a set time into the load
            Thread.sleep(remaining / 1_000_000, (int) (remaining % 1_000_000));
        }
    }
}
