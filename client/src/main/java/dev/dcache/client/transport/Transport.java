package dev.dcache.client.transport;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends {@link Call}s to a list of hosts over one shared {@link HttpClient} (so connections are
 * reused), each try with a timeout, retrying as {@link RetryPolicy} says. Calls start on the hosts
 * in turn (round robin); every retry moves on to the next host, so a host that refuses
 * connections, or is at its limits, is passed over at once.
 *
 * <p>Thread-safe: the only shared state is the round-robin counter; each call's own state lives in
 * its {@link RetryingCall}.
 */
public final class Transport {
    private final HttpClient http;
    private final List<URI> hosts;
    private final Duration requestTimeout;
    private final RetryPolicy retry;
    private final Pause pause;
    private final AtomicInteger nextHost = new AtomicInteger();

    /**
     * A transport over {@code http} to {@code hosts}.
     *
     * @param http           the client every try goes through
     * @param hosts          base URIs ({@code http://host:port}, optionally with a path prefix), at least one
     * @param requestTimeout the limit of each try, from sending to the whole answer
     * @param retry          which failures are retried, how often and after what wait
     * @param pause          how a retry waits
     */
    public Transport(HttpClient http, List<URI> hosts, Duration requestTimeout, RetryPolicy retry, Pause pause) {
        this.http = Objects.requireNonNull(http, "http");
        this.hosts = List.copyOf(hosts);
        if (this.hosts.isEmpty()) {
            throw new IllegalArgumentException("at least one host is needed");
        }
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        this.retry = Objects.requireNonNull(retry, "retry");
        this.pause = Objects.requireNonNull(pause, "pause");
    }

    /**
     * Sends {@code call}, retrying as the policy allows. The future completes with a 2xx or 304
     * answer (or a 404 when the call takes it as an answer), or exceptionally with a
     * {@link dev.dcache.client.error.DcacheException} saying why not. Cancelling it stops the retries
     * and the try in flight.
     */
    public CompletableFuture<Answer> send(Call call) {
        int first = Math.floorMod(nextHost.getAndIncrement(), hosts.size());
        return new RetryingCall(call, this, first).start();
    }

    HttpClient http() {
        return http;
    }

    URI host(int index) {
        return hosts.get(Math.floorMod(index, hosts.size()));
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    RetryPolicy retry() {
        return retry;
    }

    /** The executor that runs retry {@code retry}'s try, after its wait. */
    java.util.concurrent.Executor pauseBefore(int retry, Duration retryAfter) {
        return pause.after(this.retry.delay(retry, retryAfter, ThreadLocalRandom.current().nextDouble()));
    }
}
